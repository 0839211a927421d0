import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BODY, BODY_FIELDS } from '../src/definitions/body-model.js';
import { readState } from '../src/state/state.js';
import { apply, env, project, sandbox } from './apply-harness.js';
import { fixture, runCli } from './helpers.js';

/**
 * The body inside a state entry is parsed against the body's declaration, field by field, so a
 * hand-edited state is refused where it is read, naming the key and the field, never a crash later.
 */

const STATE = '.micro1/state.json';

/** A project applied to a fresh sandbox: one interview, `eng/a`, with a skill and a question. */
async function appliedProject(): Promise<{ dir: string; box: Awaited<ReturnType<typeof sandbox>> }> {
  const box = await sandbox();
  const dir = project({ 'eng/a': 'interview_name: A\nskills:\n  - name: Go\ncustom_question_list:\n  - question: Why?\n    time: 2\n    type: audio\n' });
  await apply(dir, box);
  return { dir, box };
}

function editState(dir: string, edit: (state: { interviews: Record<string, { spec: Record<string, unknown> }>; pending?: unknown[] }) => void): void {
  const file = path.join(dir, STATE);
  const state = JSON.parse(readFileSync(file, 'utf8'));
  edit(state);
  writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`);
}

describe('the body of a state entry', () => {
  it('refuses an entry that lacks skills, in plan --refresh, naming key and field', async () => {
    const { dir, box } = await appliedProject();
    editState(dir, (s) => delete s.interviews['eng/a']!.spec.skills);
    const result = await runCli(['plan', '--refresh'], dir, { env: env(box) });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`The state file ${STATE} is not a micro1-sync state: interviews.eng/a.spec.skills: `);
    expect(result.stderr).not.toContain('bug');
  });

  it.each([
    ['skills is text', (spec: Record<string, unknown>) => (spec.skills = 'x'), 'interviews.eng/a.spec.skills'],
    ['a skill has no name', (spec: Record<string, unknown>) => (spec.skills = [{ description: 'd' }]), 'interviews.eng/a.spec.skills.0.name'],
    ['a question time is text', (spec: Record<string, unknown>) => ((spec.custom_question_list as Record<string, unknown>[])[0]!.time = '2'), 'interviews.eng/a.spec.custom_question_list.0.time'],
    ['a question type is unknown', (spec: Record<string, unknown>) => ((spec.custom_question_list as Record<string, unknown>[])[0]!.type = 'video'), 'interviews.eng/a.spec.custom_question_list.0.type'],
    ['a boolean is text', (spec: Record<string, unknown>) => (spec.is_proctoring_required = 'yes'), 'interviews.eng/a.spec.is_proctoring_required'],
    ['the language is not a code', (spec: Record<string, unknown>) => (spec.interview_language = 'English'), 'interviews.eng/a.spec.interview_language'],
    ['coding_exercise_details is missing', (spec: Record<string, unknown>) => delete spec.coding_exercise_details, 'interviews.eng/a.spec.coding_exercise_details'],
  ])('refuses one where %s, in plan and validate', async (_, edit, where) => {
    const { dir, box } = await appliedProject();
    editState(dir, (s) => edit(s.interviews['eng/a']!.spec));
    for (const argv of [['plan'], ['plan', '--refresh'], ['validate']]) {
      const result = await runCli(argv, dir, { env: env(box) });
      expect(result.code, argv.join(' ')).toBe(1);
      expect(result.stderr, argv.join(' ')).toContain(`is not a micro1-sync state: ${where}: `);
    }
  });

  it('refuses a pending create whose body is malformed', () => {
    const spec = { interview_name: 'A', skills: 'x' };
    const dir = fixture({ [STATE]: JSON.stringify({ version: 1, lineage: 'l', serial: 1, interviews: {}, pending: [{ key: 'a', interview_name: 'A', spec, sourceHash: '', startedAt: 't' }] }) });
    const file = path.join(dir, STATE);
    expect(() => readState(file, STATE)).toThrow(`${STATE} is not a micro1-sync state: pending.0.spec.skills: `);
  });

  it('accepts what apply writes, a 5-minute question imported as micro1 holds it, and keys it does not know', async () => {
    const { dir } = await appliedProject();
    editState(dir, (s) => {
      const spec = s.interviews['eng/a']!.spec;
      (spec.custom_question_list as Record<string, unknown>[])[0]!.time = 5;
      spec.interview_name = '';
      spec.from_a_newer_micro1 = true;
    });
    const state = readState(path.join(dir, STATE), STATE);
    expect(Object.keys(state.interviews['eng/a']!.spec)).toEqual(expect.arrayContaining([...BODY_FIELDS, 'from_a_newer_micro1']));
  });

  it('refuses every field left out, but one added after the state was written', async () => {
    const { dir } = await appliedProject();
    const file = path.join(dir, STATE);
    const good = readFileSync(file, 'utf8');
    for (const [field, declared] of Object.entries(BODY)) {
      writeFileSync(file, good);
      editState(dir, (s) => delete s.interviews['eng/a']!.spec[field]);
      if ('addedLater' in declared) expect(() => readState(file, STATE), field).not.toThrow();
      else expect(() => readState(file, STATE), field).toThrow(`interviews.eng/a.spec.${field}: `);
    }
  });
});
