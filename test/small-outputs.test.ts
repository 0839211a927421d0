import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { API_KEY, apply, env, project, readStateFile, sandbox } from './apply-harness.js';
import { fixture, runCli } from './helpers.js';
import { renderApplySummary } from '../src/render/render-apply.js';

/** Issue 17, "small wrong outputs": each line a user reads says what happened, no more and no less. */

const GO = 'interview_name: Go Engineer\n';
const SALES = 'interview_name: Account Executive\n';
const DATA = 'interview_name: Data Engineer\n';

describe('apply with nothing to do', () => {
  it('still shows the warnings of the plan', async () => {
    const box = await sandbox();
    const dir = project({ 'eng/go': GO, 'sales/ae': SALES });
    expect((await runCli(['apply', '--auto-approve'], dir, { env: env(box) })).code).toBe(0);
    // The file is gone: not pruned, so a warning and nothing to do.
    rmSync(path.join(dir, 'interviews/sales/ae.yaml'));
    const summary = path.join(dir, 'summary.md');
    writeFileSync(summary, '');
    const result = await runCli(['apply', '--auto-approve', '--target', 'eng/go', '--target', 'eng/nope'], dir, { env: env(box, { GITHUB_STEP_SUMMARY: summary }) });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('--target eng/nope matches no interview');
    expect(result.stdout).toContain('No changes. 1 interview already matches micro1.\n');
    const all = await runCli(['apply', '--auto-approve'], dir, { env: env(box, { GITHUB_STEP_SUMMARY: summary }) });
    expect(all.stdout).toContain('sales/ae: no longer managed: its file is gone');
    expect(readFileSync(summary, 'utf8')).toContain('#### Warnings');
    expect(readFileSync(summary, 'utf8')).toContain('no longer managed: its file is gone');
  });
});

describe('applying a saved plan', () => {
  it('reports the unchanged count the plan found', async () => {
    const box = await sandbox();
    const dir = project({ 'eng/go': GO, 'sales/ae': SALES, 'eng/data': DATA });
    expect((await runCli(['apply', '--auto-approve'], dir, { env: env(box) })).code).toBe(0);
    writeFileSync(path.join(dir, 'interviews/eng/go.yaml'), `${GO}interview_language: de\n`);
    const planned = await runCli(['plan', '--out', 'p.json'], dir, { env: env(box) });
    expect(planned.stdout).toContain('Plan: 0 to create, 1 to update, 0 to delete, 2 unchanged.');
    const applied = await runCli(['apply', 'p.json'], dir, { env: env(box) });
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain('Plan: 0 to create, 1 to update, 0 to delete, 2 unchanged.\n');
  });
});

describe('an apply refused with 401', () => {
  it('does not say "State saved" when it wrote nothing', async () => {
    const box = await sandbox();
    const dir = project({ 'eng/go': GO });
    expect((await runCli(['apply', '--auto-approve'], dir, { env: env(box) })).code).toBe(0);
    const before = readFileSync(path.join(dir, '.micro1/state.json'), 'utf8');
    writeFileSync(path.join(dir, 'interviews/eng/go.yaml'), `${GO}interview_language: de\n`);
    const refused = await runCli(['apply', '--auto-approve'], dir, { env: env(box, { MICRO1_API_KEY: `${API_KEY}-wrong` }) });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Apply stopped: micro1 refused the API key');
    expect(refused.stderr).not.toContain('State saved');
    expect(refused.stderr).toContain('State file .micro1/state.json left unchanged: nothing was confirmed (1 request sent).\n');
    expect(readFileSync(path.join(dir, '.micro1/state.json'), 'utf8')).toBe(before);
  });
});

describe('requests abandoned in flight', () => {
  it('count as outcome unknown, not failed, and the next apply finishes them', async () => {
    const stop = new AbortController();
    const abandon = new AbortController();
    let hung = 0;
    const box = await sandbox({
      fault: (r) => {
        if (r.method !== 'PUT' || hung > 0) return undefined;
        hung++;
        // Ctrl-C twice while the update is in flight.
        queueMicrotask(() => {
          stop.abort();
          abandon.abort();
        });
        return { kind: 'hang' };
      },
    });
    const dir = project({ 'eng/go': GO });
    await apply(dir, box);
    writeFileSync(path.join(dir, 'interviews/eng/go.yaml'), `${GO}interview_language: de\n`);
    const { outcome } = await apply(dir, box, { stop: stop.signal, abandon: abandon.signal });
    expect(outcome.kind).toBe('applied');
    if (outcome.kind !== 'applied') return;
    expect(outcome.result.failures).toMatchObject([{ key: 'eng/go', action: 'update', outcomeUnknown: true }]);
    const text = renderApplySummary(outcome.result, outcome.statePath, outcome.stateWritten);
    expect(text).toContain('Apply interrupted: 0 created, 0 updated, 0 deleted, 0 failed, 1 outcome unknown.\n');
    expect(text).toContain('  ? interviews/eng/go.yaml  update eng/go: abandoned while in flight (apply was interrupted): micro1 may or may not have made the change\n');
    expect(text).toContain('      the next `micro1 apply` sends it again (an update or delete sent twice does no harm)\n');
    // Under GitHub Actions: a warning, not a failure.
    const { applyFailureAnnotations } = await import('../src/render/github.js');
    expect(applyFailureAnnotations(outcome.result.failures, (f) => f)).toMatch(/^::warning file=interviews\/eng\/go\.yaml,title=micro1 apply%3A update eng\/go%3A outcome unknown::abandoned while in flight/);
    // As the hint says: the next apply sends it again.
    const again = await runCli(['apply', '--auto-approve'], dir, { env: env(box) });
    expect(again.stdout).toContain('Apply complete: 0 created, 1 updated, 0 deleted, 0 failed.');
    expect(box.interviews()[0]!.body.interview_language).toBe('de');
  });
});

describe('running from a subfolder', () => {
  it('finds the config by walking up, and stops at the repository root', async () => {
    const box = await sandbox();
    const dir = project({ 'eng/go': GO }, { interviews: 'defs' });
    mkdirSync(path.join(dir, 'defs/eng'), { recursive: true });
    writeFileSync(path.join(dir, 'defs/eng/go.yaml'), GO);
    mkdirSync(path.join(dir, '.git'));
    const sub = path.join(dir, 'defs/eng');
    const planned = await runCli(['plan'], sub, { env: env(box) });
    expect(planned.stdout).toContain('Plan: 1 to create');
    expect(planned.stdout).toContain('+ eng/go');
    const applied = await runCli(['apply', '--auto-approve'], sub, { env: env(box) });
    expect(applied.code).toBe(0);
    expect(Object.keys(readStateFile(dir).interviews)).toEqual(['eng/go']);

    // A config above the repository root is not the project's.
    const outer = fixture({ 'micro1.config.json': JSON.stringify({ interviews: 'elsewhere' }), 'repo/.git/HEAD': '', 'repo/interviews/a.yaml': 'interview_name: A\n', 'repo/sub/.keep': '' });
    const inner = await runCli(['validate'], path.join(outer, 'repo'));
    expect(inner.code).toBe(0);
  });

  it('names the config it read when the interviews folder is missing', async () => {
    const dir = fixture({ 'micro1.config.json': JSON.stringify({ interviews: 'defs' }), '.git/HEAD': '', 'team/notes/.keep': '' });
    const result = await runCli(['plan'], path.join(dir, 'team/notes'));
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('Error: The interviews folder defs does not exist\n  create it, or set `interviews` in ../../micro1.config.json to the folder that holds your definitions\n');
  });
});
