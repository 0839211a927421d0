import { ID_PATTERN } from '../definitions/interview-schema.js';
import { KINDS, kindNamed } from '../kinds/kinds.js';
import { resourceRecord, type ResourceEntry, type ResourcePending, type State } from './state-model.js';
import { isRecord } from '../values.js';

/**
 * State version 2: version 1 plus the other resource kinds (kinds/), with every entry's kind
 * written in it. On disk:
 *
 *   interviews: { KEY: { kind: "interview", …version-1 entry } }
 *   webhooks:   { KEY: { kind: "webhook", id, spec, sourceHash, sources?, appliedAt } }
 *   pending:    [ { kind: "interview", …version-1 pending } | { kind: "webhook", key, spec, sourceHash, startedAt } ]
 *
 * Read by turning it back into a version-1 shape (checked by the version-1 reader, so a field
 * added there is accepted here too) plus the other kinds' records, checked here. Pure.
 */

const RESOURCE_ENTRY_KEYS = new Set(['kind', 'id', 'spec', 'sourceHash', 'sources', 'appliedAt']);
const RESOURCE_PENDING_KEYS = new Set(['kind', 'key', 'spec', 'sourceHash', 'startedAt']);

export interface Version2Parts {
  /** The interviews and everything else, as a version-1 state would hold them. */
  v1: Record<string, unknown>;
  resources: Record<string, Record<string, ResourceEntry>>;
  resourcePending: ResourcePending[];
}

/** Splits a parsed version-2 file; the message names where it is not one, as `where: what`. */
export function splitVersion2(raw: Record<string, unknown>): Version2Parts | { invalid: string } {
  const v1: Record<string, unknown> = { ...raw, version: 1 };
  const resources: Record<string, Record<string, ResourceEntry>> = {};
  for (const kind of KINDS) {
    delete v1[kind.stateKey];
    const record = raw[kind.stateKey];
    if (record === undefined) continue;
    if (!isRecord(record)) return { invalid: `${kind.stateKey}: must be a record of ${kind.labels.many}` };
    const entries = resourceRecord();
    for (const key of Object.keys(record)) {
      const problem = resourceEntryProblem(record[key], kind.name, RESOURCE_ENTRY_KEYS);
      if (problem !== undefined) return { invalid: `${kind.stateKey}.${key}${problem}` };
      entries[key] = record[key] as ResourceEntry;
    }
    if (Object.keys(entries).length > 0) resources[kind.name] = entries;
  }
  if (isRecord(raw.interviews)) {
    const interviews = Object.create(null) as Record<string, unknown>;
    for (const key of Object.keys(raw.interviews)) {
      const entry = raw.interviews[key];
      if (!isRecord(entry) || entry.kind !== 'interview') return { invalid: `interviews.${key}.kind: must be "interview" in a version-2 state` };
      const { kind: _kind, ...rest } = entry;
      interviews[key] = rest;
    }
    v1.interviews = interviews;
  }
  const resourcePending: ResourcePending[] = [];
  if (Array.isArray(raw.pending)) {
    const pending: unknown[] = [];
    for (const [i, item] of raw.pending.entries()) {
      if (isRecord(item) && item.kind === 'interview') {
        const { kind: _kind, ...rest } = item;
        pending.push(rest);
        continue;
      }
      const kind = isRecord(item) && typeof item.kind === 'string' ? kindNamed(item.kind) : undefined;
      const problem = kind === undefined ? '.kind: must be "interview" or another known kind' : resourceEntryProblem(item, kind.name, RESOURCE_PENDING_KEYS);
      if (problem !== undefined) return { invalid: `pending.${i}${problem}` };
      resourcePending.push(item as unknown as ResourcePending);
    }
    v1.pending = pending;
  }
  return { v1, resources, resourcePending };
}

/** The version-2 text's value: every entry and pending create with its kind. */
export function version2Value(state: State): Record<string, unknown> {
  const { resources = {}, resourcePending = [], ...rest } = state;
  const interviews: Record<string, unknown> = {};
  for (const key of Object.keys(state.interviews)) interviews[key] = { ...state.interviews[key], kind: 'interview' };
  const value: Record<string, unknown> = {
    ...rest,
    version: 2,
    interviews,
    pending: [...state.pending.map((p) => ({ ...p, kind: 'interview' })), ...resourcePending],
  };
  for (const kind of KINDS) value[kind.stateKey] = { ...(resources[kind.name] ?? {}) };
  return value;
}

/** Why `value` is not a well-formed entry (or pending create) of `kind`, as `.field: what`; undefined when it is. */
function resourceEntryProblem(value: unknown, kind: string, keys: ReadonlySet<string>): string | undefined {
  if (!isRecord(value)) return ': must be an object';
  const extra = Object.keys(value).find((k) => !keys.has(k));
  if (extra !== undefined) return `.${extra}: not a field of a ${kind} entry`;
  if (value.kind !== kind) return `.kind: must be "${kind}"`;
  if (keys.has('id') && (typeof value.id !== 'string' || !ID_PATTERN.test(value.id))) return `.id: not a valid micro1 ${kind} id`;
  if (keys.has('key') && typeof value.key !== 'string') return '.key: must be text';
  const fields = kindNamed(kind)!.fields;
  if (!isRecord(value.spec) || !fields.every((f) => typeof (value.spec as Record<string, unknown>)[f] === 'string')) return `.spec: must hold ${fields.join(', ')} as text`;
  if (Object.keys(value.spec).some((f) => !fields.includes(f))) return `.spec: holds a field a ${kind} does not have`;
  if (typeof value.sourceHash !== 'string') return '.sourceHash: must be text';
  if (keys.has('appliedAt') && typeof value.appliedAt !== 'string') return '.appliedAt: must be text';
  if (keys.has('startedAt') && typeof value.startedAt !== 'string') return '.startedAt: must be text';
  if (value.sources !== undefined && !(isRecord(value.sources) && Object.values(value.sources).every((h) => typeof h === 'string'))) return '.sources: must map files to hashes';
  return undefined;
}
