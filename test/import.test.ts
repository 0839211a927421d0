import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importCommand } from '../src/commands/import.js';
import { acquireLock } from '../src/state/lock.js';
import { planImport } from '../src/plan/plan-import.js';
import type { Fault, SeedInterview } from '../src/sandbox/sandbox.js';
import { emptyState } from '../src/state/state.js';
import { env, project, readStateFile, sandbox } from './apply-harness.js';
import { runCli } from './helpers.js';
import { VirtualClock } from './virtual-clock.js';

/** `micro1 import` against the sandbox, which lists what it stores in the list shape (seconds, display names). */

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

const BACKEND: SeedInterview = {
  id: id(1),
  body: {
    interview_name: 'Backend Engineer',
    skills: [{ name: 'Go', description: 'services' }, { name: 'SQL' }],
    custom_question_list: [{ question: 'Tell us about an incident.', time: 2, type: 'audio' }],
    interview_language: 'fr',
    selected_coding_language: 'python',
    is_coding_round_required: true,
    coding_exercise_details: 'Build a rate limiter.',
  },
};
const BACKEND_TWIN: SeedInterview = { id: id(2), body: { interview_name: 'Backend Engineer', interview_language: 'en-GB' } };
const DESIGNER: SeedInterview = { id: id(3), body: { interview_name: 'Señor Diseñador (UX)', is_proctoring_required: false, can_change_interview_language: true } };

const BACKEND_FILE = [
  '# GET /interviews does not return coding_exercise_details, so it is not here.',
  '# If this interview has coding exercise details on micro1, add them to this file',
  '# before changing it: apply sends the whole body and would clear them.',
  '',
  `id: ${id(1)}`,
  'interview_name: Backend Engineer',
  'skills:',
  '  - name: Go',
  '    description: services',
  '  - name: SQL',
  'custom_question_list:',
  '  - question: Tell us about an incident.',
  '    time: 2',
  '    type: audio',
  'interview_language: fr',
  'is_coding_round_required: true',
  'selected_coding_language: python',
  '',
].join('\n');

const CODING_WARNING =
  'coding_exercise_details is not in the GET /interviews list, so it was left out: if micro1 has any, add them to the file before its next apply, which would clear them';

function files(dir: string): Record<string, string> {
  const root = path.join(dir, 'interviews');
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const entry of readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const next = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(next);
      else out[next] = readFileSync(path.join(root, next), 'utf8');
    }
  };
  walk('');
  return out;
}

/** GET /interviews answered by `pages` in turn (whatever page is asked for), like a server we do not control. */
function listServedBy(pages: unknown[][]): (r: { method: string; path: string }) => Fault | undefined {
  let n = 0;
  return (r) => {
    if (r.method !== 'GET' || r.path !== '/interviews') return undefined;
    const data = pages[n++] ?? [];
    return { kind: 'status', status: 200, body: { status: true, message: 'Interviews fetched successfully', data } };
  };
}

function listItem(n: number, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    interview_id: id(n),
    interview_name: `Interview ${n}`,
    invite_url: `https://interview.micro1.ai/intro/micro1?uid=${id(n)}`,
    skills: [],
    custom_questions: [],
    interview_language: 'English',
    can_change_interview_language: false,
    only_coding_round: false,
    is_coding_round_required: false,
    selected_coding_language: 'User choice',
    is_proctoring_required: true,
    date_created: '2024-01-01 00:00:00',
    date_modified: '2024-01-01 00:00:00',
    status: 'active',
    ...fields,
  };
}

describe('micro1 import', () => {
  it('writes one canonical file per interview with its id pinned, records state, and the next plan is a no-op', async () => {
    const box = await sandbox({ seed: [BACKEND, BACKEND_TWIN, DESIGNER] });
    const dir = project({});
    const result = await runCli(['import'], dir, { env: env(box) });
    expect(result).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        'Imported 3 interviews of the 3 micro1 listed.',
        `  + interviews/backend-engineer.yaml  id ${id(1)}  "Backend Engineer"`,
        `  + interviews/backend-engineer-2.yaml  id ${id(2)}  "Backend Engineer"`,
        `  + interviews/senor-disenador-ux.yaml  id ${id(3)}  "Señor Diseñador (UX)"`,
        'Check these files:',
        `  ! interviews/backend-engineer.yaml: ${CODING_WARNING}`,
        'State saved to .micro1/state.json.',
        '',
      ].join('\n'),
    });
    expect(files(dir)).toEqual({
      'backend-engineer.yaml': BACKEND_FILE,
      'backend-engineer-2.yaml': `id: ${id(2)}\ninterview_name: Backend Engineer\ninterview_language: en-GB\n`,
      'senor-disenador-ux.yaml': `id: ${id(3)}\ninterview_name: Señor Diseñador (UX)\ncan_change_interview_language: true\nis_proctoring_required: false\n`,
    });
    // Only reads: nothing on micro1 changed. The first page was short, so one more confirms the end.
    expect(box.requests.map((r) => [r.method, r.path, r.query])).toEqual([
      ['GET', '/interviews', { page: '1', limit: '100' }],
      ['GET', '/interviews', { page: '2', limit: '100' }],
    ]);
    const state = readStateFile(dir);
    expect(Object.fromEntries(Object.entries(state.interviews).map(([k, e]) => [k, e.id]))).toEqual({ 'backend-engineer': id(1), 'backend-engineer-2': id(2), 'senor-disenador-ux': id(3) });
    // The state records what the file means: coding_exercise_details "" (the list never showed micro1's).
    expect(state.interviews['backend-engineer']!.spec).toMatchObject({ coding_exercise_details: '', interview_language: 'fr', custom_question_list: [{ question: 'Tell us about an incident.', time: 2, type: 'audio' }] });

    expect(await runCli(['plan', '--detailed-exitcode'], dir, { env: env(box) })).toEqual({ code: 0, stdout: `Target: ${box.url}\n\nNo changes. 3 interviews already match micro1.\n`, stderr: '' });
    expect(await runCli(['fmt', '--check'], dir)).toEqual({ code: 0, stdout: '3 files already formatted.\n', stderr: '' });
  });

  it('works when the interviews folder is the project root', async () => {
    const box = await sandbox({ seed: [BACKEND_TWIN] });
    const dir = project({}, { interviews: '.' });
    expect((await runCli(['import'], dir, { env: env(box) })).stdout).toContain(`  + backend-engineer.yaml  id ${id(2)}  "Backend Engineer"\n`);
    expect(await runCli(['plan', '--detailed-exitcode'], dir, { env: env(box) })).toEqual({ code: 0, stdout: `Target: ${box.url}\n\nNo changes. 1 interview already matches micro1.\n`, stderr: '' });
  });

  it('pages through several pages until a short one, and imports every interview once', async () => {
    const seed = Array.from({ length: 205 }, (_, i) => ({ id: id(i + 1), body: { interview_name: `Role ${String(i + 1).padStart(3, '0')}` } }));
    const box = await sandbox({ seed });
    const dir = project({});
    const result = await runCli(['import'], dir, { env: env(box) });
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe('Imported 205 interviews of the 205 micro1 listed.');
    expect(box.requests.map((r) => r.query)).toEqual([
      { page: '1', limit: '100' },
      { page: '2', limit: '100' },
      { page: '3', limit: '100' },
    ]);
    expect(Object.keys(files(dir))).toHaveLength(205);
    expect(files(dir)['role-205.yaml']).toBe(`id: ${id(205)}\ninterview_name: Role 205\n`);
    expect(Object.keys(readStateFile(dir).interviews)).toHaveLength(205);
    expect((await runCli(['plan', '--detailed-exitcode'], dir, { env: env(box) })).stdout).toBe(`Target: ${box.url}\n\nNo changes. 205 interviews already match micro1.\n`);
  });

  it('reads everything from a server that caps the page size below the limit asked for', async () => {
    const items = Array.from({ length: 25 }, (_, i) => listItem(i + 1));
    const box = await sandbox({ fault: listServedBy([items.slice(0, 10), items.slice(10, 20), items.slice(20)]) });
    const dir = project({});
    const result = await runCli(['import'], dir, { env: env(box) });
    expect(result.stdout.split('\n')[0]).toBe('Imported 25 interviews of the 25 micro1 listed.');
    expect(box.requests.map((r) => r.query.page)).toEqual(['1', '2', '3']);
  });

  it('stops, with a warning, when a server ignores the page and repeats itself', async () => {
    const page = [listItem(1), listItem(2)];
    const box = await sandbox({ fault: listServedBy([page, page, page]) });
    const dir = project({});
    const result = await runCli(['import'], dir, { env: env(box) });
    expect(result.stderr).toBe('warning: GET /interviews page 2 held only interviews already listed, so listing stopped at 2; if micro1 has more, they were not read\n');
    expect(Object.keys(files(dir)).sort()).toEqual(['interview-1.yaml', 'interview-2.yaml']);
    expect(box.requests).toHaveLength(2);
  });

  it('maps values back (seconds to minutes, display names to codes) and warns for each value it cannot map', async () => {
    const box = await sandbox({
      fault: listServedBy([
        [
          listItem(1, {
            interview_name: 'Odd One',
            interview_language: 'Klingon',
            selected_coding_language: 'COBOL',
            only_coding_round: 'yes',
            skills: [{ name: 'Go', description: null }, { description: 'no name' }],
            custom_questions: [
              { question: 'Ninety seconds?', time: 90, type: 'Text' },
              { question: 'Video?', time: 60, type: 'video' },
            ],
          }),
          listItem(2, { interview_name: 'Spanish', interview_language: 'Spanish (Latin America)', selected_coding_language: 'TypeScript' }),
        ],
      ]),
    });
    const dir = project({});
    const result = await runCli(['import'], dir, { env: env(box) });
    expect(result).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        'Imported 2 interviews of the 2 micro1 listed.',
        `  + interviews/odd-one.yaml  id ${id(1)}  "Odd One"`,
        `  + interviews/spanish.yaml  id ${id(2)}  "Spanish"`,
        'Check these files:',
        '  ! interviews/odd-one.yaml: skills[1].name is missing; the skill is left out',
        '  ! interviews/odd-one.yaml: custom_questions[1].type is "video", neither audio nor text; the question is left out',
        '  ! interviews/odd-one.yaml: interview_language is "Klingon", not a value micro1 documents; left out, so the default "en" applies',
        '  ! interviews/odd-one.yaml: only_coding_round is "yes", not true or false; left out, so the default false applies',
        '  ! interviews/odd-one.yaml: selected_coding_language is "COBOL", not a value micro1 documents; left out, so the default "user_choice" applies',
        'State saved to .micro1/state.json.',
        '',
      ].join('\n'),
    });
    expect(files(dir)).toEqual({
      'odd-one.yaml': `id: ${id(1)}\ninterview_name: Odd One\nskills:\n  - name: Go\ncustom_question_list:\n  - question: Ninety seconds?\n    time: 1.5\n    type: text\n`,
      'spanish.yaml': `id: ${id(2)}\ninterview_name: Spanish\ninterview_language: es-la\nselected_coding_language: typescript\n`,
    });
    expect((await runCli(['plan', '--detailed-exitcode'], dir, { env: env(box) })).code).toBe(0);
  });

  it('writes a question time outside 1–4 minutes as micro1 reports it: plan refuses it until fixed, then shows the fix', async () => {
    const box = await sandbox({ fault: listServedBy([[listItem(1, { custom_questions: [{ question: 'Long?', time: 300, type: 'audio' }] })]]) });
    const dir = project({});
    const result = await runCli(['import'], dir, { env: env(box) });
    expect(result.stdout).toContain('  ! interviews/interview-1.yaml: custom_questions[0].time is 300 seconds (5 minutes), outside the documented 1–4 minutes; kept as micro1 reports it\n');
    expect(await runCli(['plan'], dir)).toEqual({
      code: 1,
      stdout: '',
      stderr: 'interviews/interview-1.yaml:5:11  custom_question_list[0].time  time must be at most 4 minutes\n1 error, 0 warnings: nothing was planned.\n',
    });
    const file = path.join(dir, 'interviews/interview-1.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('time: 5', 'time: 4'));
    expect((await runCli(['plan'], dir)).stdout).toContain('      ~ custom_question_list[0].time: 5 -> 4\n');
  });

  it('never overwrites an existing file, and skips what state manages', async () => {
    const box = await sandbox({ seed: [BACKEND_TWIN, DESIGNER] });
    const unrelated = 'interview_name: Someone else\n';
    const dir = project({ 'backend-engineer': unrelated, 'Senor-Disenador-UX': 'interview_name: Case-insensitive twin\n' });
    expect((await runCli(['import', '--keyword', 'Señor'], dir, { env: env(box) })).code).toBe(0);
    expect(box.requests.map((r) => r.query)).toEqual([{ page: '1', limit: '100', keyword: 'Señor' }, { page: '2', limit: '100', keyword: 'Señor' }]);
    const second = await runCli(['import'], dir, { env: env(box) });
    expect(second.stdout).toBe(
      ['Imported 1 interview of the 2 micro1 listed. 1 is already managed here.', `  + interviews/backend-engineer-2.yaml  id ${id(2)}  "Backend Engineer"`, 'State saved to .micro1/state.json.', ''].join('\n'),
    );
    expect(files(dir)['backend-engineer.yaml']).toBe(unrelated);
    expect(files(dir)['Senor-Disenador-UX.yaml']).toBe('interview_name: Case-insensitive twin\n');
    expect(Object.keys(files(dir)).sort()).toEqual(['Senor-Disenador-UX.yaml', 'backend-engineer-2.yaml', 'backend-engineer.yaml', 'senor-disenador-ux-2.yaml']);
    expect(await runCli(['import'], dir, { env: env(box) })).toEqual({ code: 0, stdout: 'Nothing imported: micro1 listed 2 interviews. 2 are already managed here.\n', stderr: '' });
  });

  it('adopts a file that already pins the id and says what micro1 has, without writing it', async () => {
    const box = await sandbox({ seed: [BACKEND_TWIN] });
    const own = `# hand-written\nid: ${id(2)}\ninterview_name: Backend Engineer\ninterview_language: en-GB\n`;
    const dir = project({ 'team/backend': own });
    expect((await runCli(['import'], dir, { env: env(box) })).stdout).toBe(
      [
        'Imported 1 interview of the 1 micro1 listed.',
        `  = interviews/team/backend.yaml  id ${id(2)}  "Backend Engineer"  (the file already matched micro1: state recorded)`,
        'State saved to .micro1/state.json.',
        '',
      ].join('\n'),
    );
    expect(files(dir)).toEqual({ 'team/backend.yaml': own });
    expect((await runCli(['plan', '--detailed-exitcode'], dir)).code).toBe(0);
  });

  it('skips a file that pins the id but differs, unless --force replaces it', async () => {
    const box = await sandbox({ seed: [BACKEND_TWIN] });
    const own = `id: ${id(2)}\ninterview_name: Backend Engineer (new name)\n`;
    const dir = project({ 'team/backend': own });
    expect((await runCli(['import'], dir, { env: env(box) })).stdout).toBe(
      [
        'Nothing imported: micro1 listed 1 interview.',
        'Skipped 1:',
        `  - "Backend Engineer" (id ${id(2)}): interviews/team/backend.yaml already pins it and differs from micro1: \`micro1 import --force\` replaces the file with micro1's version, \`micro1 apply\` sends the file's`,
        '',
      ].join('\n'),
    );
    expect(files(dir)).toEqual({ 'team/backend.yaml': own });
    expect(existsSync(path.join(dir, '.micro1/state.json'))).toBe(false);

    expect((await runCli(['import', '--force'], dir, { env: env(box) })).stdout).toBe(
      [
        'Imported 1 interview of the 1 micro1 listed.',
        `  ~ interviews/team/backend.yaml  id ${id(2)}  "Backend Engineer"  (file replaced: --force)`,
        'State saved to .micro1/state.json.',
        '',
      ].join('\n'),
    );
    expect(files(dir)).toEqual({ 'team/backend.yaml': `id: ${id(2)}\ninterview_name: Backend Engineer\ninterview_language: en-GB\n` });
    expect((await runCli(['plan', '--detailed-exitcode'], dir)).code).toBe(0);
  });

  it('keeps to the rate and rides out 429s with the same limiter and retry policy as apply', async () => {
    const clock = new VirtualClock();
    const seed = Array.from({ length: 150 }, (_, i) => ({ id: id(i + 1), body: { interview_name: `Role ${i + 1}` } }));
    const box = await sandbox({ seed, hiddenRatePerSecond: 1, now: () => clock.now() });
    const dir = project({});
    const outcome = await importCommand({ cwd: dir, env: env(box), force: false, notice: () => {}, clock });
    expect(outcome.kind === 'imported' && outcome.result.imported.length).toBe(150);
    expect(box.requests.map((r) => `${r.query.page}:${String(r.status)}`)).toEqual(['1:200', '2:429', '2:200']);
    // Retry-After: 1 paused the run for a (virtual) second.
    expect(clock.sleeps).toContain(1000);
  });

  it('retries a failing listing as apply retries, then stops naming what failed, with nothing written', async () => {
    const clock = new VirtualClock();
    const box = await sandbox({ fault: (r) => (r.path === '/interviews' ? { kind: 'status', status: 500 } : undefined) });
    const dir = project({});
    await expect(importCommand({ cwd: dir, env: env(box), force: false, notice: () => {}, clock })).rejects.toMatchObject({
      code: 'LIST_FAILED',
      message: 'Cannot read the interviews on micro1 (GET /interviews, page 1): micro1 server error (500)',
      hint: 'micro1 kept failing: try again later',
    });
    // The first try and maxRetries (3 in this project's config) more, each after a backoff.
    expect(box.requests).toHaveLength(4);
    expect(clock.sleeps).toHaveLength(3);
    expect(Object.keys(files(dir))).toEqual([]);
    expect(existsSync(path.join(dir, '.micro1/state.json'))).toBe(false);
    expect(existsSync(path.join(dir, '.micro1/state.json.lock'))).toBe(false);
  });

  it('refuses without an API key, with invalid definitions, or while the state is locked, writing nothing', async () => {
    const box = await sandbox({ seed: [DESIGNER] });
    const dir = project({});
    expect(await runCli(['import'], dir, { env: { MICRO1_API_URL: box.url } })).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error: No API key: the environment variable MICRO1_API_KEY is not set\n  export MICRO1_API_KEY=<your micro1 API key> (the key is never read from a file)\n',
    });

    const invalid = project({ bad: 'interview_name: Bad\nskils: []\n' });
    expect(await runCli(['import'], invalid, { env: env(box) })).toEqual({
      code: 1,
      stdout: '',
      stderr: 'interviews/bad.yaml:2:1  skils  unknown field "skils" (did you mean "skills"?)\n1 error, 0 warnings: nothing was imported.\n',
    });

    mkdirSync(path.join(dir, '.micro1'));
    const lock = acquireLock(path.join(dir, '.micro1/state.json.lock'), 'apply');
    try {
      const locked = await runCli(['import'], dir, { env: env(box) });
      expect(locked.code).toBe(1);
      expect(locked.stderr).toMatch(/^Error: The state is locked: apply by .+ \(pid \d+\) since .+, still running\n/);
    } finally {
      lock.release();
    }
    expect(box.requests).toEqual([]);
    expect(Object.keys(files(dir))).toEqual([]);
    expect(existsSync(path.join(dir, '.micro1/state.json'))).toBe(false);
  });
});

describe('planImport', () => {
  const input = { state: emptyState(), definitions: [], existingKeys: [], interviewsFolder: 'interviews', force: false };

  it('makes a slug of any name, falling back to the id, and suffixes collisions in a stable order', () => {
    const plan = planImport({
      ...input,
      live: [listItem(3, { interview_name: 'Ünïcödé & Co. — Senior/Lead' }), listItem(2, { interview_name: '前端工程师' }), listItem(1, { interview_name: 'A' }), listItem(4, { interview_name: 'a' })],
    });
    expect(plan.imported.map((i) => i.key)).toEqual(['a', 'a-2', 'interview-00000000-0000-4000-8000-000000000002', 'unicode-co-senior-lead']);
    expect(plan.imported.map((i) => i.id)).toEqual([id(1), id(4), id(2), id(3)]);
  });

  it('names files as the loader does, also when the interviews folder is the project root', () => {
    expect(planImport({ ...input, interviewsFolder: '.', live: [listItem(1)] }).imported.map((i) => [i.key, i.file, Object.keys(i.entry.sources ?? {})])).toEqual([
      ['interview-1', 'interview-1.yaml', ['interview-1.yaml']],
    ]);
  });

  it('avoids keys that state holds even when their file is gone, and the keys of unconfirmed creates', () => {
    const state = {
      ...emptyState(),
      interviews: { 'interview-1': { id: 'other', spec: { interview_name: 'x' } as never, sourceHash: '', appliedAt: '' } },
      pending: [{ key: 'interview-2', interview_name: 'Something else', spec: { interview_name: 'x' } as never, sourceHash: '', startedAt: '' }],
    };
    expect(planImport({ ...input, state, live: [listItem(1), listItem(2)] }).imported.map((i) => i.key)).toEqual(['interview-1-2', 'interview-2-2']);
  });

  it('skips an interview that may be an unconfirmed create, one listed twice, and one without a name', () => {
    const state = { ...emptyState(), pending: [{ key: 'eng/go', interview_name: 'Go Engineer', spec: { interview_name: 'Go Engineer' } as never, sourceHash: '', startedAt: '' }] };
    const plan = planImport({ ...input, state, live: [listItem(1, { interview_name: 'Go Engineer' }), listItem(2), listItem(2), listItem(3, { interview_name: ' ' })] });
    expect(plan.imported.map((i) => i.key)).toEqual(['interview-2']);
    expect(plan.skipped).toEqual([
      { id: id(3), name: ' ', reason: 'it has no name, which a definition needs' },
      { id: id(1), name: 'Go Engineer', reason: 'it may be the unconfirmed create of eng/go: run `micro1 apply` first, which adopts it' },
      { id: id(2), name: 'Interview 2', reason: 'micro1 listed it twice' },
    ]);
  });
});
