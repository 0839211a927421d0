import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Micro1Error } from '../src/errors.js';
import { readState, serializeState, type ResourceEntry, type State } from '../src/state/state.js';
import { journalFileOf, loadState, StateStore } from '../src/state/state-store.js';
import { appliedEntry, definition, fixture, stateOf } from './helpers.js';

/** State version 2: the other kinds beside interviews, each entry with its kind; version 1 migrated on first write. */

const HOOK: ResourceEntry = {
  kind: 'webhook',
  id: 'wh-1',
  spec: { url: 'https://ats.example.com/micro1', event: 'interview_report.created', description: 'Reports' },
  sourceHash: 'sha256:h',
  sources: { 'webhooks/ats.yaml': 'x' },
  appliedAt: '2024-05-01T12:00:00.000Z',
};

function v1(): State {
  const a = definition('eng/a', { interview_name: 'A' });
  return stateOf({ 'eng/a': appliedEntry(a, 'id-a') });
}

function stateFile(content: string): string {
  return path.join(fixture({ '.micro1/state.json': content }), '.micro1', 'state.json');
}

function thrown(fn: () => unknown): Micro1Error {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(Micro1Error);
    return error as Micro1Error;
  }
  throw new Error('expected a Micro1Error');
}

describe('state version 2', () => {
  it('is written only once a webhook is recorded, with every entry and pending create naming its kind', () => {
    const state: State = { ...v1(), resources: { webhook: { ats: HOOK } }, resourcePending: [{ kind: 'webhook', key: 'b', spec: HOOK.spec, sourceHash: 's', startedAt: 't' }] };
    const text = serializeState(state);
    const raw = JSON.parse(text) as Record<string, unknown>;
    expect(raw.version).toBe(2);
    expect(raw.interviews).toEqual({ 'eng/a': { ...v1().interviews['eng/a'], kind: 'interview' } });
    expect(raw.webhooks).toEqual({ ats: HOOK });
    expect(raw.pending).toEqual([{ kind: 'webhook', key: 'b', spec: HOOK.spec, sourceHash: 's', startedAt: 't' }]);
    expect(readState(stateFile(text))).toEqual({ ...state, version: 2 });
    // Without other kinds the file is version 1, byte for byte as before.
    expect(JSON.parse(serializeState(v1())).version).toBe(1);
  });

  it('migrates a version-1 file atomically on the first write that records a webhook', () => {
    const file = stateFile(serializeState(v1()));
    const { store } = StateStore.open(file);
    store.record({ op: 'resource-pending', pending: { kind: 'webhook', key: 'ats', spec: HOOK.spec, sourceHash: 's', startedAt: 't' } });
    store.record({ op: 'resource-applied', kind: 'webhook', key: 'ats', entry: HOOK });
    // Not yet folded: the file on disk is still the version-1 one, whole.
    expect(JSON.parse(readFileSync(file, 'utf8')).version).toBe(1);
    store.flush();
    const migrated = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(migrated.version).toBe(2);
    expect(migrated.serial).toBe(8);
    expect(readState(file)).toEqual({ ...v1(), version: 2, serial: 8, resources: { webhook: { ats: HOOK } } });
    expect(readdirSync(path.dirname(file)).sort()).toEqual(['state.json']);
  });

  it('replays a killed run\'s journal of webhook changes', () => {
    const file = stateFile(serializeState(v1()));
    const { store } = StateStore.open(file);
    store.record({ op: 'resource-applied', kind: 'webhook', key: 'ats', entry: HOOK });
    store.record({ op: 'resource-applied', kind: 'webhook', key: 'old', entry: { ...HOOK, id: 'wh-2' } });
    store.record({ op: 'resource-deleted', kind: 'webhook', key: 'old' });
    // kill -9 here: no flush.
    expect(existsSync(journalFileOf(file))).toBe(true);
    expect(loadState(file).state.resources).toEqual({ webhook: { ats: HOOK } });
  });

  it('stays version 2 once written as version 2, even with no webhook left', () => {
    const file = stateFile(serializeState({ ...v1(), resources: { webhook: { ats: HOOK } } }));
    const { store } = StateStore.open(file);
    store.record({ op: 'resource-deleted', kind: 'webhook', key: 'ats' });
    store.flush();
    const raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect([raw.version, raw.webhooks]).toEqual([2, {}]);
    expect(readState(file).resources).toBeUndefined();
  });

  it('refuses a malformed webhook entry by its key and field, and leaves the file alone', () => {
    const bad = JSON.parse(serializeState({ ...v1(), resources: { webhook: { ats: HOOK } } })) as { webhooks: Record<string, Record<string, unknown>> };
    bad.webhooks.ats!.id = '../../interview/x';
    const content = JSON.stringify(bad);
    const file = stateFile(content);
    const error = thrown(() => readState(file, '.micro1/state.json'));
    expect([error.code, error.message]).toEqual(['STATE_INVALID', 'The state file .micro1/state.json is not a micro1-sync state: webhooks.ats.id: not a valid micro1 webhook id']);
    expect(readFileSync(file, 'utf8')).toBe(content);
    delete bad.webhooks.ats!.id;
    bad.webhooks.ats!.id = 'ok';
    (bad.webhooks.ats!.spec as Record<string, unknown>).url = 3;
    expect(thrown(() => readState(stateFile(JSON.stringify(bad)), 's')).message).toBe('The state file s is not a micro1-sync state: webhooks.ats.spec: must hold url, event, description as text');
  });

  it('refuses an interview entry without its kind, and a pending create of an unknown kind', () => {
    const raw = JSON.parse(serializeState({ ...v1(), resources: { webhook: { ats: HOOK } } })) as { interviews: Record<string, Record<string, unknown>>; pending: unknown[] };
    delete raw.interviews['eng/a']!.kind;
    expect(thrown(() => readState(stateFile(JSON.stringify(raw)), 's')).message).toBe('The state file s is not a micro1-sync state: interviews.eng/a.kind: must be "interview" in a version-2 state');
    raw.interviews['eng/a']!.kind = 'interview';
    raw.pending = [{ kind: 'dns-record', key: 'x' }];
    expect(thrown(() => readState(stateFile(JSON.stringify(raw)), 's')).message).toBe('The state file s is not a micro1-sync state: pending.0.kind: must be "interview" or another known kind');
  });

  it('refuses two webhook keys recording one id', () => {
    const content = serializeState({ ...v1(), resources: { webhook: { a: HOOK, b: { ...HOOK } } } });
    const error = thrown(() => readState(stateFile(content), 's'));
    expect(error.code).toBe('STATE_SHARED_ID');
    expect(error.message).toBe('The state file s records webhook id wh-1 under two keys, a and b: a change planned for one would reach the webhook the other manages');
  });

  it('refuses a version newer than 2 and says to upgrade', () => {
    const error = thrown(() => readState(stateFile('{"version":3,"lineage":"l","serial":1,"interviews":{}}'), 's'));
    expect([error.code, error.message, error.hint]).toEqual(['STATE_TOO_NEW', 'The state file s has version 3, newer than this micro1-sync understands (2)', 'upgrade micro1-sync to the version that wrote it']);
  });
});
