import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { systemClock, type Clock } from '../clock.js';
import { loadConfig, resourceFolder, type ResolvedConfig } from '../config.js';
import { kindNamed, type ResourceKind } from '../kinds/kinds.js';
import { planResourceImport, type ResourceImportPlan } from '../plan/resource-import.js';
import { discoverFiles } from '../definitions/load-definitions.js';
import { planImport, type ImportPlan } from '../plan/plan-import.js';
import { hasErrors, loadProject, type Project, type ProjectOptions } from '../project.js';
import { connect, readLiveList, readLiveResources, type LiveConnection } from '../api/read-live.js';
import { interviewRecord, resourceEntries, resourceRecord } from '../state/state.js';
import { writeFileAtomic } from '../state/file-io.js';
import { removeLeftovers, temporaryFolder } from './fmt.js';
import { openForWriting } from '../state/state-store.js';

export interface ImportCommandOptions extends ProjectOptions {
  /** Only interviews whose name contains this (micro1's own `keyword` filter). */
  keyword?: string;
  /** Replace a file that already pins a listed id but says something else. */
  force: boolean;
  /** `--kind webhook`: import that kind instead of interviews. */
  kind?: string;
  /** Things worth telling the user while it runs (lock taken over). */
  notice(message: string): void;
  clock?: Clock;
}

export type ImportOutcome =
  | { kind: 'invalid'; project: Project }
  | { kind: 'imported'; result: ImportPlan; listed: number; requests: number; listWarnings: string[]; statePath: string }
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
  const connection = connect(config, options.env, { clock, notice: options.notice });
  const other = options.kind === undefined || options.kind === 'interview' ? undefined : kindNamed(options.kind);
  if (other !== undefined) return importResources(options, other, config, connection, clock);
  mkdirSync(config.interviewsDir, { recursive: true });
  const project = await loadProject(options);
  if (hasErrors(project.diagnostics)) return { kind: 'invalid', project };

  const { store, close } = openForWriting(config.stateFile, 'import', project.display, options.notice);
  try {
    const live = await readLiveList(connection, options.keyword === undefined ? {} : { keyword: options.keyword });
    const { interviews, fragments, leftovers } = discoverFiles(config.interviewsDir);
    const tempDir = temporaryFolder(config.stateFile);
    removeLeftovers(config.interviewsDir, leftovers, tempDir);
    const result = planImport({
      live: live.items,
      state: store.state,
      definitions: project.definitions,
      existingKeys: [...interviews, ...fragments].map((rel) => rel.replace(/\.ya?ml$/, '')),
      interviewsFolder: project.display(config.interviewsDir),
      force: options.force,
    });
    for (const imported of result.imported) {
      if (imported.text !== undefined) {
        writeFileAtomic(path.resolve(config.projectRoot, imported.file), imported.text, { display: imported.file, ...(tempDir ? { tempDir } : {}) });
      }
    }
    if (result.imported.length > 0) {
      const appliedAt = new Date(clock.now()).toISOString();
      const added = Object.fromEntries(result.imported.map((i) => [i.key, { ...i.entry, appliedAt }]));
      store.replace({ ...store.state, interviews: Object.assign(interviewRecord(store.state.interviews), added) });
    }
    return { kind: 'imported', result, listed: live.items.length, requests: connection.requests(), listWarnings: live.warnings, statePath: project.display(config.stateFile) };
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
