import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { systemClock, type Clock } from '../clock.js';
import { loadConfig } from '../config.js';
import { discoverFiles } from '../definitions/load-definitions.js';
import { planImport, type ImportPlan } from '../plan/plan-import.js';
import { hasErrors, loadProject, type Project, type ProjectOptions } from '../project.js';
import { connect, readLiveList } from '../api/read-live.js';
import { interviewRecord, targetHostOf } from '../state/state.js';
import { writeFileAtomic } from '../state/file-io.js';
import { removeLeftovers, temporaryFolder } from './fmt.js';
import { openForWriting } from '../state/state-store.js';

export interface ImportCommandOptions extends ProjectOptions {
  /** Only interviews whose name contains this (micro1's own `keyword` filter). */
  keyword?: string;
  /** Replace a file that already pins a listed id but says something else. */
  force: boolean;
  /** Things worth telling the user while it runs (lock taken over). */
  notice(message: string): void;
  clock?: Clock;
}

export type ImportOutcome =
  | { kind: 'invalid'; project: Project }
  | { kind: 'imported'; result: ImportPlan; listed: number; requests: number; listWarnings: string[]; statePath: string };

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
      // The ids just listed belong to this host; a host the state already records is kept (apply checks it).
      store.replace({ ...store.state, interviews: Object.assign(interviewRecord(store.state.interviews), added), targetHost: store.state.targetHost ?? targetHostOf(config.api.baseUrl) });
    }
    return { kind: 'imported', result, listed: live.items.length, requests: connection.requests(), listWarnings: live.warnings, statePath: project.display(config.stateFile) };
  } finally {
    close();
  }
}
