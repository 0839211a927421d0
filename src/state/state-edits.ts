import { entryOf, interviewRecord, resourceEntries, resourceRecord, type State, type StateEntry } from './state.js';
import { KINDS } from '../kinds/kinds.js';
import { didYouMean } from '../suggest.js';
import { isFragmentPath } from '../paths.js';

/** A state edit that cannot be made: what is wrong and what to do. */
export interface EditProblem {
  message: string;
  hint?: string;
}

export type EditResult<T> = { ok: true; state: State; value: T } | { ok: false; problem: EditProblem };

/**
 * `state rm`: drops each key's entry (and any unconfirmed create under it) from the state. Nothing
 * is sent to micro1: the interviews stay there, no longer managed. Pure; every key must exist.
 */
export function removeFromState(state: State, allKeys: readonly string[]): EditResult<{ key: string; id: string | undefined }[]> {
  // `webhook:KEY` names another kind's entry; every other key an interview's, as always.
  const other = (k: string) => KINDS.find((kind) => k.startsWith(`${kind.name}:`));
  const keys = allKeys.filter((k) => other(k) === undefined);
  const otherKeys = allKeys.filter((k) => other(k) !== undefined).map((k) => ({ label: k, kind: other(k)!.name, key: k.slice(other(k)!.name.length + 1) }));
  const lost = otherKeys.find((o) => !Object.hasOwn(resourceEntries(state, o.kind), o.key) && !(state.resourcePending ?? []).some((p) => p.kind === o.kind && p.key === o.key));
  if (lost !== undefined) return { ok: false, problem: { message: `${lost.label} is not in the state`, hint: '`micro1 state list` shows the keys it holds' } };
  const missing = keys.find((k) => entryOf(state, k) === undefined && !state.pending.some((p) => p.key === k));
  if (missing !== undefined) return { ok: false, problem: unknownKey(state, missing) };
  const interviews = interviewRecord(state.interviews);
  const resources = { ...(state.resources ?? {}) };
  const otherRemoved = otherKeys.map(({ label, kind, key }) => {
    const record = resourceRecord(resources[kind]);
    const id = Object.hasOwn(record, key) ? record[key]!.id : undefined;
    delete record[key];
    resources[kind] = record;
    return { key: label, id };
  });
  const resourcePending = (state.resourcePending ?? []).filter((p) => !otherKeys.some((o) => o.kind === p.kind && o.key === p.key));
  const others = otherKeys.length === 0 ? {} : { resources, resourcePending };
  const removed = keys.map((key) => {
    const id = entryOf({ interviews }, key)?.id;
    delete interviews[key];
    return { key, id };
  });
  return { ok: true, state: { ...state, interviews, pending: state.pending.filter((p) => !keys.includes(p.key)), ...others }, value: [...removed, ...otherRemoved] };
}

/**
 * `state mv`: records an interview under a new key, for a file renamed without a pinned id (with
 * one, plan and apply detect the move by themselves). Pure; the old key must exist, the new one must not.
 */
export function moveInState(state: State, from: string, to: string): EditResult<StateEntry> {
  const entry = entryOf(state, from);
  if (entry === undefined) return { ok: false, problem: unknownKey(state, from) };
  const invalid = keyProblem(to);
  if (invalid !== undefined) return { ok: false, problem: { message: `"${to}" is not an interview key: ${invalid}`, hint: 'a key is the file path under the interviews folder without extension, e.g. engineering/backend' } };
  if (from === to) return { ok: false, problem: { message: `${from} is already recorded under that key` } };
  const taken = entryOf(state, to);
  if (taken !== undefined) {
    return { ok: false, problem: { message: `${to} is already in the state (id ${taken.id})`, hint: `\`micro1 state rm ${to}\` first if that entry is stale` } };
  }
  // A move renames a key and keeps its id, so no other key can come to hold that id: the state
  // was read with one key per id (readState refuses any other) and stays so.
  const interviews = interviewRecord();
  // Keys stay in their order with the moved one renamed in place; the file is sorted on write anyway.
  for (const [key, value] of Object.entries(state.interviews)) interviews[key === from ? to : key] = value;
  const pending = state.pending.map((p) => (p.key === from ? { ...p, key: to } : p));
  return { ok: true, state: { ...state, interviews, pending }, value: entry };
}

/** Why `key` cannot name an interview, if it cannot. */
export function keyProblem(key: string): string | undefined {
  if (key.trim() === '') return 'it is empty';
  if (/\.ya?ml$/.test(key)) return 'leave out the .yaml extension';
  if (key.startsWith('/') || key.endsWith('/') || key.includes('\\')) return 'use a relative path with forward slashes';
  const parts = key.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..')) return 'it has an empty, "." or ".." segment';
  if (isFragmentPath(key)) return 'a name starting with "_" is a fragment, not an interview';
  return undefined;
}

/** `key` is not in the state: the closest key it holds, or how to list them. */
export function unknownKey(state: State, key: string): EditProblem {
  const suggestion = didYouMean(key, Object.keys(state.interviews));
  return {
    message: `${key} is not in the state`,
    hint: suggestion ? `did you mean ${suggestion}?` : '`micro1 state list` shows the keys it holds',
  };
}
