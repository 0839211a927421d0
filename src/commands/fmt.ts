import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { formatDefinitionText } from '../canonical-yaml.js';
import { loadConfig } from '../config.js';
import { sortDiagnostics, type Diagnostic } from '../diagnostics.js';
import { Micro1Error } from '../errors.js';
import { discoverFiles, loadDefinitions } from '../load-definitions.js';
import type { ProjectOptions } from '../project.js';
import { writeFileAtomic } from '../state.js';
import { parseYamlSource } from '../yaml-file.js';

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
  if (!existsSync(config.interviewsDir)) {
    throw new Micro1Error('NO_INTERVIEWS_DIR', `The interviews folder ${display(config.interviewsDir)} does not exist`, {
      hint: 'create it, or set `interviews` in micro1.config.ts to the folder that holds your definitions',
    });
  }
  const loaded = loadDefinitions({ projectRoot: config.projectRoot, interviewsRoot: config.interviewsDir });
  const diagnostics = loaded.diagnostics.filter((d) => d.severity === 'error');
  const broken = new Set(diagnostics.map((d) => d.file));
  const { interviews, fragments } = discoverFiles(config.interviewsDir);
  const outcome: FmtOutcome = { changed: [], unchanged: 0, diagnostics };

  for (const rel of [...interviews, ...fragments].sort()) {
    const absolute = path.join(config.interviewsDir, rel);
    const file = display(absolute);
    if (broken.has(file)) continue;
    const bytes = readFileSync(absolute);
    // A fragment no interview extends was never read by the loader: check it is YAML at least.
    const parsed = parseYamlSource(file, bytes);
    if (parsed.diagnostics.length > 0) {
      outcome.diagnostics.push(...parsed.diagnostics);
      continue;
    }
    const text = new TextDecoder().decode(bytes);
    const formatted = formatDefinitionText(text);
    if (!formatted.ok) {
      outcome.diagnostics.push({ severity: 'error', file, line: 1, column: 1, path: '', message: `not formatted: ${formatted.reason}` });
      continue;
    }
    if (formatted.text === text) {
      outcome.unchanged++;
      continue;
    }
    outcome.changed.push(file);
    if (!options.check) writeFileAtomic(absolute, formatted.text);
  }
  outcome.diagnostics = sortDiagnostics(outcome.diagnostics);
  return outcome;
}
