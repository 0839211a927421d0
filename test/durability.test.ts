import * as fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StateStore } from '../src/state/state-store.js';
import { apply, project, sandbox } from './apply-harness.js';
import { body, fixture } from './helpers.js';

/**
 * What kill -9 cannot show (the page cache survives it): that the journal would survive a power
 * cut. Its bytes need an fsync of the file, and its name an fsync of the folder that holds it, both
 * before the request they protect is sent. The calls are watched, since no test can cut the power.
 */
vi.mock('node:fs', async (original) => {
  const real = await original<typeof import('node:fs')>();
  return { ...real, openSync: vi.fn(real.openSync), fsyncSync: vi.fn(real.fsyncSync) };
});

afterEach(() => vi.clearAllMocks());

describe('a pending create, recorded durably', () => {
  it('fsyncs the new journal and the folder that names it before record returns', () => {
    const stateFile = path.join(fixture({}), '.micro1', 'state.json');
    fs.mkdirSync(path.dirname(stateFile), { recursive: true });
    const { store } = StateStore.open(stateFile);
    vi.clearAllMocks();

    store.record({ op: 'pending', pending: { key: 'a', interview_name: 'A', spec: body({ interview_name: 'A' }), sourceHash: 'h', startedAt: 't' } }, true);

    const opened = vi.mocked(fs.openSync).mock.calls.map(([file], i) => ({ file: String(file), fd: vi.mocked(fs.openSync).mock.results[i]!.value as number }));
    const synced = vi.mocked(fs.fsyncSync).mock.calls.map(([fd]) => opened.find((o) => o.fd === fd)?.file);
    expect(synced).toContain(`${stateFile}.journal`);
    expect(synced).toContain(path.dirname(stateFile));
    store.flush();
  });
});

describe('creates sent by apply', () => {
  it('each is in the journal (or the folded state) on disk before its POST reaches micro1, and one fsync covers a batch', async () => {
    const interviews: Record<string, string> = {};
    for (let i = 0; i < 60; i++) interviews[`team/role-${i}`] = `interview_name: Role ${i}\n`;
    const cwd = project(interviews, { apply: { requestsPerSecond: 1000, concurrency: 16, maxRetries: 0 } });
    const stateFile = path.join(cwd, '.micro1', 'state.json');
    const missing: string[] = [];
    const box = await sandbox({
      fault: (request) => {
        if (request.method !== 'POST') return undefined;
        const name = (request.body as { interview_name: string }).interview_name;
        // Read from the file, as a process started after a kill -9 would: not the store's memory.
        const journal = fs.existsSync(`${stateFile}.journal`) ? fs.readFileSync(`${stateFile}.journal`, 'utf8') : '';
        const inJournal = journal.split('\n').some((line) => line.startsWith('{"op":"pending"') && (JSON.parse(line) as { pending: { interview_name: string } }).pending.interview_name === name);
        const state = fs.existsSync(stateFile) ? (JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { pending: { interview_name: string }[] }) : { pending: [] };
        if (!inJournal && !state.pending.some((p) => p.interview_name === name)) missing.push(name);
        return undefined;
      },
    });
    vi.clearAllMocks();

    const { outcome } = await apply(cwd, box);

    expect(outcome.kind).toBe('applied');
    expect(box.requests.filter((r) => r.method === 'POST')).toHaveLength(60);
    expect(missing).toEqual([]);
    // Group commit: creates started together share one fsync rather than blocking on one each.
    const journalFds = vi.mocked(fs.openSync).mock.calls.flatMap(([file], i) => (String(file).endsWith('.journal') ? [vi.mocked(fs.openSync).mock.results[i]!.value as number] : []));
    const journalSyncs = vi.mocked(fs.fsyncSync).mock.calls.filter(([fd]) => journalFds.includes(fd)).length;
    expect(journalSyncs).toBeGreaterThan(0);
    expect(journalSyncs).toBeLessThan(30);
  });
});
