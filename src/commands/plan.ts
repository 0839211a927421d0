import path from 'node:path';
import { plan as makePlan, type Plan } from '../planner.js';
import { hasErrors, loadProject, type Project, type ProjectOptions } from '../project.js';
import { writeSavedPlan } from '../saved-plan.js';

export interface PlanCommandOptions extends ProjectOptions {
  targets: string[];
  excludes: string[];
  /** `--prune`: overrides the config's `prune` for this run. */
  prune?: boolean;
  /** `--out FILE`: also save the plan for `micro1 apply FILE`. */
  out?: string;
}

export type PlanOutcome =
  | { kind: 'invalid'; project: Project }
  | { kind: 'planned'; project: Project; plan: Plan; savedTo?: string };

/** load config → load definitions and state → plan → (save). Invalid definitions stop before planning. */
export async function planCommand(options: PlanCommandOptions): Promise<PlanOutcome> {
  const project = await loadProject(options);
  if (hasErrors(project.diagnostics)) return { kind: 'invalid', project };
  const prune = options.prune ?? project.config.prune;
  const plan = makePlan(project.definitions, project.state, { prune, targets: options.targets, excludes: options.excludes });
  if (options.out === undefined) return { kind: 'planned', project, plan };
  const out = path.resolve(options.cwd, options.out);
  writeSavedPlan(out, plan, project.definitions, { prune, targets: options.targets, excludes: options.excludes });
  return { kind: 'planned', project, plan, savedTo: out };
}
