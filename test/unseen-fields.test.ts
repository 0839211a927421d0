import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CanonicalBody } from '../src/definitions/canonical.js';
import { detectDrift, refreshedState } from '../src/plan/drift.js';
import type { SeedInterview } from '../src/sandbox/sandbox.js';
import { readState, serializeState, writeState } from '../src/state/state.js';
import { env, project, readStateFile, sandbox } from './apply-harness.js';
import { body, fixture, runCli } from './helpers.js';

/**
 * GET /interviews never returns coding_exercise_details. After an import, or when a file adopts an
 * interview by pinning its id, micro1 may hold details we have never seen: the plan says so, apply
 * refuses to clear them, and the file setting the field (even to "") is what lifts the refusal.
 */

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const DETAILS = 'Build a rate limiter.';
const BACKEND: SeedInterview = {
  id: id(1),
  body: { interview_name: 'Backend Engineer', interview_language: 'fr', is_coding_round_required: true, coding_exercise_details: DETAILS },
};
const FILE = 'interviews/backend-engineer.yaml';
const UNKNOWN_LINE = '~ coding_exercise_details: (unknown on micro1: never shown by the API) -> ""  # not in the file: apply refuses to clear it';

/** A project with BACKEND imported from a sandbox that holds its details, then its file edited by `edit`. */
async function imported(edit: (text: string) => string) {
  const box = await sandbox({ seed: [BACKEND] });
  const dir = project({});
  const result = await runCli(['import'], dir, { env: env(box) });
  expect(result.code).toBe(0);
  const file = path.join(dir, FILE);
  writeFileSync(file, edit(readFileSync(file, 'utf8')));
  return { box, dir };
}

const relanguage = (text: string) => text.replace('interview_language: fr', 'interview_language: de');
const stateText = (dir: string) => readFileSync(path.join(dir, '.micro1/state.json'), 'utf8');
const sentBodies = (box: Awaited<ReturnType<typeof sandbox>>) => box.requests.filter((r) => r.method === 'PUT').map((r) => r.body as Record<string, unknown>);

describe('import records the fields micro1 never showed', () => {
  it('records unseen: [coding_exercise_details] per imported interview, and the next plan is still a no-op', async () => {
    const { box, dir } = await imported((t) => t);
    expect(readStateFile(dir).interviews['backend-engineer']).toMatchObject({ id: id(1), unseen: ['coding_exercise_details'] });
    expect(await runCli(['plan', '--detailed-exitcode'], dir, { env: env(box) })).toEqual({ code: 0, stdout: `Target: ${box.url}\n\nNo changes. 1 interview already matches micro1.\n`, stderr: '' });
  });
});

describe('plan shows a field micro1 never showed as unknown', () => {
  it('in text, Markdown and JSON, when another field of an imported interview changes', async () => {
    const { box, dir } = await imported(relanguage);
    const text = await runCli(['plan'], dir, { env: env(box) });
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(
      [
        `Target: ${box.url}`,
        '',
        'micro1 will perform the following actions:',
        '',
        `  ~ backend-engineer  (update, id ${id(1)})  ${FILE}`,
        '      ~ interview_language: "fr" -> "de"',
        `      ${UNKNOWN_LINE}`,
        '',
        'Plan: 0 to create, 1 to update, 0 to delete, 0 unchanged.',
        '',
      ].join('\n'),
    );
    const markdown = await runCli(['plan', '--format', 'markdown'], dir);
    expect(markdown.stdout).toContain(`\n! interview_language: "fr" -> "de"\n! ${UNKNOWN_LINE.slice(2)}\n`);
    const json = JSON.parse((await runCli(['plan', '--json'], dir)).stdout);
    expect(json.changes).toHaveLength(1);
    expect(json.changes[0]).toMatchObject({ key: 'backend-engineer', action: 'update', unknown_fields: ['coding_exercise_details'] });
    expect(json.changes[0].changed_fields).toEqual(['interview_language', 'coding_exercise_details']);
  });

  it('shows an explicit value as the change from an unknown one, with nothing to refuse', async () => {
    const { dir } = await imported((t) => `${t}coding_exercise_details: Build a cache.\n`);
    const text = await runCli(['plan', '--detailed-exitcode'], dir);
    expect(text.code).toBe(2);
    expect(text.stdout).toContain('\n      ~ coding_exercise_details: (unknown on micro1: never shown by the API) -> "Build a cache."\n');
    expect(JSON.parse((await runCli(['plan', '--json'], dir)).stdout).changes[0].unknown_fields).toEqual([]);
  });

  it('lists unknown_fields as [] on a change with none', async () => {
    const dir = project({ a: 'interview_name: A\n' });
    expect(JSON.parse((await runCli(['plan', '--json'], dir)).stdout).changes[0].unknown_fields).toEqual([]);
  });
});

describe('apply refuses to clear a field micro1 never showed', () => {
  it('exits 1 with nothing sent, and micro1 keeps its details', async () => {
    const { box, dir } = await imported(relanguage);
    const before = box.requests.length;
    const stateBefore = stateText(dir);
    const result = await runCli(['apply', '--auto-approve'], dir, { env: env(box) });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      [
        'Error: Refusing to apply: 1 update would clear a field micro1 holds but has never shown us (GET /interviews does not return it), so nothing was sent:',
        `  ${FILE} (backend-engineer): coding_exercise_details`,
        '  set `coding_exercise_details` in each file (an empty string `""` clears it on purpose), or leave them out with `--exclude KEY`',
        '',
      ].join('\n'),
    );
    expect(box.requests.length).toBe(before);
    expect(box.interviews()[0]!.body.coding_exercise_details).toBe(DETAILS);
    expect(stateText(dir)).toBe(stateBefore);
  });

  it('refuses a saved plan too, and applies the rest when the key is excluded', async () => {
    const { box, dir } = await imported(relanguage);
    writeFileSync(path.join(dir, 'interviews/other.yaml'), 'interview_name: Other\n');
    expect((await runCli(['plan', '--out', 'plan.json'], dir, { env: env(box) })).code).toBe(0);
    const before = box.requests.length;
    const saved = await runCli(['apply', 'plan.json'], dir, { env: env(box) });
    expect(saved.code).toBe(1);
    expect(saved.stderr).toContain(`  ${FILE} (backend-engineer): coding_exercise_details\n`);
    expect(box.requests.length).toBe(before);

    const rest = await runCli(['apply', '--auto-approve', '--exclude', 'backend-engineer'], dir, { env: env(box) });
    expect(rest.code).toBe(0);
    expect(box.requests.slice(before).map((r) => r.method)).toEqual(['POST']);
    expect(box.interviews().find((i) => i.id === id(1))!.body.coding_exercise_details).toBe(DETAILS);
  });

  it('re-checks a saved plan whose unknown_fields were edited away', async () => {
    const { box, dir } = await imported(relanguage);
    expect((await runCli(['plan', '--out', 'plan.json'], dir, { env: env(box) })).code).toBe(0);
    const planFile = path.join(dir, 'plan.json');
    const saved = JSON.parse(readFileSync(planFile, 'utf8'));
    saved.changes[0].unknown_fields = [];
    saved.changes[0].changed_fields = ['interview_language'];
    const { checksum: _checksum, ...body } = saved;
    const { createHash } = await import('node:crypto');
    saved.checksum = `sha256:${createHash('sha256').update(JSON.stringify(body)).digest('hex')}`;
    writeFileSync(planFile, JSON.stringify(saved));
    const before = box.requests.length;
    const result = await runCli(['apply', 'plan.json'], dir, { env: env(box) });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Refusing to apply');
    expect(box.requests.length).toBe(before);
  });

  it('sends an explicit "" that clears the details on purpose, and the state then knows them', async () => {
    const { box, dir } = await imported((t) => `${relanguage(t)}coding_exercise_details: ""\n`);
    const result = await runCli(['apply', '--auto-approve'], dir, { env: env(box) });
    expect(result.code).toBe(0);
    expect(sentBodies(box)).toEqual([expect.objectContaining({ interview_language: 'de', coding_exercise_details: '' })]);
    expect(box.interviews()[0]!.body.coding_exercise_details).toBe('');
    expect(readStateFile(dir).interviews['backend-engineer']).not.toHaveProperty('unseen');
  });

  it('sends a real value; the next plan is a no-op and the state has no unseen', async () => {
    const { box, dir } = await imported((t) => `${relanguage(t)}coding_exercise_details: Build a cache.\n`);
    expect((await runCli(['apply', '--auto-approve'], dir, { env: env(box) })).code).toBe(0);
    expect(sentBodies(box)).toEqual([expect.objectContaining({ coding_exercise_details: 'Build a cache.' })]);
    expect(box.interviews()[0]!.body.coding_exercise_details).toBe('Build a cache.');
    expect(readStateFile(dir).interviews['backend-engineer']).not.toHaveProperty('unseen');
    expect(await runCli(['plan', '--detailed-exitcode'], dir, { env: env(box) })).toEqual({ code: 0, stdout: `Target: ${box.url}\n\nNo changes. 1 interview already matches micro1.\n`, stderr: '' });
  });

  it('sends an explicit value that is the only change, since micro1 may hold another', async () => {
    const { box, dir } = await imported((t) => `${t}coding_exercise_details: ""\n`);
    expect((await runCli(['apply', '--auto-approve'], dir, { env: env(box) })).code).toBe(0);
    expect(sentBodies(box)).toEqual([expect.objectContaining({ coding_exercise_details: '' })]);
    expect(box.interviews()[0]!.body.coding_exercise_details).toBe('');
  });

  it('refuses an adoption by pinned id with no state entry', async () => {
    const box = await sandbox({ seed: [BACKEND] });
    const dir = project({ 'backend-engineer': `id: ${id(1)}\ninterview_name: Backend Engineer\n` });
    const text = await runCli(['plan'], dir);
    expect(text.stdout).toContain('      # adopts an existing micro1 interview: its fields are replaced by this file\n');
    expect(text.stdout).toContain(`\n      ${UNKNOWN_LINE}\n`);
    const result = await runCli(['apply', '--auto-approve'], dir, { env: env(box) });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`  ${FILE} (backend-engineer): coding_exercise_details\n`);
    expect(box.requests).toEqual([]);
    expect(box.interviews()[0]!.body.coding_exercise_details).toBe(DETAILS);

    writeFileSync(path.join(dir, FILE), `id: ${id(1)}\ninterview_name: Backend Engineer\ncoding_exercise_details: ${DETAILS}\n`);
    expect((await runCli(['apply', '--auto-approve'], dir, { env: env(box) })).code).toBe(0);
    expect(sentBodies(box)).toEqual([expect.objectContaining({ coding_exercise_details: DETAILS })]);
  });

  it('keeps unseen when a file moves with its pinned id and nothing is sent', async () => {
    const { box, dir } = await imported((t) => t);
    mkdirSync(path.join(dir, 'interviews/eng'));
    renameSync(path.join(dir, FILE), path.join(dir, 'interviews/eng/backend.yaml'));
    expect((await runCli(['apply', '--auto-approve'], dir, { env: env(box) })).code).toBe(0);
    expect(readStateFile(dir).interviews).toEqual({ 'eng/backend': expect.objectContaining({ id: id(1), unseen: ['coding_exercise_details'] }) });
  });
});

describe('state show', () => {
  it('says which fields micro1 has never shown, in text and JSON', async () => {
    const { dir } = await imported((t) => t);
    const text = await runCli(['state', 'show', 'backend-engineer'], dir);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('\n  source hash: sha256:');
    expect(text.stdout).toContain('\n  never shown: coding_exercise_details (GET /interviews does not return it: set it in the file before the next apply)\n');
    expect(JSON.parse((await runCli(['state', 'show', 'backend-engineer', '--json'], dir)).stdout)).toMatchObject({ key: 'backend-engineer', unseen: ['coding_exercise_details'] });
  });
});

describe('plan --refresh', () => {
  it('keeps the unseen fields of an entry it refreshes', async () => {
    const { box, dir } = await imported((t) => t);
    const state = readState(path.join(dir, '.micro1/state.json'));
    const live = [{ ...listItemOf(box.interviews()[0]!), interview_language: 'German' }];
    const drift = detectDrift(state, live);
    expect(drift.changed).toHaveLength(1);
    expect(refreshedState(state, drift).interviews['backend-engineer']).toMatchObject({ unseen: ['coding_exercise_details'], spec: { interview_language: 'de' } });
  });
});

describe('the state file', () => {
  // Keys in sorted order, as micro1-sync writes them.
  const spec = Object.fromEntries(Object.entries(body({ interview_name: 'A' })).sort(([a], [b]) => (a < b ? -1 : 1)));
  const entry = { appliedAt: '2024-05-01T12:00:00.000Z', id: 'id-a', sourceHash: 'h', spec };
  const write = (interviews: Record<string, unknown>) =>
    fixture({ '.micro1/state.json': `${JSON.stringify({ interviews, lineage: 'l', pending: [], serial: 1, version: 1 }, null, 2)}\n` });

  it('refuses an unseen that is not a list', () => {
    const dir = write({ a: { ...entry, unseen: 'coding_exercise_details' } });
    expect(() => readState(path.join(dir, '.micro1/state.json'), 'state.json')).toThrow(/^The state file state\.json is not a micro1-sync state: interviews\.a\.unseen: must be a list of interview body fields/);
  });

  it('refuses an unseen that names no body field', () => {
    const dir = write({ a: { ...entry, unseen: ['coding_excercise_details'] } });
    expect(() => readState(path.join(dir, '.micro1/state.json'), 'state.json')).toThrow(/^The state file state\.json is not a micro1-sync state: interviews\.a\.unseen\.0: not an interview body field/);
  });

  it('reads and writes a state without unseen byte for byte, and one with it too', () => {
    for (const interviews of [{ a: entry }, { a: { ...entry, unseen: ['coding_exercise_details'] } }]) {
      const dir = write(interviews);
      const file = path.join(dir, '.micro1/state.json');
      const original = readFileSync(file, 'utf8');
      const state = readState(file);
      expect(serializeState(state)).toBe(original);
      writeState(file, { ...state, serial: state.serial - 1 });
      expect(readFileSync(file, 'utf8')).toBe(original);
    }
  });
});

/** A sandbox interview in the list shape (seconds, display names), as GET /interviews returns it. */
function listItemOf(interview: { id: string; body: CanonicalBody }): Record<string, unknown> {
  const { coding_exercise_details: _hidden, custom_question_list: _questions, ...rest } = interview.body;
  return { interview_id: interview.id, ...rest, custom_questions: [], interview_language: 'French', selected_coding_language: 'User choice' };
}
