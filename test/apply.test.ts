import { channel } from 'node:diagnostics_channel';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Fault } from '../src/sandbox/sandbox.js';
import { API_KEY, apply, calls, env, project, readStateFile, sandbox } from './apply-harness.js';
import { runCli } from './helpers.js';
import { VirtualClock } from './virtual-clock.js';

const FRONTEND = `interview_name: Frontend Engineer
skills:
  - name: React
selected_coding_language: typescript
is_coding_round_required: true
`;
const SALES = `interview_name: Account Executive
interview_language: fr
`;
const ADOPTED_ID = '3f2b9c4e-8d1a-4f6b-9e2c-7a5d1b8e6f40';
// Adopted, so it says what to do with the coding exercise details micro1 never lists.
const DESIGNER = `id: ${ADOPTED_ID}
interview_name: Product Designer
coding_exercise_details: ""
`;

/** The fault to inject on the n-th request matching method and path prefix, once. */
function once(method: string, prefix: string, fault: Fault, times = 1) {
  let left = times;
  return (r: { method: string; path: string }) => {
    if (r.method === method && r.path.startsWith(prefix) && left > 0) {
      left--;
      return fault;
    }
    return undefined;
  };
}

describe('apply against the sandbox', () => {
  it('sends exactly one request per planned change, and the next plan is a no-op', async () => {
    const box = await sandbox({ seed: [{ id: ADOPTED_ID, body: { interview_name: 'Old designer name' } }] });
    const dir = project({ 'eng/frontend': FRONTEND, 'sales/ae': SALES, 'design/pd': DESIGNER });
    const { outcome } = await apply(dir, box);
    expect(outcome.kind).toBe('applied');
    if (outcome.kind !== 'applied') return;
    expect(outcome.result).toMatchObject({ created: 2, updated: 1, deleted: 0, failures: [], requests: 3 });
    expect(calls(box).sort()).toEqual(['POST /interview', 'POST /interview', `PUT /interview/${ADOPTED_ID}`]);

    const names = box.interviews().map((i) => i.body.interview_name).sort();
    expect(names).toEqual(['Account Executive', 'Frontend Engineer', 'Product Designer']);
    const frontend = box.interviews().find((i) => i.body.interview_name === 'Frontend Engineer')!;
    expect(frontend.body).toMatchObject({ selected_coding_language: 'typescript', is_proctoring_required: true, interview_language: 'en' });

    const state = readStateFile(dir);
    expect(Object.keys(state.interviews).sort()).toEqual(['design/pd', 'eng/frontend', 'sales/ae']);
    expect(state.interviews['eng/frontend']!.id).toBe(frontend.id);
    expect(state.pending).toEqual([]);

    const again = await runCli(['plan', '--detailed-exitcode'], dir, { env: env(box) });
    expect(again.stdout).toContain('No changes.');
    expect(again.code).toBe(0);
    expect(box.requests).toHaveLength(3);
  });

  it('records a moved file that pins the same id as a state move, with no request', async () => {
    const box = await sandbox({ seed: [{ id: ADOPTED_ID, body: { interview_name: 'Product Designer' } }] });
    const dir = project({ 'design/pd': DESIGNER }, { prune: true });
    await apply(dir, box);
    const { renameSync } = await import('node:fs');
    renameSync(path.join(dir, 'interviews/design/pd.yaml'), path.join(dir, 'interviews/design/product-designer.yaml'));
    const sent = box.requests.length;
    const { outcome } = await apply(dir, box);
    expect(outcome.kind === 'applied' && outcome.result).toMatchObject({ created: 0, updated: 0, deleted: 0, failures: [] });
    expect(box.requests).toHaveLength(sent);
    expect(Object.keys(readStateFile(dir).interviews)).toEqual(['design/product-designer']);
    expect((await runCli(['plan', '--detailed-exitcode'], dir, { env: env(box) })).code).toBe(0);
  });

  it("removes the temporary files a killed run left beside the state", async () => {
    const box = await sandbox();
    const dir = project({ 'sales/ae': SALES });
    await apply(dir, box);
    const leftovers = ['.state.json.tmp-4242-deadbeef', 'state.json.lock.new-1', 'state.json.lock.stale-2'];
    for (const name of leftovers) writeFileSync(path.join(dir, '.micro1', name), 'half');
    writeFileSync(path.join(dir, 'interviews/sales/ae.yaml'), 'interview_name: Account Executive\ninterview_language: de\n');
    await apply(dir, box);
    expect(readdirSync(path.join(dir, '.micro1')).sort()).toEqual(['state.json']);
  });

  it('updates only what changed, with the full canonical body', async () => {
    const box = await sandbox();
    const dir = project({ 'eng/frontend': FRONTEND, 'sales/ae': SALES });
    await apply(dir, box);
    writeFileSync(path.join(dir, 'interviews/sales/ae.yaml'), 'interview_name: Account Executive\n');
    const { outcome } = await apply(dir, box);
    expect(outcome.kind === 'applied' && outcome.result.updated).toBe(1);
    const put = box.requests.at(-1)!;
    expect(put.method).toBe('PUT');
    expect(put.body).toEqual({
      interview_name: 'Account Executive',
      skills: [],
      custom_question_list: [],
      interview_language: 'en',
      can_change_interview_language: false,
      only_coding_round: false,
      is_coding_round_required: false,
      selected_coding_language: 'user_choice',
      coding_exercise_details: '',
      is_proctoring_required: true,
    });
    expect(put.headers['user-agent']).toMatch(/^micro1-sync\/\d+\.\d+\.\d+/);
  });

  it.each([
    ['seconds', '60', 60_000],
    ['an HTTP date', 'HTTP-DATE+90', 90_000],
  ])('honours Retry-After given in %s, pausing before sending again', async (_form, header, wait) => {
    const clock = new VirtualClock();
    const retryAfter = header.startsWith('HTTP-DATE+') ? new Date(clock.now() + Number(header.slice(10)) * 1000).toUTCString() : header;
    const box = await sandbox({ fault: once('POST', '/interview', { kind: 'status', status: 429, retryAfter }) });
    const dir = project({ 'sales/ae': SALES });
    const { outcome } = await apply(dir, box, { clock });
    expect(outcome.kind === 'applied' && outcome.result).toMatchObject({ created: 1, failures: [] });
    expect(calls(box)).toEqual(['POST /interview', 'POST /interview']);
    expect(Math.max(...clock.sleeps)).toBeGreaterThanOrEqual(wait - 1000);
    expect(box.interviews()).toHaveLength(1);
  });

  it('backs off on 503 without Retry-After and still converges', async () => {
    const clock = new VirtualClock();
    const box = await sandbox({ fault: once('POST', '/interview', { kind: 'status', status: 503 }, 2) });
    const dir = project({ 'sales/ae': SALES });
    const { outcome } = await apply(dir, box, { clock });
    expect(outcome.kind === 'applied' && outcome.result.created).toBe(1);
    expect(clock.sleeps.length).toBeGreaterThanOrEqual(2);
    expect(box.interviews()).toHaveLength(1);
  });

  it('retries an update after a 5xx, a reset and a hang', async () => {
    const faults: Fault[] = [{ kind: 'status', status: 502 }, { kind: 'reset' }, { kind: 'hang' }];
    const box = await sandbox({ fault: (r) => (r.method === 'PUT' ? faults.shift() : undefined) });
    const dir = project({ 'sales/ae': SALES }, { api: { timeoutMs: 300 } });
    await apply(dir, box);
    writeFileSync(path.join(dir, 'interviews/sales/ae.yaml'), 'interview_name: Account Executive\ninterview_language: de\n');
    const { outcome } = await apply(dir, box);
    expect(outcome.kind === 'applied' && outcome.result).toMatchObject({ updated: 1, failures: [] });
    expect(calls(box).filter((c) => c.startsWith('PUT'))).toHaveLength(4);
    expect(box.interviews()[0]!.body.interview_language).toBe('de');
  });

  it('gives up after maxRetries and reports the failure beside its file', async () => {
    const box = await sandbox({ fault: (r) => (r.method === 'PUT' ? { kind: 'status', status: 500 } : undefined) });
    const dir = project({ 'design/pd': DESIGNER });
    const { outcome } = await apply(dir, box);
    expect(outcome.kind).toBe('applied');
    if (outcome.kind !== 'applied') return;
    expect(outcome.result.failures).toEqual([
      expect.objectContaining({ key: 'design/pd', file: 'interviews/design/pd.yaml', action: 'update', message: expect.stringContaining('500') }),
    ]);
    expect(calls(box)).toHaveLength(1 + 3);
  });

  it('never re-sends a create blindly: an unconfirmed create is looked up by name and adopted', async () => {
    const box = await sandbox({ fault: once('POST', '/interview', { kind: 'reset-after-commit' }) });
    const dir = project({ 'sales/ae': SALES });
    const { outcome } = await apply(dir, box);
    expect(outcome.kind === 'applied' && outcome.result).toMatchObject({ created: 1, reconciled: 1, failures: [] });
    // The lookup reads until an empty page: a server may cap `limit` below ours.
    expect(calls(box)).toEqual(['POST /interview', 'GET /interviews', 'GET /interviews']);
    expect(box.interviews()).toHaveLength(1);
    expect(readStateFile(dir).interviews['sales/ae']!.id).toBe(box.interviews()[0]!.id);
  });

  it('stops looking up when a server ignores `page` and repeats a full page', async () => {
    const full = Array.from({ length: 100 }, (_, i) => ({ interview_id: `other-${i}`, interview_name: `Other ${i}` }));
    let resets = 1;
    const box = await sandbox({
      fault: (r) => {
        if (r.method === 'POST' && resets-- > 0) return { kind: 'reset' };
        if (r.method === 'GET') return { kind: 'status', status: 200, body: { status: true, message: 'ok', data: full } };
        return undefined;
      },
    });
    const dir = project({ 'sales/ae': SALES });
    const { outcome } = await apply(dir, box);
    expect(outcome.kind === 'applied' && outcome.result).toMatchObject({ created: 1, failures: [] });
    expect(calls(box)).toEqual(['POST /interview', 'GET /interviews', 'GET /interviews', 'POST /interview']);
  });

  it('re-sends a create that the lookup shows never happened', async () => {
    const box = await sandbox({ fault: once('POST', '/interview', { kind: 'reset' }) });
    const dir = project({ 'sales/ae': SALES });
    const { outcome } = await apply(dir, box);
    expect(outcome.kind === 'applied' && outcome.result).toMatchObject({ created: 1, reconciled: 0, failures: [] });
    expect(calls(box)).toEqual(['POST /interview', 'GET /interviews', 'POST /interview']);
    expect(box.interviews()).toHaveLength(1);
  });

  it('leaves an unconfirmed create pending and reconciles it on the next run', async () => {
    let failing = true;
    const box = await sandbox({ fault: (r) => (failing && (r.method === 'POST' || r.method === 'GET') ? { kind: 'reset-after-commit' } : undefined) });
    const dir = project({ 'sales/ae': SALES }, { apply: { requestsPerSecond: 1000, maxRetries: 0 } });
    const first = await apply(dir, box);
    expect(first.outcome.kind === 'applied' && first.outcome.result.failures[0]?.message).toMatch(/create not confirmed/);
    expect(readStateFile(dir).pending).toEqual([expect.objectContaining({ key: 'sales/ae', interview_name: 'Account Executive' })]);
    failing = false;
    const plan = await runCli(['plan'], dir, { env: env(box) });
    expect(plan.stdout).toContain('an earlier create was not confirmed');
    const second = await apply(dir, box);
    expect(second.outcome.kind === 'applied' && second.outcome.result).toMatchObject({ reconciled: 1, failures: [] });
    expect(box.interviews()).toHaveLength(1);
    expect(readStateFile(dir).pending).toEqual([]);
  });

  it('treats 400 as final for that interview and goes on with the others', async () => {
    const box = await sandbox({
      fault: (r) => ((r.body as { interview_name?: string })?.interview_name === 'Account Executive' ? { kind: 'status', status: 400, body: { status: false, message: 'interview_name is taken' } } : undefined),
    });
    const dir = project({ 'sales/ae': SALES, 'eng/frontend': FRONTEND });
    const { outcome } = await apply(dir, box);
    if (outcome.kind !== 'applied') throw new Error(outcome.kind);
    expect(outcome.result.created).toBe(1);
    expect(outcome.result.failures).toEqual([
      { key: 'sales/ae', file: 'interviews/sales/ae.yaml', action: 'create', message: 'micro1 rejected it: interview_name is taken' },
    ]);
    expect(calls(box).filter((c) => c === 'POST /interview')).toHaveLength(2);
    expect(readStateFile(dir).pending).toEqual([]);
  });

  it('stops the whole apply at the first 401', async () => {
    const box = await sandbox({ fault: () => ({ kind: 'status', status: 401, body: { status: false, message: 'Invalid API key' } }) });
    const dir = project({ a: SALES, b: FRONTEND, c: 'interview_name: C\n', d: 'interview_name: D\n' }, { apply: { concurrency: 1, requestsPerSecond: 1000 } });
    const { outcome } = await apply(dir, box);
    if (outcome.kind !== 'applied') throw new Error(outcome.kind);
    expect(outcome.result.stoppedBecause).toBe('auth');
    expect(box.requests).toHaveLength(1);
    expect(outcome.result.skipped).toBe(3);
  });

  it('names the file and the fix when a PUT answers 404, and counts a DELETE 404 as gone', async () => {
    const box = await sandbox();
    const dir = project({ 'design/pd': DESIGNER });
    const { outcome } = await apply(dir, box);
    if (outcome.kind !== 'applied') throw new Error(outcome.kind);
    expect(outcome.result.failures[0]).toMatchObject({
      file: 'interviews/design/pd.yaml',
      message: `interview ${ADOPTED_ID} does not exist on micro1 (deleted outside git?)`,
      hint: 'remove the `id:` line from interviews/design/pd.yaml, then `micro1 apply` creates it anew, or pin an id that exists',
    });

    const box2 = await sandbox();
    const dir2 = project({ 'sales/ae': SALES }, { prune: true });
    await apply(dir2, box2);
    const id = box2.interviews()[0]!.id;
    await fetch(`${box2.url}/interview/${id}`, { method: 'DELETE', headers: { 'x-api-key': API_KEY } });
    readdirSync(path.join(dir2, 'interviews/sales')).forEach((f) => writeFileSync(path.join(dir2, 'interviews/sales', f), 'interview_name: renamed\n'));
    const { rmSync } = await import('node:fs');
    rmSync(path.join(dir2, 'interviews/sales/ae.yaml'));
    const second = await apply(dir2, box2);
    if (second.outcome.kind !== 'applied') throw new Error(second.outcome.kind);
    expect(second.outcome.result).toMatchObject({ deleted: 1, failures: [] });
    expect(readStateFile(dir2).interviews).toEqual({});
  });
});

describe('apply guards', () => {
  it('needs the API key before anything is sent', async () => {
    const box = await sandbox();
    const dir = project({ 'sales/ae': SALES });
    const result = await runCli(['apply', '--auto-approve'], dir, { env: { MICRO1_API_URL: box.url } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('No API key: the environment variable MICRO1_API_KEY is not set');
    expect(box.requests).toHaveLength(0);
  });

  it('prints invalid files without colour when only stdout is a terminal', async () => {
    const box = await sandbox();
    const dir = project({ 'sales/ae': 'interview_name: A\ninterview_language: xx\n' });
    const result = await runCli(['apply', '--auto-approve'], dir, { env: env(box), tty: true, stderrTty: false });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('interviews/sales/ae.yaml:2:21  interview_language  "xx" is not a valid interview_language');
    expect(result.stderr).toContain('1 error, 0 warnings: nothing was sent.');
    expect(result.stderr).not.toContain('\x1b[');
    expect(box.requests).toHaveLength(0);
  });

  it('refuses to apply without approval when there is no terminal', async () => {
    const box = await sandbox();
    const dir = project({ 'sales/ae': SALES });
    const result = await runCli(['apply'], dir, { env: env(box) });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('There is no terminal to ask for approval');
    expect(box.requests).toHaveLength(0);
  });

  it('refuses plain http to another host before any DNS lookup or connection', async () => {
    const created: unknown[] = [];
    const onRequest = (message: unknown) => created.push(message);
    channel('undici:request:create').subscribe(onRequest);
    try {
      const dir = project({ 'sales/ae': SALES });
      const result = await runCli(['apply', '--auto-approve'], dir, { env: { MICRO1_API_URL: 'http://interviews.example.com', MICRO1_API_KEY: API_KEY } });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('Refusing to send the API key to http://interviews.example.com');
      expect(created).toEqual([]);
      expect(existsSync(path.join(dir, '.micro1/state.json.lock'))).toBe(false);
    } finally {
      channel('undici:request:create').unsubscribe(onRequest);
    }
  });

  it('refuses a second apply while one holds the lock, naming the holder', async () => {
    const box = await sandbox();
    const dir = project({ 'sales/ae': SALES });
    const lock = { holder: 'ci@runner', pid: process.pid, host: os.hostname(), operation: 'apply', time: '2026-11-29T09:00:00.000Z', token: 't' };
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path.join(dir, '.micro1'));
    writeFileSync(path.join(dir, '.micro1/state.json.lock'), JSON.stringify(lock));
    const result = await runCli(['apply', '--auto-approve'], dir, { env: env(box) });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`The state is locked: apply by ci@runner (pid ${process.pid}) since 2026-11-29T09:00:00.000Z, still running`);
    expect(box.requests).toHaveLength(0);
  });

  it('applies a saved plan exactly and refuses it once stale', async () => {
    const box = await sandbox();
    const dir = project({ 'sales/ae': SALES, 'eng/frontend': FRONTEND });
    expect((await runCli(['plan', '--out', 'plan.json'], dir, { env: env(box) })).code).toBe(0);
    writeFileSync(path.join(dir, 'interviews/eng/extra.yaml'), 'interview_name: Extra\n');
    const added = await runCli(['apply', 'plan.json'], dir, { env: env(box) });
    expect(added.code).toBe(1);
    expect(added.stderr).toContain('The saved plan plan.json is stale: interviews/eng/extra.yaml was added since');

    const { rmSync } = await import('node:fs');
    rmSync(path.join(dir, 'interviews/eng/extra.yaml'));
    const ok = await runCli(['apply', 'plan.json'], dir, { env: env(box) });
    expect(ok.code).toBe(0);
    expect(box.interviews()).toHaveLength(2);

    const again = await runCli(['apply', 'plan.json'], dir, { env: env(box) });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('is stale: the state changed since it was made (serial 0 →');
    expect(box.interviews()).toHaveLength(2);
  });

  it('names a saved plan it cannot use by the path given, and sends nothing', async () => {
    const box = await sandbox();
    const dir = project({ 'sales/ae': SALES });
    expect((await runCli(['plan', '--out', 'plans/p.json'], dir, { env: env(box) })).code).toBe(0);
    const planFile = path.join(dir, 'plans/p.json');
    writeFileSync(planFile, readFileSync(planFile, 'utf8').replace('"prune": false', '"prune": true'));
    const tampered = await runCli(['apply', 'plans/p.json'], dir, { env: env(box) });
    expect(tampered.stderr).toContain('The saved plan plans/p.json was modified after it was written (checksum mismatch)');
    const missing = await runCli(['apply', 'plans/none.json'], dir, { env: env(box) });
    expect(missing.stderr).toContain('The saved plan plans/none.json does not exist');
    for (const result of [tampered, missing]) {
      expect(result.code).toBe(1);
      expect(result.stderr).not.toContain(dir);
    }
    expect(box.requests).toHaveLength(0);
  });

  it('keeps the key out of every output and file', async () => {
    const box = await sandbox({ fault: once('PUT', '/interview', { kind: 'status', status: 400, body: { status: false, message: `bad key ${API_KEY}` } }) });
    const dir = project({ 'sales/ae': SALES, 'design/pd': DESIGNER });
    const result = await runCli(['apply', '--auto-approve'], dir, { env: env(box) });
    const plan = await runCli(['plan', '--json', '--out', 'p.json'], dir, { env: env(box) });
    const files = ['.micro1/state.json', 'p.json'].map((f) => readFileSync(path.join(dir, f), 'utf8'));
    for (const text of [result.stdout, result.stderr, plan.stdout, plan.stderr, ...files, JSON.stringify(box.requests)]) {
      expect(text).not.toContain(API_KEY);
    }
    expect(result.stderr).toContain('bad key ***');
  });
});
