import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../src/api/rate-limiter.js';
import { backoffMs, MAX_RETRY_AFTER_MS, parseRetryAfter } from '../src/api/retry-policy.js';
import { VirtualClock } from './virtual-clock.js';

describe('RateLimiter', () => {
  it('spaces requests at the configured rate', async () => {
    const clock = new VirtualClock();
    const limiter = new RateLimiter(5, clock);
    const starts: number[] = [];
    for (let i = 0; i < 6; i++) {
      await limiter.acquire();
      starts.push(clock.now());
    }
    const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
    expect(gaps).toEqual([200, 200, 200, 200, 200]);
  });

  it('pauses every worker for Retry-After and lowers the rate to under what was succeeding', async () => {
    const clock = new VirtualClock();
    const limiter = new RateLimiter(100, clock);
    for (let i = 0; i < 40; i++) {
      await limiter.acquire();
      limiter.succeeded();
    }
    const before = clock.now();
    limiter.throttled(60_000);
    expect(limiter.currentRate).toBeLessThan(100);
    expect(limiter.currentRate).toBeCloseTo(40 * 0.92, 5);
    await limiter.acquire();
    expect(clock.now() - before).toBeGreaterThanOrEqual(60_000);
  });

  it('lowers the rate once for a burst of throttles answered together', () => {
    const clock = new VirtualClock();
    const limiter = new RateLimiter(10, clock);
    limiter.throttled(1000);
    const once = limiter.currentRate;
    limiter.throttled(1000);
    limiter.throttled(1000);
    expect(limiter.currentRate).toBe(once);
    expect(once).toBe(5);
  });

  it('recovers slowly toward the configured rate, never beyond it', async () => {
    const clock = new VirtualClock();
    const limiter = new RateLimiter(10, clock);
    limiter.throttled(0);
    const low = limiter.currentRate;
    let steps = 0;
    while (limiter.currentRate < 10 && steps < 10_000) {
      await limiter.acquire();
      limiter.succeeded();
      steps++;
    }
    expect(low).toBe(5);
    expect(limiter.currentRate).toBe(10);
    // Recovery takes many intervals of 5 s, not one.
    expect(clock.now()).toBeGreaterThan(Date.UTC(2026, 0, 1) + 5 * 5_000);
  });
});

describe('retry policy', () => {
  it('reads Retry-After as seconds and as an HTTP date', () => {
    const now = Date.parse('Wed, 21 Oct 2026 07:28:00 GMT');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('0.5', now)).toBe(500);
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:28:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:27:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('86400', now)).toBe(MAX_RETRY_AFTER_MS);
  });

  it('backs off exponentially with jitter, capped', () => {
    const clock = new VirtualClock();
    const waits = [0, 1, 2, 3, 10].map((attempt) => backoffMs(attempt, clock));
    expect(waits[0]).toBeGreaterThanOrEqual(250);
    expect(waits[0]).toBeLessThanOrEqual(500);
    expect(waits[3]).toBeGreaterThanOrEqual(2000);
    expect(waits[3]).toBeLessThanOrEqual(4000);
    expect(waits[4]).toBeLessThanOrEqual(30_000);
    expect(waits[4]).toBeGreaterThanOrEqual(15_000);
  });
});
