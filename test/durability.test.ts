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
  // Each fsync that completed, with the file (by inode) and how many bytes it had when the fsync
  // began: those bytes, and only those, are known to be on disk once it returns.
  const synced = (fd: number) => {
    const { ino, size } = real.fstatSync(fd);
    return () => void completedSyncs.push({ ino, size });
  };
  const fsyncSync = (fd: number) => {
    const done = synced(fd);
    real.fsyncSync(fd);
    done();
  };
  const fdatasync = (fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => {
    const done = synced(fd);
    real.fdatasync(fd, (error) => {
      if (error === null) done();
      callback(error);
    });
  };
  return { ...real, openSync: vi.fn(real.openSync), fsyncSync: vi.fn(fsyncSync), fdatasync: vi.fn(fdatasync) };
});

const completedSyncs: { ino: number; size: number }[] = [];
afterEach(() => {
  vi.clearAllMocks();
  completedSyncs.length = 0;
});

/** Fsyncs of journal files, sync or not, since the mocks were last cleared. */
function journalSyncCount(): number {
  const journalFds = vi.mocked(fs.openSync).mock.calls.flatMap(([file], i) => (String(file).endsWith('.journal') ? [vi.mocked(fs.openSync).mock.results[i]!.value as number] : []));
  const calls = [...vi.mocked(fs.fsyncSync).mock.calls, ...vi.mocked(fs.fdatasync).mock.calls];
  return calls.filter(([fd]) => journalFds.includes(fd)).length;
}

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
    const journalSyncs = journalSyncCount();
    expect(journalSyncs).toBeGreaterThan(0);
    expect(journalSyncs).toBeLessThan(30);
  });

  it('each POST arrives only after an fsync that covered its pending line had completed, however the fsyncs are batched', async () => {
    const interviews: Record<string, string> = {};
    for (let i = 0; i < 200; i++) interviews[`team/role-${i}`] = `interview_name: Role ${i}\n`;
    const cwd = project(interviews, { apply: { requestsPerSecond: 1000, concurrency: 16, maxRetries: 0 } });
    const stateFile = path.join(cwd, '.micro1', 'state.json');
    const journalFile = `${stateFile}.journal`;
    const notDurable: string[] = [];
    let fromJournal = 0;
    const box = await sandbox({
      fault: (request) => {
        if (request.method !== 'POST') return undefined;
        const name = (request.body as { interview_name: string }).interview_name;
        // Where the pending line ends in the journal on disk now, and which file that journal is.
        if (fs.existsSync(journalFile)) {
          const bytes = fs.readFileSync(journalFile);
          const { ino } = fs.statSync(journalFile);
          let start = 0;
          for (let end = bytes.indexOf(10); end !== -1; start = end + 1, end = bytes.indexOf(10, start)) {
            const line = JSON.parse(bytes.subarray(start, end).toString('utf8')) as { op?: string; pending?: { interview_name: string } };
            if (line.op !== 'pending' || line.pending?.interview_name !== name) continue;
            if (completedSyncs.some((s) => s.ino === ino && s.size >= end + 1)) fromJournal++;
            else notDurable.push(name);
            return undefined;
          }
        }
        // Else a fold has put it in the state file, which is written whole and fsynced before its rename.
        const state = fs.existsSync(stateFile) ? (JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { pending: { interview_name: string }[] }) : { pending: [] };
        if (!state.pending.some((p) => p.interview_name === name)) notDurable.push(name);
        return undefined;
      },
    });
    vi.clearAllMocks();

    const { outcome } = await apply(cwd, box);

    expect(outcome.kind).toBe('applied');
    expect(box.requests.filter((r) => r.method === 'POST')).toHaveLength(200);
    expect(notDurable).toEqual([]);
    // Most were checked against the journal's fsyncs, not only against folds of the state.
    expect(fromJournal).toBeGreaterThan(100);
    // Batched: fewer fsyncs of the journal than creates.
    expect(journalSyncCount()).toBeLessThan(200);
  });
});
