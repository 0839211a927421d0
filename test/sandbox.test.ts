import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { once } from 'node:events';
import { connect } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sandboxCommand } from '../src/commands/sandbox.js';
import { CODING_LANGUAGES, INTERVIEW_LANGUAGES } from '../src/definitions/interview-schema.js';
import { startSandbox, type Fault, type FaultRequest, type Sandbox, type SandboxOptions } from '../src/sandbox/sandbox.js';

const KEY = 'sk-sandbox-test-9f31c0';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

// Every sandbox and temp folder a test makes is closed / removed after it, even when it fails.
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function sandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const sb = await startSandbox(options);
  cleanups.push(() => sb.close());
  return sb;
}

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'micro1-sandbox-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface Reply {
  status: number;
  headers: Headers;
  json: any;
}

/** One request with the test key (unless `key` says otherwise) and a JSON body. */
async function call(sb: Sandbox, method: string, pathAndQuery: string, body?: unknown, options: { key?: string | null; raw?: string; contentType?: string } = {}): Promise<Reply> {
  const headers: Record<string, string> = {};
  const key = options.key === undefined ? KEY : options.key;
  if (key !== null) headers['x-api-key'] = key;
  const text = options.raw ?? (body === undefined ? undefined : JSON.stringify(body));
  if (text !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
  const response = await fetch(`${sb.url}${pathAndQuery}`, { method, headers, ...(text === undefined ? {} : { body: text }) });
  const raw = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    json = raw;
  }
  return { status: response.status, headers: response.headers, json };
}

async function create(sb: Sandbox, body: Record<string, unknown>): Promise<string> {
  const reply = await call(sb, 'POST', '/interview', body);
  expect(reply.status).toBe(200);
  return reply.json.data.interview_id as string;
}

/** A promise that resolves when the fault hook sees the request `seq`, so a test can await the sandbox having it. */
function faultAt(seq: number, fault: Fault): { hook: (r: FaultRequest) => Fault | undefined; seen: Promise<FaultRequest> } {
  let resolve!: (r: FaultRequest) => void;
  const seen = new Promise<FaultRequest>((r) => (resolve = r));
  return {
    seen,
    hook: (request) => {
      if (request.seq !== seq) return undefined;
      resolve(request);
      return fault;
    },
  };
}

const question = (time: number, type = 'audio') => ({ question: `Question for ${time} minutes?`, time, type });
const skill = (i: number) => ({ name: `Skill ${i}` });

describe('sandbox endpoints', () => {
  it('creates: 200 with the documented envelope, a UUID and an invite URL; stores the canonical body with defaults', async () => {
    const sb = await sandbox({ apiKey: KEY });
    const reply = await call(sb, 'POST', '/interview', { interview_name: 'Backend', skills: [{ name: 'Go', description: 'goroutines' }] });
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
    expect(reply.json).toEqual({
      status: true,
      message: 'Interview created successfully',
      data: { interview_id: expect.stringMatching(UUID), invite_url: `https://interview.micro1.ai/intro/micro1?uid=${reply.json.data.interview_id}` },
    });
    expect(sb.interviews()).toEqual([
      {
        id: reply.json.data.interview_id,
        body: {
          interview_name: 'Backend',
          skills: [{ name: 'Go', description: 'goroutines' }],
          custom_question_list: [],
          interview_language: 'en',
          can_change_interview_language: false,
          only_coding_round: false,
          is_coding_round_required: false,
          selected_coding_language: 'user_choice',
          coding_exercise_details: '',
          is_proctoring_required: true,
        },
      },
    ]);
  });

  it('updates: 200 {status,message}; given fields replace the stored ones whole, the others are kept', async () => {
    const sb = await sandbox();
    const id = await create(sb, { interview_name: 'A', skills: [skill(1), skill(2)], interview_language: 'fr', coding_exercise_details: 'recursion' });
    const reply = await call(sb, 'PUT', `/interview/${id}`, { skills: [skill(3)], is_proctoring_required: false });
    expect(reply).toMatchObject({ status: 200, json: { status: true, message: 'Interview updated successfully' } });
    expect(sb.interviews()[0]!.body).toMatchObject({
      interview_name: 'A',
      skills: [{ name: 'Skill 3' }],
      interview_language: 'fr',
      coding_exercise_details: 'recursion',
      is_proctoring_required: false,
    });
  });

  it('deletes: 200 {status,message}; the id is then unknown', async () => {
    const sb = await sandbox();
    const id = await create(sb, { interview_name: 'A' });
    expect(await call(sb, 'DELETE', `/interview/${id}`)).toMatchObject({ status: 200, json: { status: true, message: 'Interview deleted successfully' } });
    expect(sb.interviews()).toEqual([]);
    expect(await call(sb, 'DELETE', `/interview/${id}`)).toMatchObject({ status: 404, json: { status: false, message: 'Interview not found' } });
  });

  it('answers 404 "Interview not found" to an update or delete of an unknown id', async () => {
    const sb = await sandbox();
    for (const method of ['PUT', 'DELETE']) {
      const reply = await call(sb, method, '/interview/no-such-id', method === 'PUT' ? { interview_name: 'x' } : undefined);
      expect(reply).toMatchObject({ status: 404, json: { status: false, message: 'Interview not found' } });
    }
  });

  it('lists in the list shape: custom_questions in seconds, display names, no coding_exercise_details, dates and status', async () => {
    const sb = await sandbox({ now: () => Date.UTC(2025, 0, 2, 3, 4, 5) });
    const id = await create(sb, {
      interview_name: 'Full Stack',
      custom_question_list: [question(2), question(1.5, 'text')],
      interview_language: 'es-MX',
      selected_coding_language: 'cpp',
      coding_exercise_details: 'hard',
    });
    const reply = await call(sb, 'GET', '/interviews');
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({
      status: true,
      message: 'Interviews fetched successfully',
      data: [
        {
          interview_id: id,
          interview_name: 'Full Stack',
          invite_url: `https://interview.micro1.ai/intro/micro1?uid=${id}`,
          skills: [],
          custom_questions: [
            { question: 'Question for 2 minutes?', time: 120, type: 'audio' },
            { question: 'Question for 1.5 minutes?', time: 90, type: 'text' },
          ],
          interview_language: 'Spanish (Mexico)',
          can_change_interview_language: false,
          only_coding_round: false,
          is_coding_round_required: false,
          selected_coding_language: 'C++',
          is_proctoring_required: true,
          date_created: '2025-01-02 03:04:05',
          date_modified: '2025-01-02 03:04:05',
          status: 'active',
        },
      ],
    });
  });

  it('keeps date_created and moves date_modified on update', async () => {
    let clock = Date.UTC(2025, 0, 1);
    const sb = await sandbox({ now: () => clock });
    const id = await create(sb, { interview_name: 'A' });
    clock = Date.UTC(2025, 5, 1, 12);
    await call(sb, 'PUT', `/interview/${id}`, { interview_name: 'B' });
    const item = (await call(sb, 'GET', '/interviews')).json.data[0];
    expect([item.date_created, item.date_modified]).toEqual(['2025-01-01 00:00:00', '2025-06-01 12:00:00']);
  });

  it('pages the list: page is 1-based, limit defaults to 10 and may be 1–100; a page past the end is empty', async () => {
    const seed = Array.from({ length: 25 }, (_, i) => ({ body: { interview_name: `Interview ${String(i + 1).padStart(2, '0')}` } }));
    const sb = await sandbox({ seed });
    const names = async (query: string) => ((await call(sb, 'GET', `/interviews${query}`)).json.data as { interview_name: string }[]).map((d) => d.interview_name);
    expect(await names('')).toEqual(seed.slice(0, 10).map((s) => s.body.interview_name));
    expect(await names('?page=3')).toEqual(seed.slice(20).map((s) => s.body.interview_name));
    expect(await names('?page=4')).toEqual([]);
    expect(await names('?page=2&limit=7')).toEqual(seed.slice(7, 14).map((s) => s.body.interview_name));
    expect(await names('?limit=100')).toHaveLength(25);
    expect(await names('?limit=1')).toEqual(['Interview 01']);
    for (const [query, message] of [
      ['?limit=101', 'limit must be an integer from 1 to 100'],
      ['?limit=0', 'limit must be an integer from 1 to 100'],
      ['?limit=ten', 'limit must be an integer from 1 to 100'],
      ['?page=0', 'page must be a positive integer'],
      ['?page=-1', 'page must be a positive integer'],
      ['?page=1.5', 'page must be a positive integer'],
    ] as const) {
      expect(await call(sb, 'GET', `/interviews${query}`), query).toMatchObject({ status: 400, json: { status: false, message } });
    }
  });

  it('filters the list by keyword: a case-insensitive substring of the name, paged after filtering', async () => {
    const sb = await sandbox({
      seed: ['Senior Frontend', 'frontend junior', 'Backend', 'FRONTEND lead'].map((interview_name) => ({ body: { interview_name } })),
    });
    const names = async (query: string) => ((await call(sb, 'GET', `/interviews${query}`)).json.data as { interview_name: string }[]).map((d) => d.interview_name);
    expect(await names('?keyword=FrontEnd')).toEqual(['Senior Frontend', 'frontend junior', 'FRONTEND lead']);
    expect(await names('?keyword=frontend&limit=2&page=2')).toEqual(['FRONTEND lead']);
    expect(await names(`?keyword=${encodeURIComponent('end j')}`)).toEqual(['frontend junior']);
    expect(await names('?keyword=')).toHaveLength(4);
    expect(await names('?keyword=nothing')).toEqual([]);
  });

  it('keeps every sandbox independent', async () => {
    const [a, b] = await Promise.all([sandbox(), sandbox()]);
    await create(a, { interview_name: 'only in a' });
    expect(a.port).not.toBe(b.port);
    expect(b.interviews()).toEqual([]);
    expect(b.requests).toEqual([]);
  });

  it('hands out copies: changing what interviews() returned changes nothing stored', async () => {
    const sb = await sandbox({ seed: [{ body: { interview_name: 'A', skills: [skill(1)] } }] });
    sb.interviews()[0]!.body.skills.push(skill(2));
    expect(sb.interviews()[0]!.body.skills).toEqual([skill(1)]);
  });
});

describe('sandbox validation (400 {status:false, message} naming the field)', () => {
  const cases: [string, unknown, string][] = [
    ['no interview_name', {}, 'interview_name is required'],
    ['empty interview_name', { interview_name: '  ' }, 'interview_name must be a non-empty string'],
    ['interview_name not text', { interview_name: 7 }, 'interview_name must be a non-empty string'],
    ['11 skills', { interview_name: 'x', skills: Array.from({ length: 11 }, (_, i) => skill(i)) }, 'skills must contain at most 10 items (got 11)'],
    ['skills not a list', { interview_name: 'x', skills: 'React' }, 'skills must be an array'],
    ['skill without name', { interview_name: 'x', skills: [skill(0), { description: 'd' }] }, 'skills[1].name is required'],
    ['skill not an object', { interview_name: 'x', skills: ['React'] }, 'skills[0] must be an object'],
    ['skill description not text', { interview_name: 'x', skills: [{ name: 'a', description: 3 }] }, 'skills[0].description must be a string'],
    ['skill with an unknown key', { interview_name: 'x', skills: [{ name: 'a', level: 3 }] }, 'skills[0].level is not an allowed field'],
    ['21 questions', { interview_name: 'x', custom_question_list: Array.from({ length: 21 }, () => question(2)) }, 'custom_question_list must contain at most 20 items (got 21)'],
    ['time 0.99', { interview_name: 'x', custom_question_list: [question(0.99)] }, 'custom_question_list[0].time must be a number of minutes from 1 to 4'],
    ['time 4.01', { interview_name: 'x', custom_question_list: [question(2), question(4.01)] }, 'custom_question_list[1].time must be a number of minutes from 1 to 4'],
    ['time as text', { interview_name: 'x', custom_question_list: [{ question: 'q', time: '2', type: 'audio' }] }, 'custom_question_list[0].time must be a number of minutes from 1 to 4'],
    ['question without time', { interview_name: 'x', custom_question_list: [{ question: 'q', type: 'audio' }] }, 'custom_question_list[0].time is required'],
    ['question type video', { interview_name: 'x', custom_question_list: [question(2, 'video')] }, 'custom_question_list[0].type must be one of: audio, text'],
    ['interview_language xx', { interview_name: 'x', interview_language: 'xx' }, 'interview_language must be one of: en, fr, de'],
    ['interview_language as display name', { interview_name: 'x', interview_language: 'English' }, 'interview_language must be one of'],
    ['selected_coding_language cobol', { interview_name: 'x', selected_coding_language: 'cobol' }, 'selected_coding_language must be one of: user_choice, javascript'],
    ['boolean as text', { interview_name: 'x', is_proctoring_required: 'true' }, 'is_proctoring_required must be a boolean'],
    ['boolean as null', { interview_name: 'x', only_coding_round: null }, 'only_coding_round must be a boolean'],
    ['coding_exercise_details not text', { interview_name: 'x', coding_exercise_details: ['a'] }, 'coding_exercise_details must be a string'],
    ['unknown field', { interview_name: 'x', interview_title: 'y' }, 'interview_title is not an allowed field'],
    ['a list body', [{ interview_name: 'x' }], 'Request body must be a JSON object'],
  ];

  it.each(cases)('refuses a create with %s', async (_name, body, message) => {
    const sb = await sandbox();
    const reply = await call(sb, 'POST', '/interview', body);
    expect(reply.status).toBe(400);
    expect(reply.json.status).toBe(false);
    expect(reply.json.message).toContain(message);
    expect(sb.interviews()).toEqual([]);
  });

  it('accepts every limit exactly at its edge', async () => {
    const sb = await sandbox();
    await create(sb, {
      interview_name: 'edges',
      skills: Array.from({ length: 10 }, (_, i) => skill(i)),
      custom_question_list: [...Array.from({ length: 18 }, () => question(2)), question(1, 'text'), question(4)],
    });
    expect(sb.interviews()[0]!.body.skills).toHaveLength(10);
    expect(sb.interviews()[0]!.body.custom_question_list).toHaveLength(20);
  });

  it('accepts every documented interview_language and selected_coding_language', async () => {
    const sb = await sandbox();
    const id = await create(sb, { interview_name: 'languages' });
    for (const interview_language of INTERVIEW_LANGUAGES) {
      expect((await call(sb, 'PUT', `/interview/${id}`, { interview_language })).status, interview_language).toBe(200);
    }
    for (const selected_coding_language of CODING_LANGUAGES) {
      expect((await call(sb, 'PUT', `/interview/${id}`, { selected_coding_language })).status, selected_coding_language).toBe(200);
    }
  });

  it('reports every problem of a body at once', async () => {
    const sb = await sandbox();
    const reply = await call(sb, 'POST', '/interview', { skills: 'x', interview_language: 'xx' });
    expect(reply.json.message).toBe(
      'interview_name is required; skills must be an array; interview_language must be one of: ' + INTERVIEW_LANGUAGES.join(', '),
    );
  });

  it('refuses an invalid update and keeps the stored interview unchanged', async () => {
    const sb = await sandbox();
    const id = await create(sb, { interview_name: 'A', skills: [skill(1)] });
    const before = sb.interviews();
    const reply = await call(sb, 'PUT', `/interview/${id}`, { skills: Array.from({ length: 11 }, (_, i) => skill(i)) });
    expect(reply).toMatchObject({ status: 400, json: { status: false, message: 'skills must contain at most 10 items (got 11)' } });
    expect(sb.interviews()).toEqual(before);
  });

  it('lets an update leave interview_name out but not empty it', async () => {
    const sb = await sandbox();
    const id = await create(sb, { interview_name: 'A' });
    expect((await call(sb, 'PUT', `/interview/${id}`, { only_coding_round: true })).status).toBe(200);
    expect((await call(sb, 'PUT', `/interview/${id}`, { interview_name: '' })).json.message).toBe('interview_name must be a non-empty string');
  });

  it('refuses invalid JSON and a body that is not sent as JSON', async () => {
    const sb = await sandbox();
    const bad = await call(sb, 'POST', '/interview', undefined, { raw: '{"interview_name": "x",' });
    expect(bad.status).toBe(400);
    expect(bad.json.message).toMatch(/^Invalid JSON in request body: /);
    const text = await call(sb, 'POST', '/interview', undefined, { raw: '{"interview_name":"x"}', contentType: 'text/plain' });
    expect(text).toMatchObject({ status: 400, json: { status: false, message: 'Content-Type must be application/json' } });
    expect(sb.requests.map((r) => r.body)).toEqual(['{"interview_name": "x",', { interview_name: 'x' }]);
  });
});

describe('sandbox authentication and routing', () => {
  it('answers 401 without an x-api-key, or with an empty one', async () => {
    const sb = await sandbox();
    for (const key of [null, '']) {
      const reply = await call(sb, 'GET', '/interviews', undefined, { key });
      expect(reply).toMatchObject({ status: 401, json: { status: false, message: 'Missing API key: send it in the x-api-key header' } });
    }
    expect((await call(sb, 'GET', '/interviews', undefined, { key: 'anything' })).status).toBe(200);
  });

  it('answers 401 to a wrong key when it was given one, and 200 to the right one', async () => {
    const sb = await sandbox({ apiKey: KEY });
    expect(await call(sb, 'POST', '/interview', { interview_name: 'x' }, { key: `${KEY}x` })).toMatchObject({
      status: 401,
      json: { status: false, message: 'Invalid API key' },
    });
    expect(sb.interviews()).toEqual([]);
    expect((await call(sb, 'POST', '/interview', { interview_name: 'x' })).status).toBe(200);
  });

  it('answers 404 to an unknown route and 405 (with Allow) to a wrong method', async () => {
    const sb = await sandbox();
    for (const p of ['/', '/interviewz', '/interview/a/b', '/interview/', '/v1/interviews']) {
      expect(await call(sb, 'GET', p), p).toMatchObject({ status: 404, json: { status: false } });
    }
    const cases: [string, string, string][] = [
      ['POST', '/interviews', 'GET'],
      ['GET', '/interview', 'POST'],
      ['PATCH', '/interview/abc', 'PUT, DELETE'],
      ['GET', '/interview/abc', 'PUT, DELETE'],
    ];
    for (const [method, p, allow] of cases) {
      const reply = await call(sb, method, p);
      expect(reply, `${method} ${p}`).toMatchObject({ status: 405, json: { status: false, message: `Method ${method} is not allowed on ${p}` } });
      expect(reply.headers.get('allow')).toBe(allow);
    }
  });

  it('decodes the id in the path', async () => {
    const sb = await sandbox({ seed: [{ id: 'a~b.c_d-1', body: { interview_name: 'A' } }] });
    expect((await call(sb, 'PUT', `/interview/${encodeURIComponent('a~b.c_d-1')}`, { interview_name: 'B' })).status).toBe(200);
    expect((await call(sb, 'DELETE', '/interview/%E0%A4%A')).status).toBe(404);
  });

  it('records every request, with the x-api-key value nowhere in the record', async () => {
    const sb = await sandbox({ apiKey: KEY });
    const id = await create(sb, { interview_name: 'A' });
    await call(sb, 'PUT', `/interview/${id}`, { interview_name: 'B' }, { key: 'wrong-key-value' });
    await call(sb, 'GET', '/interviews?page=1&limit=5&keyword=a');
    await call(sb, 'DELETE', `/interview/${id}`);
    expect(sb.requests.map((r) => [r.seq, r.method, r.path, r.status])).toEqual([
      [1, 'POST', '/interview', 200],
      [2, 'PUT', `/interview/${id}`, 401],
      [3, 'GET', '/interviews', 200],
      [4, 'DELETE', `/interview/${id}`, 200],
    ]);
    expect(sb.requests[0]!.body).toEqual({ interview_name: 'A' });
    expect(sb.requests[2]!.query).toEqual({ page: '1', limit: '5', keyword: 'a' });
    expect(sb.requests.every((r) => r.headers['x-api-key'] === '***')).toBe(true);
    expect(sb.requests[0]!.headers['content-type']).toBe('application/json');
    const everything = JSON.stringify(sb.requests);
    expect(everything).not.toContain(KEY);
    expect(everything).not.toContain('wrong-key-value');
  });
});

describe('sandbox persistence', () => {
  it('writes every change to the file and reloads it at start, ids and dates included', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'store.json');
    const first = await sandbox({ persistFile: file });
    const a = await create(first, { interview_name: 'A', custom_question_list: [question(3)] });
    const b = await create(first, { interview_name: 'B' });
    const c = await create(first, { interview_name: 'C' });
    await call(first, 'PUT', `/interview/${b}`, { interview_language: 'afb' });
    await call(first, 'DELETE', `/interview/${c}`);
    const listed = (await call(first, 'GET', '/interviews')).json.data;
    await first.close();

    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ version: 1, interviews: [{ id: a }, { id: b }] });
    expect(readdirSync(dir)).toEqual(['store.json']); // the atomic write left no temp file behind
    const second = await sandbox({ persistFile: file, seed: [{ body: { interview_name: 'seed is ignored when the file exists' } }] });
    expect(second.interviews()).toEqual(first.interviews());
    expect(second.interviews().map((i) => i.body.interview_language)).toEqual(['en', 'afb']);
    expect((await call(second, 'GET', '/interviews')).json.data).toEqual(listed);
  });

  it('writes the seed to a new file at start', async () => {
    const file = path.join(tempDir(), 'nested', 'store.json');
    const sb = await sandbox({ persistFile: file, seed: [{ id: 'seeded-1', body: { interview_name: 'Seeded' } }] });
    expect(JSON.parse(readFileSync(file, 'utf8')).interviews).toEqual([
      expect.objectContaining({ id: 'seeded-1', body: sb.interviews()[0]!.body }),
    ]);
  });

  it('refuses to start on a store it cannot use, and leaves the file alone', async () => {
    const dir = tempDir();
    for (const content of ['{"version":1,"interviews":[', '{"version":2,"interviews":[]}', '{"version":1,"interviews":[{"id":"a","body":{"skills":[]}}]}']) {
      const file = path.join(dir, 'store.json');
      writeFileSync(file, content);
      await expect(startSandbox({ persistFile: file })).rejects.toMatchObject({ code: 'SANDBOX_STORE_INVALID' });
      expect(readFileSync(file, 'utf8')).toBe(content);
    }
  });
});

describe('sandbox seed', () => {
  it('preloads interviews, keeping a given id so a definition can pin it', async () => {
    const sb = await sandbox({ seed: [{ id: 'pinned-id-1', body: { interview_name: 'Pinned', interview_language: 'de' } }, { body: { interview_name: 'Free' } }] });
    expect(sb.interviews().map((i) => i.id)).toEqual(['pinned-id-1', expect.stringMatching(UUID)]);
    expect((await call(sb, 'PUT', '/interview/pinned-id-1', { interview_name: 'Renamed' })).status).toBe(200);
  });

  it('refuses an invalid seed, naming the interview and the field', async () => {
    await expect(startSandbox({ seed: [{ body: { interview_name: 'ok' } }, { body: { interview_name: 'bad', interview_language: 'xx' } }] })).rejects.toThrow(
      /^seed interview 2 \("bad"\): interview_language must be one of/,
    );
    await expect(startSandbox({ seed: [{ id: 'x', body: { interview_name: 'a' } }, { id: 'x', body: { interview_name: 'b' } }] })).rejects.toThrow('id "x" is used twice');
    await expect(startSandbox({ seed: [{ id: '../etc', body: { interview_name: 'a' } }] })).rejects.toThrow('is not a valid interview id');
  });

  it('reads a YAML or JSON seed file in the sandbox command', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'seed.yaml'), '- id: demo-backend\n  interview_name: Backend\n  skills:\n    - name: Go\n- interview_name: Frontend\n');
    writeFileSync(path.join(dir, 'seed.json'), JSON.stringify([{ interview_name: 'From JSON', selected_coding_language: 'rust' }]));
    const fromYaml = await sandboxCommand({ seedFile: 'seed.yaml', cwd: dir });
    cleanups.push(() => fromYaml.close());
    expect(fromYaml.url).toBe(`http://127.0.0.1:${fromYaml.port}`);
    expect(fromYaml.interviews().map((i) => [i.id, i.body.interview_name])).toEqual([['demo-backend', 'Backend'], [expect.stringMatching(UUID), 'Frontend']]);
    const fromJson = await sandboxCommand({ seedFile: path.join(dir, 'seed.json'), apiKey: KEY });
    cleanups.push(() => fromJson.close());
    expect(fromJson.interviews()[0]!.body.selected_coding_language).toBe('rust');
    expect((await call(fromJson, 'GET', '/interviews', undefined, { key: 'other' })).status).toBe(401);
  });

  it('reports every problem of a seed file at once', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'seed.yaml'), '- interview_name: A\n  skils: []\n- interview_language: en\n- 3\n');
    await expect(sandboxCommand({ seedFile: 'seed.yaml', cwd: dir })).rejects.toThrow(
      'seed.yaml: interview 1: skils is not an allowed field\nseed.yaml: interview 2: interview_name is required\nseed.yaml: interview 3: must be a mapping of request body fields',
    );
    writeFileSync(path.join(dir, 'one.yaml'), 'interview_name: A\n');
    await expect(sandboxCommand({ seedFile: 'one.yaml', cwd: dir })).rejects.toThrow('one.yaml must hold a list of interviews');
    await expect(sandboxCommand({ seedFile: 'missing.yaml', cwd: dir })).rejects.toThrow('Cannot read the seed file missing.yaml: it does not exist');
    writeFileSync(path.join(dir, 'dup.yaml'), '- interview_name: A\n  interview_name: B\n');
    await expect(sandboxCommand({ seedFile: 'dup.yaml', cwd: dir })).rejects.toThrow(/^dup\.yaml:2:3: not valid YAML or JSON/);
  });

  it('listens on the port it is given, and says so when the port is taken', async () => {
    const probe = await startSandbox();
    await probe.close();
    const sb = await sandbox({ port: probe.port });
    expect(sb.url).toBe(`http://127.0.0.1:${probe.port}`);
    await expect(startSandbox({ port: sb.port })).rejects.toMatchObject({ code: 'SANDBOX_PORT_IN_USE' });
    await expect(sandboxCommand({ port: 70000 })).rejects.toThrow('--port must be a whole number from 0 to 65535');
  });
});

describe('sandbox faults', () => {
  it('passes method, path, sequence number and parsed body to the fault hook', async () => {
    const seen: FaultRequest[] = [];
    const sb = await sandbox({ fault: (r) => void seen.push(r) });
    const id = await create(sb, { interview_name: 'A' });
    await call(sb, 'DELETE', `/interview/${id}`);
    expect(seen).toEqual([
      { method: 'POST', path: '/interview', seq: 1, body: { interview_name: 'A' } },
      { method: 'DELETE', path: `/interview/${id}`, seq: 2, body: undefined },
    ]);
  });

  it('status: answers that status with the given Retry-After and body, by default {status:false}', async () => {
    const sb = await sandbox({
      fault: ({ seq }) =>
        seq === 1
          ? { kind: 'status', status: 503, retryAfter: 'Wed, 21 Oct 2015 07:28:00 GMT' }
          : seq === 2
            ? { kind: 'status', status: 200, body: { status: false, message: 'quota exceeded' } }
            : seq === 3
              ? { kind: 'status', status: 502, body: '<html>Bad Gateway</html>' }
              : undefined,
    });
    const first = await call(sb, 'POST', '/interview', { interview_name: 'A' });
    expect([first.status, first.headers.get('retry-after'), first.json]).toEqual([503, 'Wed, 21 Oct 2015 07:28:00 GMT', { status: false }]);
    expect(await call(sb, 'POST', '/interview', { interview_name: 'A' })).toMatchObject({ status: 200, json: { status: false, message: 'quota exceeded' } });
    const html = await call(sb, 'GET', '/interviews');
    expect([html.status, html.json, html.headers.get('retry-after')]).toEqual([502, '<html>Bad Gateway</html>', null]);
    expect(sb.interviews()).toEqual([]); // a status fault replaces the request: nothing was stored
    expect(sb.requests.map((r) => r.status)).toEqual([503, 200, 502]);
  });

  it('reset: destroys the connection before doing anything', async () => {
    const sb = await sandbox({ fault: ({ seq }) => (seq === 1 ? { kind: 'reset' } : undefined) });
    const error = await fetch(`${sb.url}/interview`, { method: 'POST', headers: { 'x-api-key': KEY, 'content-type': 'application/json' }, body: '{"interview_name":"A"}' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ message: 'fetch failed', cause: { code: 'ECONNRESET' } });
    expect(sb.interviews()).toEqual([]);
    expect(sb.requests[0]!.status).toBe('reset');
    expect((await call(sb, 'GET', '/interviews')).status).toBe(200); // the next connection is fine
  });

  it('reset-after-commit: stores the interview, then destroys the connection without answering', async () => {
    const sb = await sandbox({ fault: ({ method }) => (method === 'POST' || method === 'PUT' ? { kind: 'reset-after-commit' } : undefined) });
    const post = fetch(`${sb.url}/interview`, { method: 'POST', headers: { 'x-api-key': KEY, 'content-type': 'application/json' }, body: '{"interview_name":"Committed"}' });
    await expect(post).rejects.toMatchObject({ message: 'fetch failed', cause: { code: 'ECONNRESET' } });
    expect(sb.interviews().map((i) => i.body.interview_name)).toEqual(['Committed']);
    const id = sb.interviews()[0]!.id;
    await expect(call(sb, 'PUT', `/interview/${id}`, { interview_name: 'Renamed' })).rejects.toThrow(TypeError);
    expect(sb.interviews()[0]!.body.interview_name).toBe('Renamed');
    const listed = await call(sb, 'GET', '/interviews?keyword=renamed');
    expect(listed.json.data.map((d: { interview_id: string }) => d.interview_id)).toEqual([id]);
    expect(sb.requests.map((r) => r.status)).toEqual(['reset', 'reset', 200]);
  });

  it('reset-after-commit still writes the store file before the connection drops', async () => {
    const file = path.join(tempDir(), 'store.json');
    const sb = await sandbox({ persistFile: file, fault: () => ({ kind: 'reset-after-commit' }) });
    await expect(call(sb, 'POST', '/interview', { interview_name: 'Durable' })).rejects.toThrow(TypeError);
    expect(JSON.parse(readFileSync(file, 'utf8')).interviews[0].body.interview_name).toBe('Durable');
  });

  it('hang: never answers; the client gives up and the request stays recorded as a hang', async () => {
    const { hook, seen } = faultAt(1, { kind: 'hang' });
    const sb = await sandbox({ fault: hook });
    const abort = new AbortController();
    const request = fetch(`${sb.url}/interviews`, { headers: { 'x-api-key': KEY }, signal: abort.signal });
    await seen;
    abort.abort();
    await expect(request).rejects.toMatchObject({ name: 'AbortError' });
    expect(sb.requests[0]!.status).toBe('hang');
    expect((await call(sb, 'GET', '/interviews')).status).toBe(200);
  });

  it('marks an answer its client never read (it closed the connection first) as clientGone, and one it read not', async () => {
    const sb = await sandbox({ fault: () => ({ kind: 'status', status: 429, retryAfter: '30' }) });
    // A client that gave up: the request is on its way, the connection already closed.
    const socket = connect(sb.port, '127.0.0.1');
    socket.write(`GET /interviews HTTP/1.1\r\nhost: 127.0.0.1\r\nx-api-key: ${KEY}\r\n\r\n`, () => socket.destroy());
    await once(socket, 'close');
    const settled = async () => {
      // Turns of the event loop, not time: the sandbox decides two turns after it answers.
      for (let turn = 0; turn < 1000 && !sb.requests.every((r) => r.status !== 'pending'); turn++) await new Promise(setImmediate);
      for (let turn = 0; turn < 5; turn++) await new Promise(setImmediate);
    };
    await settled();
    expect(sb.requests[0]).toMatchObject({ status: 429, clientGone: true });
    expect((await call(sb, 'GET', '/interviews')).status).toBe(429);
    await settled();
    expect(sb.requests[1]!.status).toBe(429);
    expect(sb.requests[1]!.clientGone).toBeUndefined();
  });

  it('close() destroys a hanging connection and resolves', async () => {
    const { hook, seen } = faultAt(1, { kind: 'hang' });
    const sb = await startSandbox({ fault: hook });
    const request = fetch(`${sb.url}/interview`, { method: 'POST', headers: { 'x-api-key': KEY, 'content-type': 'application/json' }, body: '{"interview_name":"A"}' });
    await seen;
    await sb.close();
    await expect(request).rejects.toThrow(TypeError);
    expect(sb.interviews()).toEqual([]);
    await sb.close(); // idempotent
    await expect(fetch(`${sb.url}/interviews`)).rejects.toThrow(TypeError);
  });

  it('close() ends a request that is waiting out a delay', async () => {
    const { hook, seen } = faultAt(1, { kind: 'delay', ms: 60_000 });
    const sb = await startSandbox({ fault: hook });
    const request = fetch(`${sb.url}/interviews`, { headers: { 'x-api-key': KEY } });
    await seen;
    await sb.close();
    await expect(request).rejects.toThrow(TypeError);
    expect(sb.requests[0]!.status).toBe('pending');
  });

  it('delay and latencyMs: answer normally, after at least that long', async () => {
    const sb = await sandbox({ latencyMs: 30, fault: ({ seq }) => (seq === 2 ? { kind: 'delay', ms: 80 } : undefined) });
    for (const least of [30, 110]) {
      const started = performance.now();
      const reply = await call(sb, 'POST', '/interview', { interview_name: `after ${least}` });
      expect(performance.now() - started).toBeGreaterThanOrEqual(least - 2); // timers may fire a hair early
      expect(reply.status).toBe(200);
    }
    expect(sb.interviews()).toHaveLength(2);
  });
});

describe('sandbox hidden rate limit', () => {
  it('answers 429 with Retry-After: 1 to requests above the rate in a sliding one-second window', async () => {
    let clock = 1_000_000;
    const sb = await sandbox({ hiddenRatePerSecond: 3, now: () => clock });
    const burst = await Promise.all(Array.from({ length: 5 }, () => call(sb, 'GET', '/interviews')));
    expect(burst.map((r) => r.status).sort()).toEqual([200, 200, 200, 429, 429]);
    for (const limited of burst.filter((r) => r.status === 429)) {
      expect(limited.headers.get('retry-after')).toBe('1');
      expect(limited.json).toEqual({ status: false, message: 'Too many requests' });
    }
    clock += 999; // the first three are still inside the window
    expect((await call(sb, 'POST', '/interview', { interview_name: 'A' })).status).toBe(429);
    expect(sb.interviews()).toEqual([]); // a limited create stores nothing
    clock += 1; // now they have left it; rejected requests never counted
    const after = await Promise.all(Array.from({ length: 4 }, () => call(sb, 'GET', '/interviews')));
    expect(after.map((r) => r.status).sort()).toEqual([200, 200, 200, 429]);
  });

  it('slides rather than resetting on whole seconds', async () => {
    let clock = 0;
    const sb = await sandbox({ hiddenRatePerSecond: 2, now: () => clock });
    const at = async (t: number) => {
      clock = t;
      return (await call(sb, 'GET', '/interviews')).status;
    };
    expect([await at(0), await at(600), await at(900), await at(1000), await at(1100), await at(1599), await at(1600)]).toEqual([200, 200, 429, 200, 429, 429, 200]);
  });

  it('a rate under one per second allows one request per 1/rate seconds', async () => {
    let clock = 0;
    const sb = await sandbox({ hiddenRatePerSecond: 0.5, now: () => clock });
    const at = async (t: number) => {
      clock = t;
      return (await call(sb, 'GET', '/interviews')).status;
    };
    expect([await at(0), await at(1500), await at(2000)]).toEqual([200, 429, 200]);
  });
});
