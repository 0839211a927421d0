import { jsonEqual } from '../definitions/canonical.js';
import { interviewRecord, resourceRecord, type PendingCreate, type ResourceEntry, type ResourcePending, type State, type StateEntry } from './state-model.js';

/**
 * Three states merged by key (interviews, and each other kind's entries), as a git merge driver does (`micro1 state merge %O %A %B`): an entry
 * changed on one side only takes that side; the same change on both is taken once; different
 * changes to one key are a conflict, never a guess. Pure. The serial goes past both sides (the
 * writer adds one), so a saved plan of either side is stale against the merge.
 */
export type MergeResult = { ok: true; state: State } | { ok: false; conflicts: string[] };

export function mergeStates(base: State, ours: State, theirs: State): MergeResult {
  const conflicts: string[] = [];
  if (ours.lineage !== '' && theirs.lineage !== '' && ours.lineage !== theirs.lineage) {
    return { ok: false, conflicts: [`the two states have different lineages (${ours.lineage} and ${theirs.lineage}): they are not versions of one state`] };
  }
  const interviews = interviewRecord();
  for (const key of union(base.interviews, ours.interviews, theirs.interviews)) {
    const picked = pick(own(base.interviews, key), own(ours.interviews, key), own(theirs.interviews, key));
    if (picked === CONFLICT) conflicts.push(`${JSON.stringify(key)} was changed differently on both sides`);
    else if (picked !== undefined) interviews[key] = picked;
  }
  const pending: PendingCreate[] = [];
  const pendingOf = (s: State) => Object.fromEntries(s.pending.map((p) => [p.key, p])) as Record<string, PendingCreate>;
  const [bp, op, tp] = [pendingOf(base), pendingOf(ours), pendingOf(theirs)];
  for (const key of union(bp, op, tp)) {
    const picked = pick(own(bp, key), own(op, key), own(tp, key));
    if (picked === CONFLICT) conflicts.push(`the unconfirmed create of ${JSON.stringify(key)} was changed differently on both sides`);
    else if (picked !== undefined) pending.push(picked);
  }
  // The other kinds (webhooks), the same way: a state merged without them would create them again.
  const resources: Record<string, Record<string, ResourceEntry>> = {};
  const kinds = union(base.resources ?? {}, ours.resources ?? {}, theirs.resources ?? {});
  for (const kind of kinds) {
    const [b, o, t] = [base, ours, theirs].map((s) => s.resources?.[kind] ?? resourceRecord()) as [Record<string, ResourceEntry>, Record<string, ResourceEntry>, Record<string, ResourceEntry>];
    const record = resourceRecord();
    for (const key of union(b, o, t)) {
      const picked = pick(own(b, key), own(o, key), own(t, key));
      if (picked === CONFLICT) conflicts.push(`${kind} ${JSON.stringify(key)} was changed differently on both sides`);
      else if (picked !== undefined) record[key] = picked;
    }
    if (Object.keys(record).length > 0) resources[kind] = record;
  }
  const otherPending: ResourcePending[] = [];
  const otherPendingOf = (s: State) => Object.fromEntries((s.resourcePending ?? []).map((p) => [`${p.kind}:${p.key}`, p])) as Record<string, ResourcePending>;
  const [brp, orp, trp] = [otherPendingOf(base), otherPendingOf(ours), otherPendingOf(theirs)];
  for (const label of union(brp, orp, trp)) {
    const picked = pick(own(brp, label), own(orp, label), own(trp, label));
    if (picked === CONFLICT) conflicts.push(`the unconfirmed create of ${label} was changed differently on both sides`);
    else if (picked !== undefined) otherPending.push(picked);
  }
  const host = pick(base.targetHost, ours.targetHost, theirs.targetHost);
  if (host === CONFLICT) conflicts.push(`the target host was changed differently on both sides (${ours.targetHost} and ${theirs.targetHost})`);
  if (conflicts.length > 0) return { ok: false, conflicts };
  const state: State = { version: ours.version === 2 || theirs.version === 2 ? 2 : 1, lineage: ours.lineage || theirs.lineage, serial: Math.max(ours.serial, theirs.serial), interviews, pending };
  if (Object.keys(resources).length > 0) state.resources = resources;
  if (otherPending.length > 0) state.resourcePending = otherPending;
  if (host !== undefined && host !== CONFLICT) state.targetHost = host;
  return { ok: true, state };
}

const CONFLICT = Symbol('conflict');

function pick<T extends StateEntry | PendingCreate | ResourceEntry | ResourcePending | string>(base: T | undefined, ours: T | undefined, theirs: T | undefined): T | undefined | typeof CONFLICT {
  if (same(ours, theirs)) return ours;
  if (same(base, ours)) return theirs;
  if (same(base, theirs)) return ours;
  return CONFLICT;
}

function same(a: unknown, b: unknown): boolean {
  return a === undefined || b === undefined ? a === b : jsonEqual(a, b);
}

function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function union(...records: Record<string, unknown>[]): string[] {
  return [...new Set(records.flatMap((r) => Object.keys(r)))].sort();
}
