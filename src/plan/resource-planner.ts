import type { ResourceDefinition } from '../definitions/load-resources.js';
import type { ResourceBody, ResourceKind } from '../kinds/kinds.js';
import { resourceEntries, type State } from '../state/state-model.js';
import { matchesAny } from './key-match.js';
import type { Action, PlanWarning } from './planner.js';

/**
 * The plan for one resource kind (kinds/): what it takes to make micro1's webhooks match the
 * files, given the state. Pure, like the interview planner. Flat bodies, no fragments, no pinned
 * ids: a file without a state entry is a create, one whose body differs an update, an entry
 * without a file a delete (with prune) or a warning.
 */

export interface ResourceFieldChange {
  field: string;
  before: string | undefined;
  after: string | undefined;
  /** The kind marks this field as one a reviewer must not miss (a webhook's url). */
  prominent: boolean;
}

export interface ResourceChange {
  kind: string;
  key: string;
  file: string;
  action: Action;
  id?: string;
  before: ResourceBody | null;
  after: ResourceBody | null;
  fields: ResourceFieldChange[];
  sourceHash?: string;
  sources?: Record<string, string>;
  note?: string;
}

export interface ResourceSelection {
  prune: boolean;
  /** Patterns for this kind's keys (the `KIND:` prefix removed); `undefined`: every key. */
  targets: readonly string[] | undefined;
  excludes: readonly string[];
}

export function planResources(
  kind: ResourceKind,
  definitions: readonly ResourceDefinition[],
  state: State,
  selection: ResourceSelection,
): { changes: ResourceChange[]; warnings: PlanWarning[] } {
  const entries = resourceEntries(state, kind.name);
  const pending = new Set((state.resourcePending ?? []).filter((p) => p.kind === kind.name).map((p) => p.key));
  const desired = new Set<string>();
  const changes: ResourceChange[] = [];
  const warnings: PlanWarning[] = [];
  for (const def of definitions) {
    if (def.kind !== kind.name) continue;
    desired.add(def.key);
    const base = { kind: kind.name, key: def.key, file: def.file, after: def.body, sourceHash: def.sourceHash, sources: def.sources };
    const entry = Object.hasOwn(entries, def.key) ? entries[def.key] : undefined;
    if (entry === undefined) {
      const note = pending.has(def.key)
        ? `an earlier create was not confirmed: apply first looks it up on micro1 by ${kind.identityLabel} and adopts it if found`
        : undefined;
      changes.push({ ...base, action: 'create', before: null, fields: fieldChanges(kind, null, def.body), ...(note ? { note } : {}) });
      continue;
    }
    const fields = fieldChanges(kind, entry.spec, def.body);
    changes.push({ ...base, action: fields.length === 0 ? 'no-op' : 'update', id: entry.id, before: entry.spec, fields });
    // Said as a warning too, so that it is at the top of every view and annotated on the pull request.
    for (const f of fields.filter((x) => x.prominent)) {
      warnings.push({
        key: `${kind.name}:${def.key}`,
        message: `${f.field} changes from ${JSON.stringify(f.before)} to ${JSON.stringify(f.after)}: micro1 will send what this ${kind.labels.one} carries (candidate data) to the new address`,
        hint: 'approve only if the new address is one your team controls',
      });
    }
  }
  // A file renamed reads as a delete (or an orphan) and a create of the same identity: `state mv` keeps the one.
  const creates = new Map(changes.filter((c) => c.action === 'create' && !pending.has(c.key)).map((c) => [kind.identity(c.after!), c]));
  for (const key of Object.keys(entries)) {
    if (desired.has(key)) continue;
    const entry = entries[key]!;
    const file = Object.keys(entry.sources ?? {})[0] ?? `${kind.defaultFolder}/${key}.yaml`;
    const to = creates.get(kind.identity(entry.spec));
    const label = `${kind.name}:${key}`;
    const rename = to === undefined ? undefined : `if ${file} was renamed to ${to.file}, run \`micro1 state mv ${label} ${kind.name}:${to.key}\` to keep managing ${entry.id} under the new name instead of creating a second ${kind.labels.one}`;
    if (selection.prune) {
      changes.push({ kind: kind.name, key, file, action: 'delete', id: entry.id, before: entry.spec, after: null, fields: [] });
      if (rename !== undefined) warnings.push({ key: label, message: `${kind.name}:${to!.key} has the same ${kind.identityLabel} and is planned as a create`, hint: rename });
    } else {
      warnings.push({
        key: label,
        message: `no longer managed: its file is gone, but ${kind.labels.one} ${entry.id} (${kind.summary(entry.spec)}) stays on micro1`,
        hint: rename ?? `run \`micro1 apply --prune\` to delete it, or put its file back; \`micro1 forget ${label}\` leaves it on micro1, unmanaged`,
      });
    }
  }
  const selected = (key: string) => (selection.targets === undefined || matchesAny(key, selection.targets)) && !matchesAny(key, selection.excludes);
  const label = (w: PlanWarning) => w.key.slice(kind.name.length + 1);
  return {
    changes: changes.filter((c) => selected(c.key)).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
    warnings: warnings.filter((w) => selected(label(w))),
  };
}

/** Field by field, in the kind's order; on a create, an empty optional field is not news. */
function fieldChanges(kind: ResourceKind, before: ResourceBody | null, after: ResourceBody): ResourceFieldChange[] {
  const out: ResourceFieldChange[] = [];
  for (const field of kind.fields) {
    const was = before === null ? undefined : before[field];
    const now = after[field];
    if (was === now || (before === null && now === '')) continue;
    out.push({ field, before: was, after: now, prominent: kind.prominent.includes(field) });
  }
  return out;
}
