import { systemClock, type Clock } from '../clock.js';
import { loadConfig } from '../config.js';
import { Micro1Error } from '../errors.js';
import { connect, readLiveList } from '../api/read-live.js';
import { selectLinks, withLiveLinks, type LinkRow } from '../plan/invite-links.js';
import type { ProjectOptions } from '../project.js';
import { posixRelative } from '../paths.js';
import { loadState, openForWriting } from '../state/state-store.js';
import type { State } from '../state/state.js';

export interface LinksCommandOptions extends ProjectOptions {
  /** Keys, folders or globs; empty for every managed interview. */
  keys: string[];
  /** Read GET /interviews first and record the links micro1 lists (needs the API key). */
  refresh: boolean;
  notice(message: string): void;
  clock?: Clock;
}

export interface LinksOutcome {
  rows: LinkRow[];
  statePath: string;
  /** With --refresh: how many entries got a new or changed link. */
  recorded?: number;
}

/**
 * config → state (journal folded) → the rows asked for. With --refresh: lock → GET /interviews, every
 * page → state with the listed links (pure) → one atomic write → unlock, before the rows are picked.
 */
export async function linksCommand(options: LinksCommandOptions): Promise<LinksOutcome> {
  const config = await loadConfig(options);
  const display = (absolute: string) => posixRelative(config.projectRoot, absolute);
  const statePath = display(config.stateFile);
  let state: State;
  let recorded: number | undefined;
  if (options.refresh) {
    const connection = connect(config, options.env, { clock: options.clock ?? systemClock, notice: options.notice });
    const { store, close } = openForWriting(config.stateFile, 'links --refresh', display, options.notice, { root: config.projectRoot });
    try {
      const live = await readLiveList(connection);
      const refreshed = withLiveLinks(store.state, live.items);
      recorded = refreshed.recorded;
      if (recorded > 0) store.replace(refreshed.state);
      state = store.state;
    } finally {
      close();
    }
  } else {
    state = loadState(config.stateFile, statePath, config.projectRoot).state;
  }
  const selected = selectLinks(state, options.keys);
  if (!selected.ok) throw new Micro1Error('LINKS_NO_KEY', selected.message, { hint: selected.hint });
  return { rows: selected.rows, statePath, ...(recorded !== undefined ? { recorded } : {}) };
}
