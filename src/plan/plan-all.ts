import type { Definition } from '../definitions/load-definitions.js';
import type { ResourceDefinition } from '../definitions/load-resources.js';
import { KINDS } from '../kinds/kinds.js';
import type { State } from '../state/state-model.js';
import { matchesAny } from './key-match.js';
import { plan, type Plan, type PlanOptions } from './planner.js';
import { planResources } from './resource-planner.js';

/**
 * The whole plan: interviews (planner.ts) and every other kind (resource-planner.ts). Pure.
 *
 * Selection by kind: `--target webhook:KEY` (a key, folder or glob under webhooks/, or
 * `webhook:` alone for all of them) selects webhooks; `interview:KEY` or a bare KEY selects
 * interviews, as it always has. Once any target is given, a kind no target names is left out.
 */
export function planAll(definitions: readonly Definition[], resources: readonly ResourceDefinition[], state: State, options: PlanOptions): Plan {
  const split = splitByKind;
  const targets = split(options.targets);
  const excludes = split(options.excludes);
  const anyTarget = options.targets.length > 0;
  const interviewTargets = targets.get('interview')!;
  const interviews = plan(definitions, state, { ...options, targets: interviewTargets, excludes: excludes.get('interview')! });
  // Targets that name only other kinds select no interview (the interview planner reads no targets as all).
  const result: Plan = anyTarget && interviewTargets.length === 0 ? { ...interviews, changes: [], warnings: [] } : interviews;
  const changes = [];
  const warnings = [...result.warnings];
  for (const kind of KINDS) {
    const own = targets.get(kind.name)!;
    if (anyTarget && own.length === 0) continue;
    const planned = planResources(kind, resources, state, { prune: options.prune, targets: anyTarget ? own : undefined, excludes: excludes.get(kind.name)! });
    changes.push(...planned.changes);
    warnings.push(...planned.warnings);
    for (const pattern of own) {
      const named = (key: string) => matchesAny(key, [pattern]);
      if (planned.changes.some((c) => named(c.key)) || planned.warnings.some((w) => named(w.key.slice(kind.name.length + 1)))) continue;
      warnings.push({
        key: `${kind.name}:${pattern}`,
        message: `--target ${kind.name}:${pattern} matches no ${kind.labels.one}`,
        hint: `a ${kind.labels.one} target is ${kind.name}:KEY (path under the ${kind.defaultFolder} folder, no extension), a folder or a glob`,
      });
    }
  }
  return changes.length === 0 ? { ...result, warnings } : { ...result, warnings, resources: changes };
}

/** `--target` / `--exclude` patterns by the kind they name: `webhook:KEY` → webhook, a bare KEY or `interview:KEY` → interview. */
export function splitByKind(patterns: readonly string[]): Map<string, string[]> {
  const byKind = new Map<string, string[]>([['interview', []], ...KINDS.map((k) => [k.name, []] as [string, string[]])]);
  for (const pattern of patterns) {
    const colon = pattern.indexOf(':');
    const list = colon === -1 ? undefined : byKind.get(pattern.slice(0, colon));
    if (list === undefined) byKind.get('interview')!.push(pattern);
    else list.push(pattern.slice(colon + 1) || '**');
  }
  return byKind;
}
