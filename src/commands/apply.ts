import path from 'node:path';
import { applyChanges, type ApplyProgress, type ApplyResult } from '../apply/applier.js';
import type { BodyField } from '../definitions/canonical.js';
import { checkBaseUrl, Micro1Client } from '../api/client.js';
import { configToEdit, DEFAULT_APPLY_MAX_DURATION_MS } from '../config.js';
import { systemClock, type Clock } from '../clock.js';
import { Micro1Error } from '../errors.js';
import { plural } from '../diagnostics.js';
import { hasChanges, isActionable, unknownFields, type Change, type Plan } from '../plan/planner.js';
import { reviewedDifferences } from '../plan/reviewed.js';
import { planAll } from '../plan/plan-all.js';
import { applyResources } from '../apply/resource-applier.js';
import { RateLimiter } from '../api/rate-limiter.js';
import { actionableResources, resourceLabel, resourceToJson, type JsonResourceChange } from '../render/render-resources.js';
import { jsonEqual } from '../definitions/canonical.js';
import { hasErrors, loadProject, type Project, type ProjectOptions } from '../project.js';
import type { JsonChange } from '../render/render-json.js';
import { readSavedPlan, savedPlanMismatch, type SavedPlan } from '../state/saved-plan.js';
import { checkDeleteSafety } from '../plan/safety.js';
import { openForWriting } from '../state/state-store.js';
import { entryOf, hasResources, targetHostOf, type State } from '../state/state.js';
import type { StateStore } from '../state/state-store.js';
import type { WriteFs } from '../state/file-io.js';

export interface ApplyCommandOptions extends ProjectOptions {
  /** A plan saved by `plan --out`: applied exactly, refused if stale. */
  planFile?: string;
  /** `--reviewed FILE`: plan now, and apply only if that plan binds to this saved one (see plan/reviewed.ts). */
  reviewedFile?: string;
  /** `--retarget-host`: apply to a host other than the one the state records, and record the new one. */
  retargetHost?: boolean;
  autoApprove: boolean;
  targets: string[];
  excludes: string[];
  prune?: boolean;
  failFast: boolean;
  /** Apply deletes beyond the safety thresholds. */
  force: boolean;
  /** Shows the plan; with `ask`, also asks for approval and answers whether it was given. */
  review(plan: Plan, ask: boolean): Promise<boolean>;
  /** Things worth telling the user while it runs (lock taken over, journal replayed). */
  notice(message: string): void;
  onProgress?(progress: ApplyProgress): void;
  /** Ctrl-C / SIGTERM: start nothing new. */
  stop: AbortSignal;
  /** Abandon requests still in flight after the grace period. */
  abandon: AbortSignal;
  clock?: Clock;
  /** How the state and journal are written; node:fs unless a test injects a failing disk. */
  fs?: WriteFs;
}

export type ApplyOutcome =
  | { kind: 'invalid'; project: Project }
  | { kind: 'no-changes'; plan: Plan }
  | { kind: 'declined'; plan: Plan }
  | { kind: 'applied'; plan: Plan; result: ApplyResult; statePath: string; projectRoot: string; stateWritten: boolean };

/**
 * check key and URL → lock → state (journal folded) → plan or saved plan → safety → confirm →
 * apply → state flushed → unlock. Nothing is sent before every check has passed.
 */
export async function applyCommand(options: ApplyCommandOptions): Promise<ApplyOutcome> {
  const project = await loadProject(options);
  if (hasErrors(project.diagnostics)) return { kind: 'invalid', project };
  const { config, display } = project;
  const apiKey = options.env[config.api.apiKeyEnv];
  if (apiKey === undefined || apiKey.trim() === '') {
    throw new Micro1Error('NO_API_KEY', `No API key: the environment variable ${config.api.apiKeyEnv} is not set`, {
      hint: `export ${config.api.apiKeyEnv}=<your micro1 API key> (the key is never read from a file)`,
    });
  }
  checkBaseUrl(config.api.baseUrl);
  const host = targetHostOf(config.api.baseUrl);
  const saved = options.planFile === undefined ? undefined : readSavedPlan(path.resolve(options.cwd, options.planFile), options.planFile, config.projectRoot);
  const reviewed = options.reviewedFile === undefined ? undefined : readSavedPlan(path.resolve(options.cwd, options.reviewedFile), options.reviewedFile, config.projectRoot);

  const { store, close } = openForWriting(config.stateFile, 'apply', display, options.notice, { root: config.projectRoot, ...(options.fs ? { fs: options.fs } : {}) });
  let sent: ApplyResult | undefined;
  let plan: Plan;
  const serialBefore = store.state.serial;
  try {
    const prune = options.prune ?? config.prune;
    checkTargetHost(store.state, host, display(config.stateFile), options.retargetHost === true);
    plan =
      saved === undefined
        ? planAll(project.definitions, project.resources, store.state, { prune, targets: options.targets, excludes: options.excludes, host, apiKeyEnv: config.api.apiKeyEnv })
        : planFromSaved(saved, project, store.state, options.planFile!, host);
    if (reviewed !== undefined) checkReviewed(reviewed, plan, options.reviewedFile!);
    if (!hasChanges(plan)) {
      // A retarget with nothing to send still moves the state to its new host.
      if (options.retargetHost !== true || plan.target === undefined) return { kind: 'no-changes', plan };
      store.setTargetHost(host, true);
      // Shown as it now is: the state belongs to the new host, so there is no change of host left to warn of.
      return { kind: 'no-changes', plan: { ...plan, target: { ...plan.target, stateHost: host } } };
    }
    checkUnknownFields(plan);
    checkDeleteSafety(plan, store.state, config.safety, options.force, configToEdit(config, options.cwd));
    // A reviewed plan was approved by its reviewer; a saved one by whoever saved it.
    const ask = saved === undefined && reviewed === undefined && !options.autoApprove;
    if (!(await options.review(plan, ask))) return { kind: 'declined', plan };
    // Written with the first confirmed change: from then on the state's ids belong to this host.
    store.setTargetHost(host);

    const client = new Micro1Client({ baseUrl: config.api.baseUrl, apiKey, timeoutMs: config.api.timeoutMs, signal: options.abandon });
    const clock = options.clock ?? systemClock;
    const settings = { ...config.apply, maxDurationMs: config.apply.maxDurationMs ?? DEFAULT_APPLY_MAX_DURATION_MS, failFast: options.failFast };
    const limiter = new RateLimiter(settings.requestsPerSecond, clock);
    const deadline = clock.now() + settings.maxDurationMs;
    try {
      sent = await applyChanges(plan.changes, settings, {
        client,
        clock,
        store,
        stop: options.stop,
        notice: options.notice,
        limiter,
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      });
      // Then the other kinds (webhooks), unless the interviews' run stopped: the same reasons stop them.
      const others = (plan.resources ?? []).filter((c) => c.action !== 'no-op');
      if (others.length > 0 && sent.stoppedBecause !== undefined) sent = { ...sent, skipped: sent.skipped + others.length };
      else if (others.length > 0) {
        const done = await applyResources(others, settings, { client, clock, store, stop: options.stop, limiter, deadline, notice: options.notice });
        sent = {
          ...sent,
          created: sent.created + done.created,
          updated: sent.updated + done.updated,
          deleted: sent.deleted + done.deleted,
          reconciled: sent.reconciled + done.reconciled,
          failures: [...sent.failures, ...done.failures],
          skipped: sent.skipped + done.skipped,
          requests: sent.requests + done.requests,
          ...(done.stoppedBecause !== undefined ? { stoppedBecause: done.stoppedBecause } : {}),
          ...(done.stopReason !== undefined ? { stopReason: done.stopReason } : {}),
          ...(done.stopHint !== undefined ? { stopHint: done.stopHint } : {}),
        };
      }
    } catch (error) {
      // The store's failure is reported below, once the lock is released; anything else is a bug.
      if (error !== store.failure) throw error;
    }
  } finally {
    try {
      close();
    } catch (error) {
      // A fold that failed at the end is reported like one that failed midway, below.
      if (error !== store.failure) throw error;
    }
  }
  if (store.failure !== undefined) throw notSaved(store, sent, display(config.stateFile));
  // The store writes only what micro1 confirmed (or a create about to be sent): a run refused at its first request writes nothing.
  const stateWritten = store.state.serial !== serialBefore;
  return { kind: 'applied', plan, result: sent!, statePath: display(config.stateFile), projectRoot: config.projectRoot, stateWritten };
}

/**
 * An apply stopped by a failed write: what failed, what micro1 now holds and where it is
 * recorded, and the command that makes the two agree again. Every claim here is one the next
 * `micro1 apply` makes good: it folds the journal in, looks up each unconfirmed create by name
 * before sending it, and PUT and DELETE may be sent twice.
 */
function notSaved(store: StateStore, result: ApplyResult | undefined, statePath: string): Micro1Error {
  const failure = store.failure!;
  const confirmed = result === undefined ? '' : ` micro1 confirmed ${plural(result.created + result.updated + result.deleted, 'change')} in this run before it stopped.`;
  const where = store.saved
    ? ` Everything micro1 confirmed is saved in ${statePath} (the last write of the whole state succeeded).`
    : ` ${statePath} was left as it was; the journal ${store.journalDisplay} keeps the changes written before the failure` +
      (store.unsaved > 0 ? `, and ${plural(store.unsaved, 'later change')} could not be written anywhere.` : '.');
  return new Micro1Error('APPLY_NOT_SAVED', `Apply stopped: ${failure.message}. Nothing was sent after that; requests already under way were let finish.${confirmed}${where}`, {
    hint:
      `${(failure.hint ?? 'fix the disk').replace(/, then run the command again$/, '')}; then run \`micro1 apply\` again: it folds the journal in first, looks up each unconfirmed create on micro1 by name ` +
      'before sending it (no duplicate), and sends any unsaved update or delete again. `micro1 plan` shows what is left.',
    cause: failure,
  });
}

/**
 * Refuses, before anything is sent, a host other than the one the state was applied to: its ids
 * belong there, and the key would go to a server the reviewer may not have noticed.
 */
function checkTargetHost(state: State, host: string, statePath: string, retarget: boolean): void {
  const stateHost = state.targetHost;
  if (stateHost === undefined || stateHost === host || retarget) return;
  // A state that records no interview, webhook or create in flight holds no id of the old host: nothing to protect.
  if (Object.keys(state.interviews).length === 0 && state.pending.length === 0 && !hasResources(state)) return;
  throw new Micro1Error(
    'HOST_CHANGED',
    `Refusing to apply: ${statePath} was applied to ${stateHost}, but this run targets ${host} (api.baseUrl, or MICRO1_API_URL). The ids in the state belong to ${stateHost}, so nothing was sent`,
    {
      hint: `if that is a mistake, set api.baseUrl back to ${stateHost} (and unset MICRO1_API_URL); if these interviews really are on ${host}, run the same command again with --retarget-host`,
    },
  );
}

/** `--reviewed`: the plan made now must send what the reviewer saw, or nothing is sent. */
function checkReviewed(reviewed: SavedPlan, plan: Plan, file: string): void {
  // Every kind binds: a webhook's URL is where candidates' reports go. Other kinds are keyed `webhook:KEY`.
  const other = (c: Pick<JsonResourceChange, 'kind' | 'key' | 'action' | 'id' | 'after'>) => ({ key: resourceLabel(c), action: c.action, id: c.id, after: c.after, moved_from: null });
  const nowChanges = [
    ...plan.changes.filter(isActionable).map((c) => ({ key: c.key, action: c.action, id: c.id ?? null, after: c.after, moved_from: c.movedFrom ?? null })),
    ...actionableResources(plan).map((c) => other(resourceToJson(c))),
  ];
  const reviewedChanges = [...reviewed.changes, ...(reviewed.resources ?? []).map(other)];
  const now = { host: plan.target?.host, apiKeyEnv: plan.target?.apiKeyEnv, changes: nowChanges };
  const differences = reviewedDifferences({ host: reviewed.target?.host, apiKeyEnv: reviewed.target?.api_key_env ?? undefined, changes: reviewedChanges }, now);
  if (differences.length === 0) return;
  throw new Micro1Error(
    'REVIEWED_PLAN_DIFFERS',
    `Refusing to apply: what would be applied now differs from the reviewed plan ${file}, so nothing was sent (${plural(differences.length, 'difference')}):\n${differences.map((d) => `  - ${d}`).join('\n')}`,
    { hint: `have the new plan reviewed: \`micro1 plan --out ${file}\`, read it, then \`micro1 apply --reviewed ${file}\` (in CI: push to the pull request again, or open a new one, so its plan is commented and reviewed)` },
  );
}

/** A saved plan, if it still describes the world: same state serial, same files, same host. */
function planFromSaved(saved: SavedPlan, project: Project, state: State, file: string, host: string): Plan {
  const { lineage, serial } = state;
  const stale = (why: string) =>
    new Micro1Error('PLAN_STALE', `The saved plan ${file} is stale: ${why}`, { hint: `run \`micro1 plan --out ${file}\` again and review it` });
  if (saved.target !== undefined && saved.target.host !== host) throw stale(`it was made for ${JSON.stringify(saved.target.host)}, and this run targets ${host}`);
  if (saved.state.lineage !== lineage || saved.state.serial !== serial) {
    throw stale(`the state changed since it was made (serial ${saved.state.serial} → ${serial}${saved.state.lineage !== lineage ? ', different lineage' : ''})`);
  }
  const now = new Map(project.definitions.map((d) => [d.key, d]));
  for (const [key, hash] of Object.entries(saved.inputs.sources)) {
    const current = now.get(key);
    if (current === undefined) throw stale(`${key} no longer exists`);
    if (current.sourceHash !== hash) throw stale(`${current.file} (or a fragment it uses) changed since`);
  }
  const added = project.definitions.find((d) => !Object.hasOwn(saved.inputs.sources, d.key));
  if (added !== undefined) throw stale(`${added.file} was added since`);
  // The other kinds: same files (by hash) and same state give the same plan, so it is planned again
  // from them and must be exactly what was saved; an edited saved plan cannot send another body.
  const savedOthers = saved.inputs.resource_sources ?? {};
  const nowOthers = new Map(project.resources.map((d) => [`${d.kind}:${d.key}`, d]));
  for (const [label, hash] of Object.entries(savedOthers)) {
    const current = nowOthers.get(label);
    if (current === undefined) throw stale(`${label} no longer exists`);
    if (current.sourceHash !== hash) throw stale(`${current.file} changed since`);
  }
  const addedOther = project.resources.find((d) => !Object.hasOwn(savedOthers, `${d.kind}:${d.key}`));
  if (addedOther !== undefined) throw stale(`${addedOther.file} was added since`);
  const replanned = planAll([], project.resources, state, { prune: saved.inputs.prune, targets: saved.inputs.targets, excludes: saved.inputs.excludes }).resources ?? [];
  const actionable = replanned.filter((c) => c.action !== 'no-op');
  if (!jsonEqual(actionable.map(resourceToJson), saved.resources ?? [])) {
    throw new Micro1Error('PLAN_TAMPERED', `The saved plan ${file} was edited after it was written: the changes it holds for webhooks are not the ones the files and state call for`, {
      hint: 'a saved plan is applied exactly as planned; run `micro1 plan --out FILE` again instead of editing it',
    });
  }
  const mismatch = savedPlanMismatch(saved, project.definitions, state);
  if (mismatch !== undefined) {
    throw new Micro1Error('PLAN_TAMPERED', `The saved plan ${file} was edited after it was written: ${mismatch}`, {
      hint: 'a saved plan is applied exactly as planned; run `micro1 plan --out FILE` again instead of editing it',
    });
  }
  // What would be cleared is worked out again from the files and state, not taken from the plan's own say.
  const unknown = (c: JsonChange) => (c.action === 'update' ? unknownFields(now.get(c.key)!, entryOf(state, c.moved_from ?? c.key)) : []);
  const pinned = (c: JsonChange) => c.action === 'update' && now.get(c.key)?.id !== undefined;
  // The summary's no-ops count every kind; the other kinds' are replanned here.
  const unchanged = saved.summary.no_op - replanned.filter((c) => c.action === 'no-op').length;
  return { lineage, serial, changes: saved.changes.map((c) => changeFromJson(c, unknown(c), pinned(c))), warnings: saved.warnings, unchanged, target: { host, ...(state.targetHost !== undefined ? { stateHost: state.targetHost } : {}), apiKeyEnv: project.config.api.apiKeyEnv }, ...(actionable.length > 0 ? { resources: actionable } : {}) };
}

/**
 * Refuses, before anything is sent, an update that would clear a field micro1 holds but never
 * showed us (GET /interviews does not return coding_exercise_details): the whole body is sent, so
 * the field's default would silently replace a value nobody has seen.
 */
function checkUnknownFields(plan: Plan): void {
  const refused = plan.changes.filter((c) => c.unknown !== undefined && c.unknown.length > 0);
  if (refused.length === 0) return;
  const fields = [...new Set(refused.flatMap((c) => c.unknown!))];
  const one = fields.length === 1;
  const lines = refused.map((c) => `  ${c.file} (${c.key}): ${c.unknown!.join(', ')}`);
  throw new Micro1Error(
    'UNKNOWN_FIELDS',
    `Refusing to apply: ${plural(refused.length, 'update')} would clear ${one ? 'a field' : 'fields'} micro1 holds but has never shown us (GET /interviews does not return ${one ? 'it' : 'them'}), so nothing was sent:\n${lines.join('\n')}`,
    { hint: `set ${fields.map((f) => `\`${f}\``).join(', ')} in each file (an empty string \`""\` clears it on purpose), or leave them out with \`--exclude KEY\`` },
  );
}

function changeFromJson(c: JsonChange, unknown: BodyField[], pinned: boolean): Change {
  return {
    key: c.key,
    file: c.file,
    action: c.action,
    ...(c.id !== null ? { id: c.id } : {}),
    before: c.before,
    after: c.after,
    fields: [],
    ...(c.source_hash !== null ? { sourceHash: c.source_hash } : {}),
    sources: c.sources,
    via: c.via,
    ...(c.moved_from !== null ? { movedFrom: c.moved_from } : {}),
    ...(c.note !== null ? { note: c.note } : {}),
    ...(unknown.length > 0 ? { unknown } : {}),
    ...(pinned ? { pinned: true as const } : {}),
  };
}

