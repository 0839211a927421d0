import type { Clock } from '../clock.js';

/** Never slower than one request every five seconds, whatever the server says. */
const MIN_RATE = 0.2;
/** After a throttle, settle just under the rate that was getting through. */
const SETTLE_FACTOR = 0.92;
/** Recovery: every RECOVERY_INTERVAL_MS without a throttle, the rate grows by RECOVERY_STEP. */
const RECOVERY_INTERVAL_MS = 10_000;
const RECOVERY_STEP = 0.02;

/**
 * Spaces requests to a requests-per-second rate shared by every worker. A 429/503 pauses all of
 * them until Retry-After has passed and lowers the rate to just under what was succeeding; the
 * rate then recovers slowly toward the configured one (additive increase, multiplicative decrease).
 */
export class RateLimiter {
  private rate: number;
  private nextAt = 0;
  private pausedUntil = 0;
  private lastChangeAt: number;
  private lastThrottleAt = -Infinity;
  private readonly recent: number[] = [];

  constructor(
    private readonly configured: number,
    private readonly clock: Clock,
  ) {
    this.rate = configured;
    this.lastChangeAt = clock.now();
  }

  /** The current rate, requests per second. */
  get currentRate(): number {
    return this.rate;
  }

  /** Waits for this worker's turn; returns early if `signal` aborts. */
  async acquire(signal?: AbortSignal): Promise<void> {
    const now = this.clock.now();
    const start = Math.max(now, this.nextAt, this.pausedUntil);
    this.nextAt = start + 1000 / this.rate;
    if (start > now) await this.clock.sleep(start - now, signal);
    // A throttle answered while we waited pauses us too.
    while (!signal?.aborted && this.pausedUntil > this.clock.now()) {
      await this.clock.sleep(this.pausedUntil - this.clock.now(), signal);
    }
  }

  succeeded(): void {
    const now = this.clock.now();
    this.recent.push(now);
    while (this.recent.length > 0 && this.recent[0]! < now - 1000) this.recent.shift();
    if (this.rate < this.configured && now - this.lastChangeAt >= RECOVERY_INTERVAL_MS) {
      this.rate = Math.min(this.configured, this.rate + Math.max(0.5, this.rate * RECOVERY_STEP));
      this.lastChangeAt = now;
    }
  }

  /** A 429 or 503: every worker waits `waitMs`; the first throttle of a burst also lowers the rate. */
  throttled(waitMs: number): void {
    const now = this.clock.now();
    this.pausedUntil = Math.max(this.pausedUntil, now + waitMs);
    this.nextAt = Math.max(this.nextAt, this.pausedUntil);
    // Answers to requests already in flight arrive together: lower the rate once per burst.
    if (now - this.lastThrottleAt < 1000) return;
    this.lastThrottleAt = now;
    const getting = this.recent.filter((t) => t >= now - 1000).length;
    const target = getting > 0 ? Math.min(getting * SETTLE_FACTOR, this.rate * SETTLE_FACTOR) : this.rate / 2;
    this.rate = Math.max(MIN_RATE, target);
    this.lastChangeAt = now;
  }
}
