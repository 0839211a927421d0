import type { ApiError } from '../api/client.js';
import { LONG_WAIT_MS } from '../api/send-with-retry.js';
import type { Clock } from '../clock.js';

/**
 * What stops or narrates one apply, shared by the interview applier and the other kinds' applier
 * (webhooks): the "micro1 unreachable" circuit breaker, the deadline's message and the long-wait notices. Each applier
 * feeds its send policy's `onOutcome` and `onWait` here and reads `trip`'s answer.
 */

/** Connection failures in a row, across all workers, after which micro1 is taken to be unreachable. */
export const UNREACHABLE_AFTER = 5;

/** Why a run stopped at an unreachable micro1, and what to do: said once for the whole run. */
export interface StopMessage {
  stopReason: string;
  stopHint: string;
}

/**
 * The circuit breaker: refused, DNS, TLS or reset before any answer, UNREACHABLE_AFTER times in
 * a row across all workers, stops the run with one message instead of one failure per change.
 */
export class UnreachableBreaker {
  private inARow = 0;

  /** The message when this outcome trips (or keeps tripping) the breaker, else undefined. */
  outcome(failure: ApiError | undefined): StopMessage | undefined {
    if (failure?.unreachable !== true) {
      this.inARow = 0;
      return undefined;
    }
    if (++this.inARow < UNREACHABLE_AFTER) return undefined;
    return {
      stopReason: `Cannot reach micro1: ${failure.message} (${UNREACHABLE_AFTER} attempts in a row), so nothing more was sent`,
      stopHint: 'check the URL micro1-sync sends to: MICRO1_API_URL if set, else api.baseUrl in the config (and the network, proxy or VPN); then run `micro1 apply` again',
    };
  }
}

/** Why a run stopped at apply.maxDurationMs, and what to do. */
export function deadlineStop(maxDurationMs: number): StopMessage {
  const minutes = Math.round(maxDurationMs / 6_000) / 10;
  return {
    stopReason: `apply.maxDurationMs (${minutes} min) has passed, or the next wait would end after it, so nothing more was sent; requests already sent were finished`,
    stopHint: 'run `micro1 apply` again later, or raise apply.maxDurationMs in the config',
  };
}

/** Announces a long wait once, not once per worker that waits for the same pause. */
export class WaitNotices {
  private announcedUntil = -Infinity;

  constructor(
    private readonly clock: Clock,
    private readonly notice: ((message: string) => void) | undefined,
  ) {}

  wait(ms: number, reason: string): void {
    const until = this.clock.now() + ms;
    if (ms < LONG_WAIT_MS || until <= this.announcedUntil + LONG_WAIT_MS) return;
    this.announcedUntil = until;
    this.notice?.(`Waiting ${Math.round(ms / 1000)} s before sending again: ${reason}.`);
  }
}
