import type { Clock } from './clock.js';

/** First retry waits about this long; each further one doubles it. */
const BASE_DELAY_MS = 500;
/** No single backoff waits longer than this. */
const MAX_DELAY_MS = 30_000;
/** A Retry-After beyond this is treated as this (a server asking for an hour is asking us to stop). */
export const MAX_RETRY_AFTER_MS = 5 * 60_000;

/** Exponential backoff with "equal jitter": half fixed, half random, so workers do not retry in step. */
export function backoffMs(attempt: number, clock: Clock): number {
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt);
  return Math.round(ceiling / 2 + (clock.random() * ceiling) / 2);
}

/**
 * Reads Retry-After in both forms RFC 9110 allows: delay-seconds ("120") or an HTTP-date
 * ("Wed, 21 Oct 2026 07:28:00 GMT"). Undefined when absent or unreadable, so the caller backs off.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.min(MAX_RETRY_AFTER_MS, Math.round(Number(text) * 1000));
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, date - now));
}
