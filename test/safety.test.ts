import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Micro1Error } from '../src/errors.js';
import { plan, type Plan } from '../src/plan/planner.js';
import { checkDeleteSafety, deleteSafetyBreaches, deleteSafetyWarnings } from '../src/plan/safety.js';
import type { State } from '../src/state/state.js';
import { apply, calls, env, project, readStateFile, sandbox } from './apply-harness.js';
import { appliedEntry, definition, runCli, stateOf } from './helpers.js';

const DEFAULTS = { maxDeletes: 10, maxDeletePercent: 30 };

/** `managed` interviews in the state, of which the last `deletes` have lost their file (prune on). */
function pruning(managed: number, deletes: number): { plan: Plan; state: State } {
  const defs = Array.from({ length: managed }, (_, i) => definition(`k${String(i).padStart(3, '0')}`, { interview_name: `I${i}` }));
  const state = stateOf(Object.fromEntries(defs.map((d, i) => [d.key, appliedEntry(d, `id-${i}`)])));
  return { plan: plan(defs.slice(0, managed - deletes), state, { prune: true, targets: [], excludes: [] }), state };
}

function breaches(managed: number, deletes: number, safety = DEFAULTS): string[] {
  const { plan: p, state } = pruning(managed, deletes);
  return deleteSafetyBreaches(p, state, safety).map((b) => `${b.setting}: ${b.detail}`);
}

describe('delete thresholds', () => {
  it('allows up to maxDeletes, and refuses one more', () => {
    expect(breaches(100, 10)).toEqual([]);
    expect(breaches(100, 11)).toEqual(['safety.maxDeletes: more than safety.maxDeletes (10)']);
  });

  it('allows up to maxDeletePercent of the managed interviews, and refuses more', () => {
    expect(breaches(20, 6)).toEqual([]);
    expect(breaches(20, 7)).toEqual(['safety.maxDeletePercent: 35% of the 20 managed interviews, more than safety.maxDeletePercent (30%)']);
  });

  it('never prints a share over the threshold as the threshold', () => {
    expect(breaches(33, 10)).toEqual(['safety.maxDeletePercent: 30.3% of the 33 managed interviews, more than safety.maxDeletePercent (30%)']);
    expect(breaches(13, 4)).toEqual(['safety.maxDeletePercent: 31% of the 13 managed interviews, more than safety.maxDeletePercent (30%)']);
  });

  it('applies the percentage only from 10 managed interviews', () => {
    expect(breaches(9, 5)).toEqual([]);
    expect(breaches(10, 4)).toEqual(['safety.maxDeletePercent: 40% of the 10 managed interviews, more than safety.maxDeletePercent (30%)']);
  });

  it('reports both thresholds when both are passed, and honours 0', () => {
    expect(breaches(30, 12)).toEqual([
      'safety.maxDeletes: more than safety.maxDeletes (10)',
      'safety.maxDeletePercent: 40% of the 30 managed interviews, more than safety.maxDeletePercent (30%)',
    ]);
    expect(breaches(3, 1, { maxDeletes: 0, maxDeletePercent: 100 })).toEqual(['safety.maxDeletes: more than safety.maxDeletes (0)']);
    expect(breaches(3, 0, { maxDeletes: 0, maxDeletePercent: 0 })).toEqual([]);
  });

  it('checkDeleteSafety throws with the numbers unless forced', () => {
    const { plan: p, state } = pruning(30, 12);
    let error: unknown;
    try {
      checkDeleteSafety(p, state, DEFAULTS, false);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(Micro1Error);
    expect(error).toMatchObject({
      code: 'TOO_MANY_DELETES',
      message: 'Refusing to delete 12 interviews: more than safety.maxDeletes (10); 40% of the 30 managed interviews, more than safety.maxDeletePercent (30%)',
      hint: 'check the plan; if these deletes are intended, run again with --force (or raise the thresholds in micro1.config.ts)',
    });
    expect(() => checkDeleteSafety(p, state, DEFAULTS, true)).not.toThrow();
    expect(() => checkDeleteSafety(pruning(30, 3).plan, state, DEFAULTS, false)).not.toThrow();
  });

  it('gives plan one warning per threshold passed', () => {
    const { plan: p, state } = pruning(30, 12);
    const hint = 'if these deletes are intended, raise the threshold in micro1.config.ts in this change, or run `micro1 apply --force` yourself';
    expect(deleteSafetyWarnings(p, state, DEFAULTS)).toEqual([
      { key: 'safety.maxDeletes', message: '12 planned deletes are more than safety.maxDeletes (10): apply will refuse them without --force', hint },
      { key: 'safety.maxDeletePercent', message: '12 planned deletes are 40% of the 30 managed interviews, more than safety.maxDeletePercent (30%): apply will refuse them without --force', hint },
    ]);
    const one = pruning(3, 1);
    expect(deleteSafetyWarnings(one.plan, one.state, { maxDeletes: 0, maxDeletePercent: 100 })).toEqual([
      { key: 'safety.maxDeletes', message: '1 planned delete is more than safety.maxDeletes (0): apply will refuse it without --force', hint },
    ]);
  });
});

/** A project of `total` interviews applied to a sandbox, then `removed` of their files deleted. */
async function appliedThenRemoved(total: number, removed: number, config: Record<string, unknown> = {}) {
  const box = await sandbox();
  const files: Record<string, string> = {};
  for (let i = 0; i < total; i++) files[`team/i${String(i).padStart(2, '0')}`] = `interview_name: Interview ${i}\n`;
  const dir = project(files, config);
  const { outcome } = await apply(dir, box);
  expect(outcome.kind).toBe('applied');
  for (let i = total - removed; i < total; i++) rmSync(path.join(dir, `interviews/team/i${String(i).padStart(2, '0')}.yaml`));
  return { box, dir, state: readFileSync(path.join(dir, '.micro1/state.json'), 'utf8'), requests: box.requests.length };
}

const WARNINGS_TEXT = [
  'Warnings:',
  '  ! safety.maxDeletes: 11 planned deletes are more than safety.maxDeletes (10): apply will refuse them without --force',
  '      if these deletes are intended, raise the threshold in micro1.config.json in this change, or run `micro1 apply --force` yourself',
  '  ! safety.maxDeletePercent: 11 planned deletes are 92% of the 12 managed interviews, more than safety.maxDeletePercent (30%): apply will refuse them without --force',
  '      if these deletes are intended, raise the threshold in micro1.config.json in this change, or run `micro1 apply --force` yourself',
  '',
  'Plan: 0 to create, 0 to update, 11 to delete, 1 unchanged.',
  '',
].join('\n');

describe('deletes beyond the thresholds, end to end', () => {
  it('plan warns the reviewer, in text, JSON and Markdown, and still exits 2', async () => {
    const { dir } = await appliedThenRemoved(12, 11, { prune: true });
    const text = await runCli(['plan', '--detailed-exitcode'], dir);
    expect(text.code).toBe(2);
    expect(text.stdout.endsWith(`\n\n${WARNINGS_TEXT}`)).toBe(true);

    const json = JSON.parse((await runCli(['plan', '--json'], dir)).stdout) as { warnings: { key: string }[] };
    expect(json.warnings.map((w) => w.key)).toEqual(['safety.maxDeletes', 'safety.maxDeletePercent']);

    const markdown = (await runCli(['plan', '--format', 'markdown'], dir)).stdout;
    expect(markdown).toContain(
      '\n#### Warnings\n\n- `safety.maxDeletes`: 11 planned deletes are more than safety.maxDeletes (10): apply will refuse them without --force<br>if these deletes are intended, raise the threshold in micro1.config.json in this change, or run `micro1 apply --force` yourself\n',
    );
  });

  it('--prune on the command line plans the deletes and the warnings too', async () => {
    const { dir } = await appliedThenRemoved(12, 11);
    expect((await runCli(['plan'], dir)).stdout).not.toContain('safety.');
    expect((await runCli(['plan', '--prune'], dir)).stdout.endsWith(`\n\n${WARNINGS_TEXT}`)).toBe(true);
  });

  it('apply refuses without --force: nothing sent, state untouched, lock released', async () => {
    const { box, dir, state, requests } = await appliedThenRemoved(12, 11, { prune: true });
    const result = await runCli(['apply', '--auto-approve'], dir, { env: env(box) });
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'Error: Refusing to delete 11 interviews: more than safety.maxDeletes (10); 92% of the 12 managed interviews, more than safety.maxDeletePercent (30%)\n' +
        '  check the plan; if these deletes are intended, run again with --force (or raise the thresholds in micro1.config.json)\n',
    });
    expect(box.requests).toHaveLength(requests);
    expect(readFileSync(path.join(dir, '.micro1/state.json'), 'utf8')).toBe(state);

    // The lock was released: a forced apply goes through and deletes exactly those 11.
    const forced = await runCli(['apply', '--auto-approve', '--force'], dir, { env: env(box) });
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('Apply complete: 0 created, 0 updated, 11 deleted, 0 failed.');
    expect(calls(box).slice(requests).filter((c) => c.startsWith('DELETE '))).toHaveLength(11);
    expect(box.interviews().map((i) => i.body.interview_name)).toEqual(['Interview 0']);
    expect(Object.keys(readStateFile(dir).interviews)).toEqual(['team/i00']);
  });

  it('under GitHub Actions, the refusal is an annotation and the step summary says why', async () => {
    const { box, dir } = await appliedThenRemoved(12, 11, { prune: true });
    const summary = path.join(dir, 'summary.md');
    const result = await runCli(['apply', '--auto-approve'], dir, { env: env(box, { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary }) });
    const message = 'Refusing to delete 11 interviews: more than safety.maxDeletes (10); 92% of the 12 managed interviews, more than safety.maxDeletePercent (30%)';
    const hint = 'check the plan; if these deletes are intended, run again with --force (or raise the thresholds in micro1.config.json)';
    expect(result.stderr).toBe(`Error: ${message}\n  ${hint}\n::error title=micro1 apply failed::${message.replaceAll('%', '%25')}%0A${hint}\n`);
    expect(readFileSync(summary, 'utf8')).toBe(`### micro1 apply\n\n**Error:** ${message}\n\n${hint}\n`);
  });

  it('a saved plan is held to the thresholds too', async () => {
    const { box, dir, requests } = await appliedThenRemoved(12, 11, { prune: true });
    expect((await runCli(['plan', '--out', 'plan.json'], dir, { env: env(box) })).code).toBe(0);
    const refused = await runCli(['apply', 'plan.json'], dir, { env: env(box) });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^Error: Refusing to delete 11 interviews/);
    expect(box.requests).toHaveLength(requests);
    expect((await runCli(['apply', 'plan.json', '--force'], dir, { env: env(box) })).code).toBe(0);
    expect(box.interviews()).toHaveLength(1);
  });

  it('deletes within the thresholds need no --force', async () => {
    const { box, dir } = await appliedThenRemoved(12, 3, { prune: true });
    expect((await runCli(['plan'], dir)).stdout).not.toContain('Warnings:');
    const result = await runCli(['apply', '--auto-approve'], dir, { env: env(box) });
    expect(result.code).toBe(0);
    expect(box.interviews()).toHaveLength(9);
  });

  it('reads the thresholds from the config', async () => {
    const { box, dir, requests } = await appliedThenRemoved(3, 1, { prune: true, safety: { maxDeletes: 0 } });
    expect((await runCli(['plan'], dir)).stdout).toContain('  ! safety.maxDeletes: 1 planned delete is more than safety.maxDeletes (0): apply will refuse it without --force\n');
    const result = await runCli(['apply', '--auto-approve'], dir, { env: env(box) });
    expect(result.stderr).toMatch(/^Error: Refusing to delete 1 interview: more than safety\.maxDeletes \(0\)\n/);
    expect(box.requests).toHaveLength(requests);
  });
});
