import pLimit from 'p-limit';
import { jsonEqual, type CanonicalBody } from '../definitions/canonical.js';
import { ApiError, mayStillCommit, OUTCOME_UNKNOWN, type Micro1Client } from '../api/client.js';
import type { Clock } from '../clock.js';
import { fromListItem, inviteUrlOf, listComparable } from '../api/list-shape.js';
import type { Change } from '../plan/planner.js';
import { RateLimiter } from '../api/rate-limiter.js';
import { LIVE_PAGE_SIZE, pageThrough } from '../api/read-live.js';
import { backoffMs } from '../api/retry-policy.js';
import { NotSent as Skipped, sendWithRetry, type SendPolicy } from '../api/send-with-retry.js';
import { deadlineStop, UnreachableBreaker, WaitNotices } from './run-guards.js';
import type { StateStore } from '../state/state-store.js';
import { entryOf, type StateEntry } from '../state/state.js';
import { explain, SharedIdAnswer, UnconfirmedIdentity } from './explain-failure.js';

export interface ApplySettings {
  concurrency: number;
  requestsPerSecond: number;
  maxRetries: number;
  failFast: boolean;
  /** apply.maxDurationMs: after this long nothing new is sent and no wait is begun that would end later. */
  maxDurationMs: number;
}

export interface ApplyDeps {
  client: Micro1Client;
  clock: Clock;
  store: StateStore;
  /** Aborted on Ctrl-C / SIGTERM: start nothing new. */
  stop: AbortSignal;
  onProgress?: (progress: ApplyProgress) => void;
  /** A line for the user while it runs (a long wait and what for). */
  notice?: (message: string) => void;
  /** Shared with the other kinds' apply (resource-applier.ts), so the whole apply keeps one rate. */
  limiter?: RateLimiter;
}

export interface ApplyProgress {
  done: number;
  failed: number;
  total: number;
  requests: number;
}

export interface ApplyFailure {
  key: string;
  file: string;
  action: Change['action'];
  message: string;
  hint?: string;
  /** Abandoned in flight: it may have taken effect, so it is neither done nor failed. */
  outcomeUnknown?: true;
}

/** An interview this run created (or adopted after an unconfirmed create), with the invite link micro1 gave. */
export interface CreatedInterview {
  key: string;
  file: string;
  id: string;
  /** As micro1 sent it: untrusted text. Absent when micro1 gave none. */
  inviteUrl?: string;
}

export interface ApplyResult {
  created: number;
  /** Every interview created or adopted by a create, in the order it was confirmed. */
  createdInterviews: CreatedInterview[];
  updated: number;
  deleted: number;
  /** Creates whose earlier, unconfirmed attempt was found on micro1 and adopted instead of re-sent. */
  reconciled: number;
  failures: ApplyFailure[];
  /** Changes never started (interrupted, --fail-fast, or stopped by an auth failure). */
  skipped: number;
  requests: number;
  /** Why the whole run stopped early, if it did. */
  stoppedBecause?: 'interrupted' | 'auth' | 'fail-fast' | 'deadline' | 'unreachable';
  /** For `deadline` and `unreachable`: what happened, once for the whole run, and what to do. */
  stopReason?: string;
  stopHint?: string;
}

export { UNREACHABLE_AFTER } from './run-guards.js';


/**
 * Makes micro1 match a plan: creates, then updates, then deletes, each phase at the configured
 * concurrency and rate. Every confirmed change is recorded in the store at once; a create is
 * recorded as pending before it is sent, and an unconfirmed one is looked up by name before
 * anything is sent again (one that timed out only in the next run, see `mayStillCommit`), so no
 * run, however it ends, leaves a duplicate or loses an update.
 * (Past ~350 lines: one run's phases share the limiter, breaker, deadline and id bookkeeping, which
 * split across files would have to be passed around; what a failure means is in explain-failure.ts.)
 */
export async function applyChanges(changes: readonly Change[], settings: ApplySettings, deps: ApplyDeps): Promise<ApplyResult> {
  const run = new ApplyRun(settings, deps, changes.filter((c) => c.action !== 'no-op').length);
  // A file that moved but pins the same interview needs no request: only its state key changes.
  for (const moved of changes.filter((c) => c.action === 'no-op' && c.movedFrom !== undefined)) run.rekey(moved);
  for (const action of ['create', 'update', 'delete'] as const) {
    await run.phase(changes.filter((c) => c.action === action));
  }
  return run.result();
}

class ApplyRun {
  private readonly limiter: RateLimiter;
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly counts = { created: 0, updated: 0, deleted: 0, reconciled: 0, skipped: 0, requests: 0, done: 0 };
  private readonly failures: ApplyFailure[] = [];
  private readonly createdInterviews: CreatedInterview[] = [];
  /** Which key manages each id, kept as changes are recorded: one lookup per create, not a scan of the state. */
  private readonly managedBy: Map<string, string>;
  private stoppedBecause: ApplyResult['stoppedBecause'];
  private stopReason: Pick<ApplyResult, 'stopReason' | 'stopHint'> = {};
  private readonly deadline: number;
  private readonly unreachable = new UnreachableBreaker();
  private readonly waits: WaitNotices;
  /** An unexpected error (a bug): start nothing new while the rest finish. */
  private halted: unknown;
  /** micro1's list as id → name, read once before the first delete (see `identify`). */
  private liveNames: Promise<Map<string, string>> | undefined;

  constructor(
    private readonly settings: ApplySettings,
    private readonly deps: ApplyDeps,
    private readonly total: number,
  ) {
    this.limiter = deps.limiter ?? new RateLimiter(settings.requestsPerSecond, deps.clock);
    this.managedBy = new Map(Object.entries(deps.store.state.interviews).map(([key, e]) => [e.id, key]));
    this.limit = pLimit(settings.concurrency);
    this.deadline = deps.clock.now() + settings.maxDurationMs;
    this.waits = new WaitNotices(deps.clock, deps.notice);
  }

  async phase(changes: readonly Change[]): Promise<void> {
    // allSettled: even on an unexpected error, return only once nothing is in flight, so that
    // nothing is sent after the caller releases the lock.
    const settled = await Promise.allSettled(changes.map((change) => this.limit(() => this.one(change))));
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }

  result(): ApplyResult {
    // Interrupted while the last requests were in flight: nothing was left to skip, but the run was cut short.
    if (this.deps.stop.aborted) this.stoppedBecause ??= 'interrupted';
    const { done: _done, ...counts } = this.counts;
    return { ...counts, createdInterviews: this.createdInterviews, failures: this.failures, ...(this.stoppedBecause ? { stoppedBecause: this.stoppedBecause } : {}), ...this.stopReason };
  }

  rekey(change: Change): void {
    // Nothing is sent, so what micro1 never showed us stays unseen.
    const unseen = entryOf(this.deps.store.state, change.movedFrom!)?.unseen;
    this.record(change, change.id!, change.after!, unseen);
  }

  private stopped(): boolean {
    if (this.deps.stop.aborted) this.stoppedBecause ??= 'interrupted';
    if (this.deps.clock.now() >= this.deadline) this.stopAtDeadline();
    // A state that can no longer be written stops new requests at once; the store says what was kept.
    return this.deps.stop.aborted || this.stoppedBecause !== undefined || this.deps.store.failure !== undefined || this.halted !== undefined;
  }

  private async one(change: Change): Promise<void> {
    if (this.stopped()) {
      this.counts.skipped++;
      return;
    }
    try {
      if (change.action === 'create') await this.create(change);
      else if (change.action === 'update') await this.update(change, change.id!);
      else if (change.action === 'delete') await this.delete(change);
      this.counts.done++;
    } catch (error) {
      // The store could not write this change down: it is kept in memory and reported by the store.
      if (error instanceof Skipped || error === this.deps.store.failure) {
        this.counts.skipped++;
        return;
      }
      if (!(error instanceof ApiError)) this.halted ??= error;
      this.fail(change, error);
    }
    this.deps.onProgress?.({ done: this.counts.done, failed: this.failures.length, total: this.total, requests: this.counts.requests });
  }

  private async create(change: Change): Promise<void> {
    const spec = change.after!;
    const { store } = this.deps;
    const earlier = store.pendingCreate(change.key);
    if (earlier !== undefined) {
      // A previous run sent this create and never learned the outcome: look before sending again.
      const found = await this.lookup(earlier.interview_name, earlier.spec);
      if (found !== undefined) return this.adopt(change, found.id, earlier.spec, found.inviteUrl);
      store.record({ op: 'pending-cleared', key: change.key });
    }
    // On disk before it is sent, so a kill -9 after the send still knows to look it up first.
    await store.recordDurable({ op: 'pending', pending: { key: change.key, interview_name: spec.interview_name, spec, sourceHash: change.sourceHash ?? '', startedAt: this.isoNow() } });
    for (let attempt = 0; ; attempt++) {
      try {
        const { id, inviteUrl } = await this.send(() => this.deps.client.create(spec), { retryUnknown: false });
        // Recorded over another key, the id would be managed twice: a later prune of one key
        // would delete the interview the other still manages.
        const holder = this.managedBy.get(id);
        if (holder !== undefined && holder !== change.key) {
          store.record({ op: 'pending-cleared', key: change.key });
          throw new SharedIdAnswer(`micro1 answered the create with id ${id}, which ${holder} already manages: not recorded for ${change.key}`, spec.interview_name);
        }
        this.record(change, id, spec, undefined, inviteUrl);
        this.counts.created++;
        this.noteCreated(change, id, inviteUrl);
        return;
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        if (error.kind === 'bad-request') store.record({ op: 'pending-cleared', key: change.key });
        const unknownOutcome = OUTCOME_UNKNOWN.includes(error.kind);
        if (!unknownOutcome || mayStillCommit(error) || attempt >= this.settings.maxRetries || this.stopped()) throw error;
        await this.deps.clock.sleep(backoffMs(attempt, this.deps.clock), this.deps.stop);
        // Never re-send blindly: the first attempt may have created it.
        const found = await this.lookup(spec.interview_name, spec);
        if (found !== undefined) return this.adopt(change, found.id, spec, found.inviteUrl);
      }
    }
  }

  /** Records an interview found on micro1 as this key's, then brings it to the planned body. */
  private async adopt(change: Change, id: string, sentSpec: CanonicalBody, inviteUrl: string | undefined): Promise<void> {
    this.record(change, id, sentSpec, undefined, inviteUrl);
    this.counts.reconciled++;
    this.noteCreated(change, id, inviteUrl);
    if (!jsonEqual(sentSpec, change.after)) await this.update(change, id);
    else this.counts.created++;
  }

  private noteCreated(change: Change, id: string, inviteUrl: string | undefined): void {
    this.createdInterviews.push({ key: change.key, file: change.file, id, ...(inviteUrl !== undefined ? { inviteUrl } : {}) });
  }

  private async update(change: Change, id: string): Promise<void> {
    const spec = change.after!;
    await this.send(() => this.deps.client.update(id, spec), { retryUnknown: true });
    this.record(change, id, spec);
    this.counts.updated++;
  }

  private async delete(change: Change): Promise<void> {
    if ((await this.identify(change)) === 'listed') {
      try {
        await this.send(() => this.deps.client.delete(change.id!), { retryUnknown: true });
      } catch (error) {
        // Already gone is what we wanted.
        if (!(error instanceof ApiError && error.kind === 'not-found')) throw error;
      }
    }
    this.deps.store.record({ op: 'deleted', key: change.key });
    this.managedBy.delete(change.id!);
    this.counts.deleted++;
  }

  /**
   * A delete is the one request that cannot be undone, and its id comes from the state file, which
   * a pull request can edit. So micro1's list is read once before the first delete: an id it does
   * not list is already gone (deleted outside git, or by a run killed before it recorded it), which
   * is what was wanted; an id it lists under another name than the state recorded may be someone
   * else's interview (or was renamed outside git), and that delete fails, unsent.
   */
  private async identify(change: Change): Promise<'listed' | 'gone'> {
    this.liveNames ??= pageThrough((page) => this.send(() => this.deps.client.list({ page, limit: LIVE_PAGE_SIZE }), { retryUnknown: true })).then(({ items }) => {
      this.recordListedLinks(items);
      return new Map(items.map((i) => [i.interview_id, i.interview_name]));
    });
    const live = (await this.liveNames).get(change.id!);
    if (live === undefined) return 'gone';
    const recorded = change.before!.interview_name;
    if (live === recorded) return 'listed';
    throw new UnconfirmedIdentity(`not deleted: micro1 lists id ${change.id} as ${JSON.stringify(live)}, not ${JSON.stringify(recorded)} as the state recorded, so it may be another interview (the state edited, or the interview renamed outside git)`);
  }

  /**
   * The list read before deletes carries every interview's invite link: a managed one whose link
   * the state lacks (or records another) gets micro1's, as `micro1 links --refresh` would record it.
   */
  private recordListedLinks(items: readonly { interview_id: string; invite_url?: unknown }[]): void {
    const { store } = this.deps;
    for (const item of items) {
      const key = this.managedBy.get(item.interview_id);
      const link = inviteUrlOf(item.invite_url);
      const entry = key === undefined ? undefined : entryOf(store.state, key);
      if (key === undefined || link === undefined || entry?.id !== item.interview_id || entry.invite_url === link) continue;
      store.record({ op: 'applied', key, entry: { ...entry, invite_url: link } });
    }
  }

  /**
   * The interview an unconfirmed create made, if any: same name, not managed under another key
   * and, when several match, the one whose fields match what was sent.
   */
  private async lookup(name: string, spec: CanonicalBody): Promise<{ id: string; inviteUrl: string | undefined } | undefined> {
    const managed = this.managedBy;
    const { items } = await pageThrough((page) => this.send(() => this.deps.client.list({ page, limit: LIVE_PAGE_SIZE, keyword: name }), { retryUnknown: true }));
    const found = (item: (typeof items)[number] | undefined) => (item === undefined ? undefined : { id: item.interview_id, inviteUrl: inviteUrlOf(item.invite_url) });
    const candidates = items.filter((i) => i.interview_name === name && !managed.has(i.interview_id));
    if (candidates.length <= 1) return found(candidates[0]);
    const wanted = listComparable(spec);
    const same = candidates.filter((i) => jsonEqual(listComparable(fromListItem(i).body), wanted));
    if (same.length === 1) return found(same[0]);
    throw new ApiError(
      'bad-request',
      `${candidates.length} unmanaged interviews named "${name}" exist on micro1 and the last create was not confirmed, so which one it made is unclear; pin the right one with \`id:\` in the file`,
    );
  }

  /**
   * One request, paced by the shared limiter. 429/503 pause every worker for Retry-After and are
   * sent again; with `retryUnknown`, 5xx, timeouts and resets are retried with backoff too.
   */
  private async send<T>(attempt: () => Promise<T>, options: { retryUnknown: boolean }): Promise<T> {
    const policy: SendPolicy = {
      limiter: this.limiter,
      clock: this.deps.clock,
      maxRetries: this.settings.maxRetries,
      stop: this.deps.stop,
      stopped: () => this.stopped(),
      onAttempt: () => void this.counts.requests++,
      onOutcome: (failure) => this.breaker(failure),
      onWait: (ms, reason) => this.waits.wait(ms, reason),
      deadline: this.deadline,
    };
    try {
      return await sendWithRetry(attempt, policy, options);
    } catch (error) {
      if (error instanceof ApiError && error.kind === 'auth') this.stoppedBecause = 'auth';
      if (error instanceof Skipped && error.reason === 'deadline') this.stopAtDeadline();
      throw error;
    }
  }

  /** The breaker (run-guards.ts) trips once; a run already stopped for another reason keeps it. */
  private breaker(failure: ApiError | undefined): void {
    const stop = this.unreachable.outcome(failure);
    if (stop === undefined || this.stoppedBecause !== undefined) return;
    this.stoppedBecause = 'unreachable';
    this.stopReason = stop;
  }

  private stopAtDeadline(): void {
    if (this.stoppedBecause !== undefined) return;
    this.stoppedBecause = 'deadline';
    this.stopReason = deadlineStop(this.settings.maxDurationMs);
  }

  /**
   * A confirmed change sent the whole body, so nothing stays unseen unless `unseen` says so (a re-key
   * sends nothing). The invite link is the one micro1 just gave, else the one recorded for this id.
   */
  private record(change: Change, id: string, spec: CanonicalBody, unseen?: StateEntry['unseen'], inviteUrl?: string): void {
    this.managedBy.set(id, change.key);
    const { state } = this.deps.store;
    const previous = entryOf(state, change.key) ?? (change.movedFrom !== undefined ? entryOf(state, change.movedFrom) : undefined);
    const link = inviteUrl ?? (previous?.id === id ? previous.invite_url : undefined);
    this.deps.store.record({
      op: 'applied',
      key: change.key,
      entry: {
        id,
        spec,
        sourceHash: change.sourceHash ?? '',
        ...(change.sources ? { sources: change.sources } : {}),
        appliedAt: this.isoNow(),
        ...(unseen ? { unseen } : {}),
        ...(link !== undefined ? { invite_url: link } : {}),
      },
      ...(change.movedFrom !== undefined ? { movedFrom: change.movedFrom } : {}),
    });
  }

  private fail(change: Change, error: unknown): void {
    if (!(error instanceof ApiError)) throw error;
    // Said once in the summary, not once per change; the next run redoes it (an unconfirmed create is looked up first).
    if (error.unreachable && this.stoppedBecause === 'unreachable') {
      this.counts.skipped++;
      return;
    }
    if (this.settings.failFast) this.stoppedBecause ??= 'fail-fast';
    const recorded = entryOf(this.deps.store.state, change.movedFrom ?? change.key) !== undefined;
    this.failures.push({ key: change.key, file: change.file, action: change.action, ...explain(change, error, recorded), ...(error.abandoned ? { outcomeUnknown: true as const } : {}) });
  }

  private isoNow(): string {
    return new Date(this.deps.clock.now()).toISOString();
  }
}
