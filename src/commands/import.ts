import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { systemClock, type Clock } from '../clock.js';
import { loadConfig, resourceFolder, type ResolvedConfig } from '../config.js';
import { Micro1Error } from '../errors.js';
import { kindNamed, type ResourceKind } from '../kinds/kinds.js';
import { posixRelative } from '../paths.js';
import { planResourceImport, type ResourceImportPlan } from '../plan/resource-import.js';
import { discoverFiles } from '../definitions/load-definitions.js';
import { folderCaseClash, planImport, windowsNameProblem, type ImportPlan } from '../plan/plan-import.js';
import { hasErrors, loadProject, type Project, type ProjectOptions } from '../project.js';
import { connect, readLiveList, readLiveResources, type LiveConnection } from '../api/read-live.js';
import { keyProblem } from '../state/state-edits.js';
import { interviewRecord, resourceEntries, resourceRecord, targetHostOf } from '../state/state.js';
import { writeFileAtomic } from '../state/file-io.js';
import { removeLeftovers, temporaryFolder } from './fmt.js';
import { loadState, openForWriting } from '../state/state-store.js';

export interface ImportCommandOptions extends ProjectOptions {
  /** Only interviews whose name contains this (micro1's own `keyword` filter). */
  keyword?: string;
  /** Replace a file that already pins a listed id but says something else. */
  force: boolean;
  /** `--kind webhook`: import that kind instead of interviews. */
  kind?: string;
  /** `--dry-run`: say what would be written; write nothing, take no lock. */
  dryRun?: boolean;
  /** `--dir`: the folder under the interviews folder new files go in. */
  dir?: string;
  /** Things worth telling the user while it runs (lock taken over). */
  notice(message: string): void;
  clock?: Clock;
}

export type ImportOutcome =
  | { kind: 'invalid'; project: Project }
  | { kind: 'imported'; result: ImportPlan; listed: number; requests: number; listWarnings: string[]; statePath: string; dryRun: boolean }
  | { kind: 'imported-resources'; resourceKind: ResourceKind; result: ResourceImportPlan; listed: number; statePath: string };

/**
 * config → interviews folder → definitions (must be valid) → key → lock → state → GET /interviews,
 * every page → what to write (pure) → files → state, in one atomic write → unlock. Files go first:
 * if it stops between the two, running it again finds each file already saying what micro1 has
 * and only records it.
 */
export async function importCommand(options: ImportCommandOptions): Promise<ImportOutcome> {
  const config = await loadConfig(options);
  const clock = options.clock ?? systemClock;
  const subfolder = checkedSubfolder(options.dir);
  const connection = connect(config, options.env, { clock, notice: options.notice });
  const other = options.kind === undefined || options.kind === 'interview' ? undefined : kindNamed(options.kind);
  if (other !== undefined) return importResources(options, other, config, connection, clock);
  if (options.dryRun) return dryRun(options, config, connection, subfolder);
  mkdirSync(config.interviewsDir, { recursive: true });
  const project = await loadProject(options);
  if (hasErrors(project.diagnostics)) return { kind: 'invalid', project };

  const { store, close } = openForWriting(config.stateFile, 'import', project.display, options.notice);
  try {
    const live = await readLiveList(connection, options.keyword === undefined ? {} : { keyword: options.keyword });
    const { interviews, fragments, leftovers } = discoverFiles(config.interviewsDir);
    const tempDir = temporaryFolder(config.stateFile);
    removeLeftovers(config.interviewsDir, leftovers, tempDir);
    refuseCaseClash(subfolder, [...interviews, ...fragments]);
    const result = planImport({
      live: live.items,
      state: store.state,
      definitions: project.definitions,
      existingKeys: [...interviews, ...fragments].map((rel) => rel.replace(/\.ya?ml$/, '')),
      interviewsFolder: project.display(config.interviewsDir),
      subfolder,
      force: options.force,
    });
    for (const imported of result.imported) {
      if (imported.text !== undefined) {
        const target = path.resolve(config.projectRoot, imported.file);
        mkdirSync(path.dirname(target), { recursive: true });
        writeFileAtomic(target, imported.text, { display: imported.file, ...(tempDir ? { tempDir } : {}) });
      }
    }
    if (result.imported.length > 0) {
      const appliedAt = new Date(clock.now()).toISOString();
      const added = Object.fromEntries(result.imported.map((i) => [i.key, { ...i.entry, appliedAt }]));
      // The ids just listed belong to this host; a host the state already records is kept (apply checks it).
      store.replace({ ...store.state, interviews: Object.assign(interviewRecord(store.state.interviews), added), targetHost: store.state.targetHost ?? targetHostOf(config.api.baseUrl) });
    }
    return { kind: 'imported', result, listed: live.items.length, requests: connection.requests(), listWarnings: live.warnings, statePath: project.display(config.stateFile), dryRun: false };
  } finally {
    close();
  }
}

/**
 * `import --kind webhook`: the same steps for another kind: folder → definitions (must be valid) →
 * lock → state → GET /webhooks → what to write (pure) → files → state in one atomic write → unlock.
 */
async function importResources(options: ImportCommandOptions, kind: ResourceKind, config: ResolvedConfig, connection: LiveConnection, clock: Clock): Promise<ImportOutcome> {
  const folder = resourceFolder(config, kind);
  mkdirSync(folder, { recursive: true });
  const project = await loadProject(options);
  if (hasErrors(project.diagnostics)) return { kind: 'invalid', project };
  const { store, close } = openForWriting(config.stateFile, 'import', project.display, options.notice);
  try {
    const live = await readLiveResources(connection, kind);
    const tempDir = temporaryFolder(config.stateFile);
    const result = planResourceImport({
      kind,
      live,
      state: store.state,
      definitions: project.resources,
      existingKeys: discoverFiles(folder).interviews.map((rel) => rel.replace(/\.ya?ml$/, '')),
      folder: project.display(folder),
    });
    for (const imported of result.imported) {
      if (imported.text !== undefined) writeFileAtomic(path.resolve(config.projectRoot, imported.file), imported.text, { display: imported.file, ...(tempDir ? { tempDir } : {}) });
    }
    if (result.imported.length > 0) {
      const appliedAt = new Date(clock.now()).toISOString();
      const record = resourceRecord(resourceEntries(store.state, kind.name));
      for (const i of result.imported) record[i.key] = { ...i.entry, appliedAt };
      store.replace({ ...store.state, resources: { ...(store.state.resources ?? {}), [kind.name]: record } });
    }
    return { kind: 'imported-resources', resourceKind: kind, result, listed: live.length, statePath: project.display(config.stateFile) };
  } finally {
    close();
  }
}

/** `--dry-run`: the same list and the same pure plan, without the lock, a file or the state written (the folder is not even made). */
async function dryRun(options: ImportCommandOptions, config: ResolvedConfig, connection: LiveConnection, subfolder: string): Promise<ImportOutcome> {
  const display = (absolute: string) => posixRelative(config.projectRoot, absolute);
  const exists = existsSync(config.interviewsDir);
  const project = exists ? await loadProject(options) : undefined;
  if (project !== undefined && hasErrors(project.diagnostics)) return { kind: 'invalid', project };
  const state = project?.state ?? loadState(config.stateFile, display(config.stateFile), config.projectRoot).state;
  const live = await readLiveList(connection, options.keyword === undefined ? {} : { keyword: options.keyword });
  const found = exists ? discoverFiles(config.interviewsDir) : { interviews: [], fragments: [] };
  refuseCaseClash(subfolder, [...found.interviews, ...found.fragments]);
  const result = planImport({
    live: live.items,
    state,
    definitions: project?.definitions ?? [],
    existingKeys: [...found.interviews, ...found.fragments].map((rel) => rel.replace(/\.ya?ml$/, '')),
    interviewsFolder: display(config.interviewsDir),
    subfolder,
    force: options.force,
  });
  return { kind: 'imported', result, listed: live.items.length, requests: connection.requests(), listWarnings: live.warnings, statePath: display(config.stateFile), dryRun: true };
}

function refuseCaseClash(subfolder: string, files: readonly string[]): void {
  const existing = folderCaseClash(subfolder, files.map((rel) => rel.replace(/\.ya?ml$/, '')));
  if (existing === undefined) return;
  throw new Micro1Error('USAGE', `--dir ${subfolder} differs only in case from the folder ${existing}, which already holds definitions: on Windows and macOS they are one folder`, {
    hint: `use --dir ${existing}`,
  });
}

/** `--dir`: a relative folder under the interviews folder whose every name works on every system. */
function checkedSubfolder(dir: string | undefined): string {
  if (dir === undefined) return '';
  const clean = dir.replace(/\/+$/, '');
  const invalid = clean === '' || clean === '.' ? undefined : (keyProblem(clean) ?? clean.split('/').map(windowsNameProblem).find((p) => p !== undefined));
  if (invalid !== undefined) {
    throw new Micro1Error('USAGE', `--dir ${dir} cannot hold imported interviews: ${invalid}`, {
      hint: 'give a folder under the interviews folder, relative to it, e.g. --dir imported or --dir teams/sales',
    });
  }
  return clean === '.' ? '' : clean;
}
