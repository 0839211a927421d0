import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { serializeState, type State } from '../src/state/state.js';
import { appliedEntry, definition, fixture, runCli, stateOf } from './helpers.js';

/** A project with three applied interviews (one of them, `old/pm`, without its file) and an unconfirmed create. */
function projectWithState(): { root: string; state: State } {
  const state = stateOf(
    {
      'eng/go': appliedEntry(definition('eng/go', { interview_name: 'Go' }), 'id-go'),
      'old/pm': appliedEntry(definition('old/pm', { interview_name: 'PM' }), 'id-pm'),
      'old/qa': appliedEntry(definition('old/qa', { interview_name: 'QA' }), 'id-qa'),
    },
    { pending: [{ key: 'old/ops', interview_name: 'Ops', spec: definition('old/ops', { interview_name: 'Ops' }).body, sourceHash: 'h', startedAt: '2024-05-01T12:00:00.000Z' }] },
  );
  const root = fixture({
    'interviews/eng/go.yaml': 'interview_name: Go\n',
    '.micro1/state.json': serializeState(state),
  });
  return { root, state };
}

function readState(root: string): State {
  return JSON.parse(readFileSync(path.join(root, '.micro1/state.json'), 'utf8')) as State;
}

describe('micro1 forget', () => {
  it('drops the keys from the state, bumps the serial and touches nothing else', async () => {
    const { root, state } = projectWithState();
    // No API key and no URL: forget never talks to micro1.
    const result = await runCli(['forget', 'old/pm', 'old/ops.yaml'], root, { env: {} });
    expect(result).toEqual({
      code: 0,
      stdout: 'Forgot old/pm (id-pm): it stays on micro1, no longer managed.\nForgot old/ops: it stays on micro1, no longer managed.\nState saved to .micro1/state.json.\n',
      stderr: '',
    });
    const after = readState(root);
    expect(after).toEqual({ ...state, serial: state.serial + 1, interviews: { 'eng/go': state.interviews['eng/go'], 'old/qa': state.interviews['old/qa'] }, pending: [] });
    expect(existsSync(path.join(root, '.micro1/state.json.lock'))).toBe(false);
  });

  it('ends the "no longer managed" warning in the plan', async () => {
    const { root } = projectWithState();
    expect((await runCli(['plan'], root)).stdout).toContain('  ! old/pm: no longer managed: its file is gone, but id-pm stays on micro1\n');
    await runCli(['forget', 'old/pm'], root);
    expect((await runCli(['plan'], root)).stdout).not.toContain('old/pm');
  });

  it('refuses a key that still has its file, and changes nothing', async () => {
    const { root } = projectWithState();
    const before = readFileSync(path.join(root, '.micro1/state.json'), 'utf8');
    expect(await runCli(['forget', 'eng/go'], root)).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error: Nothing was forgotten: eng/go still has its file interviews/eng/go.yaml\n  forget is for interviews whose file is gone: delete interviews/eng/go.yaml first, or keep it managed\n',
    });
    expect(readFileSync(path.join(root, '.micro1/state.json'), 'utf8')).toBe(before);
  });

  it('refuses an unknown key with a "did you mean", and is all or nothing', async () => {
    const { root } = projectWithState();
    const before = readFileSync(path.join(root, '.micro1/state.json'), 'utf8');
    expect(await runCli(['forget', 'old/pm', 'old/qq'], root)).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error: Nothing was forgotten: old/qq is not in .micro1/state.json\n  did you mean old/qa?\n',
    });
    expect((await runCli(['forget', 'nothing-like-it'], root)).stderr).toBe(
      'Error: Nothing was forgotten: nothing-like-it is not in .micro1/state.json\n  `micro1 forget` takes keys as recorded in .micro1/state.json (path under the interviews folder, no extension)\n',
    );
    expect(readFileSync(path.join(root, '.micro1/state.json'), 'utf8')).toBe(before);
  });

  it('stops at a held state lock, naming the holder', async () => {
    const { root } = projectWithState();
    const lock = { holder: 'ci@runner', pid: process.pid, host: os.hostname(), operation: 'apply', time: '2024-05-01T12:00:00.000Z', token: 't' };
    writeFileSync(path.join(root, '.micro1/state.json.lock'), JSON.stringify(lock));
    const before = readFileSync(path.join(root, '.micro1/state.json'), 'utf8');
    const result = await runCli(['forget', 'old/pm'], root);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `Error: The state is locked: apply by ci@runner (pid ${process.pid}) since 2024-05-01T12:00:00.000Z, still running\n  wait for it to finish, or stop it (Ctrl-C lets it save its progress)\n`,
    );
    expect(readFileSync(path.join(root, '.micro1/state.json'), 'utf8')).toBe(before);
  });

  it('folds in the journal an interrupted apply left, and keeps what it recorded', async () => {
    const { root, state } = projectWithState();
    const entry = appliedEntry(definition('new/x', { interview_name: 'X' }), 'id-x');
    writeFileSync(
      path.join(root, '.micro1/state.json.journal'),
      `${JSON.stringify({ journal: 1, lineage: state.lineage, baseSerial: state.serial })}\n${JSON.stringify({ op: 'applied', key: 'new/x', entry })}\n`,
    );
    const result = await runCli(['forget', 'old/pm'], root);
    expect(result.stderr).toBe('Recovered 1 change(s) an interrupted apply had confirmed but not yet saved to .micro1/state.json.\n');
    expect(Object.keys(readState(root).interviews)).toEqual(['eng/go', 'new/x', 'old/qa']);
    expect(existsSync(path.join(root, '.micro1/state.json.journal'))).toBe(false);
  });

  it('needs a key, and a state file', async () => {
    const { root } = projectWithState();
    expect(await runCli(['forget'], root)).toEqual({ code: 1, stdout: '', stderr: 'Error: forget needs at least one key\n  run `micro1 forget --help` for usage\n' });
    rmSync(path.join(root, '.micro1'), { recursive: true });
    expect((await runCli(['forget', 'old/pm'], root)).stderr).toBe(
      'Error: There is no state file .micro1/state.json, so there is nothing to forget\n  forget drops interviews recorded by an earlier apply; check the `state` setting or the --config path\n',
    );
    expect(existsSync(path.join(root, '.micro1'))).toBe(false);
  });
});
