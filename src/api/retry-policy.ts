import type { Clock } from '../clock.js';

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
 * A Retry-After beyond this is not a wait but a mistake (or a way to park us forever): it is read as
 * absent, so the normal backoff applies. One week, well past anything a rate limit asks for.
 */
const ABSURD_RETRY_AFTER_MS = 7 * 24 * 3_600_000;
/** delay-seconds is `1*DIGIT` (RFC 9110 §10.2.3); a fraction is tolerated, a sign or a unit is not. */
const DELAY_SECONDS = /^\d{1,12}(\.\d+)?$/;
/** HTTP-date (RFC 9110 §5.6.7): IMF-fixdate, or the obsolete RFC 850 and asctime forms, which all start with a day name. */
const HTTP_DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? /;

/**
 * Reads Retry-After in both forms RFC 9110 allows: delay-seconds ("120") or an HTTP-date
 * ("Wed, 21 Oct 2026 07:28:00 GMT"). Undefined when absent or unreadable (negative, "1 2", a list,
 * a unit, absurdly far away), so the caller backs off: JavaScript's Date.parse would read "-5" or
 * "1 2" as a date in 2001, i.e. "now", and an immediate retry is the worst answer to a 429.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  let wait: number;
  if (DELAY_SECONDS.test(text)) wait = Math.round(Number(text) * 1000);
  else if (HTTP_DATE.test(text) && !Number.isNaN(Date.parse(text))) wait = Math.max(0, Date.parse(text) - now);
  else return undefined;
  return wait > ABSURD_RETRY_AFTER_MS ? undefined : Math.min(MAX_RETRY_AFTER_MS, wait);
}
