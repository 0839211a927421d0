import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { planCommand } from '../src/commands/plan.js';
import { hasChanges } from '../src/plan/planner.js';
import type { Fault, RecordedRequest } from '../src/sandbox/sandbox.js';
import { apply, env, project, sandbox } from './apply-harness.js';
import { random } from './chaos-harness.js';
import { VirtualClock } from './virtual-clock.js';

/**
 * Fault soak for webhooks: 200 webhook changes (100 creates, 60 url updates, 40 prunes) against a
 * sandbox that answers 15% 5xx, 5% 503, 10% 429 (Retry-After in seconds, as a date, or absent),
 * 5% resets (half of them after the change was made) and 1% hangs, from a seeded PRNG, on a
 * virtual clock. Converges with no webhook twice, every Retry-After honoured, and no create sent
 * again without GET /webhooks first.
 */
/**
 * Hangs cost this much real time each. Not less: on a loaded machine a slow answer (not a hang)
 * past the timeout is then looked up on the virtual clock's instant backoff, before the sandbox has
 * even read the request, and re-sent; a real backoff (seconds) leaves the server that time.
 */
const TIMEOUT_MS = 1000;
const EVENTS = ['interview_report.created', 'interview.completed', 'applicant.created', 'applicant.invited'];
const url = (i: number, v: number) => `https://ats${i % 4}.example.com/soak/${i}?v=${v}`;
const file = (i: number) => `hook-${String(i).padStart(3, '0')}`;

describe('fault soak: 200 webhook changes through 5xx, 429, resets and hangs', () => {
  it('converges, honours every Retry-After, and never re-sends a create without looking first', async () => {
    const clock = new VirtualClock();
    /** Request seq → the earliest time it may be sent again (throttles), or undefined (any other fault). */
    const decisions = new Map<number, number | undefined>();
    let faulty = false;
    let injected = 0;
    const rnd = random(1202);
    const box = await sandbox({
      now: () => clock.now(),
      fault: (request): Fault | undefined => {
        if (!faulty) return undefined;
        const r = rnd();
        const now = clock.now();
        const seconds = 1 + Math.floor(rnd() * 20);
        const decide = (fault: Fault, notBefore?: number) => {
          injected++;
          return { fault, notBefore };
        };
        let chosen: { fault: Fault; notBefore: number | undefined } | undefined;
        if (r < 0.15) chosen = decide({ kind: 'status', status: [500, 502, 504][Math.floor(rnd() * 3)]!, body: { status: false } });
        else if (r < 0.2) chosen = decide({ kind: 'status', status: 503 }, now + 250);
        else if (r < 0.3) {
          const form = rnd();
          const date = new Date(now + seconds * 1000).toUTCString();
          chosen =
            form < 1 / 3 ? decide({ kind: 'status', status: 429, retryAfter: String(seconds) }, now + seconds * 1000)
            : form < 2 / 3 ? decide({ kind: 'status', status: 429, retryAfter: date }, Date.parse(date))
            : decide({ kind: 'status', status: 429 }, now + 250);
        } else if (r < 0.35) chosen = decide({ kind: rnd() < 0.5 ? 'reset' : 'reset-after-commit' });
        else if (r < 0.36) chosen = decide({ kind: 'hang' });
        if (chosen !== undefined) decisions.set(request.seq, chosen.notBefore);
        return chosen?.fault;
      },
    });
    const dir = project({}, { prune: true, safety: { maxDeletes: 1000, maxDeletePercent: 100 }, apply: { requestsPerSecond: 50, concurrency: 4, maxRetries: 5 }, api: { timeoutMs: TIMEOUT_MS } });
    const version = new Map<number, number>();
    const write = () => {
      const root = path.join(dir, 'webhooks');
      rmSync(root, { recursive: true, force: true });
      mkdirSync(root, { recursive: true });
      for (const [i, v] of version) writeFileSync(path.join(root, `${file(i)}.yaml`), `url: ${url(i, v)}\nevent: ${EVENTS[i % EVENTS.length]}\n`);
    };
    for (let i = 0; i < 100; i++) version.set(i, 0);
    write();
    expect((await apply(dir, box, { clock })).outcome).toMatchObject({ kind: 'applied', result: { failures: [] } });
    const first = box.requests.length;
    for (let i = 0; i < 60; i++) version.set(i, 1);
    for (let i = 60; i < 100; i++) version.delete(i);
    for (let i = 100; i < 200; i++) version.set(i, 2);
    write();

    faulty = true;
    const runs: number[] = [];
    for (let run = 1; run <= 6; run++) {
      const { outcome } = await apply(dir, box, { clock, force: true });
      if (outcome.kind === 'no-changes') break;
      expect(outcome.kind).toBe('applied');
      if (outcome.kind !== 'applied') break;
      for (const failure of outcome.result.failures) {
        expect(failure.key).toMatch(/^webhook:hook-\d{3}$/);
        expect(failure.message).toMatch(/micro1 server error \(50\d\)|no answer within|connection failed|create not confirmed|rate limiting/);
      }
      runs.push(outcome.result.failures.length);
      if (outcome.result.failures.length === 0) break;
    }
    faulty = false;

    const stored = box.webhooks();
    const identities = stored.map((h) => `${h.body.event} ${h.body.url}`);
    expect(identities.length - new Set(identities).size, 'no webhook exists twice').toBe(0);
    expect(stored.map((h) => h.body.url).sort()).toEqual([...version].map(([i, v]) => url(i, v)).sort());
    const replan = await planCommand({ cwd: dir, env: env(box), targets: [], excludes: [] });
    expect(replan.kind === 'planned' && hasChanges(replan.plan)).toBe(false);

    // Every Retry-After was waited out before the same request went out again; no POST followed a POST of the same body without a GET between.
    const soaked = box.requests.slice(first);
    const same = (a: RecordedRequest, b: RecordedRequest) => a.method === b.method && a.path === b.path && JSON.stringify(a.body) === JSON.stringify(b.body);
    let throttles = 0;
    soaked.forEach((request, i) => {
      const notBefore = decisions.get(request.seq);
      // GET /webhooks is the same request from every worker's lookup: only changes are one request each.
      if (notBefore === undefined || request.method === 'GET') return;
      const again = soaked.slice(i + 1).find((r) => same(r, request));
      if (again === undefined) return;
      throttles++;
      expect(again.time).toBeGreaterThanOrEqual(notBefore);
    });
    const posts = soaked.filter((r) => r.method === 'POST');
    for (const [i, post] of posts.entries()) {
      const earlier = posts.slice(0, i).findLast((p) => JSON.stringify(p.body) === JSON.stringify(post.body));
      // A throttled POST (429, 503) was refused unmade: sent again after the wait, with no lookup.
      if (earlier === undefined || decisions.get(earlier.seq) !== undefined) continue;
      // The earlier POST of this body failed with an unknown outcome (not a throttle): a lookup came between.
      const between = soaked.slice(soaked.indexOf(earlier) + 1, soaked.indexOf(post));
      expect(between.some((r) => r.method === 'GET' && r.path === '/webhooks'), `POST ${JSON.stringify(post.body)} re-sent without a lookup`).toBe(true);
    }
    console.log(`webhook soak figures ${JSON.stringify({ changes: 200, requests: soaked.length, injected, runs, throttlesChecked: throttles, lookups: soaked.filter((r) => r.method === 'GET').length })}`);
    expect(throttles).toBeGreaterThan(5);
    expect(runs.length).toBeLessThanOrEqual(3);
  }, 120_000);
});
