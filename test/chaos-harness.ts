import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { Fault, Sandbox } from '../src/sandbox/sandbox.js';
import { loadState } from '../src/state/state-store.js';
import { readState } from '../src/state/state.js';
import { API_KEY, project, sandbox } from './apply-harness.js';

export const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

export { random } from './virtual-clock.js';

/**
 * When a run is killed with SIGKILL:
 * - `request`: as its n-th request reaches the sandbox, which then answers with `fault` (hang: the
 *   change was not made; reset-after-commit: it was, and the CLI never learns it);
 * - `after-first-request`: `ms` after its first request reached the sandbox, between requests;
 * - `after-spawn`: `ms` after it was started (loading, locking, replaying the journal);
 * - `journal`: as its n-th append to the apply journal is seen;
 * - `fold`: as a temporary state file appears, i.e. while the journal is being folded into the state.
 */
export type KillPlan =
  | { at: 'request'; n: number; fault: Fault }
  | { at: 'after-first-request'; ms: number }
  | { at: 'after-spawn'; ms: number }
  | { at: 'journal'; n: number }
  | { at: 'fold' };

export interface RunResult {
  /** Exit code; null when killed. */
  code: number | null;
  killed: boolean;
  stderr: string;
  /** Requests this run sent. */
  requests: number;
}

export interface ChaosStats {
  runs: number;
  kills: number;
  /** Kills by what triggered them. */
  byTrigger: Record<KillPlan['at'], number>;
  /** Request kills by the method of the request they hit, `POST+commit` when the create was made. */
  byRequest: Record<string, number>;
  /** Temporary state files a kill left behind: kills that landed while the state file was being written. */
  tempStateFiles: number;
  /** Runs that found an interrupted run's journal and folded it in. */
  replays: number;
  /** Runs that took over the lock of a killed run. */
  takeovers: number;
}

export interface ChaosWorld {
  dir: string;
  box: Sandbox;
  /** key → file text of what should exist. */
  desired: Map<string, string>;
  /** Runs that ended killed; kept for the earlier crash test. */
  kills: number;
  runs: number;
  stats: ChaosStats;
  /** Set by a run: the sandbox kills the CLI when this request arrives. */
  arm(killAt: number | undefined, fault: Fault): void;
  /** One `micro1 apply --auto-approve` in a child process, killed as `kill` says. */
  run(kill?: KillPlan): Promise<RunResult>;
}

export function interviewText(key: string, version: number): string {
  return `interview_name: ${name(key)}\ninterview_language: ${version % 2 === 0 ? 'en' : 'fr'}\nskills:\n  - name: Skill ${version}\n`;
}

export function name(key: string): string {
  return `Interview ${key}`;
}

/** A project with prune on and a sandbox whose fault hook can kill the running CLI mid-request. */
export async function chaosWorld(options: { rate?: number } = {}): Promise<ChaosWorld> {
  let child: ChildProcess | undefined;
  let armed: KillPlan | undefined;
  let firstRequestSeen = false;
  let seenInRun = 0;
  let timer: NodeJS.Timeout | undefined;
  const stats: ChaosStats = {
    runs: 0,
    kills: 0,
    byTrigger: { request: 0, 'after-first-request': 0, 'after-spawn': 0, journal: 0, fold: 0 },
    byRequest: {},
    tempStateFiles: 0,
    replays: 0,
    takeovers: 0,
  };
  let trigger: KillPlan['at'] | undefined;
  const kill = (why: KillPlan['at']) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return false;
    trigger ??= why;
    return child.kill('SIGKILL');
  };

  const dir = project({}, { prune: true, safety: { maxDeletes: 100_000, maxDeletePercent: 100 }, apply: { requestsPerSecond: options.rate ?? 1000, concurrency: 4, maxRetries: 3 }, api: { timeoutMs: 5000 } });
  const stateDir = path.join(dir, '.micro1');
  mkdirSync(stateDir, { recursive: true });
  const box = await sandbox({
    fault: (request) => {
      seenInRun++;
      if (!firstRequestSeen && armed?.at === 'after-first-request') {
        const { ms } = armed;
        timer = setTimeout(() => kill('after-first-request'), ms);
      }
      firstRequestSeen = true;
      if (armed?.at === 'request' && seenInRun === armed.n && kill('request')) {
        const fault = armed.fault;
        const what = request.method + (request.method === 'POST' && fault.kind === 'reset-after-commit' ? '+commit' : '');
        stats.byRequest[what] = (stats.byRequest[what] ?? 0) + 1;
        return fault;
      }
      return undefined;
    },
  });

  const world: ChaosWorld = {
    dir,
    box,
    desired: new Map(),
    kills: 0,
    runs: 0,
    stats,
    arm(at, fault) {
      armed = at === undefined ? undefined : { at: 'request', n: at, fault };
    },
    run(plan) {
      if (plan !== undefined) armed = plan;
      return runOnce();
    },
  };

  function runOnce(): Promise<RunResult> {
    seenInRun = 0;
    firstRequestSeen = false;
    trigger = undefined;
    const tempBefore = tempStateFiles(stateDir);
    const sentBefore = box.requests.length;
    let journalWrites = 0;
    const watcher = watch(stateDir, (event, file) => {
      // A temporary state file appearing, or the state file itself written to in place.
      if (armed?.at === 'fold' && (file?.startsWith('.state.json.tmp-') || (file === 'state.json' && event === 'change'))) kill('fold');
      if (armed?.at === 'journal' && file === 'state.json.journal' && event === 'change' && ++journalWrites === armed.n) kill('journal');
    });
    return new Promise((resolve) => {
      child = spawn(process.execPath, [BIN, 'apply', '--auto-approve'], {
        cwd: dir,
        env: { PATH: process.env.PATH, MICRO1_API_URL: box.url, MICRO1_API_KEY: API_KEY, NO_COLOR: '1' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      if (armed?.at === 'after-spawn') {
        const { ms } = armed;
        timer = setTimeout(() => kill('after-spawn'), ms);
      }
      let stderr = '';
      child.stderr!.on('data', (chunk) => (stderr += String(chunk)));
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        watcher.close();
        world.runs++;
        stats.runs++;
        const killed = signal === 'SIGKILL';
        if (killed) {
          world.kills++;
          stats.kills++;
          stats.byTrigger[trigger ?? 'request']++;
        }
        stats.tempStateFiles += tempStateFiles(stateDir) - tempBefore;
        if (/Recovered \d+ change/.test(stderr)) stats.replays++;
        if (/Took over the state lock/.test(stderr)) stats.takeovers++;
        const result = { code: killed ? null : code, killed, stderr, requests: box.requests.length - sentBefore };
        if (!killed && code !== 0 && !/not confirmed|not started/.test(stderr)) {
          // A non-kill failure that is not an expected leftover is a real bug: surface it.
          expect.soft(stderr, 'an apply that was not killed failed').toBe('');
          return resolve({ ...result, code: Number.NaN });
        }
        resolve(result);
      });
    });
  }
  return world;
}

export function writeDesired(world: ChaosWorld): void {
  const root = path.join(world.dir, 'interviews');
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  for (const [key, text] of world.desired) {
    mkdirSync(path.dirname(path.join(root, `${key}.yaml`)), { recursive: true });
    writeFileSync(path.join(root, `${key}.yaml`), text);
  }
}

/**
 * Applies until a run finishes on its own, killing the CLI with SIGKILL at the given request
 * numbers first. After every run the state file (if any) must parse.
 */
export async function applyThroughKills(world: ChaosWorld, killPoints: readonly number[], rnd: () => number): Promise<void> {
  for (const at of killPoints) {
    world.arm(at, rnd() < 0.5 ? { kind: 'hang' } : { kind: 'reset-after-commit' });
    await world.run();
    assertStateParses(world.dir);
  }
  await finishCleanly(world);
}

/** Runs apply with no kill until one succeeds (at most 3 runs), checking the state after each. */
export async function finishCleanly(world: ChaosWorld): Promise<number> {
  world.arm(undefined, { kind: 'hang' });
  for (let attempt = 1; attempt <= 3; attempt++) {
    const { code } = await world.run();
    assertStateParses(world.dir);
    if (code === 0) return attempt;
  }
  throw new Error('apply did not converge in 3 clean runs after the kills');
}

/** micro1 holds exactly the desired interviews, each once, with the desired fields. */
export function assertConverged(world: ChaosWorld, bodyOf: (key: string) => Record<string, unknown>): void {
  const stored = world.box.interviews();
  const byName = new Map<string, number>();
  for (const i of stored) byName.set(i.body.interview_name, (byName.get(i.body.interview_name) ?? 0) + 1);
  const duplicates = [...byName].filter(([, n]) => n > 1);
  expect(duplicates, 'no interview exists twice').toEqual([]);
  expect([...byName.keys()].sort()).toEqual([...world.desired.keys()].map(name).sort());
  for (const key of world.desired.keys()) {
    const found = stored.find((i) => i.body.interview_name === name(key))!;
    expect(found.body, `fields of ${key}`).toMatchObject(bodyOf(key));
  }
  const state = JSON.parse(readFileSync(path.join(world.dir, '.micro1/state.json'), 'utf8'));
  expect(state.pending).toEqual([]);
  expect(existsSync(path.join(world.dir, '.micro1/state.json.journal'))).toBe(false);
}

/**
 * The state file parses with the real reader (schema included), and so does any journal a killed
 * run left: the next run can always start.
 */
export function assertStateParses(dir: string): void {
  const file = path.join(dir, '.micro1/state.json');
  expect(() => readState(file), 'state file parses after a kill').not.toThrow();
  expect(() => loadState(file), 'state file and journal load after a kill').not.toThrow();
}

function tempStateFiles(stateDir: string): number {
  return readdirSync(stateDir).filter((f) => f.startsWith('.state.json.tmp-')).length;
}

export interface BinResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall-clock time of the whole process. */
  ms: number;
  /** Peak resident memory of the process, in MiB. */
  maxRssMb: number;
}

/**
 * Runs the built CLI (`dist/bin.js`) in a child process with `env` only (plus PATH), and measures
 * its time and peak memory: the process reports `process.resourceUsage().maxRSS` as it exits.
 */
export function runBin(
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; maxOldSpaceMb?: number; killAfterMs?: number; onSpawn?: (child: ChildProcess) => void },
): Promise<BinResult> {
  const rssFile = path.join(tmpdir(), `micro1-rss-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const report = `import{writeFileSync}from"node:fs";process.on("exit",()=>writeFileSync(${JSON.stringify(rssFile)},String(process.resourceUsage().maxRSS)))`;
  const nodeArgs = [`--import=data:text/javascript,${encodeURIComponent(report)}`];
  if (options.maxOldSpaceMb !== undefined) nodeArgs.push(`--max-old-space-size=${options.maxOldSpaceMb}`);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, BIN, ...args], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH, NO_COLOR: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk) => (stdout += String(chunk)));
    child.stderr!.on('data', (chunk) => (stderr += String(chunk)));
    // A safety net for a CLI that never ends (e.g. walking a symlink loop): the test fails, not hangs.
    const guard = options.killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), options.killAfterMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      let maxRssMb = Number.NaN;
      if (existsSync(rssFile)) {
        maxRssMb = Number(readFileSync(rssFile, 'utf8')) / 1024;
        rmSync(rssFile, { force: true });
      }
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started, maxRssMb });
    });
    options.onSpawn?.(child);
  });
}
