import { bodyFrom } from '../definitions/body-model.js';
import { BODY_FIELDS, jsonEqual, type CanonicalBody } from '../definitions/canonical.js';
import { matchesAny } from './key-match.js';
import { fromListItem, isListHidden, listComparable, type ListComparableBody } from '../api/list-shape.js';
import { interviewRecord, type State, type StateEntry } from '../state/state-model.js';
import { definitionFileOf } from '../paths.js';
import type { ResourceDrift } from './resource-drift.js';
import type { Change, PlanWarning } from './planner.js';

/** One field that differs between the last apply and micro1. */
export interface DriftField {
  field: keyof ListComparableBody;
  /** As last applied (state). */
  applied: unknown;
  /** As micro1 lists it now. */
  live: unknown;
}

/** A managed interview edited on micro1 since the last apply. */
export interface ChangedOutside {
  key: string;
  file: string;
  id: string;
  fields: DriftField[];
  /** What micro1 lists, as a request body; the refreshed state keeps the applied coding_exercise_details. */
  live: ListComparableBody;
}

/** A managed interview that micro1 no longer lists. */
export interface DeletedOutside {
  key: string;
  file: string;
  id: string;
}

export interface Drift {
  changed: ChangedOutside[];
  deleted: DeletedOutside[];
  /** Live values of managed interviews that could not be read, so their comparison may be off. */
  warnings: { key: string; message: string }[];
  /** Managed interviews compared (in scope). */
  checked: number;
  /** Interviews micro1 lists that no state entry manages (`micro1 import` writes files for them). */
  unmanaged: number;
  /** The other kinds' drift (resource-drift.ts), when the project has any of them. */
  resources?: ResourceDrift[];
}

export interface DriftScope {
  targets: readonly string[];
  excludes: readonly string[];
}

/**
 * Compares what was last applied with what micro1 lists now. Pure: the live list is an argument.
 * Only what the list shape can express is compared (`listComparable`): coding_exercise_details is not
 * listed, so a change to it outside git cannot be seen. Keys outside `scope` are left out.
 */
export function detectDrift(state: State, live: readonly unknown[], scope: DriftScope = { targets: [], excludes: [] }): Drift {
  const byId = new Map<string, unknown>();
  for (const item of live) {
    const id = fromListItem(item).id;
    if (id !== undefined && !byId.has(id)) byId.set(id, item);
  }
  const managed = new Set(Object.values(state.interviews).map((e) => e.id));
  const drift: Drift = { changed: [], deleted: [], warnings: [], checked: 0, unmanaged: [...byId.keys()].filter((id) => !managed.has(id)).length };

  for (const key of Object.keys(state.interviews).sort()) {
    if ((scope.targets.length > 0 && !matchesAny(key, scope.targets)) || matchesAny(key, scope.excludes)) continue;
    const entry = state.interviews[key]!;
    drift.checked++;
    const item = byId.get(entry.id);
    const file = definitionFileOf(key, entry.sources);
    if (item === undefined) {
      drift.deleted.push({ key, file, id: entry.id });
      continue;
    }
    const read = fromListItem(item);
    for (const message of read.warnings) drift.warnings.push({ key, message });
    const applied = listComparable(entry.spec);
    const fields = (Object.keys(applied) as (keyof ListComparableBody)[])
      .filter((field) => !jsonEqual(applied[field], read.body[field]))
      .map((field) => ({ field, applied: applied[field], live: read.body[field] }));
    if (fields.length > 0) drift.changed.push({ key, file, id: entry.id, fields, live: read.body });
  }
  return drift;
}

/**
 * Warnings for a plan made from the refreshed state: a file that pins an id micro1 no longer lists
 * plans as an update, which apply would send and micro1 answer with 404.
 */
export function goneIdWarnings(drift: Drift, changes: readonly Change[]): PlanWarning[] {
  const gone = new Map(drift.deleted.map((d) => [d.id, d]));
  return changes
    .filter((c) => c.action === 'update' && c.pinned === true && c.id !== undefined && gone.has(c.id))
    .map((c) => ({
      key: c.key,
      message: `${c.file} pins ${c.id}, which micro1 no longer lists (deleted outside git): apply would send an update that fails with 404`,
      hint: `to create it anew, remove the \`id:\` line from ${c.file} and run \`micro1 state rm ${gone.get(c.id!)!.key}\`; then \`micro1 plan\` shows the create`,
    }));
}

/**
 * The state as micro1 has it now, for planning: an interview changed outside git gets its live
 * fields (so the plan shows how apply puts the file's values back), and one deleted outside git
 * loses its entry (so its file plans as a create). Pure; nothing is written.
 */
export function refreshedState(state: State, drift: Drift): State {
  const interviews: Record<string, StateEntry> = interviewRecord(state.interviews);
  for (const gone of drift.deleted) delete interviews[gone.key];
  for (const changed of drift.changed) {
    const entry = interviews[changed.key]!;
    // The fields the list hides keep what the state recorded: the live list says nothing of them.
    const spec: CanonicalBody = bodyFrom(BODY_FIELDS, (f) => (isListHidden(f) ? entry.spec[f] : changed.live[f]));
    interviews[changed.key] = { ...entry, spec };
  }
  return { ...state, interviews };
}

