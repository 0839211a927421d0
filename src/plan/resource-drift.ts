import type { ResourceBody, ResourceKind } from '../kinds/kinds.js';
import { resourceEntries, resourceRecord, type State } from '../state/state-model.js';
import { matchesAny } from './key-match.js';

/**
 * `plan --refresh` for the other kinds (webhooks): what changed on micro1 outside git since the
 * last apply, and the state as micro1 has it now, to plan from. Pure, like drift.ts for interviews.
 */

export interface ResourceDriftItem {
  kind: string;
  key: string;
  file: string;
  id: string;
  /** Fields that differ, as applied (state) and as micro1 lists them now; none for a delete. */
  fields: { field: string; applied: string | undefined; live: string | undefined }[];
  /** What micro1 lists now; undefined when it no longer lists the id. */
  live: ResourceBody | undefined;
}

export interface ResourceDrift {
  kind: string;
  items: ResourceDriftItem[];
  /** Managed entries compared. */
  checked: number;
  /** Listed ids no entry manages (`micro1 import --kind KIND` writes files for them). */
  unmanaged: number;
}

export function detectResourceDrift(
  kind: ResourceKind,
  state: State,
  live: readonly { id: string; body: ResourceBody }[],
  scope: { targets: readonly string[]; excludes: readonly string[] },
): ResourceDrift {
  const byId = new Map(live.map((i) => [i.id, i.body]));
  const entries = resourceEntries(state, kind.name);
  const managed = new Set(Object.values(entries).map((e) => e.id));
  const drift: ResourceDrift = { kind: kind.name, items: [], checked: 0, unmanaged: [...byId.keys()].filter((id) => !managed.has(id)).length };
  for (const key of Object.keys(entries).sort()) {
    if ((scope.targets.length > 0 && !matchesAny(key, scope.targets)) || matchesAny(key, scope.excludes)) continue;
    const entry = entries[key]!;
    drift.checked++;
    const file = Object.keys(entry.sources ?? {})[0] ?? `${kind.defaultFolder}/${key}.yaml`;
    const now = byId.get(entry.id);
    if (now === undefined) {
      drift.items.push({ kind: kind.name, key, file, id: entry.id, fields: [], live: undefined });
      continue;
    }
    const fields = kind.fields.filter((f) => entry.spec[f] !== now[f]).map((f) => ({ field: f, applied: entry.spec[f], live: now[f] }));
    if (fields.length > 0) drift.items.push({ kind: kind.name, key, file, id: entry.id, fields, live: now });
  }
  return drift;
}

/** The state with each drifted entry as micro1 has it (a deleted one removed, so its file plans as a create). */
export function refreshedResources(state: State, drifts: readonly ResourceDrift[]): State {
  if (drifts.every((d) => d.items.length === 0)) return state;
  const resources = { ...(state.resources ?? {}) };
  for (const item of drifts.flatMap((d) => d.items)) {
    const record = resourceRecord(resources[item.kind]);
    if (item.live === undefined) delete record[item.key];
    else record[item.key] = { ...record[item.key]!, spec: item.live };
    resources[item.kind] = record;
  }
  return { ...state, resources };
}
