import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { renderApplySummary } from '../src/render/render-apply.js';
import { API_KEY, apply, project, readStateFile } from './apply-harness.js';
import { runCli } from './helpers.js';
import type { Sandbox } from '../src/sandbox/sandbox.js';
import { sandbox } from './apply-harness.js';

/**
 * A create that times out on our side may still be committed by micro1 afterwards, later than any
 * lookup we make in the same run (the soak saw it under load: the POST timed out, the lookup found
 * nothing, the POST was processed after it, and the re-sent create made a second interview).
 *
 * This server is built for exactly that (for interviews and for webhooks): it holds the first create unanswered, so the
 * client gives up, and commits it only once it has answered a lookup (the list) — or when
 * the test calls `settle()`, standing for "micro1 finished its slow work before the next run".
 * Every other POST is committed and answered at once. No timers: what happens when depends only
 * on what the client sends.
 */
interface LateServer<Item> {
  url: string;
  posts: number;
  requests: string[];
  /** What micro1 holds: committed creates, in order. */
  items: Item[];
  /** Commits the held create (as if micro1 finished its slow work) and drops its connection unanswered. */
  settle(): void;
}

interface Resource<Item> {
  create: string;
  list: string;
  /** The item a create's body makes, under the id given. */
  itemOf(body: Record<string, unknown>, id: string): Item;
  created(id: string): unknown;
  /** The list's answer to `url` (its query). */
  listed(items: Item[], url: URL): unknown;
}

/** Holds the first POST to `resource.create`; every other request is answered at once. */
async function lateCommitServer<Item>(resource: Resource<Item>): Promise<LateServer<Item>> {
  const held: { body: Record<string, unknown>; res: ServerResponse }[] = [];
  const state: LateServer<Item> = {
    url: '',
    posts: 0,
    requests: [],
    items: [],
    settle() {
      for (const h of held.splice(0)) {
        state.items.push(resource.itemOf(h.body, `late-${state.items.length + 1}`));
        h.res.destroy();
      }
    },
  };
  const json = (res: ServerResponse, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
    res.end(text);
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      state.requests.push(`${req.method} ${url.pathname}`);
      if (req.headers['x-api-key'] !== API_KEY) return void res.writeHead(401).end();
      if (req.method === 'POST' && url.pathname === resource.create) {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        if (state.posts++ === 0) return void held.push({ body, res });
        const id = `now-${state.items.length + 1}`;
        state.items.push(resource.itemOf(body, id));
        return json(res, resource.created(id));
      }
      if (req.method === 'GET' && url.pathname === resource.list) {
        // Answered first, committed after: the lookup cannot see the create it races.
        res.on('finish', () => state.settle());
        return json(res, resource.listed(state.items, url));
      }
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return state;
}

const INTERVIEWS: Resource<{ interview_id: string; interview_name: string }> = {
  create: '/interview',
  list: '/interviews',
  itemOf: (body, id) => ({ interview_id: id, interview_name: String(body.interview_name) }),
  created: (id) => ({ status: true, message: 'Interview created successfully', data: { interview_id: id, invite_url: `https://example.test/${id}` } }),
  listed: (items, url) => {
    const keyword = (url.searchParams.get('keyword') ?? '').toLowerCase();
    const data = Number(url.searchParams.get('page') ?? '1') === 1 ? items.filter((i) => i.interview_name.toLowerCase().includes(keyword)) : [];
    return { status: true, message: 'Interviews fetched successfully', data };
  },
};

/** Reconciled by url+event, a webhook re-sent in the same run would send every event twice. */
const WEBHOOKS: Resource<{ webhook_id: string; url: string; event: string; description: string }> = {
  create: '/webhook',
  list: '/webhooks',
  itemOf: (body, id) => ({ webhook_id: id, url: String(body.url), event: String(body.event), description: typeof body.description === 'string' ? body.description : '' }),
  created: (id) => ({ id }),
  listed: (items) => ({ status: true, message: 'Webhooks fetched successfully', data: items }),
};

/** The harness's apply and env take a sandbox; only its url is used. */
const asBox = (s: { url: string }) => ({ url: s.url }) as Sandbox;

describe('a create that timed out is committed by micro1 after our lookup', () => {
  it('is not sent again in the same run: it stays pending, is reported with what to do, and the next run adopts it', async () => {
    const server = await lateCommitServer(INTERVIEWS);
    // The timeout is real time, so it is long enough for the POST to reach the server under load;
    // no assertion depends on when it ends, only on that it ends before any answer.
    const dir = project({ 'sales/ae': 'interview_name: Account Executive\n' }, { apply: { requestsPerSecond: 1000, concurrency: 1, maxRetries: 3 }, api: { timeoutMs: 1000 } });

    const first = await apply(dir, asBox(server));
    if (first.outcome.kind !== 'applied') throw new Error(first.outcome.kind);
    // One create sent, never a second while the first may still be committed.
    expect(server.requests.filter((r) => r === 'POST /interview')).toHaveLength(1);
    expect(first.outcome.result.failures).toEqual([
      expect.objectContaining({
        key: 'sales/ae',
        file: 'interviews/sales/ae.yaml',
        message: 'create not confirmed: no answer within 1000 ms',
        hint: expect.stringContaining('run `micro1 apply` again'),
      }),
    ]);
    expect(renderApplySummary(first.outcome.result, first.outcome.statePath)).toContain('interviews/sales/ae.yaml');
    expect(readStateFile(dir).pending).toEqual([expect.objectContaining({ key: 'sales/ae', interview_name: 'Account Executive' })]);

    // micro1 finishes the abandoned create before the next run.
    server.settle();
    expect(server.items).toHaveLength(1);

    // The hint is true: running apply again looks it up and adopts it, sending no create.
    const postsBefore = server.posts;
    const again = await runCli(['apply', '--auto-approve'], dir, { env: { MICRO1_API_URL: server.url, MICRO1_API_KEY: API_KEY } });
    expect(again.code, again.stderr).toBe(0);
    expect(server.posts).toBe(postsBefore);
    expect(server.items).toHaveLength(1);
    expect(readStateFile(dir).pending).toEqual([]);
    expect(readStateFile(dir).interviews['sales/ae']!.id).toBe(server.items[0]!.interview_id);
  });

  it('only a timeout waits for the next run: a create answered 5xx is still looked up and sent again in the same run', async () => {
    let failing = 1;
    const box = await sandbox({ fault: (r) => (r.method === 'POST' && failing-- > 0 ? { kind: 'status', status: 502, body: { status: false } } : undefined) });
    const dir = project({ 'sales/ae': 'interview_name: Account Executive\n' }, { apply: { requestsPerSecond: 1000, concurrency: 1, maxRetries: 3 }, api: { timeoutMs: 30_000 } });
    const { outcome } = await apply(dir, box);
    expect(outcome.kind === 'applied' && outcome.result).toMatchObject({ created: 1, failures: [] });
    expect(box.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /interview', 'GET /interviews', 'POST /interview']);
    expect(box.interviews()).toHaveLength(1);
    expect(readStateFile(dir).pending).toEqual([]);
  });
});

describe('a webhook create that timed out is committed by micro1 after our lookup', () => {
  it('is not sent again in the same run, and the next run adopts it by url and event', async () => {
    const server = await lateCommitServer(WEBHOOKS);
    const dir = project({}, { apply: { requestsPerSecond: 1000, concurrency: 1, maxRetries: 3 }, api: { timeoutMs: 1000 } });
    mkdirSync(path.join(dir, 'webhooks'), { recursive: true });
    writeFileSync(path.join(dir, 'webhooks/ats.yaml'), 'url: https://ats.example.com/micro1\nevent: interview_report.created\n');
    const env = { MICRO1_API_URL: server.url, MICRO1_API_KEY: API_KEY };

    const first = await runCli(['apply', '--auto-approve'], dir, { env });
    expect(server.posts).toBe(1);
    expect(first.stdout + first.stderr).toContain('run `micro1 apply` again');

    server.settle();
    const again = await runCli(['apply', '--auto-approve'], dir, { env });
    expect(again.code, again.stderr).toBe(0);
    expect(server.posts).toBe(1);
    expect(server.items).toHaveLength(1);
  });
});
