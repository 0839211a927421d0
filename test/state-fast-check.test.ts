import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { stateChecks } from '../src/state/state.js';
import { apply, project, sandbox } from './apply-harness.js';
import { random } from './chaos-harness.js';

const CLI = fileURLToPath(new URL('../dist/cli/micro1.js', import.meta.url));

/**
 * The state reader's fast check (a compiled shape check, see state/shape-check.ts) must accept
 * exactly what the state's zod schema accepts: a state it passed that zod would refuse is read
 * without the check its contract promises. Thousands of seeded mutations of a valid state, each
 * one value replaced, removed or added anywhere in it, are judged by both.
 */

const VALID = {
  version: 1,
  lineage: 'l-1',
  serial: 3,
  targetHost: 'https://public.api.micro1.ai',
  interviews: {
    'eng/a': {
      id: 'int_a1',
      spec: {
        interview_name: 'A',
        skills: [{ name: 'Go', description: 'systems' }, { name: 'SQL' }],
        custom_question_list: [{ question: 'Why?', time: 2, type: 'audio' }],
        interview_language: 'en',
        can_change_interview_language: false,
        only_coding_round: false,
        is_coding_round_required: false,
        selected_coding_language: 'user_choice',
        coding_exercise_details: '',
        is_proctoring_required: false,
      },
      sourceHash: 'sha256:x',
      sources: { 'interviews/eng/a.yaml': 'h1', 'interviews/_base.yaml': 'h2' },
      appliedAt: '2026-11-29T00:00:00.000Z',
      unseen: ['is_proctoring_required'],
      invite_url: 'https://app.micro1.ai/i/a',
    },
  },
  pending: [{ key: 'eng/b', interview_name: 'B', spec: null as unknown, sourceHash: 'sha256:y', startedAt: '2026-11-29T00:00:00.000Z' }],
};
VALID.pending[0]!.spec = structuredClone(VALID.interviews['eng/a'].spec);

const ODD_VALUES: unknown[] = [null, undefined, 0, -1, 1.5, Number.NaN, '', 'x', 'en', 'audio', 'user_choice', true, false, [], [1], ['x'], {}, { name: 'Go' }, { question: 'q', time: 1, type: 'text' }];

type Path = (string | number)[];

/** Every path to a value inside `value`, the root excluded. */
function paths(value: unknown, at: Path = []): Path[] {
  if (typeof value !== 'object' || value === null) return [];
  const keys: (string | number)[] = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return keys.flatMap((k) => [[...at, k], ...paths((value as Record<string | number, unknown>)[k], [...at, k])]);
}

function mutate(seed: number): unknown {
  const rnd = random(seed);
  const state = structuredClone(VALID) as unknown as Record<string, unknown>;
  const all = paths(state);
  const target = all[Math.floor(rnd() * all.length)]!;
  const parent = target.slice(0, -1).reduce<Record<string | number, unknown>>((v, k) => v[k] as Record<string | number, unknown>, state as Record<string | number, unknown>);
  const key = target.at(-1)!;
  const roll = rnd();
  if (roll < 0.6) parent[key] = ODD_VALUES[Math.floor(rnd() * ODD_VALUES.length)];
  else if (roll < 0.8) {
    if (Array.isArray(parent)) parent.splice(Number(key), 1);
    else delete parent[key];
  } else if (!Array.isArray(parent)) parent[`extra${Math.floor(rnd() * 3)}`] = ODD_VALUES[Math.floor(rnd() * ODD_VALUES.length)];
  else parent.push(ODD_VALUES[Math.floor(rnd() * ODD_VALUES.length)]);
  return JSON.parse(JSON.stringify(state));
}

describe('the state reader\'s fast check', () => {
  it('accepts the valid state, as zod does', () => {
    expect(stateChecks.fast(structuredClone(VALID))).toBe(true);
    expect(stateChecks.zod(structuredClone(VALID))).toBe(true);
  });

  it('agrees with zod on 4,000 seeded mutations of it', () => {
    const disagreements: string[] = [];
    let refused = 0;
    for (let seed = 1; seed <= 4000; seed++) {
      const state = mutate(seed);
      const fast = stateChecks.fast(state);
      const zod = stateChecks.zod(state);
      if (!zod) refused++;
      if (fast !== zod) disagreements.push(`seed ${seed}: fast ${fast}, zod ${zod}: ${JSON.stringify(state).slice(0, 300)}`);
    }
    expect(disagreements.slice(0, 5)).toEqual([]);
    // The mutations reach the checks: most of them make the state invalid.
    expect(refused).toBeGreaterThan(2000);
  });

  it('where code generation is disallowed, states are judged by zod instead, with the same outcome', async () => {
    const box = await sandbox();
    const dir = project({ 'eng/a': 'interview_name: A\nskills:\n  - name: Go\n' });
    await apply(dir, box);
    const plan = (...flags: string[]) => spawnSync(process.execPath, [...flags, CLI, 'plan', '--format', 'json'], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH } });
    const usual = plan();
    const strict = plan('--disallow-code-generation-from-strings');
    expect(strict.stderr).toBe('');
    expect(strict.stdout).toBe(usual.stdout);
    expect(JSON.parse(strict.stdout).summary.no_op).toBe(1);
    // A malformed state is refused the same way on both paths.
    const file = path.join(dir, '.micro1/state.json');
    const state = JSON.parse(readFileSync(file, 'utf8'));
    state.interviews['eng/a'].spec.interview_language = 'klingon';
    writeFileSync(file, JSON.stringify(state));
    const [a, b] = [plan(), plan('--disallow-code-generation-from-strings')];
    expect(b.stderr).toBe(a.stderr);
    expect(b.stderr).toContain('interviews.eng/a.spec.interview_language');
    expect(b.status).toBe(1);
  });
});

