import { fromListItem, inviteUrlOf } from '../api/list-shape.js';
import { interviewRecord, type State } from '../state/state-model.js';
import { didYouMean } from '../suggest.js';
import { matchesAny } from './key-match.js';

/**
 * `micro1 links`: which invite links to show, and (`--refresh`) the state with the links micro1
 * lists now. Pure: the state and the live list are arguments.
 */

export interface LinkRow {
  key: string;
  id: string;
  /** As micro1 sent it: untrusted text. Absent when no link is recorded. */
  inviteUrl?: string;
}

export type LinkSelection = { ok: true; rows: LinkRow[] } | { ok: false; message: string; hint: string };

/** Every managed interview, or those matching `patterns` (keys, folders or globs, as `--target`); each pattern must match one. */
export function selectLinks(state: Pick<State, 'interviews'>, patterns: readonly string[]): LinkSelection {
  const keys = Object.keys(state.interviews).sort();
  const unmatched = patterns.find((p) => !keys.some((k) => matchesAny(k, [p])));
  if (unmatched !== undefined) {
    const guess = didYouMean(unmatched.replace(/\.ya?ml$/, ''), keys);
    return {
      ok: false,
      message: `${unmatched} matches no interview in the state`,
      hint: guess !== undefined ? `did you mean \`micro1 links ${guess}\`?` : '`micro1 links` with no key lists every managed interview',
    };
  }
  const rows = keys
    .filter((k) => patterns.length === 0 || matchesAny(k, patterns))
    .map((key) => {
      const entry = state.interviews[key]!;
      return { key, id: entry.id, ...(entry.invite_url !== undefined ? { inviteUrl: entry.invite_url } : {}) };
    });
  return { ok: true, rows };
}

/**
 * The state with each managed interview's link as micro1 lists it now (an interview micro1 lists
 * without a usable link keeps the one recorded). `recorded`: entries whose link was added or changed.
 */
export function withLiveLinks(state: State, live: readonly unknown[]): { state: State; recorded: number } {
  const linkOf = new Map<string, string>();
  for (const item of live) {
    const read = fromListItem(item);
    const link = inviteUrlOf(read.meta.invite_url);
    if (read.id !== undefined && link !== undefined && !linkOf.has(read.id)) linkOf.set(read.id, link);
  }
  const interviews = interviewRecord(state.interviews);
  let recorded = 0;
  for (const key of Object.keys(interviews)) {
    const entry = interviews[key]!;
    const link = linkOf.get(entry.id);
    if (link === undefined || link === entry.invite_url) continue;
    interviews[key] = { ...entry, invite_url: link };
    recorded++;
  }
  return { state: { ...state, interviews }, recorded };
}
