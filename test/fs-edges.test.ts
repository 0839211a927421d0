import { execFileSync, spawnSync, type ChildProcess } from 'node:child_process';
import * as nodeFs from 'node:fs';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, watch, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { discoverFiles } from '../src/definitions/source-files.js';
import { loadState } from '../src/state/state-store.js';
import { readState, writeState, emptyState } from '../src/state/state.js';
import { isMicro1Error } from '../src/errors.js';
import { apply, env, project, sandbox } from './apply-harness.js';
import { interviewText, name, runBin } from './chaos-harness.js';
import { fillDisk, lockWitness, MOUNT_REASON, mountTmpfs, namesOnSandbox, remountReadOnly } from './fs-harness.js';
import { body, fixture } from './helpers.js';

/** Every file under `dir`, hidden ones included, project-relative. */
function allFiles(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).map((f) => f.split(path.sep).join('/'));
}

function tempFilesIn(dir: string): string[] {
  return allFiles(dir).filter((f) => /\.tmp-/.test(f));
}

/** A state and the sandbox say the same: every entry's id exists there with the body the state recorded. */
function assertStateMatchesSandbox(dir: string, box: Awaited<ReturnType<typeof sandbox>>, keys: readonly string[]): void {
  const state = readState(path.join(dir, '.micro1/state.json'));
  expect(existsSync(path.join(dir, '.micro1/state.json.journal'))).toBe(false);
  const live = new Map(box.interviews().map((i) => [i.id, i.body]));
  expect(Object.keys(state.interviews).sort()).toEqual([...keys].sort());
  for (const [key, entry] of Object.entries(state.interviews)) {
    expect(live.get(entry.id), key).toEqual(entry.spec);
  }
  expect(state.pending).toEqual([]);
  for (const [interviewName, count] of namesOnSandbox(box)) expect(count, interviewName).toBe(1);
}

/** Writes `text` to `key` under interviews/. */
function put(dir: string, key: string, text: string): void {
  const file = path.join(dir, 'interviews', `${key}.yaml`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

/** A file system that writes at most `max` bytes per call, like a nearly full disk or a signal-interrupted write. */
function shortWrites(max: number, afterBytes = Infinity, code = 'ENOSPC'): typeof nodeFs {
  let total = 0;
  return {
    ...nodeFs,
    writeSync: ((fd: number, data: string | Uint8Array, ...rest: unknown[]) => {
      const bytes = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      const offset = typeof rest[0] === 'number' && typeof data !== 'string' ? rest[0] : 0;
      const length = typeof rest[1] === 'number' && typeof data !== 'string' ? rest[1] : bytes.length - offset;
      if (total >= afterBytes) {
        throw Object.assign(new Error(`${code}: write failed`), { code, syscall: 'write' });
      }
      const n = Math.min(max, length, afterBytes - total);
      total += n;
      return nodeFs.writeSync(fd, bytes, offset, n);
    }) as typeof nodeFs.writeSync,
  };
}

describe('writes of files the tool owns', () => {
  it('a state written through short writes is whole and parses', () => {
    const dir = fixture({});
    const file = path.join(dir, '.micro1/state.json');
    const state = { ...emptyState(), interviews: { a: { id: 'int_1', spec: body({ interview_name: 'x'.repeat(5000) }), sourceHash: 'h', appliedAt: 'now' } } };
    (writeState as (file: string, state: unknown, fs?: unknown) => unknown)(file, state, shortWrites(7));
    expect(readState(file).interviews.a!.spec.interview_name).toBe('x'.repeat(5000));
  });

  it('a write that cannot complete is a clear error and leaves the old file and no temp file', () => {
    const dir = fixture({});
    const file = path.join(dir, '.micro1/state.json');
    writeState(file, emptyState());
    const before = readFileSync(file, 'utf8');
    const state = { ...emptyState(), interviews: { a: { id: 'int_1', spec: body({ interview_name: 'x'.repeat(5000) }), sourceHash: 'h', appliedAt: 'now' } } };
    let thrown: unknown;
    try {
      (writeState as (file: string, state: unknown, fs?: unknown) => unknown)(file, state, shortWrites(4096, 100));
    } catch (error) {
      thrown = error;
    }
    expect(isMicro1Error(thrown), String(thrown)).toBe(true);
    expect((thrown as Error).message).toMatch(/state\.json.*(full|ENOSPC)/);
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(tempFilesIn(dir)).toEqual([]);
  });
});

describe('an I/O error during apply (injected fs, always runs)', () => {
  it.each([
    ['ENOSPC', /full/],
    ['EROFS', /read-only/],
    ['EIO', /input\/output/],
  ] as const)('%s: stops sending at once, keeps the journal, sends nothing after the lock is gone, and the suggested command converges', async (code, reason) => {
    const keys = Array.from({ length: 16 }, (_, i) => `team/role-${i}`);
    const dir = project(Object.fromEntries(keys.map((k) => [k, interviewText(k, 0)])));
    const witness = lockWitness(path.join(dir, '.micro1/state.json.lock'));
    const box = await sandbox({ latencyMs: 15, fault: () => void witness.check() });
    // Room for the journal header, a few pending creates and a confirmation or two.
    const failing = shortWrites(1 << 20, 1500, code);
    let thrown: unknown;
    try {
      await apply(dir, box, { fs: failing } as never);
    } catch (error) {
      thrown = error;
    }
    // An observation window in which a straggler sent after the lock was released would arrive.
    const sentByFailedRun = box.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(box.requests.length).toBe(sentByFailedRun);
    expect(witness.late).toBe(0);
    expect(isMicro1Error(thrown), String(thrown)).toBe(true);
    const error = thrown as Error & { hint?: string };
    expect(error.message).toMatch(reason);
    expect(error.message).toMatch(/nothing (more )?was sent after/i);
    expect(error.hint).toMatch(/`micro1 apply`/);
    expect(sentByFailedRun).toBeLessThan(keys.length);
    expect(existsSync(path.join(dir, '.micro1/state.json.lock'))).toBe(false);
    // Whatever was written parses: the state and the journal fold cleanly.
    expect(() => loadState(path.join(dir, '.micro1/state.json'))).not.toThrow();

    const again = await apply(dir, box);
    expect(again.outcome.kind).toBe('applied');
    assertStateMatchesSandbox(dir, box, keys);
  });
});

describe.skipIf(MOUNT_REASON !== undefined)(`real ENOSPC / EROFS on a tmpfs${MOUNT_REASON ? ` (skipped: ${MOUNT_REASON})` : ''}`, () => {
  async function midApplyFailure(fault: (stateDir: string) => void) {
    const dir = project({});
    const stateDir = path.join(dir, '.micro1');
    const unmount = mountTmpfs(stateDir, 64);
    try {
      const old = Array.from({ length: 6 }, (_, i) => `old/role-${i}`);
      const fresh = Array.from({ length: 10 }, (_, i) => `new/role-${i}`);
      for (const k of old) put(dir, k, interviewText(k, 0));
      const witness = lockWitness(path.join(stateDir, 'state.json.lock'));
      let armed = false;
      let seenInRun = 0;
      const box = await sandbox({
        latencyMs: 10,
        fault: () => {
          witness.check();
          if (armed && ++seenInRun === 3) fault(stateDir);
          return undefined;
        },
      });
      const first = await runBin(['apply', '--auto-approve'], { cwd: dir, env: env(box), killAfterMs: 14_000 });
      expect(first.code, first.stderr).toBe(0);
      for (const k of old) put(dir, k, interviewText(k, 1));
      for (const k of fresh) put(dir, k, interviewText(k, 0));
      armed = true;
      const failed = await runBin(['apply', '--auto-approve'], { cwd: dir, env: env(box), killAfterMs: 14_000 });
      armed = false;
      const sent = box.requests.length;
      return { dir, stateDir, box, failed, witness, sent, keys: [...old, ...fresh], unmount };
    } catch (error) {
      unmount();
      throw error;
    }
  }

  it('disk full mid-apply: a clear error, exit 1, the journal kept, nothing after the lock, recovery converges with no duplicate', async () => {
    let filler = '';
    const run = await midApplyFailure((stateDir) => (filler = fillDisk(stateDir)));
    try {
      const { dir, box, failed, witness, keys } = run;
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(/full/);
      expect(failed.stderr).not.toMatch(/hit a bug/);
      expect(failed.stderr).not.toMatch(/Apply complete/);
      expect(witness.late).toBe(0);
      expect(failed.ms).toBeLessThan(10_000);
      const hint = /`(micro1 apply[^`]*)`/.exec(failed.stderr);
      expect(hint, failed.stderr).not.toBeNull();
      expect(() => loadState(path.join(dir, '.micro1/state.json'))).not.toThrow();

      rmSync(filler);
      const again = await runBin(['apply', '--auto-approve'], { cwd: dir, env: env(box), killAfterMs: 14_000 });
      expect(again.code, again.stderr).toBe(0);
      assertStateMatchesSandbox(dir, box, keys);
      for (const key of keys) expect(namesOnSandbox(box).get(name(key))).toBe(1);
    } finally {
      run.unmount();
    }
  });

  it('a read-only state folder: apply stops before sending anything, with a clear error', async () => {
    const dir = project({ a: 'interview_name: A\n' });
    const stateDir = path.join(dir, '.micro1');
    const unmount = mountTmpfs(stateDir, 64);
    try {
      remountReadOnly(stateDir);
      const box = await sandbox();
      const run = await runBin(['apply', '--auto-approve'], { cwd: dir, env: env(box), killAfterMs: 14_000 });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/read-only/);
      expect(run.stderr).toMatch(/state\.json\.lock/);
      expect(run.stderr).not.toMatch(/hit a bug/);
      expect(box.requests.length).toBe(0);
    } finally {
      unmount();
    }
  });

  it('nearly full disk, one edit: never "State saved" over a torn state; the journal survives a failed fold', async () => {
    const keys = Array.from({ length: 40 }, (_, i) => `team/role-${i}`);
    const long = (k: string, v: number) => `${interviewText(k, v)}    description: ${JSON.stringify(`${k} `.repeat(20))}\n`;
    const dir = project(Object.fromEntries(keys.map((k) => [k, long(k, 0)])));
    const stateDir = path.join(dir, '.micro1');
    const unmount = mountTmpfs(stateDir, 256);
    try {
      const box = await sandbox();
      const first = await runBin(['apply', '--auto-approve'], { cwd: dir, env: env(box), killAfterMs: 14_000 });
      expect(first.code, first.stderr).toBe(0);
      expect(nodeFs.statSync(path.join(stateDir, 'state.json')).size).toBeGreaterThan(20_000);
      const filler = fillDisk(stateDir, 16 * 1024);
      put(dir, keys[0]!, long(keys[0]!, 1));
      const run = await runBin(['apply', '--auto-approve'], { cwd: dir, env: env(box), killAfterMs: 14_000 });
      expect(run.stderr).not.toMatch(/hit a bug/);
      if (run.code === 0) {
        expect(() => readState(path.join(stateDir, 'state.json'))).not.toThrow();
      } else {
        expect(run.code).toBe(1);
        expect(run.stderr).not.toMatch(/State saved/);
        expect(run.stderr).toMatch(/full/);
        expect(existsSync(path.join(stateDir, 'state.json.journal'))).toBe(true);
        expect(() => loadState(path.join(stateDir, 'state.json'))).not.toThrow();
        expect(loadState(path.join(stateDir, 'state.json')).state.interviews[keys[0]!]!.spec).toMatchObject({ interview_language: 'fr' });
      }
      rmSync(filler);
      const again = await runBin(['apply', '--auto-approve'], { cwd: dir, env: env(box), killAfterMs: 14_000 });
      expect(again.code, again.stderr).toBe(0);
      assertStateMatchesSandbox(dir, box, keys);
    } finally {
      unmount();
    }
  });

  it('fmt into a read-only interviews folder is a clear error, not a bug', async () => {
    const dir = project({});
    const interviews = path.join(dir, 'interviews');
    const unmount = mountTmpfs(interviews, 64);
    try {
      put(dir, 'a', 'interview_language: en\ninterview_name: A\n');
      remountReadOnly(interviews);
      const run = await runBin(['fmt'], { cwd: dir, killAfterMs: 14_000 });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/read-only/);
      expect(run.stderr).toMatch(/interviews\/a\.yaml/);
      expect(run.stderr).not.toMatch(/hit a bug/);
    } finally {
      unmount();
    }
  });

  it('plan --out onto a full disk is a clear error, not a bug', async () => {
    const dir = project({ a: 'interview_name: A\n' });
    const out = path.join(dir, 'out');
    const unmount = mountTmpfs(out, 64);
    try {
      fillDisk(out);
      const run = await runBin(['plan', '--out', 'out/plan.json'], { cwd: dir, killAfterMs: 14_000 });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/out\/plan\.json/);
      expect(run.stderr).toMatch(/full/);
      expect(run.stderr).not.toMatch(/hit a bug/);
      expect(tempFilesIn(out)).toEqual([]);
    } finally {
      unmount();
    }
  });
});

describe('files that are not regular files', () => {
  it('plan with .micro1/state.json → /dev/zero ends at once with a clear error, in bounded memory', async () => {
    const dir = project({ a: 'interview_name: A\n' });
    mkdirSync(path.join(dir, '.micro1'));
    symlinkSync('/dev/zero', path.join(dir, '.micro1/state.json'));
    const run = await runBin(['plan'], { cwd: dir, killAfterMs: 14_000 });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/\.micro1\/state\.json/);
    expect(run.stderr).toMatch(/outside the project|not a regular file/);
    expect(run.stderr).not.toMatch(/hit a bug/);
    expect(run.ms).toBeLessThan(5_000);
    expect(run.maxRssMb).toBeLessThan(300);
  });

  it('a state that is a symlink inside the project is read', async () => {
    const dir = project({ a: 'interview_name: A\n' });
    mkdirSync(path.join(dir, '.micro1'));
    writeState(path.join(dir, 'real-state.json'), emptyState());
    symlinkSync('../real-state.json', path.join(dir, '.micro1/state.json'));
    const run = await runBin(['plan'], { cwd: dir, killAfterMs: 14_000 });
    expect(run.code, run.stderr).toBe(0);
  });

  it('a journal that is a symlink to /dev/zero is a clear error', async () => {
    const dir = project({ a: 'interview_name: A\n' });
    mkdirSync(path.join(dir, '.micro1'));
    symlinkSync('/dev/zero', path.join(dir, '.micro1/state.json.journal'));
    const run = await runBin(['plan'], { cwd: dir, killAfterMs: 14_000 });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/state\.json\.journal/);
    expect(run.stderr).not.toMatch(/hit a bug/);
    expect(run.ms).toBeLessThan(5_000);
  });

  it('a saved plan that is a device is refused at once', async () => {
    const dir = project({ a: 'interview_name: A\n' });
    const box = await sandbox();
    const run = await runBin(['apply', '/dev/zero'], { cwd: dir, env: env(box), killAfterMs: 14_000 });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/\/dev\/zero/);
    expect(run.stderr).toMatch(/not a regular file/);
    expect(run.ms).toBeLessThan(5_000);
  });

  it('an unused fragment that is a FIFO hangs neither fmt nor plan', async () => {
    const dir = project({ a: 'interview_name: A\n' });
    mkdirSync(path.join(dir, 'interviews/_shared'));
    execFileSync('mkfifo', [path.join(dir, 'interviews/_shared/pipe.yaml')]);
    const fmt = await runBin(['fmt'], { cwd: dir, killAfterMs: 10_000 });
    expect(fmt.signal).toBeNull();
    expect(fmt.stderr).toMatch(/_shared\/pipe\.yaml/);
    expect(fmt.stderr).toMatch(/not a regular file/);
    const plan = await runBin(['plan'], { cwd: dir, killAfterMs: 10_000 });
    expect(plan.signal).toBeNull();
  });

  it('fmt leaves a fragment symlinked to a file outside the project alone, and says so', async () => {
    const outside = fixture({ 'secret.yaml': 'interview_language: en\ninterview_name: Outside\n' });
    const dir = project({ a: 'interview_name: A\n' });
    mkdirSync(path.join(dir, 'interviews/_shared'));
    const link = path.join(dir, 'interviews/_shared/base.yaml');
    symlinkSync(path.join(outside, 'secret.yaml'), link);
    const run = await runBin(['fmt'], { cwd: dir, killAfterMs: 10_000 });
    expect(run.stderr).toMatch(/_shared\/base\.yaml/);
    expect(run.stderr).toMatch(/symbolic link/);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(path.join(outside, 'secret.yaml'), 'utf8')).toBe('interview_language: en\ninterview_name: Outside\n');
  });

  it('fmt leaves a definition symlinked inside the project alone', async () => {
    const dir = project({ real: 'interview_language: en\ninterview_name: Real\n' });
    const link = path.join(dir, 'interviews/alias.yaml');
    symlinkSync('real.yaml', link);
    const run = await runBin(['fmt'], { cwd: dir, killAfterMs: 10_000 });
    expect(run.stderr).toMatch(/interviews\/alias\.yaml.*symbolic link/);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(path.join(dir, 'interviews/real.yaml'), 'utf8')).toBe('interview_name: Real\ninterview_language: en\n');
  });
});

describe('walking the interviews folder', () => {
  it('a 10,000-deep folder tree is refused with a clear message, not a stack overflow', async () => {
    const dir = project({ a: 'interview_name: A\n' });
    // Built from inside (chdir), as the full path is far beyond PATH_MAX.
    spawnSync(process.execPath, ['-e', 'const fs=require("fs");for(let i=0;i<10000;i++){fs.mkdirSync("d");process.chdir("d")}'], { cwd: path.join(dir, 'interviews') });
    try {
      const run = await runBin(['plan'], { cwd: dir, killAfterMs: 14_000 });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/deep/);
      expect(run.stderr).toMatch(/interviews\/d\/d/);
      expect(run.stderr).not.toMatch(/hit a bug/);
      expect(run.ms).toBeLessThan(10_000);
    } finally {
      execFileSync('rm', ['-rf', path.join(dir, 'interviews/d')]);
    }
  });

  it.each(['EACCES', 'ENOTDIR', 'EIO'])('a subfolder that cannot be read (%s) is a clear error naming it', (code) => {
    const dir = fixture({ 'interviews/a.yaml': 'interview_name: A\n', 'interviews/team/b.yaml': 'interview_name: B\n' });
    const readdir = ((folder: string, options: never) => {
      if (folder.endsWith('team')) throw Object.assign(new Error(`${code}: failed, scandir '${folder}'`), { code });
      return nodeFs.readdirSync(folder, options);
    }) as typeof nodeFs.readdirSync;
    let thrown: unknown;
    try {
      (discoverFiles as (root: string, readdir?: unknown) => unknown)(path.join(dir, 'interviews'), readdir);
    } catch (error) {
      thrown = error;
    }
    expect(isMicro1Error(thrown), String(thrown)).toBe(true);
    expect((thrown as Error).message).toMatch(/team/);
    expect((thrown as { hint?: string }).hint).toBeTruthy();
  });
});

describe('temporary files after kill -9', () => {
  function killOnFirstTemp(dir: string): { onSpawn(child: ChildProcess): void; close(): void; killed(): boolean } {
    let child: ChildProcess | undefined;
    let killed = false;
    const watcher = watch(dir, { recursive: true }, (_event, file) => {
      if (child && !killed && file !== null && /\.tmp-/.test(file)) killed = child.kill('SIGKILL');
    });
    return { onSpawn: (c) => (child = c), close: () => watcher.close(), killed: () => killed };
  }

  it('fmt killed mid-write leaves no temp file in interviews/, and the next run leaves none anywhere', async () => {
    const dir = project(Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`f${i}`, `interview_language: en\ninterview_name: F${i}\n`])));
    mkdirSync(path.join(dir, '.micro1'));
    const trap = killOnFirstTemp(dir);
    try {
      await runBin(['fmt'], { cwd: dir, killAfterMs: 14_000, onSpawn: trap.onSpawn });
    } finally {
      trap.close();
    }
    expect(trap.killed()).toBe(true);
    expect(tempFilesIn(path.join(dir, 'interviews'))).toEqual([]);
    const again = await runBin(['fmt'], { cwd: dir, killAfterMs: 14_000 });
    expect(again.code, again.stderr).toBe(0);
    expect(tempFilesIn(dir)).toEqual([]);
  });

  it('import killed mid-write leaves no temp file in interviews/, and the next run leaves none anywhere', async () => {
    const dir = project({});
    const box = await sandbox({ seed: Array.from({ length: 300 }, (_, i) => ({ body: { interview_name: `Seeded ${i}` } })) });
    mkdirSync(path.join(dir, 'interviews'));
    const trap = killOnFirstTemp(dir);
    try {
      await runBin(['import'], { cwd: dir, env: env(box), killAfterMs: 14_000, onSpawn: trap.onSpawn });
    } finally {
      trap.close();
    }
    expect(trap.killed()).toBe(true);
    expect(tempFilesIn(path.join(dir, 'interviews'))).toEqual([]);
    const again = await runBin(['import'], { cwd: dir, env: env(box), killAfterMs: 14_000 });
    expect(again.code, again.stderr).toBe(0);
    expect(tempFilesIn(dir)).toEqual([]);
  });

  it('a temp file an older version left in interviews/ is removed by the next fmt', async () => {
    const dir = project({ a: 'interview_name: A\n' });
    const stale = path.join(dir, 'interviews/.a.yaml.tmp-999999-deadbeef');
    writeFileSync(stale, 'interview_name: half');
    const run = await runBin(['fmt'], { cwd: dir, killAfterMs: 14_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(existsSync(stale)).toBe(false);
  });
});
