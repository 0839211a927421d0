import { ApiError } from './client.js';
import type { Clock } from './clock.js';
import type { RateLimiter } from './rate-limiter.js';
import { backoffMs, parseRetryAfter } from './retry-policy.js';

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
}

/** Thrown instead of sending when the run stopped before the request could go out. */
export class NotSent extends Error {
  constructor() {
    super('not sent: the run was stopping');
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
  for (;;) {
    if (stopped()) throw new NotSent();
    await policy.limiter.acquire(policy.stop);
    if (stopped()) throw new NotSent();
    policy.onAttempt?.();
    try {
      const value = await attempt();
      policy.limiter.succeeded();
      return value;
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (error.kind === 'throttled' && throttles < MAX_THROTTLES_PER_REQUEST) {
        throttles++;
        const wait = parseRetryAfter(error.retryAfter, policy.clock.now()) ?? backoffMs(throttles - 1, policy.clock);
        policy.limiter.throttled(wait);
        continue;
      }
      const retryable = options.retryUnknown && ['server', 'timeout', 'network'].includes(error.kind);
      if (!retryable || failures >= policy.maxRetries || policy.stop.aborted) throw error;
      await policy.clock.sleep(backoffMs(failures, policy.clock), policy.stop);
      failures++;
    }
  }
}
