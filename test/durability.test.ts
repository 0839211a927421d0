import * as fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StateStore } from '../src/state-store.js';
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
