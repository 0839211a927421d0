import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { bodyShape, type ValueShape } from '../definitions/body-model.js';
import { BODY_FIELDS, type BodyField, type CanonicalBody } from '../definitions/canonical.js';
import { Micro1Error } from '../errors.js';
import { readRegularFile, writeFileAtomic, type WriteFs } from './file-io.js';
import { ID_PATTERN } from '../definitions/interview-schema.js';

export {
  emptyState, entryOf, hasResources, interviewRecord, resourceEntries, resourceRecord, sharedId, STATE_VERSION, targetHostOf,
  type PendingCreate, type ResourceEntry, type ResourcePending, type State, type StateEntry,
} from './state-model.js';
import { emptyState, hasResources, interviewRecord, sharedId, STATE_VERSION, type PendingCreate, type State, type StateEntry } from './state-model.js';
import { shapeChecker } from './shape-check.js';
import { splitVersion2, version2Value, type Version2Parts } from './state-v2.js';
import { isRecord } from '../values.js';

/**
 * 10,000 interviews with long descriptions are about 30 MB; a state past this is not one we
 * wrote, and reading it whole (it is parsed as one JSON text) would take that much memory.
 */
export const MAX_STATE_BYTES = 256 * 1024 * 1024;

/** An invite link is a short URL (the document's example is 60 characters); a longer one is not kept. */
export const MAX_INVITE_URL = 2048;

/**
 * A body as the state holds it: every declared field with the type the declaration gives it (enums
 * included, limits not: micro1 may hold a 5-minute question we imported as it was). Built from the
 * same shape as `isBody`, so the fast check and zod accept the same bodies. Keys the declaration
 * does not name are kept, as before (`state show` lists them).
 */
const BODY_SHAPE: ValueShape = { kind: 'object', fields: bodyShape() };

/**
 * The state's zod schema, built the first time a state fails the fast check (`isWellFormed`):
 * only then is it needed, to say why. Building it at import cost every `plan` a few milliseconds.
 */
let builtStateSchema: ReturnType<typeof buildStateSchema> | undefined;
function stateSchema(): ReturnType<typeof buildStateSchema> {
  return (builtStateSchema ??= buildStateSchema());
}

/** The fast check and zod's verdict on a parsed state, for the test that they agree. */
export const stateChecks = { fast: (raw: unknown) => isWellFormed(raw), zod: (raw: unknown) => stateSchema().safeParse(raw).success };

/** Whether `stateSchema` has been built in this process (the start-up test asks). */
export function stateSchemaIsBuilt(): boolean {
  return builtStateSchema !== undefined;
}

function buildStateSchema() {
  const bodySchema = zodOf(BODY_SHAPE) as z.ZodType<CanonicalBody>;
  return z.strictObject({
    version: z.literal(1),
    lineage: z.string(),
    serial: z.number().int().nonnegative(),
    interviews: z.record(
      z.string(),
      z.strictObject({
        // Checked like a file's `id`: a hand-edited id must not reach a request path.
        id: z.string().min(1).regex(ID_PATTERN, { error: 'not a valid micro1 interview id' }),
        spec: bodySchema,
        sourceHash: z.string(),
        sources: z.record(z.string(), z.string()).optional(),
        appliedAt: z.string(),
        unseen: z
          .array(z.enum(BODY_FIELDS as [BodyField, ...BodyField[]], { error: 'not an interview body field' }), { error: 'must be a list of interview body fields' })
          .optional(),
        invite_url: z.string({ error: 'must be a string' }).max(MAX_INVITE_URL, { error: 'is longer than any invite link' }).optional(),
      }),
    ),
    pending: z
      .array(
        z.strictObject({
          key: z.string(),
          interview_name: z.string(),
          spec: bodySchema,
          sourceHash: z.string(),
          startedAt: z.string(),
        }),
      )
      .default([]),
    targetHost: z.string().optional(),
  });
}

/** Reads the state file. A missing file is an empty state; anything unreadable is an error, never replaced. */
export function readState(file: string, displayName = file, root = projectRootOf(file)): State {
  // Only a regular file, or a link to one inside the project: a committed link to /dev/zero must not be read forever.
  const bytes = readRegularFile(file, { maxBytes: MAX_STATE_BYTES, root, display: displayName, what: 'state file', code: 'STATE_UNREADABLE' });
  if (bytes === undefined) return emptyState();
  const text = bytes.toString('utf8');
  const restore = `restore it from git (git checkout -- ${displayName}) or from the CI artefact; micro1-sync never overwrites a state file it cannot read`;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Micro1Error('STATE_INVALID', `The state file ${displayName} is not valid JSON (truncated or hand-edited?): ${(error as Error).message}`, { hint: restore, cause: error });
  }
  if (typeof raw === 'object' && raw !== null && typeof (raw as { version?: unknown }).version === 'number' && (raw as { version: number }).version > STATE_VERSION) {
    throw new Micro1Error('STATE_TOO_NEW', `The state file ${displayName} has version ${(raw as { version: number }).version}, newer than this micro1-sync understands (${STATE_VERSION})`, {
      hint: 'upgrade micro1-sync to the version that wrote it',
    });
  }
  // Version 2 is version 1 plus the other kinds: those are split off and checked, the rest is read as version 1.
  let v2: Version2Parts | undefined;
  if (isRecord(raw) && raw.version === 2) {
    const split = splitVersion2(raw);
    if ('invalid' in split) throw new Micro1Error('STATE_INVALID', `The state file ${displayName} is not a micro1-sync state: ${split.invalid}`, { hint: restore });
    v2 = split;
    raw = split.v1;
  }
  // The common case, a state micro1-sync wrote, is checked in one cheap pass; zod runs only to
  // explain a state that fails it (10,000 entries through zod cost more than the rest of a plan).
  let state: State;
  if (isWellFormed(raw)) {
    // JSON.parse keeps a `"__proto__"` key as an own property; only a record without a prototype
    // keeps it one on every later read and copy. Re-pointed, not copied: 10,000 entries stay cheap.
    state = { ...raw, interviews: Object.setPrototypeOf(raw.interviews, null) as Record<string, StateEntry>, pending: raw.pending ?? [] } as State;
  } else {
    const parsed = stateSchema().safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const where = issue.path.map(String).join('.') || '(top level)';
      throw new Micro1Error('STATE_INVALID', `The state file ${displayName} is not a micro1-sync state: ${where}: ${issue.message}`, { hint: restore });
    }
    state = { ...(parsed.data as State), interviews: interviewRecord((parsed.data as State).interviews) };
  }
  // Hand-edited (a pull request pointing a key at another key's interview) or left by an older
  // version: either way a delete or update planned for one key would hit the other's interview.
  if (v2 !== undefined) {
    state.version = 2;
    if (Object.keys(v2.resources).length > 0) state.resources = v2.resources;
    if (v2.resourcePending.length > 0) state.resourcePending = v2.resourcePending;
  }
  for (const [kind, entries] of Object.entries(state.resources ?? {})) {
    const twice = sharedId(entries);
    if (twice === undefined) continue;
    throw new Micro1Error('STATE_SHARED_ID', `The state file ${displayName} records ${kind} id ${twice.id} under two keys, ${twice.keys[0]} and ${twice.keys[1]}: a change planned for one would reach the ${kind} the other manages`, {
      hint: `one micro1 ${kind} is managed by one key: remove the entry that does not belong from ${displayName} (check git log -p -- ${displayName}), or restore it from git`,
    });
  }
  const shared = sharedId(state.interviews);
  if (shared !== undefined) {
    const [first, second] = shared.keys;
    throw new Micro1Error('STATE_SHARED_ID', `The state file ${displayName} records id ${shared.id} under two keys, ${first} and ${second}: a change planned for one would reach the interview the other manages`, {
      hint: `one micro1 interview is managed by one key: remove the entry that does not belong from ${displayName} (check git log -p -- ${displayName}), or restore it from git`,
    });
  }
  return state;
}

const TOP_KEYS = new Set(['version', 'lineage', 'serial', 'interviews', 'pending', 'targetHost']);
const ENTRY_KEYS = new Set(['id', 'spec', 'sourceHash', 'sources', 'appliedAt', 'unseen', 'invite_url']);
const BODY_FIELD_SET: ReadonlySet<unknown> = new Set(BODY_FIELDS);
const PENDING_KEYS = new Set(['key', 'interview_name', 'spec', 'sourceHash', 'startedAt']);

/** Exactly what stateSchema accepts, no more: when this says no, stateSchema says why. */
function isWellFormed(raw: unknown): raw is Omit<State, 'pending'> & { pending?: PendingCreate[] } {
  if (!isRecord(raw) || !onlyKeys(raw, TOP_KEYS)) return false;
  if (raw.version !== 1 || typeof raw.lineage !== 'string') return false;
  if (typeof raw.serial !== 'number' || !Number.isInteger(raw.serial) || raw.serial < 0) return false;
  if (!isRecord(raw.interviews)) return false;
  if (raw.targetHost !== undefined && typeof raw.targetHost !== 'string') return false;
  for (const entry of Object.values(raw.interviews)) {
    if (!isRecord(entry) || !onlyKeys(entry, ENTRY_KEYS)) return false;
    if (typeof entry.id !== 'string' || !ID_PATTERN.test(entry.id) || !isBody(entry.spec)) return false;
    if (typeof entry.sourceHash !== 'string' || typeof entry.appliedAt !== 'string') return false;
    if (entry.sources !== undefined && !(isRecord(entry.sources) && valuesAreStrings(entry.sources))) return false;
    if (entry.unseen !== undefined && !(Array.isArray(entry.unseen) && entry.unseen.every((f) => BODY_FIELD_SET.has(f)))) return false;
    if (entry.invite_url !== undefined && !(typeof entry.invite_url === 'string' && entry.invite_url.length <= MAX_INVITE_URL)) return false;
  }
  if (raw.pending === undefined) return true;
  if (!Array.isArray(raw.pending)) return false;
  return raw.pending.every(
    (p) =>
      isRecord(p) && onlyKeys(p, PENDING_KEYS) && typeof p.key === 'string' && typeof p.interview_name === 'string' &&
      isBody(p.spec) && typeof p.sourceHash === 'string' && typeof p.startedAt === 'string',
  );
}

/** The fast twin of `zodOf(BODY_SHAPE)`. */
const isBody = shapeChecker(BODY_SHAPE);

function zodOf(shape: ValueShape): z.ZodType {
  switch (shape.kind) {
    case 'string':
      return z.string();
    case 'boolean':
      return z.boolean();
    case 'number':
      return z.number();
    case 'enum':
      return z.enum(shape.values as [string, ...string[]]);
    case 'list':
      return z.array(zodOf(shape.item));
    case 'object':
      return z.looseObject(Object.fromEntries(Object.entries(shape.fields).map(([k, f]) => [k, f.optional ? zodOf(f.shape).optional() : zodOf(f.shape)])));
  }
}

function valuesAreStrings(record: Record<string, unknown>): boolean {
  for (const key in record) if (typeof record[key] !== 'string') return false;
  return true;
}

function onlyKeys(value: Record<string, unknown>, allowed: ReadonlySet<string>): boolean {
  for (const key in value) if (!allowed.has(key)) return false;
  return true;
}

/**
 * Sorted keys, 2-space indent, trailing newline: a state file diffs cleanly in a pull request.
 * With `cache`, each interview's text is kept by the identity of its (never mutated) entry, so a
 * store that rewrites a large state now and then sorts and prints only the entries that changed.
 */
export function serializeState(state: State, cache?: EntryTextCache): string {
  // Other kinds need version 2; a version-2 file stays one (never written back as an older version).
  if (state.version === 2 || hasResources(state)) return `${JSON.stringify(sortKeys(version2Value(state)), null, 2)}\n`;
  if (cache === undefined) return `${JSON.stringify(sortKeys(state), null, 2)}\n`;
  // `interviews` sorts first of the top-level keys, so the rest is printed around an empty record.
  const rest = `${JSON.stringify(sortKeys({ ...state, interviews: {} }), null, 2)}\n`;
  const lead = '{\n  "interviews": {}';
  if (!rest.startsWith(lead)) return `${JSON.stringify(sortKeys(state), null, 2)}\n`;
  const keys = Object.keys(state.interviews).sort();
  if (keys.length === 0) return rest;
  const parts: string[] = [];
  for (const key of keys) {
    const entry = state.interviews[key]!;
    let text = cache.get(entry);
    if (text === undefined) {
      // Nested two levels deep; a string holds no raw newline (JSON escapes it), so re-indenting is exact.
      text = JSON.stringify(sortKeys(entry), null, 2).replace(/\n/g, '\n    ');
      cache.set(entry, text);
    }
    parts.push(`    ${JSON.stringify(key)}: ${text}`);
  }
  return `{\n  "interviews": {\n${parts.join(',\n')}\n  }${rest.slice(lead.length)}`;
}

/** Each entry's serialized text, by identity; entries are replaced when they change, never edited. */
export type EntryTextCache = WeakMap<StateEntry, string>;

/**
 * Writes the next serial of `state` atomically: temp file in the same folder, fsync, rename, fsync
 * of the folder. A reader sees the old file or the new one, never half of one. Returns what was written.
 */
export function writeState(file: string, state: State, fs?: WriteFs, display = file, cache?: EntryTextCache): State {
  const next: State = { ...state, lineage: state.lineage || randomUUID(), serial: state.serial + 1, ...(hasResources(state) ? { version: 2 as const } : {}) };
  writeFileAtomic(file, serializeState(next, cache), { display, ...(fs ? { fs } : {}) });
  return next;
}

/** The project a state file belongs to when the caller does not say: the folder above `.micro1/`. */
export function projectRootOf(stateFile: string): string {
  return path.dirname(path.dirname(path.resolve(stateFile)));
}

export { fsyncFolder, writeFileAtomic } from './file-io.js';

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
  );
}
