import path from 'node:path';
import { systemClock, type Clock } from '../clock.js';
import { detectDrift, refreshedState, type Drift } from '../plan/drift.js';
import { loadDefinitions } from '../definitions/load-definitions.js';
import { plan as makePlan, type Plan } from '../plan/planner.js';
import { hasErrors, loadProject, type Project, type ProjectOptions } from '../project.js';
import { connect, readLiveList } from '../api/read-live.js';
import { deleteSafetyWarnings } from '../plan/safety.js';
import { writeSavedPlan } from '../state/saved-plan.js';
import { targetHostOf } from '../state/state-model.js';

export interface PlanCommandOptions extends ProjectOptions {
  targets: string[];
  excludes: string[];
  /** `--prune`: overrides the config's `prune` for this run. */
  prune?: boolean;
  /** `--out FILE`: also save the plan for `micro1 apply FILE`. */
  out?: string;
  /** `--refresh`: read GET /interviews first (needs the API key), report drift and plan from what micro1 has. */
  refresh?: boolean;
  clock?: Clock;
}

export type PlanOutcome =
  | { kind: 'invalid'; project: Project }
  | { kind: 'planned'; project: Project; plan: Plan; savedTo?: string; drift?: Drift; liveWarnings?: string[] };

/**
 * load config → load definitions and state → (--refresh: live list → drift → refreshed state) →
 * plan → delete-safety warnings → (save). Invalid definitions stop before planning.
 */
export async function planCommand(options: PlanCommandOptions): Promise<PlanOutcome> {
  const project = await loadProject(options);
  if (hasErrors(project.diagnostics)) return { kind: 'invalid', project };
  const prune = options.prune ?? project.config.prune;
  // --refresh: drift is found by a pure function; this is the only I/O, and nothing is written to state.
  const live = options.refresh ? await readLiveList(connect(project.config, options.env, { clock: options.clock ?? systemClock })) : undefined;
  const drift = live === undefined ? undefined : detectDrift(project.state, live.items, options);
  const state = drift === undefined ? project.state : refreshedState(project.state, drift);
  const refreshed = live === undefined || drift === undefined ? {} : { drift, liveWarnings: live.warnings };
  // The loader may take an unchanged file's body from the state it read instead of parsing it (no
  // pinned id, no explicit fields): valid against that state only. Drift changes the state, so parse all.
  const drifted = drift !== undefined && drift.changed.length + drift.deleted.length > 0;
  const definitions = drifted ? loadDefinitions({ projectRoot: project.config.projectRoot, interviewsRoot: project.config.interviewsDir }).definitions : project.definitions;
  const planned = makePlan(definitions, state, { prune, targets: options.targets, excludes: options.excludes, host: targetHostOf(project.config.api.baseUrl), apiKeyEnv: project.config.api.apiKeyEnv });
  // Deletes that apply would refuse without --force: said now, so the reviewer sees it before the merge.
  const plan = { ...planned, warnings: [...deleteSafetyWarnings(planned, state, project.config.safety), ...planned.warnings] };
  if (options.out === undefined) return { kind: 'planned', project, plan, ...refreshed };
  const out = path.resolve(options.cwd, options.out);
  writeSavedPlan(out, plan, definitions, { prune, targets: options.targets, excludes: options.excludes }, options.out);
  return { kind: 'planned', project, plan, savedTo: out, ...refreshed };
}
