import { Micro1Error } from '../errors.js';
import type { Plan, PlanWarning } from './planner.js';
import { KINDS, type ResourceKind } from '../kinds/kinds.js';
import { resourceEntries, type State } from '../state/state-model.js';

export interface SafetySettings {
  maxDeletes: number;
  maxDeletePercent: number;
}

/** One threshold a plan's deletes go beyond. */
export interface SafetyBreach {
  setting: 'safety.maxDeletes' | 'safety.maxDeletePercent';
  /** The numbers, e.g. "more than safety.maxDeletes (10)". */
  detail: string;
}

/** The percentage rule only applies from this many managed interviews (octoDNS: MIN_EXISTING_RECORDS). */
const MIN_MANAGED_FOR_PERCENT = 10;

/**
 * octoDNS-style guard against a mistake that empties micro1 (a bad merge, a wrong folder): more
 * deletes than `maxDeletes`, or more than `maxDeletePercent` of the managed interviews. Pure.
 */
export function deleteSafetyBreaches(plan: Plan, state: State, safety: SafetySettings): SafetyBreach[] {
  return breachesOf(plan.changes.filter((c) => c.action === 'delete').length, Object.keys(state.interviews).length, 'interviews', safety);
}

/** The same thresholds for each other kind, counted on its own (webhook deletes against managed webhooks). */
export function resourceSafetyBreaches(plan: Plan, state: State, safety: SafetySettings): { kind: ResourceKind; deletes: number; breaches: SafetyBreach[] }[] {
  const out = [];
  for (const kind of KINDS) {
    const deletes = (plan.resources ?? []).filter((c) => c.kind === kind.name && c.action === 'delete').length;
    const breaches = breachesOf(deletes, Object.keys(resourceEntries(state, kind.name)).length, kind.labels.many, safety);
    if (breaches.length > 0) out.push({ kind, deletes, breaches });
  }
  return out;
}

function breachesOf(deletes: number, managed: number, many: string, safety: SafetySettings): SafetyBreach[] {
  if (deletes === 0) return [];
  const percent = managed === 0 ? 0 : (deletes / managed) * 100;
  const breaches: SafetyBreach[] = [];
  if (deletes > safety.maxDeletes) {
    breaches.push({ setting: 'safety.maxDeletes', detail: `more than safety.maxDeletes (${safety.maxDeletes})` });
  }
  if (managed >= MIN_MANAGED_FOR_PERCENT && percent > safety.maxDeletePercent) {
    breaches.push({
      setting: 'safety.maxDeletePercent',
      detail: `${formatPercent(percent, safety.maxDeletePercent)}% of the ${managed} managed ${many}, more than safety.maxDeletePercent (${safety.maxDeletePercent}%)`,
    });
  }
  return breaches;
}

/** Apply refuses deletes beyond the thresholds unless forced; nothing has been sent when this throws. */
export function checkDeleteSafety(plan: Plan, state: State, safety: SafetySettings, force: boolean, configName = 'micro1.config.ts'): void {
  if (force) return;
  for (const { kind, deletes, breaches } of resourceSafetyBreaches(plan, state, safety)) {
    throw new Micro1Error('TOO_MANY_DELETES', `Refusing to delete ${deletes} ${deletes === 1 ? kind.labels.one : kind.labels.many}: ${breaches.map((b) => b.detail).join('; ')}`, {
      hint: 'check the plan; if these deletes are intended, run again with --force (or raise the thresholds in micro1.config.ts)',
    });
  }
  const breaches = deleteSafetyBreaches(plan, state, safety);
  if (breaches.length === 0) return;
  const deletes = plan.changes.filter((c) => c.action === 'delete').length;
  throw new Micro1Error('TOO_MANY_DELETES', `Refusing to delete ${deletes} interview${deletes === 1 ? '' : 's'}: ${breaches.map((b) => b.detail).join('; ')}`, {
    hint: `check the plan; if these deletes are intended, run again with --force (or raise the thresholds in ${configName})`,
  });
}

/** The same check at plan time, as warnings, so a pull request's reviewer sees it before the merge. */
export function deleteSafetyWarnings(plan: Plan, state: State, safety: SafetySettings, configName = 'micro1.config.ts'): PlanWarning[] {
  const deletes = plan.changes.filter((c) => c.action === 'delete').length;
  const others = resourceSafetyBreaches(plan, state, safety).flatMap(({ kind, deletes: n, breaches }) =>
    breaches.map((b) => ({
      key: b.setting,
      message: `${n === 1 ? `1 planned ${kind.labels.one} delete is` : `${n} planned ${kind.labels.one} deletes are`} ${b.detail}: apply will refuse ${n === 1 ? 'it' : 'them'} without --force`,
      hint: `if these deletes are intended, raise the threshold in ${configName} in this change, or run \`micro1 apply --force\` yourself`,
    })),
  );
  return [...others, ...deleteSafetyBreaches(plan, state, safety).map((b) => ({
    key: b.setting,
    message: `${deletes === 1 ? '1 planned delete is' : `${deletes} planned deletes are`} ${b.detail}: apply will refuse ${deletes === 1 ? 'it' : 'them'} without --force`,
    hint: `if these deletes are intended, raise the threshold in ${configName} in this change, or run \`micro1 apply --force\` yourself`,
  }))];
}

/** Enough decimals that a share over the threshold never prints as at or under it ("30%, more than 30%"). */
function formatPercent(percent: number, threshold: number): string {
  for (let digits = 0; digits < 4; digits++) {
    const shown = Number(percent.toFixed(digits));
    if (shown > threshold) return String(shown);
  }
  return String(percent);
}
