import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Micro1Client } from '../../src/api/client.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { apply, project } from '../apply-harness.js';
import { startPrism, type Prism, type Violation } from './prism.js';

/**
 * The requests micro1-sync really makes, checked by Prism against the vendor's document: the tool
 * talks to `prism proxy`, which validates each request and forwards it to the sandbox. Response
 * headers are read off undici's diagnostics channel, so the client itself is untouched.
 */
const KEY = 'contract-client-key-0123456789';

let box: Sandbox;
let prism: Prism;
const seen: { method: string; path: string; violations: Violation[] }[] = [];

interface HeadersMessage {
  request: { method: string; path: string };
  response: { headers: Buffer[] };
}

function onHeaders(message: unknown): void {
  const { request, response } = message as HeadersMessage;
  const headers = response.headers.map(String);
  let violations: Violation[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]!.toLowerCase() === 'sl-violations') violations = JSON.parse(headers[i + 1]!) as Violation[];
  }
  seen.push({ method: request.method, path: request.path, violations });
}

beforeAll(async () => {
  box = await startSandbox({ apiKey: KEY });
  prism = await startPrism({ upstream: box.url });
  subscribe('undici:request:headers', onHeaders);
});

afterAll(async () => {
  unsubscribe('undici:request:headers', onHeaders);
  await prism?.close();
  await box?.close();
});

const requestViolations = () => seen.flatMap((s) => s.violations.filter((v) => v.location[0] === 'request').map((v) => ({ ...s, v })));

describe("the tool's own requests against the vendor's OpenAPI document", () => {
  it('create, update and delete through a real apply are not flagged', async () => {
    seen.length = 0;
    const dir = project(
      {
        'eng/full': `interview_name: Full Stack Engineer
skills:
  - name: React
    description: Context API
  - name: SQL
custom_question_list:
  - question: Where do you see yourself in 5 years?
    time: 2
    type: audio
interview_language: es-MX
can_change_interview_language: true
is_coding_round_required: true
selected_coding_language: typescript
coding_exercise_details: Recursion
is_proctoring_required: false
`,
        'eng/minimal': 'interview_name: Minimal\n',
      },
      { prune: true },
    );
    const env = { MICRO1_API_URL: prism.url, MICRO1_API_KEY: KEY };
    const run = (options = {}) => apply(dir, box, { env, ...options });
    expect((await run()).outcome).toMatchObject({ kind: 'applied', result: { created: 2, failures: [] } });
    writeFileSync(path.join(dir, 'interviews/eng/minimal.yaml'), 'interview_name: Minimal\ninterview_language: pt-BR\n');
    expect((await run()).outcome).toMatchObject({ kind: 'applied', result: { updated: 1, failures: [] } });
    rmSync(path.join(dir, 'interviews/eng/minimal.yaml'));
    expect((await run()).outcome).toMatchObject({ kind: 'applied', result: { deleted: 1, failures: [] } });

    // The GETs: the list read before the delete (to check its id is the interview the state recorded), through Prism too.
    expect(seen.map((s) => s.method).filter((m) => m !== 'GET').sort()).toEqual(['DELETE', 'POST', 'POST', 'PUT']);
    expect(seen.findIndex((s) => s.method === 'GET')).toBeLessThan(seen.findIndex((s) => s.method === 'DELETE'));
    expect(requestViolations()).toEqual([]);
    expect(box.interviews().map((i) => i.body.interview_name)).toEqual(['Full Stack Engineer']);
  });

  it('the list request used to reconcile creates is not flagged', async () => {
    seen.length = 0;
    const client = new Micro1Client({ baseUrl: prism.url, apiKey: KEY, timeoutMs: 5000 });
    await client.list({ page: 1, limit: 100, keyword: 'Full Stack Engineer' });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.path).toBe('/interviews?page=1&limit=100&keyword=Full+Stack+Engineer');
    expect(requestViolations()).toEqual([]);
  });

  it('the same channel does see a violation when a request breaks the document', async () => {
    seen.length = 0;
    await fetch(`${prism.url}/interview`, {
      method: 'POST',
      headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ interview_name: 'Bad', interview_language: 'xx' }),
    }).then((r) => r.arrayBuffer());
    expect(requestViolations().length).toBeGreaterThan(0);
  });
});

describe("the tool's webhook requests against the vendor's OpenAPI document", () => {
  it('create, update, the list read before a delete, and the delete, through a real apply, are not flagged', async () => {
    seen.length = 0;
    const dir = project({}, { prune: true });
    const hook = path.join(dir, 'webhooks', 'ats.yaml');
    mkdirSync(path.dirname(hook), { recursive: true });
    writeFileSync(hook, 'url: https://ats.example.com/micro1\nevent: interview_report.created\ndescription: Reports\n');
    writeFileSync(path.join(dir, 'webhooks', 'started.yaml'), 'url: https://ats.example.com/started\nevent: interview.started\n');
    const env = { MICRO1_API_URL: prism.url, MICRO1_API_KEY: KEY };
    const run = (options = {}) => apply(dir, box, { env, ...options });
    expect((await run()).outcome).toMatchObject({ kind: 'applied', result: { created: 2, failures: [] } });
    writeFileSync(hook, 'url: https://ats.example.com/micro1/v2\nevent: interview_report.created\n');
    expect((await run()).outcome).toMatchObject({ kind: 'applied', result: { updated: 1, failures: [] } });
    rmSync(path.join(dir, 'webhooks', 'started.yaml'));
    expect((await run()).outcome).toMatchObject({ kind: 'applied', result: { deleted: 1, failures: [] } });

    expect(seen.map((s) => `${s.method} ${s.path.replace(/\/webhook\/.+$/, '/webhook/ID')}`)).toEqual([
      'POST /webhook',
      'POST /webhook',
      'PUT /webhook/ID',
      'GET /webhooks',
      'DELETE /webhook/ID',
    ]);
    expect(requestViolations()).toEqual([]);
    expect(box.webhooks().map((h) => h.body)).toEqual([{ url: 'https://ats.example.com/micro1/v2', event: 'interview_report.created', description: '' }]);
  });

  it('the same channel sees a violation when a webhook request breaks the document', async () => {
    seen.length = 0;
    await fetch(`${prism.url}/webhook`, {
      method: 'POST',
      headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ url: 'https://a.example/', event: 'interview.finished' }),
    }).then((r) => r.arrayBuffer());
    expect(requestViolations().length).toBeGreaterThan(0);
  });
});
