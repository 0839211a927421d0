import type { Diagnostic } from '../diagnostics.js';
import type { Drift } from '../plan/drift.js';
import { countActions, hostChanged, isActionable, type Change, type Plan } from '../plan/planner.js';
import { actionableResources, allCounts, resourceToJson, type JsonResourceChange } from './render-resources.js';
import { driftToJson, type JsonDrift } from './render-drift.js';
import { TOOL_VERSION } from '../version.js';

/** Bumped on any incompatible change to the JSON below; readers should check it. */
export const PLAN_FORMAT_VERSION = '1.0';

export interface JsonChange {
  key: string;
  file: string;
  id: string | null;
  action: Change['action'];
  before: Change['before'];
  after: Change['after'];
  changed_fields: string[];
  reset_fields: string[];
  /** Fields micro1 holds a value for that we never saw, left out of the file: apply refuses to clear them. */
  unknown_fields: string[];
  source_hash: string | null;
  sources: Record<string, string>;
  via: string[];
  moved_from: string | null;
  note: string | null;
}

export interface JsonPlan {
  format_version: string;
  tool: { name: 'micro1-sync'; version: string };
  state: { lineage: string; serial: number };
  /** Where apply sends this plan, the host the state was last applied to (null before the first apply), and whether they differ. */
  target?: { host: string; state_host: string | null; host_changed: boolean; api_key_env: string | null };
  summary: { create: number; update: number; delete: number; no_op: number };
  /** Changes to make; no-ops are only counted, unless their file moved (`moved_from`: the state is re-keyed). */
  changes: JsonChange[];
  /** The other kinds' changes to make (webhooks), each with its `kind`; absent when the plan has none of them. */
  resources?: JsonResourceChange[];
  warnings: { key: string; message: string; hint?: string }[];
  diagnostics: Diagnostic[];
  /** `plan --refresh` only: what changed on micro1 outside git since the last apply. */
  drift?: JsonDrift;
}

export function planToJson(plan: Plan, diagnostics: readonly Diagnostic[], drift?: Drift): JsonPlan {
  // Counted over every kind: a gate on "anything to create" must see a webhook too.
  const n = allCounts(plan);
  const resources = plan.resources === undefined ? {} : { resources: actionableResources(plan).map(resourceToJson) };
    if (plan.unchanged !== undefined) n['no-op'] += plan.unchanged;
  return {
    format_version: PLAN_FORMAT_VERSION,
    tool: { name: 'micro1-sync', version: TOOL_VERSION },
    state: { lineage: plan.lineage, serial: plan.serial },
    ...(plan.target === undefined ? {} : { target: { host: plan.target.host, state_host: plan.target.stateHost ?? null, host_changed: hostChanged(plan), api_key_env: plan.target.apiKeyEnv ?? null } }),
    summary: { create: n.create, update: n.update, delete: n.delete, no_op: n['no-op'] },
    changes: plan.changes.filter(isActionable).map(changeToJson),
    ...resources,
    warnings: plan.warnings.map((w) => ({ ...w })),
    diagnostics: [...diagnostics],
    ...(drift === undefined ? {} : { drift: driftToJson(drift) }),
  };
}

function changeToJson(c: Change): JsonChange {
  return {
    key: c.key,
    file: c.file,
    id: c.id ?? null,
    action: c.action,
    before: c.before,
    after: c.after,
    changed_fields: c.fields.map((f) => f.field),
    reset_fields: c.fields.filter((f) => f.reset).map((f) => f.field),
    unknown_fields: c.unknown ?? [],
    source_hash: c.sourceHash ?? null,
    sources: c.sources ?? {},
    via: c.via,
    moved_from: c.movedFrom ?? null,
    note: c.note ?? null,
  };
}
