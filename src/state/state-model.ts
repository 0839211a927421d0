import type { BodyField, CanonicalBody } from '../definitions/canonical.js';
import type { ResourceBody } from '../kinds/kinds.js';

/**
 * The state as values: its types and the pure helpers every stage uses. No file is read or
 * written here (state.ts does that), so the planner and drift can import it and stay pure.
 */

/** The last-applied record of one interview. */
export interface StateEntry {
  id: string;
  /** The canonical body last confirmed by micro1. */
  spec: CanonicalBody;
  sourceHash: string;
  /** Project-relative file → sha256 of its bytes, for the definition file and each fragment. */
  sources?: Record<string, string>;
  appliedAt: string;
  /**
   * Body fields micro1 has never shown us for this interview (GET /interviews omits some, see
   * LIST_HIDDEN_FIELDS): `spec` holds our default for them, not micro1's value. Absent once we have
   * sent the whole body, so a state that never imported anything is unchanged byte for byte.
   */
  unseen?: BodyField[];
  /**
   * The invite link micro1 gave for this interview (create answer, GET /interviews), as micro1 sent
   * it: untrusted text, neutralised wherever it is printed. Absent when micro1 never showed one.
   */
  invite_url?: string;
}

/** A create that was sent (or about to be) but whose outcome is not yet known. */
export interface PendingCreate {
  key: string;
  interview_name: string;
  spec: CanonicalBody;
  sourceHash: string;
  startedAt: string;
}

/** The last-applied record of one resource of another kind (kinds/): a webhook. */
export interface ResourceEntry {
  kind: string;
  id: string;
  /** The body last confirmed by micro1, in the kind's field order. */
  spec: ResourceBody;
  sourceHash: string;
  sources?: Record<string, string>;
  appliedAt: string;
}

/** A create of another kind that was sent (or about to be) but whose outcome is not yet known. */
export interface ResourcePending {
  kind: string;
  key: string;
  spec: ResourceBody;
  sourceHash: string;
  startedAt: string;
}

export interface State {
  /**
   * The version the file was read as. Version 2 adds the other kinds and writes each entry's kind;
   * a state holding only interviews is still written as version 1 (see serializeState).
   */
  version: 1 | 2;
  /** Fixed when the state is first written; '' until then. */
  lineage: string;
  serial: number;
  interviews: Record<string, StateEntry>;
  pending: PendingCreate[];
  /** Entries of the other kinds, by kind name then key; absent when there are none. */
  resources?: Record<string, Record<string, ResourceEntry>>;
  /** Unconfirmed creates of the other kinds; absent when there are none. */
  resourcePending?: ResourcePending[];
  /**
   * The API the state was last applied to (`targetHostOf(api.baseUrl)`): its ids belong there.
   * Optional, so a state written before it was recorded reads as it is; the next apply records it.
   */
  targetHost?: string;
}

/**
 * The API a base URL points at, one spelling per API: scheme, host (lowercased, default port
 * dropped) and path without a trailing slash. Two URLs with the same target send to the same API.
 */
export function targetHostOf(baseUrl: string): string {
  const url = new URL(baseUrl);
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

/** The newest state version this micro1-sync reads and writes. */
export const STATE_VERSION = 2;
/** What a state without other kinds is written as, so older versions of micro1-sync still read it. */
export const INTERVIEWS_ONLY_VERSION = 1;

export function emptyState(): State {
  return { version: INTERVIEWS_ONLY_VERSION, lineage: '', serial: 0, interviews: interviewRecord(), pending: [] };
}

/**
 * A record keyed by interview keys, which are user text: without a prototype, no key (`constructor`,
 * `toString`, `__proto__`) reads or writes anything but its own entry. `from` is copied, not kept.
 */
export function interviewRecord(from?: Readonly<Record<string, StateEntry>>): Record<string, StateEntry> {
  const record = Object.create(null) as Record<string, StateEntry>;
  return from === undefined ? record : Object.assign(record, from);
}

/** The entry recorded under `key`, never a member inherited from Object.prototype. */
export function entryOf(state: Pick<State, 'interviews'>, key: string): StateEntry | undefined {
  return Object.hasOwn(state.interviews, key) ? state.interviews[key] : undefined;
}

/** Two keys that record the same micro1 id, if any: one interview is managed by one key only. */
export function sharedId(interviews: Readonly<Record<string, { id: string }>>): { id: string; keys: [string, string] } | undefined {
  const keyOf = new Map<string, string>();
  for (const key of Object.keys(interviews)) {
    const { id } = interviews[key]!;
    const other = keyOf.get(id);
    if (other !== undefined) return { id, keys: [other, key] };
    keyOf.set(id, key);
  }
  return undefined;
}

/** The entries of one kind, keyed by key (a record without a prototype); empty when there are none. */
export function resourceEntries(state: Pick<State, 'resources'>, kind: string): Readonly<Record<string, ResourceEntry>> {
  return state.resources !== undefined && Object.hasOwn(state.resources, kind) ? state.resources[kind]! : EMPTY;
}

/** Whether the state holds anything of another kind: it is then written as version 2. */
export function hasResources(state: Pick<State, 'resources' | 'resourcePending'>): boolean {
  return Object.values(state.resources ?? {}).some((r) => Object.keys(r).length > 0) || (state.resourcePending?.length ?? 0) > 0;
}

const EMPTY: Readonly<Record<string, ResourceEntry>> = Object.freeze(Object.create(null) as Record<string, ResourceEntry>);

/** A record of resource entries without a prototype, as interviewRecord is for interviews. */
export function resourceRecord(from?: Readonly<Record<string, ResourceEntry>>): Record<string, ResourceEntry> {
  const record = Object.create(null) as Record<string, ResourceEntry>;
  return from === undefined ? record : Object.assign(record, from);
}
