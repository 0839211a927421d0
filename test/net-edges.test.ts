import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { Micro1Client } from '../src/api/client.js';
import { importCommand } from '../src/commands/import.js';
import { DEFAULT_APPLY_MAX_DURATION_MS, loadConfig } from '../src/config.js';
import { MAX_BODY_BYTES } from '../src/api/client.js';
import { MAX_LIST_PAGES } from '../src/api/read-live.js';
import { parseRetryAfter } from '../src/api/retry-policy.js';
import type { Sandbox } from '../src/sandbox/sandbox.js';
import { UNREACHABLE_AFTER } from '../src/apply/applier.js';
import { API_KEY, apply, env, project, readStateFile, sandbox } from './apply-harness.js';
import { runBin } from './chaos-harness.js';
import { closedPort, runCli } from './helpers.js';
import { PROMPT, runInPty } from './render-harness.js';
import { VirtualClock } from './virtual-clock.js';

/**
 * The network and terminal edges of apply, plan and import: closed pipes, the approval prompt
 * closed, answers too big or never ending, 429 storms with bad Retry-After values, and an API that
 * cannot be reached. Every server here listens on 127.0.0.1 port 0, answers a bounded number of
 * requests with bounded bodies, and is closed when its test ends.
 */

const interview = (i: number) => `interview_name: Net edge ${i}\nskills:\n  - name: Skill ${i}\n`;
const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`team/role-${String(i).padStart(2, '0')}`, interview(i)]));

/** A `node:http` server on 127.0.0.1:0 that counts requests and is closed (connections too) when the test ends. */
async function misbehaving(handler: (req: IncomingMessage, res: ServerResponse, n: number) => void): Promise<{ url: string; requests: () => number; server: Server }> {
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    req.resume();
    handler(req, res, requests);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests: () => requests, server };
}


/** What the sandbox holds, by name, as the state should record it. */
function sandboxIds(box: Sandbox): Record<string, string> {
  return Object.fromEntries(box.interviews().map((i) => [String(i.body.interview_name), i.id]));
}

function stateIds(dir: string): Record<string, string> {
  const state = readStateFile(dir);
  return Object.fromEntries(Object.values(state.interviews).map((e) => [String(e.spec.interview_name), e.id]));
}

/** Nothing but the state file is left in .micro1: no lock, no journal, no temporary file. */
function leftovers(dir: string): string[] {
  return readdirSync(path.join(dir, '.micro1')).filter((f) => f !== 'state.json');
}

const STACK_LINE = /^\s+at /m;

describe('a closed output pipe', () => {
  it('apply --auto-approve | head -1: stdout closed at once, apply still finishes, saves state and exits 1', async () => {
    const box = await sandbox();
    const dir = project(many(30));
    const run = await runBin(['apply', '--auto-approve'], { cwd: dir, env: env(box), killAfterMs: 30_000, onSpawn: (child) => child.stdout!.destroy() });
    expect(run.signal).toBeNull();
    expect(run.code).toBe(1);
    expect(run.stderr).not.toMatch(STACK_LINE);
    expect(run.stderr).not.toContain('hit a bug');
    expect(box.interviews()).toHaveLength(30);
    expect(stateIds(dir)).toEqual(sandboxIds(box));
    expect(leftovers(dir)).toEqual([]);
  });

  it('Ctrl-C killing `| tee` (stderr closed): apply finishes its changes, saves state, says so on stdout and exits 1', async () => {
    // One create is refused (400), so the summary goes to the closed stderr.
    let refused = false;
    const box = await sandbox({
      fault: (r) => (r.method === 'POST' && !refused ? ((refused = true), { kind: 'status', status: 400, body: { status: false, message: 'no' } }) : undefined),
    });
    const dir = project(many(12));
    const run = await runBin(['apply', '--auto-approve'], { cwd: dir, env: env(box), killAfterMs: 30_000, onSpawn: (child) => child.stderr!.destroy() });
    expect(run.signal).toBeNull();
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('micro1-sync: stderr was closed before all output was written');
    expect(box.interviews()).toHaveLength(11);
    expect(stateIds(dir)).toEqual(sandboxIds(box));
    expect(leftovers(dir)).toEqual([]);
  });

  it('plan --json | head -1 ends without a stack trace', async () => {
    const dir = project(many(40));
    const run = await runBin(['plan', '--json'], { cwd: dir, killAfterMs: 30_000, onSpawn: (child) => child.stdout!.destroy() });
    expect(run.signal).toBeNull();
    expect(run.code).toBe(1);
    expect(run.stderr).not.toMatch(STACK_LINE);
    expect(run.stderr).not.toContain('EPIPE');
  });
});

describe('the approval prompt closed', () => {
  it('Ctrl-C at "Do you want to perform these actions?" sends nothing and exits 130 with one line', async () => {
    const box = await sandbox();
    const dir = project(many(2));
    const run = await runInPty(['apply'], { cwd: dir, env: env(box), input: '\x03' });
    expect(run.prompted).toBe(true);
    expect(run.timedOut).toBe(false);
    expect(run.code).toBe(130);
    const after = run.output.slice(run.output.indexOf(PROMPT));
    expect(after).toContain('Apply cancelled (Ctrl-C): nothing was sent.');
    expect(after).not.toContain('bug');
    expect(after).not.toContain('AbortError');
    expect(box.requests).toHaveLength(0);
  });

  it('Ctrl-D (end of input) at the prompt sends nothing and exits 1', async () => {
    const box = await sandbox();
    const dir = project(many(2));
    const run = await runInPty(['apply'], { cwd: dir, env: env(box), input: '\x04' });
    expect(run.prompted).toBe(true);
    expect(run.code).toBe(1);
    const after = run.output.slice(run.output.indexOf(PROMPT));
    expect(after).toContain('Apply cancelled (end of input): nothing was sent.');
    expect(after).not.toContain('AbortError');
    expect(box.requests).toHaveLength(0);
  });
});

describe('bounded answers', () => {
  it('a 200 with an endless body is cut off at the limit, with the URL and the limit in the message', async () => {
    // Endless to the client, bounded here: 64 KiB every tick, at most 64 MiB, then the socket closes.
    const api = await misbehaving((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      let sent = 0;
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        while (sent < 64 * 1024 * 1024 && !res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.destroy();
      };
      res.write('{"status":true,"data":[');
      pump();
    });
    const client = new Micro1Client({ baseUrl: api.url, apiKey: API_KEY, timeoutMs: 20_000 });
    const error = await client.list({ page: 1, limit: 100 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ApiError', kind: 'protocol' });
    expect((error as Error).message).toContain(`GET ${api.url}/interviews`);
    expect((error as Error).message).toContain('16 MiB');
    expect(MAX_BODY_BYTES).toBe(16 * 1024 * 1024);
  });

  it('import against an endless body stays within memory and ends with one clear error', async () => {
    const api = await misbehaving((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      let sent = 0;
      const chunk = Buffer.alloc(256 * 1024, 0x20);
      const pump = () => {
        while (sent < 256 * 1024 * 1024 && !res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.destroy();
      };
      res.write('{"status":true,"data":[');
      pump();
    });
    const dir = project({}, { apply: { maxRetries: 0, requestsPerSecond: 1000, concurrency: 4 } });
    const run = await runBin(['import'], { cwd: dir, env: { MICRO1_API_URL: api.url, MICRO1_API_KEY: API_KEY }, maxOldSpaceMb: 128, killAfterMs: 30_000 });
    console.log(`endless body: import peak RSS ${run.maxRssMb.toFixed(0)} MiB in ${run.ms.toFixed(0)} ms`);
    expect(run.signal).toBeNull();
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('larger than 16 MiB');
    expect(run.stderr).not.toMatch(STACK_LINE);
    expect(run.maxRssMb).toBeLessThan(200);
  });

  it('a 2 GB Content-Length dripping slowly is refused at once, not read for minutes', async () => {
    const api = await misbehaving((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(2 * 1024 ** 3) });
      res.write('{"status":true,');
      // A drip that would take hours; bounded to 200 ticks so the server stops by itself.
      let ticks = 0;
      const timer = setInterval(() => {
        if (res.destroyed || ++ticks > 200) {
          clearInterval(timer);
          return void res.destroy();
        }
        res.write(' ');
      }, 50);
      res.on('close', () => clearInterval(timer));
    });
    const client = new Micro1Client({ baseUrl: api.url, apiKey: API_KEY, timeoutMs: 20_000 });
    const started = performance.now();
    const error = await client.list({ page: 1, limit: 100 }).catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(error).toMatchObject({ name: 'ApiError', kind: 'protocol' });
    expect((error as Error).message).toContain('16 MiB');
  });

  it('a list that always returns full pages of new ids stops at the page limit with a clear error', async () => {
    // Bounded: past MAX_LIST_PAGES + 10 pages it answers 500, so even an unbounded reader ends.
    const api = await misbehaving((req, res, n) => {
      if (n > MAX_LIST_PAGES + 10) {
        res.writeHead(500, { 'content-type': 'application/json' });
        return void res.end('{"status":false}');
      }
      const page = Number(new URL(req.url!, 'http://x').searchParams.get('page'));
      const data = Array.from({ length: 100 }, (_, i) => ({ interview_id: `id-${page}-${i}`, interview_name: `Full ${page}-${i}` }));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: true, data }));
    });
    const dir = project({}, { apply: { maxRetries: 0, requestsPerSecond: 1000, concurrency: 4 } });
    const run = await runCli(['import'], dir, { env: { MICRO1_API_URL: api.url, MICRO1_API_KEY: API_KEY } });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`more than ${MAX_LIST_PAGES} pages`);
    expect(api.requests()).toBe(MAX_LIST_PAGES);
    const written = existsSync(path.join(dir, 'interviews')) ? readdirSync(path.join(dir, 'interviews')) : [];
    expect(written).toEqual([]);
  });
});

describe('429 storms and the apply deadline', () => {
  it('import says what it waits for when micro1 asks for a long pause', async () => {
    let left = 1;
    const api = await misbehaving((_req, res) => {
      if (left-- > 0) {
        res.writeHead(429, { 'retry-after': '40' });
        return void res.end('{"status":false}');
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: true, data: [] }));
    });
    const dir = project({});
    const notices: string[] = [];
    const clock = new VirtualClock();
    await importCommand({ cwd: dir, env: { MICRO1_API_URL: api.url, MICRO1_API_KEY: API_KEY }, force: false, notice: (m) => notices.push(m), clock });
    expect(notices).toEqual(['Waiting 40 s before reading on: micro1 answered 429 with Retry-After: 40.']);
    expect(clock.sleeps).toContain(40_000);
  });

  it('reads negative, non-numeric, repeated and absurd Retry-After values as absent', () => {
    const now = Date.parse('Wed, 21 Oct 2026 07:28:00 GMT');
    for (const bad of ['-5', '1 2', '1, 2', '5s', '1e3', '', '999999999999', 'Fri, 01 Jan 9999 00:00:00 GMT', '2026-10-21']) {
      expect(parseRetryAfter(bad, now), JSON.stringify(bad)).toBeUndefined();
    }
    expect(parseRetryAfter(' 7 ', now)).toBe(7_000);
  });

  it('a bad Retry-After gets exponential backoff, not an immediate retry', async () => {
    let left = 3;
    const api = await misbehaving((_req, res) => {
      if (left-- > 0) {
        res.writeHead(429, { 'retry-after': ['-5', '1 2', 'soon'][left % 3]! });
        return void res.end('{"status":false}');
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: true, data: { interview_id: 'created-1' } }));
    });
    const dir = project(many(1), { apply: { concurrency: 1, requestsPerSecond: 1000, maxRetries: 3 } });
    const { outcome, clock } = await apply(dir, { url: api.url } as Sandbox, { env: { MICRO1_API_URL: api.url, MICRO1_API_KEY: API_KEY } });
    expect(outcome).toMatchObject({ kind: 'applied', result: { created: 1, failures: [] } });
    expect(api.requests()).toBe(4);
    const waits = clock.sleeps.filter((ms) => ms >= 100);
    expect(waits).toHaveLength(3);
    expect(waits[0]).toBeGreaterThanOrEqual(250);
    expect(waits[2]).toBeGreaterThanOrEqual(1000);
  });

  it('20 changes at Retry-After: 300 stop at apply.maxDurationMs with state saved, saying what they wait for', async () => {
    const api = await misbehaving((_req, res, n) => {
      // Bounded: a stuck client would be answered 500 after 200 requests.
      res.writeHead(n > 200 ? 500 : 429, { 'retry-after': '300' });
      res.end('{"status":false}');
    });
    const dir = project(many(20), { apply: { concurrency: 4, requestsPerSecond: 1000, maxRetries: 3, maxDurationMs: 10 * 60_000 } });
    const clock = new VirtualClock();
    const start = clock.now();
    const { outcome, notices } = await apply(dir, { url: api.url } as Sandbox, { clock, env: { MICRO1_API_URL: api.url, MICRO1_API_KEY: API_KEY } });
    expect(outcome.kind).toBe('applied');
    if (outcome.kind !== 'applied') return;
    expect(outcome.result.stoppedBecause).toBe('deadline');
    expect(outcome.result.skipped).toBe(20);
    expect(clock.now() - start).toBeLessThanOrEqual(10 * 60_000);
    expect(api.requests()).toBeLessThan(20);
    const waiting = notices.filter((n) => n.startsWith('Waiting'));
    expect(waiting.length).toBeGreaterThanOrEqual(1);
    expect(waiting.length).toBeLessThanOrEqual(2);
    expect(waiting[0]).toContain('300 s');
    expect(waiting[0]).toContain('Retry-After');
    expect(readStateFile(dir).interviews).toEqual({});
    expect(leftovers(dir)).toEqual([]);
  });

  it('a Retry-After longer than what is left of the deadline stops at once instead of waiting', async () => {
    const api = await misbehaving((_req, res) => {
      res.writeHead(429, { 'retry-after': '300' });
      res.end('{"status":false}');
    });
    const dir = project(many(6), { apply: { concurrency: 2, requestsPerSecond: 1000, maxRetries: 3, maxDurationMs: 60_000 } });
    const { outcome, clock } = await apply(dir, { url: api.url } as Sandbox, { env: { MICRO1_API_URL: api.url, MICRO1_API_KEY: API_KEY } });
    expect(outcome).toMatchObject({ kind: 'applied', result: { stoppedBecause: 'deadline', created: 0, failures: [], skipped: 6 } });
    expect(clock.sleeps.some((ms) => ms >= 60_000)).toBe(false);
    expect(api.requests()).toBeLessThanOrEqual(2);
  });

  it('the CLI says the apply stopped at its deadline and exits 1', async () => {
    const api = await misbehaving((_req, res) => {
      res.writeHead(429, { 'retry-after': '300' });
      res.end('{"status":false}');
    });
    const dir = project(many(2), { apply: { concurrency: 1, requestsPerSecond: 1000, maxRetries: 1, maxDurationMs: 1_000 } });
    const run = await runCli(['apply', '--auto-approve'], dir, { env: { MICRO1_API_URL: api.url, MICRO1_API_KEY: API_KEY } });
    expect(run.code).toBe(1);
    expect(run.stderr + run.stdout).toContain('Apply stopped at its deadline');
    expect(run.stderr + run.stdout).toContain('apply.maxDurationMs');
    expect(api.requests()).toBe(1);
  });

  it('validates apply.maxDurationMs and defaults it to 2 hours', async () => {
    const ok = await loadConfig({ cwd: project({}), env: {} });
    expect(ok.apply.maxDurationMs ?? DEFAULT_APPLY_MAX_DURATION_MS).toBe(2 * 3_600_000);
    const set = await loadConfig({ cwd: project({}, { apply: { maxDurationMs: 120_000 } }), env: {} });
    expect(set.apply.maxDurationMs).toBe(120_000);
    await expect(loadConfig({ cwd: project({}, { apply: { maxDurationMs: -1 } }), env: {} })).rejects.toThrow(/apply\.maxDurationMs: must be a whole number from 1000 to/);
  });
});

describe('apply looking up an unconfirmed create', () => {
  it('stops paging a list that is always full and reports the create, not a hang', async () => {
    let posts = 0;
    const api = await misbehaving((req, res, n) => {
      if (req.method === 'POST' && posts++ === 0) return void req.socket.destroy();
      if (n > 3 * MAX_LIST_PAGES) {
        res.writeHead(500);
        return void res.end('{"status":false}');
      }
      const page = Number(new URL(req.url!, 'http://x').searchParams.get('page'));
      const data = Array.from({ length: 100 }, (_, i) => ({ interview_id: `id-${page}-${i}`, interview_name: `Other ${page}-${i}` }));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: true, data }));
    });
    const dir = project(many(1), { apply: { concurrency: 1, requestsPerSecond: 1000, maxRetries: 1 } });
    const { outcome } = await apply(dir, { url: api.url } as Sandbox, { env: { MICRO1_API_URL: api.url, MICRO1_API_KEY: API_KEY } });
    expect(outcome.kind).toBe('applied');
    if (outcome.kind !== 'applied') return;
    expect(outcome.result.failures).toHaveLength(1);
    expect(outcome.result.failures[0]!.message).toContain(`more than ${MAX_LIST_PAGES} pages`);
    expect(api.requests()).toBeLessThanOrEqual(MAX_LIST_PAGES + 2);
    expect(readStateFile(dir).pending).toHaveLength(1);
  });
});

describe('an API that cannot be reached', () => {
  it('38 changes to a refused port: few requests, one message naming the URL, the rest not started', async () => {
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}`;
    const dir = project(many(38), { apply: { concurrency: 4, requestsPerSecond: 1000, maxRetries: 3 } });
    const { outcome } = await apply(dir, { url } as Sandbox, { env: { MICRO1_API_URL: url, MICRO1_API_KEY: API_KEY } });
    expect(outcome.kind).toBe('applied');
    if (outcome.kind !== 'applied') return;
    expect(outcome.result).toMatchObject({ stoppedBecause: 'unreachable', created: 0, failures: [], skipped: 38 });
    expect(outcome.result.requests).toBeLessThanOrEqual(UNREACHABLE_AFTER + 4);
    expect(outcome.result.stopReason).toContain(url);
  });

  it('the CLI stops quickly and names the URL once where it stopped, never the key', async () => {
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}`;
    const dir = project(many(38), { apply: { concurrency: 4, requestsPerSecond: 1000, maxRetries: 3 } });
    const run = await runBin(['apply', '--auto-approve'], { cwd: dir, env: { MICRO1_API_URL: `${url}/v1`, MICRO1_API_KEY: API_KEY }, killAfterMs: 60_000 });
    console.log(`refused port: 38 changes stopped in ${run.ms.toFixed(0)} ms`);
    expect(run.code).toBe(1);
    const all = run.stdout + run.stderr;
    // Once as the plan's target, once where it stopped: not once per request.
    expect(all.split(`127.0.0.1:${port}`).length - 1).toBe(2);
    expect(run.stdout.startsWith(`Target: ${url}/v1\n`)).toBe(true);
    expect(all).not.toContain(API_KEY);
    expect(all).toContain('38 changes not started');
    expect(all).toContain('MICRO1_API_URL');
    expect(run.ms).toBeLessThan(10_000);
    expect(readStateFile(dir).interviews).toEqual({});
    expect(leftovers(dir)).toEqual([]);
  });
});
