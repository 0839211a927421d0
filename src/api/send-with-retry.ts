import { ApiError, RETRYABLE } from './client.js';
import type { Clock } from '../clock.js';
import { visible } from '../render/neutralise.js';
import type { RateLimiter } from './rate-limiter.js';
import { backoffMs, parseRetryAfter } from './retry-policy.js';

/** A wait at least this long is announced, so a paused run is not mistaken for a hung one. */
export const LONG_WAIT_MS = 5_000;

/** 429/503 answers do not count against maxRetries, but a request gives up after this many. */
export const MAX_THROTTLES_PER_REQUEST = 30;

/** How requests are paced and retried; one per run, shared by all its workers. */
export interface SendPolicy {
  /** Shared by every request of the run, so one 429 pauses them all. */
  limiter: RateLimiter;
  clock: Clock;
  maxRetries: number;
  /** Ctrl-C / SIGTERM: send nothing new, and stop retrying. */
  stop: AbortSignal;
  /** Whether the run has stopped for another reason (an auth failure, --fail-fast); checked before each attempt. */
  stopped?(): boolean;
  /** Called just before each attempt goes out, retries included. */
  onAttempt?(): void;
  /** Called after each attempt: undefined when it succeeded, else its failure. */
  onOutcome?(failure: ApiError | undefined): void;
  /** Called before a wait for a throttle or a backoff, with its length and what it waits for. */
  onWait?(ms: number, reason: string): void;
  /** Epoch ms after which nothing is sent and no wait may end: a wait that would end later is not begun. */
  deadline?: number;
}

/** Thrown instead of sending when the run stopped before the request could go out. */
export class NotSent extends Error {
  constructor(
    /** `deadline`: the next attempt could only have gone out after the policy's deadline. */
    readonly reason: 'stopping' | 'deadline' = 'stopping',
  ) {
    super(reason === 'deadline' ? 'not sent: the apply deadline would pass first' : 'not sent: the run was stopping');
    this.name = 'NotSent';
  }
}

/**
 * One request, paced by the shared limiter. 429/503 pause every worker for Retry-After (seconds or
 * HTTP date; backoff with jitter when absent) and are sent again; with `retryUnknown`, 5xx,
 * timeouts and resets are retried with backoff too, up to `maxRetries`. Anything else is final.
 */
export async function sendWithRetry<T>(attempt: () => Promise<T>, policy: SendPolicy, options: { retryUnknown: boolean }): Promise<T> {
  const stopped = () => (policy.stopped?.() ?? false) || policy.stop.aborted;
  let failures = 0;
  let throttles = 0;
  // A wait that would end past the deadline is not begun: the run stops now instead of later.
  const wait = async (ms: number, reason: string) => {
    if (policy.deadline !== undefined && policy.clock.now() + ms > policy.deadline) throw new NotSent('deadline');
    policy.onWait?.(ms, reason);
  };
  for (;;) {
    if (stopped()) throw new NotSent();
    if (policy.deadline !== undefined && policy.clock.now() >= policy.deadline) throw new NotSent('deadline');
    await policy.limiter.acquire(policy.stop);
    if (stopped()) throw new NotSent();
    policy.onAttempt?.();
    try {
      const value = await attempt();
      policy.onOutcome?.(undefined);
      policy.limiter.succeeded();
      return value;
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      policy.onOutcome?.(error);
      if (error.kind === 'throttled' && throttles < MAX_THROTTLES_PER_REQUEST) {
        throttles++;
        const asked = parseRetryAfter(error.retryAfter, policy.clock.now());
        const ms = asked ?? backoffMs(throttles - 1, policy.clock);
        await wait(ms, asked === undefined ? `micro1 answered ${error.status ?? 429} (backing off)` : `micro1 answered ${error.status ?? 429} with Retry-After: ${visible(error.retryAfter!.slice(0, 64))}`);
        policy.limiter.throttled(ms);
        continue;
      }
      const retryable = options.retryUnknown && RETRYABLE.includes(error.kind);
      if (!retryable || failures >= policy.maxRetries || policy.stop.aborted) throw error;
      const ms = backoffMs(failures, policy.clock);
      await wait(ms, `retry ${failures + 1} of ${policy.maxRetries} after: ${error.message}`);
      await policy.clock.sleep(ms, policy.stop);
      failures++;
    }
  }
}
