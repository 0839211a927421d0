import type { Clock } from '../src/clock.js';

/**
 * A clock whose sleeps return at once and move time forward, recording each wait, so a test of
 * a 60-second Retry-After runs in microseconds and can assert exactly what was waited.
 */
export class VirtualClock implements Clock {
  readonly sleeps: number[] = [];
  private seed = 42;

  constructor(public time = Date.UTC(2026, 0, 1)) {}

  now(): number {
    return this.time;
  }

  async sleep(ms: number): Promise<void> {
    if (ms <= 0) return;
    this.sleeps.push(ms);
    this.time += ms;
  }

  /** Deterministic jitter (mulberry32). */
  random(): number {
    let t = (this.seed += 0x6d2b79f5);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}
