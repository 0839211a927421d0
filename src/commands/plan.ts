import path from 'node:path';
import { systemClock, type Clock } from '../clock.js';
import { configToEdit } from '../config.js';
import { detectDrift, goneIdWarnings, refreshedState, type Drift } from '../plan/drift.js';
import { loadDefinitions } from '../definitions/load-definitions.js';
import type { Plan } from '../plan/planner.js';
import { planAll } from '../plan/plan-all.js';
import { hasErrors, loadProject, type Project, type ProjectOptions } from '../project.js';
import { connect, readLiveList, readLiveResources } from '../api/read-live.js';
import { existsSync } from 'node:fs';
import { KINDS } from '../kinds/kinds.js';
import { splitByKind } from '../plan/plan-all.js';
import { detectResourceDrift, refreshedResources, type ResourceDrift } from '../plan/resource-drift.js';
import { resourceEntries } from '../state/state.js';
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
  const connection = options.refresh ? connect(project.config, options.env, { clock: options.clock ?? systemClock }) : undefined;
  const live = connection === undefined ? undefined : await readLiveList(connection);
  const interviewDrift = live === undefined ? undefined : detectDrift(project.state, live.items, options);
  // The other kinds are read only when the project has some (files or state): an interviews-only refresh sends what it always sent.
  const kinds = KINDS.filter((k) => project.resources.some((r) => r.kind === k.name) || Object.keys(resourceEntries(project.state, k.name)).length > 0);
  const resourceDrifts: ResourceDrift[] = [];
  for (const kind of kinds) {
    if (connection === undefined) break;
    const scope = { targets: splitByKind(options.targets).get(kind.name)!, excludes: splitByKind(options.excludes).get(kind.name)! };
    resourceDrifts.push(detectResourceDrift(kind, project.state, await readLiveResources(connection, kind), scope));
  }
  const drift = interviewDrift === undefined || resourceDrifts.length === 0 ? interviewDrift : { ...interviewDrift, resources: resourceDrifts };
  const state = drift === undefined ? project.state : refreshedResources(refreshedState(project.state, drift), resourceDrifts);
  const refreshed = live === undefined || drift === undefined ? {} : { drift, liveWarnings: live.warnings };
  // The loader may take an unchanged file's body from the state it read instead of parsing it (no
  // pinned id, no explicit fields): valid against that state only. Drift changes the state, so parse all.
  const drifted = drift !== undefined && drift.changed.length + drift.deleted.length > 0;
  const definitions = drifted && existsSync(project.config.interviewsDir) ? loadDefinitions({ projectRoot: project.config.projectRoot, interviewsRoot: project.config.interviewsDir }).definitions : project.definitions;
  const planned = planAll(definitions, project.resources, state, { prune, targets: options.targets, excludes: options.excludes, host: targetHostOf(project.config.api.baseUrl), apiKeyEnv: project.config.api.apiKeyEnv });
  // Deletes that apply would refuse without --force: said now, so the reviewer sees it before the merge.
  const gone = drift === undefined ? [] : goneIdWarnings(drift, planned.changes);
  const plan = { ...planned, warnings: [...gone, ...deleteSafetyWarnings(planned, state, project.config.safety, configToEdit(project.config, project.config.projectRoot)), ...planned.warnings] };
  if (options.out === undefined) return { kind: 'planned', project, plan, ...refreshed };
  const out = path.resolve(options.cwd, options.out);
  writeSavedPlan(out, plan, definitions, { prune, targets: options.targets, excludes: options.excludes }, options.out, project.resources);
  return { kind: 'planned', project, plan, savedTo: out, ...refreshed };
}
