import { entryOf, interviewRecord, resourceEntries, resourceRecord, type ResourceEntry, type State, type StateEntry } from './state.js';
import { KINDS, type ResourceKind } from '../kinds/kinds.js';
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
export function moveInState(state: State, from: string, to: string): EditResult<StateEntry | ResourceEntry> {
  const fromKind = kindOf(from);
  const toKind = kindOf(to);
  if (fromKind !== toKind) {
    return { ok: false, problem: { message: `${from} cannot become ${to}: a state entry keeps its kind`, hint: fromKind === undefined ? 'name the new key as an interview key (path under the interviews folder)' : `name the new key as ${fromKind.name}:KEY` } };
  }
  if (fromKind !== undefined) return moveResource(state, fromKind, from, to);
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

/** `state mv webhook:OLD webhook:NEW`: the same rules for another kind's entry and its unconfirmed create. */
function moveResource(state: State, kind: ResourceKind, from: string, to: string): EditResult<ResourceEntry> {
  const strip = (label: string) => label.slice(kind.name.length + 1);
  const entries = resourceEntries(state, kind.name);
  const [oldKey, newKey] = [strip(from), strip(to)];
  if (!Object.hasOwn(entries, oldKey)) {
    const suggestion = didYouMean(oldKey, Object.keys(entries));
    return { ok: false, problem: { message: `${from} is not in the state`, hint: suggestion ? `did you mean ${kind.name}:${suggestion}?` : '`micro1 state list` shows the keys it holds' } };
  }
  const invalid = pathProblem(newKey) ?? (isFragmentPath(newKey) ? `a name starting with "_" is not read from the ${kind.defaultFolder} folder` : undefined);
  if (invalid !== undefined) {
    return { ok: false, problem: { message: `"${to}" is not a ${kind.labels.one} key: ${invalid}`, hint: `a key is ${kind.name}: and the file path under the ${kind.defaultFolder} folder without extension, e.g. ${kind.name}:ats/reports` } };
  }
  if (from === to) return { ok: false, problem: { message: `${from} is already recorded under that key` } };
  if (Object.hasOwn(entries, newKey)) {
    return { ok: false, problem: { message: `${to} is already in the state (id ${entries[newKey]!.id})`, hint: `\`micro1 state rm ${to}\` first if that entry is stale` } };
  }
  const record = resourceRecord();
  for (const [key, value] of Object.entries(entries)) record[key === oldKey ? newKey : key] = value;
  const pending = state.resourcePending?.map((p) => (p.kind === kind.name && p.key === oldKey ? { ...p, key: newKey } : p));
  return { ok: true, state: { ...state, resources: { ...state.resources, [kind.name]: record }, ...(pending ? { resourcePending: pending } : {}) }, value: entries[oldKey]! };
}

function kindOf(label: string): ResourceKind | undefined {
  return KINDS.find((kind) => label.startsWith(`${kind.name}:`));
}

/** Why `key` cannot name an interview, if it cannot. */
export function keyProblem(key: string): string | undefined {
  return pathProblem(key) ?? (isFragmentPath(key) ? 'a name starting with "_" is a fragment, not an interview' : undefined);
}

/** Why `key` cannot be a path under a definitions folder, if it cannot. */
function pathProblem(key: string): string | undefined {
  if (key.trim() === '') return 'it is empty';
  if (/\.ya?ml$/.test(key)) return 'leave out the .yaml extension';
  if (key.startsWith('/') || key.endsWith('/') || key.includes('\\')) return 'use a relative path with forward slashes';
  const parts = key.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..')) return 'it has an empty, "." or ".." segment';
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
