import { BODY_DEFAULTS, BODY_FIELDS, bodyFrom, canonicalValue, type BodyField, type CanonicalBody } from './body-model.js';
import type { DefinitionInput } from './interview-schema.js';

export { BODY_DEFAULTS, BODY_FIELDS, type BodyField, type CanonicalBody } from './body-model.js';

/**
 * The exact request body micro1-sync sends for an interview: every field present, documented
 * defaults filled (see BODY in body-model.ts), keys in a fixed order. Because the body is complete,
 * deleting a field from a file resets it on micro1 instead of leaving it behind.
 */
export function canonicalBody(input: DefinitionInput): CanonicalBody {
  const given: Partial<CanonicalBody> = input;
  return bodyFrom(BODY_FIELDS, (field) => canonicalValue(field, given[field] ?? defaultOf(field)));
}

/** `interview_name` has no default: the schema requires it, so it is never asked for here. */
function defaultOf<F extends BodyField>(field: F): CanonicalBody[F] {
  return (BODY_DEFAULTS as Partial<CanonicalBody>)[field] as CanonicalBody[F];
}

/** Deep equality of two JSON values (bodies are plain JSON: no dates, no undefined in arrays). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => jsonEqual(v, bb[i]));
  }
  const ak = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const bk = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  return (
    ak.length === bk.length &&
    ak.every((k) => jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  );
}
