import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BODY_DEFAULTS, jsonEqual } from '../src/definitions/canonical.js';
import { planCommand } from '../src/commands/plan.js';
import { hasChanges, isActionable } from '../src/plan/planner.js';
import { renderApplySummary } from '../src/render/render-apply.js';
import type { Fault, FaultRequest, RecordedRequest, Sandbox } from '../src/sandbox/sandbox.js';
import { apply, env, project, readStateFile, sandbox } from './apply-harness.js';
import { random } from './chaos-harness.js';
import { VirtualClock } from './virtual-clock.js';

/**
 * Issue 7, fault soak: 500 changes against a sandbox that answers 20% 5xx, 10% 429 (Retry-After in
 * seconds, as an HTTP date, or absent), 5% connection resets and 2% hangs, chosen by a seeded PRNG.
 * applyCommand runs in-process on a virtual clock, so Retry-After waits cost nothing; hangs cost
 * api.timeoutMs of real time each, so it is kept small — but not so small that an answered request
 * times out on a loaded machine (at 150 ms, with a load average of 10 on 2 cores, they did: a
 * request the client had given up on was then answered with a throttle it never saw, and the check
 * below took the client's ordinary retry for a Retry-After not honoured).
 */
const TIMEOUT_MS = 1000;
const SETUP_TIMEOUT_MS = 30_000;

type Kind = '5xx' | '503' | '429-seconds' | '429-date' | '429-none' | 'reset' | 'reset-after-commit' | 'hang';

interface Decision {
  kind: Kind;
  /** For a throttle: the earliest (virtual) time the same request may be sent again. */
  notBefore?: number;
}

const key = (i: number) => `dept-${i % 7}/role-${String(i).padStart(3, '0')}`;
const interviewName = (k: string) => `Soak ${k}`;

function text(k: string, version: number): string {
  return `interview_name: ${interviewName(k)}\ninterview_language: ${['en', 'fr', 'de'][version % 3]}\nskills:\n  - name: Skill ${version}\n`;
}

function expectedBody(k: string, version: number) {
  return { ...BODY_DEFAULTS, interview_name: interviewName(k), interview_language: ['en', 'fr', 'de'][version % 3], skills: [{ name: `Skill ${version}` }] };
}

async function soak(seed: number, maxRetries: number) {
  const clock = new VirtualClock();
  const decisions = new Map<number, Decision>();
  const injected: Record<Kind, number> = { '5xx': 0, '503': 0, '429-seconds': 0, '429-date': 0, '429-none': 0, reset: 0, 'reset-after-commit': 0, hang: 0 };
  let faulty = false;
  // Each attempt's answer is drawn from its own PRNG, seeded by the seed, what the request is about
  // and how many times it was sent before, not from one sequence shared in arrival order: four
  // workers' requests arrive in an order that depends on the machine's load, and with one shared
  // sequence every run of the test was a different soak (a loaded run once drew 6 re-runs).
  const attempts = new Map<string, number>();
  const box: Sandbox = await sandbox({
    now: () => clock.now(),
    fault: (request): Fault | undefined => {
      if (!faulty) return undefined;
      const about = subject(request, box);
      const n = attempts.get(about) ?? 0;
      attempts.set(about, n + 1);
      const rnd = random(hash(`${seed} ${about} ${n}`));
      const r = rnd();
      const decide = (kind: Kind, fault: Fault, notBefore?: number): Fault => {
        injected[kind]++;
        decisions.set(request.seq, { kind, ...(notBefore === undefined ? {} : { notBefore }) });
        return fault;
      };
      const now = clock.now();
      const seconds = 1 + Math.floor(rnd() * 30);
      if (r < 0.15) return decide('5xx', { kind: 'status', status: [500, 502, 504][Math.floor(rnd() * 3)]!, body: { status: false } });
      if (r < 0.2) return decide('503', { kind: 'status', status: 503 }, now + 250);
      if (r < 0.3) {
        const form = rnd();
        if (form < 1 / 3) return decide('429-seconds', { kind: 'status', status: 429, retryAfter: String(seconds) }, now + seconds * 1000);
        // An HTTP date has whole seconds: the wait ends at the date, not a fraction after it.
        const date = new Date(now + seconds * 1000).toUTCString();
        if (form < 2 / 3) return decide('429-date', { kind: 'status', status: 429, retryAfter: date }, Date.parse(date));
        return decide('429-none', { kind: 'status', status: 429 }, now + 250);
      }
      if (r < 0.35) return rnd() < 0.5 ? decide('reset', { kind: 'reset' }) : decide('reset-after-commit', { kind: 'reset-after-commit' });
      if (r < 0.37) return decide('hang', { kind: 'hang' });
      return undefined;
    },
  });
  const config = (timeoutMs: number) => ({ prune: true, safety: { maxDeletes: 1000, maxDeletePercent: 100 }, apply: { requestsPerSecond: 50, concurrency: 4, maxRetries }, api: { timeoutMs } });
  // The setup injects no fault, so nothing in it should time out: a generous timeout keeps a loaded
  // machine (one answer later than TIMEOUT_MS) from failing the setup instead of the soak.
  const dir = project({}, config(SETUP_TIMEOUT_MS));
  const version = new Map<string, number>();
  const write = () => {
    const root = path.join(dir, 'interviews');
    rmSync(root, { recursive: true, force: true });
    for (const [k, v] of version) {
      mkdirSync(path.dirname(path.join(root, `${k}.yaml`)), { recursive: true });
      writeFileSync(path.join(root, `${k}.yaml`), text(k, v));
    }
  };

  // Before: 300 interviews, applied with no faults.
  for (let i = 0; i < 300; i++) version.set(key(i), 0);
  write();
  const setup = await apply(dir, box, { clock });
  expect(setup.outcome.kind === 'applied' && setup.outcome.result.failures).toEqual([]);
  const firstSoakRequest = box.requests.length;

  // The 500 changes: 0–199 updated, 200–299 deleted, 300–499 created.
  for (let i = 0; i < 200; i++) version.set(key(i), 1);
  for (let i = 200; i < 300; i++) version.delete(key(i));
  for (let i = 300; i < 500; i++) version.set(key(i), 2);
  write();

  writeFileSync(path.join(dir, 'micro1.config.json'), JSON.stringify(config(TIMEOUT_MS)));
  faulty = true;
  const started = performance.now();
  const virtualStart = clock.now();
  const runs: { changes: number; requests: number; failures: number; reconciled: number; hungCreates: number; timedOutCreates: number }[] = [];
  for (let run = 1; run <= 6; run++) {
    const before = box.requests.length;
    const { outcome } = await apply(dir, box, { clock, force: true });
    if (outcome.kind === 'no-changes') break;
    expect(outcome.kind).toBe('applied');
    if (outcome.kind !== 'applied') break;
    const { result, plan } = outcome;
    const actionable = plan.changes.filter(isActionable);
    // Every change is accounted for: done, or reported as failed.
    expect(result.created + result.updated + result.deleted + result.failures.length + result.skipped).toBe(actionable.length);
    expect(result.skipped).toBe(0);
    const summary = renderApplySummary(result, outcome.statePath);
    for (const failure of result.failures) {
      // Reported with its file, the file of the change that failed, and why.
      const change = actionable.find((c) => c.key === failure.key)!;
      expect(failure.file).toBe(change.file);
      expect(failure.file).toBe(`interviews/${failure.key}.yaml`);
      expect(failure.message).toMatch(/micro1 server error \(50\d\)|no answer within|connection failed|create not confirmed|rate limiting/);
      expect(summary).toContain(failure.file);
    }
    // A create that timed out (a hang, or an answer later than the timeout on a loaded machine) is,
    // by design, not sent again in the same run, as micro1 may still be making it: it is reported
    // with what to do, and the next run looks it up.
    const hungCreates = box.requests.slice(before).filter((r) => r.method === 'POST' && r.status === 'hang').length;
    const timedOutCreates = result.failures.filter((f) => f.action === 'create' && /no answer within/.test(f.message));
    for (const f of timedOutCreates) expect(f.hint).toContain('run `micro1 apply` again');
    runs.push({
      changes: actionable.length,
      requests: box.requests.length - before,
      failures: result.failures.length,
      reconciled: result.reconciled,
      hungCreates,
      timedOutCreates: timedOutCreates.length,
    });
    if (result.failures.length === 0) break;
  }
  faulty = false;
  const realMs = performance.now() - started;

  // Converged: micro1 holds each desired interview once, with its last version; the next plan is empty.
  const stored = box.interviews();
  const names = stored.map((i) => i.body.interview_name);
  expect(names.length - new Set(names).size, 'no interview exists twice').toBe(0);
  expect(names.sort()).toEqual([...version.keys()].map(interviewName).sort());
  const state = readStateFile(dir);
  expect(state.pending).toEqual([]);
  for (const [k, v] of version) {
    const live = stored.find((i) => i.id === state.interviews[k]?.id);
    expect(jsonEqual(live?.body, expectedBody(k, v)), `micro1's copy of ${k}`).toBe(true);
  }
  const replan = await planCommand({ cwd: dir, env: env(box), targets: [], excludes: [] });
  expect(replan.kind === 'planned' && hasChanges(replan.plan)).toBe(false);

  // Every Retry-After (and every backoff after a throttle without one) was waited out before that
  // same request went out again.
  const soakRequests = box.requests.slice(firstSoakRequest);
  let throttlesChecked = 0;
  let unseenThrottles = 0;
  soakRequests.forEach((request, i) => {
    const decision = decisions.get(request.seq);
    if (decision?.notBefore === undefined) return;
    // A throttle answered to a client that had already given up on that request (it timed out on a
    // loaded machine) was never seen: the next attempt is the timeout's retry, not a throttled one.
    if (request.clientGone === true) {
      unseenThrottles++;
      return;
    }
    const again = soakRequests.slice(i + 1).find((r) => identity(r) === identity(request));
    if (again === undefined) return;
    throttlesChecked++;
    expect(again.time, `${decision.kind} on ${identity(request)} was honoured`).toBeGreaterThanOrEqual(decision.notBefore);
  });

  const seen = new Set<string>();
  const resends = soakRequests.filter((r) => (seen.has(identity(r)) ? true : (seen.add(identity(r)), false))).length;
  return {
    changes: 500,
    maxRetries,
    runs,
    requests: soakRequests.length,
    injected,
    faultShare: Math.round((decisions.size / soakRequests.length) * 1000) / 10,
    resends,
    lookups: soakRequests.filter((r) => r.method === 'GET').length,
    throttlesChecked,
    unseenThrottles,
    virtualMinutes: Math.round((clock.now() - virtualStart) / 6000) / 10,
    realSeconds: Math.round(realMs / 100) / 10,
  };
}

/** What a request is about, the same for every attempt at it and whatever the ids: its interview's name, or the list query. */
function subject(r: FaultRequest, box: Sandbox): string {
  if (r.method === 'GET') {
    const query = box.requests[r.seq - 1]?.query ?? {};
    return `GET ${query.keyword ?? ''} page ${query.page ?? ''}`;
  }
  const named = (r.body as { interview_name?: string } | undefined)?.interview_name;
  if (named !== undefined) return `${r.method} ${named}`;
  const id = decodeURIComponent(r.path.split('/').at(-1) ?? '');
  return `${r.method} ${box.interviews().find((i) => i.id === id)?.body.interview_name ?? id}`;
}

/** FNV-1a, 32 bits: a seed from a string. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The same request sent again: same method and path, same interview for a create, same keyword for a lookup. */
function identity(r: RecordedRequest): string {
  const name = (r.body as { interview_name?: string } | undefined)?.interview_name ?? '';
  return `${r.method} ${r.path} ${r.query.keyword ?? ''} ${r.method === 'POST' ? name : ''}`;
}

describe('fault soak: 500 changes through 5xx, 429, resets and hangs', () => {
  it('with the default retry budget: converges, honours every Retry-After, and a re-run finishes whatever failed', async () => {
    const figures = await soak(7001, 5);
    console.log(`soak figures ${JSON.stringify(figures)}`);
    expect(figures.faultShare).toBeGreaterThan(30);
    for (const kind of Object.keys(figures.injected) as Kind[]) expect(figures.injected[kind], kind).toBeGreaterThan(0);
    // Within its budget the first run does (nearly) everything but the creates that timed out (left
    // to the next run by design); the second finishes the rest, and a run after it is only ever
    // needed for a create that timed out again.
    const [first, ...later] = figures.runs;
    expect(first!.failures - first!.timedOutCreates).toBeLessThanOrEqual(5);
    for (const run of later) expect(run.failures, 'failures of a re-run that are not timed-out creates').toBe(run.timedOutCreates);
    expect(figures.runs.at(-1)!.failures).toBe(0);
    expect(figures.throttlesChecked).toBeGreaterThan(50);
  });

  it('with a budget of 1 retry: every change it could not finish is reported beside its file, and re-running finishes them', async () => {
    const figures = await soak(7002, 1);
    console.log(`soak figures ${JSON.stringify(figures)}`);
    expect(figures.runs[0]!.failures).toBeGreaterThan(5);
    expect(figures.runs.at(-1)!.failures).toBe(0);
    expect(figures.runs.length).toBeLessThanOrEqual(5);
  });
});
