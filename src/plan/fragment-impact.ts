import type { Change } from './planner.js';

/** A fragment whose edit alone changes interviews in a plan. */
export interface FragmentImpact {
  /** Project-relative path of the fragment. */
  fragment: string;
  /** How many planned changes happen only because of it (their `via` names it). */
  interviews: number;
}

/**
 * The fragments behind a plan's "via" updates, each with the number of interviews it changes, sorted
 * by path. Editing one fragment used by 300 interviews gives 300 look-alike updates; renderers say
 * this once, before them, so a reviewer knows what they are looking at.
 */
export function fragmentImpact(changes: readonly Change[]): FragmentImpact[] {
  const counts = new Map<string, number>();
  for (const change of changes) for (const fragment of change.via) counts.set(fragment, (counts.get(fragment) ?? 0) + 1);
  return [...counts]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([fragment, interviews]) => ({ fragment, interviews }));
}
