/** Checks on values read from JSON or YAML (a file, the state, a server's answer), shared by every stage. */

/** A plain object: not null, not an array. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
