import { jsonEqual } from '../definitions/canonical.js';
import { isRecord } from '../values.js';

/**
 * `apply --reviewed`: what a merge would apply, compared with the plan the reviewer saw. Pure.
 * A plan binds by what it sends: the target host and the key's variable, and per change (an interview by its key, another kind as KIND:KEY) its key, action, id, body and
 * the state key it moves from. The state's serial, the before side and no-ops are not compared, so
 * another pull request applied in between, touching other interviews, is no difference.
 */

/** What of a change binds, in the JSON plan's own names (a saved plan is read as such). */
export interface BindingChange {
  key: string;
  action: string;
  id: string | null;
  after: unknown;
  moved_from: string | null;
}

export interface BindingPlan {
  /** Absent in a plan saved before the host was recorded: then it cannot match. */
  host: string | undefined;
  /** Which environment variable the key comes from: another one can be another account. */
  apiKeyEnv?: string | undefined;
  changes: readonly BindingChange[];
}

/** Each way `now` differs from `reviewed`, one line each, in key order; empty when they bind. */
export function reviewedDifferences(reviewed: BindingPlan, now: BindingPlan): string[] {
  const out: string[] = [];
  if (reviewed.host !== now.host) out.push(`target host: reviewed ${hostText(reviewed.host)}, now ${hostText(now.host)}`);
  if (reviewed.apiKeyEnv !== now.apiKeyEnv) out.push(`API key: reviewed from ${hostText(reviewed.apiKeyEnv)}, now from ${hostText(now.apiKeyEnv)} (api.apiKeyEnv)`);
  const before = byKey(reviewed.changes);
  const after = byKey(now.changes);
  const keys = [...new Set([...before.keys(), ...after.keys()])].sort();
  for (const key of keys) {
    const r = before.get(key);
    const n = after.get(key);
    // Keys are file paths, user text: quoted, so no key can end its line and fake the next.
    const k = JSON.stringify(key);
    if (r === undefined) out.push(`${k}: not in the reviewed plan, now ${n!.action}${idText(n!.id)}`);
    else if (n === undefined) out.push(`${k}: reviewed ${r.action}${idText(r.id)}, now no change`);
    else if (r.action !== n.action) out.push(`${k}: reviewed ${r.action}, now ${n.action}`);
    else if (r.id !== n.id) out.push(`${k}: reviewed ${r.action} of id ${r.id ?? '(new)'}, now of id ${n.id ?? '(new)'}`);
    else if (r.moved_from !== n.moved_from) out.push(`${k}: reviewed moved from ${r.moved_from ?? '(nowhere)'}, now from ${n.moved_from ?? '(nowhere)'}`);
    else if (!jsonEqual(r.after, n.after)) out.push(`${k}: the ${n.action} sends another body than reviewed (${changedFields(r.after, n.after).join(', ')})`);
  }
  return out;
}

function byKey(changes: readonly BindingChange[]): Map<string, BindingChange> {
  return new Map(changes.map((c) => [c.key, c]));
}

function hostText(host: string | undefined): string {
  return host === undefined ? '(not recorded)' : JSON.stringify(host);
}

function idText(id: string | null): string {
  return id === null ? '' : ` of id ${id}`;
}

function changedFields(a: unknown, b: unknown): string[] {
  const ra = isRecord(a) ? a : {};
  const rb = isRecord(b) ? b : {};
  const fields = [...new Set([...Object.keys(ra), ...Object.keys(rb)])].sort();
  const changed = fields.filter((f) => !jsonEqual(ra[f], rb[f]));
  return changed.length > 0 ? changed : ['the body'];
}
