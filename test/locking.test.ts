import { execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { readLock } from '../src/state/lock.js';
import { API_KEY, project, readStateFile, sandbox } from './apply-harness.js';
import { runBin, type BinResult } from './chaos-harness.js';

/**
 * Issue 7, locking, with real processes: two applies started together (one runs, the other is
 * refused and told who holds the lock), a lock left by a process killed with SIGKILL (taken over,
 * with a warning), and a lock from another host (reported, with the command that clears it).
 */
const FILES = { 'sales/ae': 'interview_name: Account Executive\n', 'eng/fe': 'interview_name: Frontend Engineer\n', 'eng/be': 'interview_name: Backend Engineer\n' };
const LOCK = '.micro1/state.json.lock';

describe('the state lock, between real processes', () => {
  it.each([2, 4])('lets exactly one of %i applies started together run; the others are refused, naming it', async (count) => {
    const box = await sandbox();
    const held = await gate(box.url);
    const dir = project(FILES);
    const pids: number[] = [];
    const runs = Array.from({ length: count }, (_, i) =>
      runBin(['apply', '--auto-approve'], {
        cwd: dir,
        env: { MICRO1_API_URL: held.url, MICRO1_API_KEY: API_KEY },
        killAfterMs: 30_000,
        onSpawn: (child) => (pids[i] = child.pid!),
      }),
    );
    // The holder's first request waits at the gate, so it holds the lock until all the others have given up.
    let finished = 0;
    await new Promise<void>((resolve) => runs.forEach((run) => void run.then(() => ++finished === count - 1 && resolve())));
    held.open();
    const results = await Promise.all(runs);

    const winners = results.flatMap((r, i) => (r.code === 0 ? [i] : []));
    expect(winners).toHaveLength(1);
    const holder = pids[winners[0]!]!;
    for (const [i, r] of results.entries()) {
      if (i === winners[0]) continue;
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`Error: The state is locked: apply by ${os.userInfo().username}@${os.hostname()} (pid ${holder}) since `);
      expect(r.stderr).toContain(', still running\n  wait for it to finish, or stop it (Ctrl-C lets it save its progress)\n');
    }
    // Only the holder sent anything: one create per file, no interview twice.
    expect(box.requests.map((r) => r.method)).toEqual(['POST', 'POST', 'POST']);
    expect(box.interviews()).toHaveLength(3);
    expect(Object.keys(readStateFile(dir).interviews)).toHaveLength(3);
    expect(existsSync(path.join(dir, LOCK))).toBe(false);
  }, 120_000);

  it('takes over, with a warning, the lock of an apply killed with SIGKILL on this host', async () => {
    const box = await sandbox();
    const held = await gate(box.url);
    const dir = project(FILES);
    let victim: ChildProcess | undefined;
    const killed = runBin(['apply', '--auto-approve'], { cwd: dir, env: { MICRO1_API_URL: held.url, MICRO1_API_KEY: API_KEY }, killAfterMs: 30_000, onSpawn: (child) => (victim = child) });
    await held.firstRequest;
    victim!.kill('SIGKILL');
    expect((await killed).signal).toBe('SIGKILL');
    const left = readLock(path.join(dir, LOCK));
    expect(left).toMatchObject({ pid: victim!.pid, host: os.hostname(), operation: 'apply' });
    // The request it had in flight now reaches micro1: a create made whose answer nobody reads.
    held.open();
    await held.drained();

    const next = await runBin(['apply', '--auto-approve'], { cwd: dir, env: { MICRO1_API_URL: box.url, MICRO1_API_KEY: API_KEY } });
    expect(next.stderr).toContain(`Took over the state lock left by apply (pid ${victim!.pid}, ${left!.time}): that process is gone.`);
    expect(next.code).toBe(0);
    expect(existsSync(path.join(dir, LOCK))).toBe(false);
    expect(box.interviews().map((i) => i.body.interview_name).sort()).toEqual(['Account Executive', 'Backend Engineer', 'Frontend Engineer']);
  }, 120_000);

  it('reports a lock held from another host with the command that clears it, and that command works', async () => {
    const box = await sandbox();
    const dir = project(FILES);
    mkdirSync(path.join(dir, '.micro1'), { recursive: true });
    const lock = { holder: 'ci@build-agent-7', pid: 4242, host: 'build-agent-7', operation: 'apply', time: '2026-11-29T09:00:00.000Z', token: 'f00' };
    writeFileSync(path.join(dir, LOCK), JSON.stringify(lock));
    const env = { MICRO1_API_URL: box.url, MICRO1_API_KEY: API_KEY };

    const refused: BinResult = await runBin(['apply', '--auto-approve'], { cwd: dir, env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      'Error: The state is locked: apply by ci@build-agent-7 (pid 4242) since 2026-11-29T09:00:00.000Z, on another host\n' +
        '  wait for it to finish; if no micro1 apply is running, remove the lock: rm .micro1/state.json.lock\n',
    );
    expect(box.requests).toEqual([]);
    expect(JSON.parse(readFileSync(path.join(dir, LOCK), 'utf8'))).toEqual(lock);

    // Run the command exactly as printed, in the project folder.
    const [command, ...args] = /remove the lock: (.+)$/m.exec(refused.stderr)![1]!.split(' ');
    execFileSync(command!, args, { cwd: dir });
    const after = await runBin(['apply', '--auto-approve'], { cwd: dir, env });
    expect(after.code).toBe(0);
    expect(box.interviews()).toHaveLength(3);
  }, 120_000);
});

/**
 * A loopback proxy in front of the sandbox that holds every request until `open()`, so a test can
 * keep an apply in the middle of its run (holding the lock) for as long as it needs, without sleeping.
 */
async function gate(target: string) {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  let arrived!: () => void;
  const firstRequest = new Promise<void>((resolve) => (arrived = resolve));
  const inFlight = new Set<Promise<void>>();
  const server = createServer((req, res) => {
    const done = (async () => {
      const body = await read(req);
      arrived();
      await opened;
      try {
        const answer = await fetch(`${target}${req.url ?? '/'}`, {
          method: req.method ?? 'GET',
          headers: { 'x-api-key': String(req.headers['x-api-key'] ?? ''), 'content-type': String(req.headers['content-type'] ?? 'application/json') },
          ...(body.length > 0 ? { body } : {}),
        });
        const text = await answer.text();
        res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
        res.end(text);
      } catch {
        res.destroy();
      }
    })();
    inFlight.add(done);
    void done.finally(() => inFlight.delete(done));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        open();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    firstRequest,
    open,
    /** Resolves once every request that reached the gate has been passed on. */
    drained: () => Promise.all([...inFlight]).then(() => undefined),
  };
}

function read(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
