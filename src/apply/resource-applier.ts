import pLimit from 'p-limit';
import { ApiError, mayStillCommit, OUTCOME_UNKNOWN, type Micro1Client } from '../api/client.js';
import type { RateLimiter } from '../api/rate-limiter.js';
import { backoffMs } from '../api/retry-policy.js';
import { NotSent, sendWithRetry } from '../api/send-with-retry.js';
import type { Clock } from '../clock.js';
import { kindNamed, type ResourceBody, type ResourceKind } from '../kinds/kinds.js';
import type { ResourceChange } from '../plan/resource-planner.js';
import type { StateStore } from '../state/state-store.js';
import { resourceEntries } from '../state/state.js';
import type { ApplyFailure, ApplyResult, ApplySettings } from './applier.js';
import { deadlineStop, UnreachableBreaker, WaitNotices, type StopMessage } from './run-guards.js';

/**
 * Makes micro1 match the other kinds' changes (webhooks), after the interviews: creates, updates,
 * deletes, through the interviews' rate limiter, retry policy and journal. As for interviews, a
 * create is journaled as pending (fsynced) before it is sent and an unconfirmed one is looked up
 * before anything is sent again; webhooks have no name, so the lookup is by the kind's natural
 * identity (url + event) in GET /webhooks, among those no key manages. A delete first checks that
 * micro1 still lists the id with the identity the state recorded.
 */

export interface ResourceApplyDeps {
  client: Micro1Client;
  clock: Clock;
  store: StateStore;
  stop: AbortSignal;
  /** The interviews' limiter: one rate, one Retry-After pause, for the whole apply. */
  limiter: RateLimiter;
  /** Epoch ms after which nothing new is sent (apply.maxDurationMs from the start of the apply). */
  deadline: number;
  /** A line for the user while it runs (a long wait and what for), as for interviews. */
  notice?: (message: string) => void;
}

export type ResourceApplyResult = Pick<ApplyResult, 'created' | 'updated' | 'deleted' | 'reconciled' | 'failures' | 'skipped' | 'requests' | 'stoppedBecause' | 'stopReason' | 'stopHint'>;

export async function applyResources(changes: readonly ResourceChange[], settings: ApplySettings, deps: ResourceApplyDeps): Promise<ResourceApplyResult> {
  const run = new ResourceRun(settings, deps);
  for (const action of ['create', 'update', 'delete'] as const) {
    const limit = pLimit(settings.concurrency);
    const settled = await Promise.allSettled(changes.filter((c) => c.action === action).map((c) => limit(() => run.one(c))));
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }
  return run.result();
}

class ResourceRun {
  private readonly counts = { created: 0, updated: 0, deleted: 0, reconciled: 0, skipped: 0, requests: 0 };
  private readonly failures: ApplyFailure[] = [];
  private stoppedBecause: ApplyResult['stoppedBecause'];
  private stopMessage: StopMessage | undefined;
  /** The interview applier's breaker and wait notices (run-guards.ts), one of each for this run. */
  private readonly unreachable = new UnreachableBreaker();
  private readonly waits: WaitNotices;
  /** Which key manages each id, per kind. */
  private readonly managedBy = new Map<string, Map<string, string>>();
  /** micro1's list per kind, read once before the first delete. */
  private readonly live = new Map<string, Promise<Map<string, ResourceBody>>>();

  constructor(
    private readonly settings: ApplySettings,
    private readonly deps: ResourceApplyDeps,
  ) {
    this.waits = new WaitNotices(deps.clock, deps.notice);
  }

  result(): ResourceApplyResult {
    return { ...this.counts, failures: this.failures, ...(this.stoppedBecause ? { stoppedBecause: this.stoppedBecause } : {}), ...(this.stoppedBecause === 'unreachable' || this.stoppedBecause === 'deadline' ? this.stopMessage : {}) };
  }

  async one(change: ResourceChange): Promise<void> {
    const kind = kindNamed(change.kind)!;
    if (this.stopped()) {
      this.counts.skipped++;
      return;
    }
    try {
      if (change.action === 'create') await this.create(kind, change);
      else if (change.action === 'update') await this.update(kind, change, change.id!);
      else if (change.action === 'delete') await this.delete(kind, change);
    } catch (error) {
      if (error instanceof NotSent || error === this.deps.store.failure) {
        if (error instanceof NotSent && error.reason === 'deadline') this.stopAtDeadline();
        this.counts.skipped++;
        return;
      }
      if (!(error instanceof ApiError)) throw error;
      // Said once in the summary, not once per change; the next run redoes it (an unconfirmed create is looked up first).
      if (error.unreachable && this.stoppedBecause === 'unreachable') {
        this.counts.skipped++;
        return;
      }
      if (error.kind === 'auth') this.stoppedBecause ??= 'auth';
      if (this.settings.failFast) this.stoppedBecause ??= 'fail-fast';
      this.failures.push({ key: `${kind.name}:${change.key}`, file: change.file, action: change.action, ...explain(kind, change, error) });
    }
  }

  private stopped(): boolean {
    if (this.deps.stop.aborted) this.stoppedBecause ??= 'interrupted';
    if (this.deps.clock.now() >= this.deps.deadline) this.stopAtDeadline();
    return this.stoppedBecause !== undefined || this.deps.store.failure !== undefined;
  }

  /** As the interview applier: the reason and hint once (run-guards.ts), unless another reason stopped it first. */
  private stopAtDeadline(): void {
    if (this.stoppedBecause !== undefined) return;
    this.stoppedBecause = 'deadline';
    this.stopMessage = deadlineStop(this.settings.maxDurationMs);
  }

  private async create(kind: ResourceKind, change: ResourceChange): Promise<void> {
    const body = change.after!;
    const { store } = this.deps;
    const earlier = store.resourcePendingCreate(kind.name, change.key);
    if (earlier !== undefined) {
      // A previous run sent this create and never learned the outcome: look before sending again.
      const found = await this.lookup(kind, earlier.spec);
      if (found !== undefined) return this.adopt(kind, change, found, earlier.spec);
      store.record({ op: 'resource-pending-cleared', kind: kind.name, key: change.key });
    }
    await store.recordDurable({ op: 'resource-pending', pending: { kind: kind.name, key: change.key, spec: body, sourceHash: change.sourceHash ?? '', startedAt: this.isoNow() } });
    for (let attempt = 0; ; attempt++) {
      try {
        const { id } = await this.send(() => this.deps.client.createResource(kind, body), false);
        const holder = this.managed(kind).get(id);
        if (holder !== undefined && holder !== change.key) {
          store.record({ op: 'resource-pending-cleared', kind: kind.name, key: change.key });
          throw new ApiError('bad-request', `micro1 answered the create with id ${id}, which ${kind.name}:${holder} already manages: not recorded for ${kind.name}:${change.key}`);
        }
        this.record(kind, change, id, body);
        this.counts.created++;
        return;
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        if (error.kind === 'bad-request') store.record({ op: 'resource-pending-cleared', kind: kind.name, key: change.key });
        if (!OUTCOME_UNKNOWN.includes(error.kind) || mayStillCommit(error) || attempt >= this.settings.maxRetries || this.stopped()) throw error;
        await this.deps.clock.sleep(backoffMs(attempt, this.deps.clock), this.deps.stop);
        // Never re-send blindly: the first attempt may have created it.
        const found = await this.lookup(kind, body);
        if (found !== undefined) return this.adopt(kind, change, found, body);
      }
    }
  }

  private async adopt(kind: ResourceKind, change: ResourceChange, id: string, sent: ResourceBody): Promise<void> {
    this.record(kind, change, id, sent);
    this.counts.reconciled++;
    if (kind.fields.some((f) => sent[f] !== change.after![f])) await this.update(kind, change, id);
    else this.counts.created++;
  }

  private async update(kind: ResourceKind, change: ResourceChange, id: string): Promise<void> {
    await this.send(() => this.deps.client.updateResource(kind, id, change.after!), true);
    this.record(kind, change, id, change.after!);
    this.counts.updated++;
  }

  private async delete(kind: ResourceKind, change: ResourceChange): Promise<void> {
    this.live.set(kind.name, this.live.get(kind.name) ?? this.list(kind).then((items) => new Map(items.map((i) => [i.id, i.body]))));
    const listed = (await this.live.get(kind.name)!).get(change.id!);
    if (listed !== undefined) {
      if (kind.identity(listed) !== kind.identity(change.before!)) {
        throw new ApiError('bad-request', `not deleted: micro1 lists id ${change.id} as ${kind.summary(listed)}, not ${kind.summary(change.before!)} as the state recorded, so it may be another ${kind.labels.one}`);
      }
      try {
        await this.send(() => this.deps.client.deleteResource(kind, change.id!), true);
      } catch (error) {
        if (!(error instanceof ApiError && error.kind === 'not-found')) throw error;
      }
    }
    this.deps.store.record({ op: 'resource-deleted', kind: kind.name, key: change.key });
    this.managed(kind).delete(change.id!);
    this.counts.deleted++;
  }

  /** The unmanaged item with the same identity, if exactly one; several make the outcome unclear. */
  private async lookup(kind: ResourceKind, body: ResourceBody): Promise<string | undefined> {
    const managed = this.managed(kind);
    const wanted = kind.identity(body);
    const candidates = (await this.list(kind)).filter((i) => kind.identity(i.body) === wanted && !managed.has(i.id));
    if (candidates.length <= 1) return candidates[0]?.id;
    throw new ApiError(
      'bad-request',
      `${candidates.length} unmanaged ${kind.labels.many} with the same ${kind.identityLabel} (${kind.summary(body)}) exist on micro1 and the last create was not confirmed, so which one it made is unclear; delete the extra ones on micro1`,
    );
  }

  private list(kind: ResourceKind): Promise<{ id: string; body: ResourceBody }[]> {
    return this.send(() => this.deps.client.listResources(kind), true);
  }

  private managed(kind: ResourceKind): Map<string, string> {
    let map = this.managedBy.get(kind.name);
    if (map === undefined) {
      const entries = resourceEntries(this.deps.store.state, kind.name);
      map = new Map(Object.keys(entries).map((key) => [entries[key]!.id, key]));
      this.managedBy.set(kind.name, map);
    }
    return map;
  }

  private send<T>(attempt: () => Promise<T>, retryUnknown: boolean): Promise<T> {
    return sendWithRetry(
      attempt,
      {
        limiter: this.deps.limiter,
        clock: this.deps.clock,
        maxRetries: this.settings.maxRetries,
        stop: this.deps.stop,
        stopped: () => this.stopped(),
        onAttempt: () => void this.counts.requests++,
        onOutcome: (failure) => {
          const stop = this.unreachable.outcome(failure);
          if (stop === undefined || this.stoppedBecause !== undefined) return;
          this.stoppedBecause = 'unreachable';
          this.stopMessage = stop;
        },
        onWait: (ms, reason) => this.waits.wait(ms, reason),
        deadline: this.deps.deadline,
      },
      { retryUnknown },
    );
  }

  private record(kind: ResourceKind, change: ResourceChange, id: string, spec: ResourceBody): void {
    this.managed(kind).set(id, change.key);
    this.deps.store.record({
      op: 'resource-applied',
      kind: kind.name,
      key: change.key,
      entry: { kind: kind.name, id, spec, sourceHash: change.sourceHash ?? '', ...(change.sources ? { sources: change.sources } : {}), appliedAt: this.isoNow() },
    });
  }

  private isoNow(): string {
    return new Date(this.deps.clock.now()).toISOString();
  }
}

function explain(kind: ResourceKind, change: ResourceChange, error: ApiError): { message: string; hint?: string } {
  if (change.action === 'create' && mayStillCommit(error)) {
    return {
      message: `create not confirmed: ${error.message}`,
      hint: `micro1 may still be making it, so it was not sent again in this run; run \`micro1 apply\` again: it looks it up on micro1 by ${kind.identityLabel} first and sends it only if it is not there`,
    };
  }
  if (change.action === 'create' && OUTCOME_UNKNOWN.includes(error.kind)) {
    return { message: `create not confirmed: ${error.message}`, hint: `the next apply looks it up on micro1 by ${kind.identityLabel} before sending it again` };
  }
  if (error.kind === 'not-found' && change.action === 'update') {
    return {
      message: `${kind.labels.one} ${change.id ?? ''} does not exist on micro1 (deleted outside git?)`,
      hint: `move ${change.file} aside and run \`micro1 apply --prune\` to drop it from the state, then put the file back and apply again to create it anew`,
    };
  }
  if (error.kind === 'auth') return { message: error.message, hint: 'check the API key in the environment; nothing more was sent' };
  if (error.kind === 'bad-request') return { message: `micro1 rejected it: ${error.message}` };
  return { message: error.message };
}
