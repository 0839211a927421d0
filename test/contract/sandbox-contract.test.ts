import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalBody } from '../../src/definitions/canonical.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { SPEC, startPrism, violationsOf, type Prism, type Violation } from './prism.js';

/**
 * The vendor's document, enforced by Prism. Against `prism mock` we prove the wiring: a request the
 * document allows gets no request violation and one it forbids gets one, so a contract test built on
 * it can fail. Through `prism proxy` in front of the sandbox, Prism checks both sides: every request
 * the document forbids is also refused by the sandbox, and the sandbox's answers match the documented
 * response schemas.
 */

const KEY = 'contract-test-key';
const ID = '123e4567-e89b-12d3-a456-426614174000';

/** What micro1-sync sends: the full canonical body, every field present. */
const FULL = canonicalBody({
  interview_name: 'Full Stack Engineer Interview',
  skills: [{ name: 'React', description: 'Context API' }, { name: 'SQL' }],
  custom_question_list: [{ question: 'Where do you see yourself in 5 years?', time: 2, type: 'audio' }],
  interview_language: 'es-MX',
  can_change_interview_language: true,
  only_coding_round: false,
  is_coding_round_required: true,
  selected_coding_language: 'typescript',
  coding_exercise_details: 'Recursion',
  is_proctoring_required: false,
});

interface Sent {
  status: number;
  violations: Violation[];
  body: unknown;
}

async function send(base: string, method: string, pathAndQuery: string, body?: unknown, key: string | null = KEY): Promise<Sent> {
  const headers: Record<string, string> = {};
  if (key !== null) headers['x-api-key'] = key;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${base}${pathAndQuery}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // keep the text
  }
  return { status: response.status, violations: violationsOf(response), body: parsed };
}

const where = (violations: Violation[], side: 'request' | 'response') => violations.filter((v) => v.location[0] === side);

/** Requests the document allows, as micro1-sync makes them. */
const VALID: [string, string, string, unknown][] = [
  ['create (full canonical body)', 'POST', '/interview', FULL],
  ['create (name only)', 'POST', '/interview', { interview_name: 'Backend' }],
  ['update (full canonical body)', 'PUT', `/interview/${ID}`, FULL],
  ['delete', 'DELETE', `/interview/${ID}`, undefined],
  ['list (page, limit, keyword)', 'GET', '/interviews?page=2&limit=100&keyword=Full%20Stack', undefined],
  ['list (no query)', 'GET', '/interviews', undefined],
];

/** Requests the document's schema forbids, each with where Prism should point. */
const INVALID: [string, string, string, unknown, (string | number)[]][] = [
  ['skills as a string', 'POST', '/interview', { interview_name: 'x', skills: 'React' }, ['request', 'body', 'skills']],
  ['an unknown interview_language', 'POST', '/interview', { interview_name: 'x', interview_language: 'xx' }, ['request', 'body', 'interview_language']],
  ['a create without interview_name', 'POST', '/interview', { skills: [] }, ['request', 'body']],
  ['a skill without name', 'PUT', `/interview/${ID}`, { skills: [{ description: 'd' }] }, ['request', 'body', 'skills', '0']],
  ['a boolean as text', 'PUT', `/interview/${ID}`, { is_proctoring_required: 'true' }, ['request', 'body', 'is_proctoring_required']],
  ['a question type that is not audio|text', 'PUT', `/interview/${ID}`, { custom_question_list: [{ question: 'q', time: 2, type: 'video' }] }, ['request', 'body', 'custom_question_list', '0', 'type']],
  ['a page that is not an integer', 'GET', '/interviews?page=two', undefined, ['request', 'query', 'page']],
];

describe('prism mock: the request contract is enforced and can fail', () => {
  let prism: Prism;
  beforeAll(async () => {
    prism = await startPrism();
  });
  afterAll(() => prism?.close());

  it.each(VALID)('a valid %s gets no request violation', async (_name, method, p, body) => {
    const sent = await send(prism.url, method, p, body);
    expect(where(sent.violations, 'request'), prism.output()).toEqual([]);
    expect(sent.status).toBe(200);
    if (method !== 'GET') expect(sent.violations).toEqual([]); // no sl-violations header at all
  });

  it.each(INVALID)('a request with %s gets a request violation at the right place', async (_name, method, p, body, location) => {
    const sent = await send(prism.url, method, p, body);
    const found = where(sent.violations, 'request');
    expect(found.length).toBeGreaterThan(0);
    expect(found.map((v) => v.location)).toContainEqual(location);
    expect(found.every((v) => v.severity === 'Error')).toBe(true);
    // Prism answers an invalid request with the document's own 400 example, --errors or not.
    expect(sent.status).toBe(400);
  });

  it('refuses a request without x-api-key with its own 401, before validating the body', async () => {
    const sent = await send(prism.url, 'POST', '/interview', { interview_name: 'x', skills: 'React' }, null);
    expect(sent.status).toBe(401);
    expect(sent.violations).toEqual([]);
    expect(sent.body).toMatchObject({ title: 'Invalid security scheme used' });
  });

  it("flags the document's own list example: its status is the string \"true\", not a boolean", async () => {
    // Every mocked GET /interviews carries this response violation; only request violations judge our client.
    const sent = await send(prism.url, 'GET', '/interviews');
    expect(where(sent.violations, 'response')).toEqual([
      { location: ['response', 'body', 'status'], severity: 'Error', code: 'type', message: 'Response body property status must be boolean' },
    ]);
    expect((sent.body as { status: unknown }).status).toBe('true');
  });

  it('runs on the copy of the vendor document it was given', () => {
    const doc = JSON.parse(readFileSync(SPEC, 'utf8')) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/interview', '/interviews', '/interview/{interviewId}']));
  });
});

describe('prism proxy in front of the sandbox: the sandbox keeps the contract', () => {
  let sandbox: Sandbox;
  let prism: Prism;
  beforeAll(async () => {
    sandbox = await startSandbox({ apiKey: KEY, seed: [{ id: ID, body: FULL }] });
    prism = await startPrism({ upstream: sandbox.url });
  });
  afterAll(async () => {
    await prism?.close();
    await sandbox?.close();
  });

  it('answers create, update, list and delete with no violation on either side', async () => {
    const created = await send(prism.url, 'POST', '/interview', FULL);
    expect([created.status, created.violations], prism.output()).toEqual([200, []]);
    const id = (created.body as { data: { interview_id: string } }).data.interview_id;
    for (const [method, p, body] of [
      ['PUT', `/interview/${id}`, { ...FULL, interview_name: 'Renamed' }],
      ['GET', '/interviews?page=1&limit=100&keyword=renamed', undefined],
      ['GET', '/interviews', undefined],
      ['DELETE', `/interview/${id}`, undefined],
    ] as const) {
      const sent = await send(prism.url, method, p, body);
      expect([method, p, sent.status, sent.violations], prism.output()).toEqual([method, p, 200, []]);
    }
  });

  it('lists items that match the documented list item schema', async () => {
    const sent = await send(prism.url, 'GET', `/interviews?keyword=${encodeURIComponent(FULL.interview_name)}`);
    expect(sent.violations).toEqual([]);
    expect((sent.body as { data: unknown[] }).data).toHaveLength(1);
  });

  it.each(INVALID)('refuses a request with %s, as the document does, with a documented 400', async (_name, method, p, body) => {
    const sent = await send(prism.url, method, p, body);
    expect(where(sent.violations, 'request').length).toBeGreaterThan(0);
    expect(where(sent.violations, 'response')).toEqual([]);
    expect(sent.status).toBe(400);
    expect(sent.body).toMatchObject({ status: false, message: expect.any(String) });
  });

  it('enforces the limits the document states only in prose, with a documented 400', async () => {
    const tooMany = { interview_name: 'x', skills: Array.from({ length: 11 }, (_, i) => ({ name: `S${i}` })) };
    const sent = await send(prism.url, 'POST', '/interview', tooMany);
    expect(where(sent.violations, 'request')).toEqual([]); // the schema itself has no maxItems
    expect(where(sent.violations, 'response')).toEqual([]);
    expect(sent).toMatchObject({ status: 400, body: { status: false, message: 'skills must contain at most 10 items (got 11)' } });
  });

  it('answers 401 and 404, which the document names only in prose, with nothing worse than a warning', async () => {
    const unauthorised = await send(prism.url, 'DELETE', `/interview/${ID}`, undefined, null);
    expect(unauthorised.status).toBe(401);
    expect(where(unauthorised.violations, 'request')).toMatchObject([{ location: ['request'], code: 401 }]);
    const missing = await send(prism.url, 'PUT', '/interview/no-such-id', { interview_name: 'x' });
    expect(missing).toMatchObject({ status: 404, body: { status: false, message: 'Interview not found' } });
    for (const sent of [unauthorised, missing]) {
      expect(where(sent.violations, 'response').map((v) => v.severity)).toEqual(['Warning']);
    }
  });
});

describe('prism proxy in front of the sandbox: the webhook endpoints keep the contract', () => {
  let sandbox: Sandbox;
  let prism: Prism;
  const HOOK = { url: 'https://ats.example.com/micro1', event: 'interview_report.created', description: 'Reports' };
  beforeAll(async () => {
    sandbox = await startSandbox({ apiKey: KEY });
    prism = await startPrism({ upstream: sandbox.url });
  });
  afterAll(async () => {
    await prism?.close();
    await sandbox?.close();
  });

  it('answers create ({ id }), list, update and delete with no violation on either side', async () => {
    const created = await send(prism.url, 'POST', '/webhook', HOOK);
    expect([created.status, created.violations], prism.output()).toEqual([200, []]);
    const { id } = created.body as { id: string };
    expect(Object.keys(created.body as object)).toEqual(['id']);
    for (const [method, p, body] of [
      ['GET', '/webhooks', undefined],
      ['PUT', `/webhook/${id}`, { ...HOOK, event: 'interview.completed' }],
      ['DELETE', `/webhook/${id}`, undefined],
    ] as const) {
      const sent = await send(prism.url, method, p, body);
      expect([method, p, sent.status, sent.violations], prism.output()).toEqual([method, p, 200, []]);
    }
  });

  it.each([
    ['an unknown event', { url: 'https://a.example/', event: 'interview.finished' }, ['request', 'body', 'event']],
    ['no url', { event: 'applicant.created' }, ['request', 'body']],
    ['no event', { url: 'https://a.example/' }, ['request', 'body']],
  ] as const)('refuses a create with %s, as the document does, with a documented 400', async (_name, body, location) => {
    const sent = await send(prism.url, 'POST', '/webhook', body);
    expect(where(sent.violations, 'request').map((v) => v.location)).toContainEqual(location);
    expect(where(sent.violations, 'response')).toEqual([]);
    expect(sent).toMatchObject({ status: 400, body: { status: false, message: expect.any(String) } });
  });
});
