import type { Clock } from '../src/clock.js';

/**
 * A clock whose sleeps return at once and move time forward, recording each wait, so a test of
 * a 60-second Retry-After runs in microseconds and can assert exactly what was waited.
 */
export class VirtualClock implements Clock {
  readonly sleeps: number[] = [];
  private readonly next = random(42);

  constructor(public time = Date.UTC(2026, 0, 1)) {}

  now(): number {
    return this.time;
  }

  async sleep(ms: number): Promise<void> {
    if (ms <= 0) return;
    this.sleeps.push(ms);
    this.time += ms;
  }

  /** Deterministic jitter. */
  random(): number {
    return this.next();
  }
}

/** Deterministic pseudo-random numbers (mulberry32), so a failing run can be replayed from its seed. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    let t = (state += 0x6d2b79f5);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
