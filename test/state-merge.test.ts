import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { mergeStates } from '../src/state/state-merge.js';
import { emptyState, interviewRecord, serializeState, type State } from '../src/state/state.js';
import { body, fixture, runCli } from './helpers.js';

/** `micro1 state merge BASE OURS THEIRS`: git's merge driver for the state, three-way by key. */

const entry = (id: string, name: string) => ({ id, spec: body({ interview_name: name }), sourceHash: `h-${name}`, appliedAt: '2026-01-01T00:00:00.000Z' });
function state(serial: number, entries: Record<string, ReturnType<typeof entry>>, extra: Partial<State> = {}): State {
  return { ...emptyState(), lineage: 'L', serial, interviews: interviewRecord(entries), ...extra };
}
const run = promisify(execFile);

describe('mergeStates', () => {
  const base = state(3, { a: entry('i-a', 'A'), b: entry('i-b', 'B'), c: entry('i-c', 'C') });
  it('takes each side\'s change to its own keys, and the same change once', () => {
    const ours = state(4, { a: entry('i-a', 'A2'), b: entry('i-b', 'B'), c: entry('i-c', 'C'), d: entry('i-d', 'D') });
    const theirs = state(4, { a: entry('i-a', 'A'), c: entry('i-c', 'C'), d: entry('i-d', 'D') });
    const merged = mergeStates(base, ours, theirs);
    expect(merged.ok && Object.fromEntries(Object.entries(merged.state.interviews).map(([k, e]) => [k, e.spec.interview_name]))).toEqual({ a: 'A2', c: 'C', d: 'D' });
    expect(merged.ok && merged.state.serial).toBe(4);
  });

  it('refuses to guess when both sides changed one key, or the lineages differ', () => {
    const ours = state(4, { a: entry('i-a', 'A2'), b: entry('i-b', 'B'), c: entry('i-c', 'C') });
    const theirs = state(4, { b: entry('i-b', 'B'), c: entry('i-c', 'C') });
    expect(mergeStates(base, ours, theirs)).toEqual({ ok: false, conflicts: ['"a" was changed differently on both sides'] });
    expect(mergeStates(base, ours, { ...ours, lineage: 'M' }).ok).toBe(false);
    expect(mergeStates(base, { ...ours, targetHost: 'https://a' }, { ...base, targetHost: 'https://b' })).toMatchObject({ ok: false });
  });
});

describe('mergeStates with webhooks (state version 2)', () => {
  const hook = (id: string, url: string) => ({ kind: 'webhook', id, spec: { url, event: 'interview_report.created', description: '' }, sourceHash: `h-${url}`, appliedAt: '2026-01-01T00:00:00.000Z' });
  const withHooks = (serial: number, hooks: Record<string, ReturnType<typeof hook>>) => state(serial, { a: entry('i-a', 'A') }, { version: 2, resources: { webhook: hooks } });
  it('keeps every webhook of both sides, by key, and refuses different changes to one', () => {
    const base = withHooks(3, { ats: hook('w-1', 'https://ats.example.com/a') });
    const ours = withHooks(4, { ats: hook('w-1', 'https://ats.example.com/a'), crm: hook('w-2', 'https://crm.example.com/b') });
    const theirs = withHooks(4, { ats: hook('w-1', 'https://ats.example.com/a'), hr: hook('w-3', 'https://hr.example.com/c') });
    const merged = mergeStates(base, ours, theirs);
    expect(merged.ok && merged.state.version).toBe(2);
    expect(merged.ok && Object.keys(merged.state.resources?.webhook ?? {}).sort()).toEqual(['ats', 'crm', 'hr']);
    const moved = withHooks(4, { ats: hook('w-1', 'https://ats.example.com/z') });
    const movedElsewhere = withHooks(4, { ats: hook('w-1', 'https://ats.example.com/y') });
    expect(mergeStates(base, moved, movedElsewhere)).toEqual({ ok: false, conflicts: ['webhook "ats" was changed differently on both sides'] });
  });

  it('takes a version-2 side over a version-1 one, keeping its webhooks', () => {
    const base = state(3, { a: entry('i-a', 'A') });
    const theirs = withHooks(4, { ats: hook('w-1', 'https://ats.example.com/a') });
    const merged = mergeStates(base, state(4, { a: entry('i-a', 'A'), b: entry('i-b', 'B') }), theirs);
    expect(merged.ok && merged.state.version).toBe(2);
    expect(merged.ok && Object.keys(merged.state.resources?.webhook ?? {})).toEqual(['ats']);
    expect(merged.ok && Object.keys(merged.state.interviews).sort()).toEqual(['a', 'b']);
  });
});

describe('micro1 state merge, as git runs it', () => {
  it('writes the merge over OURS with a serial past both; a conflict leaves OURS as it was and says why', async () => {
    const base = state(3, { a: entry('i-a', 'A'), b: entry('i-b', 'B') });
    const dir = fixture({
      base: serializeState(base),
      ours: serializeState(state(5, { a: entry('i-a', 'A2'), b: entry('i-b', 'B') }, { targetHost: 'https://h' })),
      theirs: serializeState(state(4, { a: entry('i-a', 'A') })),
      empty: '',
    });
    const merged = await runCli(['state', 'merge', 'base', 'ours', 'theirs'], dir);
    expect(merged).toEqual({ code: 0, stdout: 'Merged the state by key: 1 interviews, serial 6.\n', stderr: '' });
    const written = JSON.parse(readFileSync(path.join(dir, 'ours'), 'utf8')) as State;
    expect(Object.keys(written.interviews)).toEqual(['a']);
    expect(written.targetHost).toBe('https://h');

    writeFileSync(path.join(dir, 'theirs'), serializeState(state(4, { a: entry('i-a', 'A3') })));
    const before = readFileSync(path.join(dir, 'ours'), 'utf8');
    const conflict = await runCli(['state', 'merge', 'base', 'ours', 'theirs'], dir);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain('Error: The two states cannot be merged by key, so the state was left as it was:\n  - "a" was changed differently on both sides\n');
    expect(readFileSync(path.join(dir, 'ours'), 'utf8')).toBe(before);
    // Both sides added the file: git passes an empty base.
    expect((await runCli(['state', 'merge', 'empty', 'ours', 'ours'], dir)).code).toBe(0);
  });

  it('is the merge driver .gitattributes names: a rebase over a concurrent `state rm` merges by key', async () => {
    const dir = fixture({ '.gitattributes': '.micro1/state.json merge=micro1-state\n', '.micro1/state.json': serializeState(state(3, { a: entry('i-a', 'A'), b: entry('i-b', 'B') })) });
    const env = { PATH: process.env.PATH ?? '', HOME: dir, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
    const git = (...args: string[]) => run('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.com', '-c', 'init.defaultBranch=main', ...args], { cwd: dir, env });
    const bin = path.join(import.meta.dirname, '..', 'dist', 'bin.js');
    await git('init', '-q');
    await git('config', 'merge.micro1-state.driver', `"${process.execPath}" "${bin}" state merge %O %A %B`);
    await git('add', '-A');
    await git('commit', '-qm', 'base');
    await git('checkout', '-qb', 'apply');
    writeFileSync(path.join(dir, '.micro1/state.json'), serializeState(state(4, { a: entry('i-a', 'A2'), b: entry('i-b', 'B') })));
    await git('commit', '-qam', 'applied');
    await git('checkout', '-q', 'main');
    writeFileSync(path.join(dir, '.micro1/state.json'), serializeState(state(4, { a: entry('i-a', 'A') })));
    await git('commit', '-qam', 'state rm b');
    await git('checkout', '-q', 'apply');
    await git('rebase', '-q', 'main');
    const merged = JSON.parse(readFileSync(path.join(dir, '.micro1/state.json'), 'utf8')) as State;
    expect(Object.fromEntries(Object.entries(merged.interviews).map(([k, e]) => [k, e.spec.interview_name]))).toEqual({ a: 'A2' });
    expect(merged.serial).toBe(5);
  });
});
