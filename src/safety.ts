import { Micro1Error } from './errors.js';
import type { Plan } from './planner.js';
import type { State } from './state.js';

export interface SafetySettings {
  maxDeletes: number;
  maxDeletePercent: number;
}

/** The percentage rule only applies from this many managed interviews (octoDNS: MIN_EXISTING_RECORDS). */
const MIN_MANAGED_FOR_PERCENT = 10;

/**
 * octoDNS-style guard against a mistake that empties micro1 (a bad merge, a wrong folder): more
 * deletes than `maxDeletes`, or more than `maxDeletePercent` of the managed interviews, needs --force.
 */
export function checkDeleteSafety(plan: Plan, state: State, safety: SafetySettings, force: boolean): void {
  const deletes = plan.changes.filter((c) => c.action === 'delete').length;
  if (deletes === 0 || force) return;
  const managed = Object.keys(state.interviews).length;
  const percent = managed === 0 ? 0 : (deletes / managed) * 100;
  const reasons: string[] = [];
  if (deletes > safety.maxDeletes) reasons.push(`more than safety.maxDeletes (${safety.maxDeletes})`);
  if (managed >= MIN_MANAGED_FOR_PERCENT && percent > safety.maxDeletePercent) reasons.push(`${percent.toFixed(0)}% of the ${managed} managed interviews, more than safety.maxDeletePercent (${safety.maxDeletePercent}%)`);
  if (reasons.length === 0) return;
  throw new Micro1Error('TOO_MANY_DELETES', `Refusing to delete ${deletes} interview${deletes === 1 ? '' : 's'}: ${reasons.join('; ')}`, {
    hint: 'check the plan; if these deletes are intended, run again with --force (or raise the thresholds in micro1.config.ts)',
  });
}
