import { existsSync, lstatSync, rmSync } from 'node:fs';
import path from 'node:path';
import { formatDefinitionText, TOP_LEVEL_ORDER } from '../definitions/canonical-yaml.js';
import { configToEdit, loadConfig, resourceFolder } from '../config.js';
import { loadResources } from '../definitions/load-resources.js';
import { KINDS } from '../kinds/kinds.js';
import { sortDiagnostics, type Diagnostic } from '../diagnostics.js';
import { Micro1Error } from '../errors.js';
import { discoverFiles, loadDefinitions } from '../definitions/load-definitions.js';
import type { ProjectOptions } from '../project.js';
import { isAlive, removeDeadTemps, TEMP_PATTERN, writeFileAtomic } from '../state/file-io.js';
import { readBounded } from '../definitions/source-files.js';
import { parseYamlSource } from '../definitions/yaml-file.js';

export interface FmtCommandOptions extends ProjectOptions {
  /** Write nothing; report the files that would change. */
  check: boolean;
}

export interface FmtOutcome {
  /** Project-relative files rewritten (or, with check, that would be). */
  changed: string[];
  /** Files already canonical. */
  unchanged: number;
  /** Problems in files, which were left as they are. */
  diagnostics: Diagnostic[];
}

/**
 * config → every .yaml/.yml under the interviews folder (definitions and fragments) → the loader's
 * diagnostics → each file without errors in canonical form (pure) → write the ones that differ.
 * Needs no state and no API key.
 */
export async function fmtCommand(options: FmtCommandOptions): Promise<FmtOutcome> {
  const config = await loadConfig(options);
  const display = (absolute: string) => path.relative(config.projectRoot, absolute).split(path.sep).join('/');
  const hasInterviews = existsSync(config.interviewsDir);
  const kinds = KINDS.map((kind) => ({ kind, folder: resourceFolder(config, kind) })).filter((k) => existsSync(k.folder));
  if (!hasInterviews && kinds.length === 0) {
    throw new Micro1Error('NO_INTERVIEWS_DIR', `The interviews folder ${display(config.interviewsDir)} does not exist`, {
      hint: `create it, or set \`interviews\` in ${configToEdit(config, options.cwd)} to the folder that holds your definitions`,
    });
  }
  const outcome: FmtOutcome = { changed: [], unchanged: 0, diagnostics: [] };
  const tempDir = temporaryFolder(config.stateFile);
  if (hasInterviews) {
    const loaded = loadDefinitions({ projectRoot: config.projectRoot, interviewsRoot: config.interviewsDir });
    const diagnostics = loaded.diagnostics.filter((d) => d.severity === 'error');
    outcome.diagnostics.push(...diagnostics);
    const broken = new Set(diagnostics.map((d) => d.file));
    const { interviews, fragments, leftovers } = discoverFiles(config.interviewsDir);
    if (!options.check) removeLeftovers(config.interviewsDir, leftovers, tempDir);
    for (const rel of [...interviews, ...fragments].sort()) {
      const absolute = path.join(config.interviewsDir, rel);
      const file = display(absolute);
      if (!broken.has(file)) formatOne(absolute, file, TOP_LEVEL_ORDER, outcome, options.check, tempDir);
    }
  }
  // The other kinds (webhooks): the same rules, in each kind's field order.
  for (const { kind, folder } of kinds) {
    const diagnostics = loadResources(kind, folder, config.projectRoot).diagnostics.filter((d) => d.severity === 'error');
    outcome.diagnostics.push(...diagnostics);
    const broken = new Set(diagnostics.map((d) => d.file));
    const { interviews: files, leftovers } = discoverFiles(folder);
    if (!options.check) removeLeftovers(folder, leftovers, tempDir);
    for (const rel of files) {
      const absolute = path.join(folder, rel);
      const file = display(absolute);
      if (!broken.has(file)) formatOne(absolute, file, kind.fields, outcome, options.check, tempDir);
    }
  }
  outcome.diagnostics = sortDiagnostics(outcome.diagnostics);
  return outcome;
}

/** One file in canonical form: written when it differs (unless `check`), or why it was not. */
function formatOne(absolute: string, file: string, order: readonly string[], outcome: FmtOutcome, check: boolean, tempDir: string | undefined): void {
  // A link is never written through or replaced: its target may be outside the project, or shared.
  if (lstatSync(absolute).isSymbolicLink()) {
    outcome.diagnostics.push({ severity: 'warning', file, line: 1, column: 1, path: '', message: 'is a symbolic link: fmt leaves it as it is', hint: 'format the file it points to, or replace the link with a copy' });
    return;
  }
  const read = readBounded(absolute);
  if ('problem' in read) {
    outcome.diagnostics.push({ severity: 'error', file, line: 1, column: 1, path: '', message: read.problem.message, ...(read.problem.hint ? { hint: read.problem.hint } : {}) });
    return;
  }
  const bytes = read.bytes;
  // A fragment no interview extends was never read by the loader: check it is YAML at least.
  const parsed = parseYamlSource(file, bytes);
  if (parsed.diagnostics.length > 0) {
    outcome.diagnostics.push(...parsed.diagnostics);
    return;
  }
  const text = new TextDecoder().decode(bytes);
  const formatted = formatDefinitionText(text, order);
  if (!formatted.ok) {
    outcome.diagnostics.push({ severity: 'error', file, line: 1, column: 1, path: '', message: `not formatted: ${formatted.reason}` });
    return;
  }
  if (formatted.text === text) {
    outcome.unchanged++;
    return;
  }
  outcome.changed.push(file);
  if (!check) writeFileAtomic(absolute, formatted.text, { display: file, ...(tempDir ? { tempDir } : {}) });
}

/**
 * Where fmt and import write their temporary copies: the state folder, which git ignores and the
 * next run cleans, so a kill never leaves a half file in interviews/. Undefined when it does not
 * exist yet (the copy then goes beside the file, under a hidden name the loader skips).
 */
export function temporaryFolder(stateFile: string): string | undefined {
  const dir = path.dirname(stateFile);
  return existsSync(dir) ? dir : undefined;
}

/** Removes the temporary copies killed runs left, in interviews/ (older versions) and the state folder. */
export function removeLeftovers(interviewsDir: string, leftovers: readonly string[], tempDir: string | undefined): void {
  for (const rel of leftovers) {
    const pid = TEMP_PATTERN.exec(path.basename(rel))?.[1];
    if (pid !== undefined && !isAlive(Number(pid))) rmSync(path.join(interviewsDir, rel), { force: true });
  }
  if (tempDir !== undefined) removeDeadTemps(tempDir);
}
