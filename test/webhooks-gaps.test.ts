import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UNREACHABLE_AFTER } from '../src/apply/applier.js';
import type { Sandbox } from '../src/sandbox/sandbox.js';
import { API_KEY, apply, env, project, sandbox } from './apply-harness.js';
import { closedPort, runCli } from './helpers.js';

/**
 * Webhooks get what interviews have: `forget` and `state mv` take `webhook:KEY` with the same
 * checks and messages, the selection flags say how to name one, and the webhook applier stops at
 * an unreachable micro1 and announces long waits like the interview applier.
 */

const ATS = 'url: https://ats.example.com/micro1\nevent: interview_report.created\ndescription: Reports to the ATS\n';

function withHooks(hooks: Record<string, string>): string {
  const dir = project({ 'eng/backend': 'interview_name: Backend Engineer\n' });
  mkdirSync(path.join(dir, 'webhooks'), { recursive: true });
  for (const [key, text] of Object.entries(hooks)) writeFileSync(path.join(dir, 'webhooks', `${key}.yaml`), text);
  return dir;
}

const stateText = (dir: string) => readFileSync(path.join(dir, '.micro1/state.json'), 'utf8');

describe('micro1 forget webhook:KEY', () => {
  it('refuses while the file exists, suggests a near key, then forgets it and the plan stops warning', async () => {
    const box = await sandbox();
    const dir = withHooks({ ats: ATS });
    await apply(dir, box);
    const id = box.webhooks()[0]!.id;
    const before = stateText(dir);
    expect(await runCli(['forget', 'webhook:ats'], dir, { env: {} })).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error: Nothing was forgotten: webhook:ats still has its file webhooks/ats.yaml\n  forget is for webhooks whose file is gone: delete webhooks/ats.yaml first, or keep it managed\n',
    });
    expect(await runCli(['forget', 'webhook:atz'], dir, { env: {} })).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error: Nothing was forgotten: webhook:atz is not in .micro1/state.json\n  did you mean webhook:ats?\n',
    });
    expect((await runCli(['forget', 'webhook:nothing-like-it'], dir, { env: {} })).stderr).toBe(
      'Error: Nothing was forgotten: webhook:nothing-like-it is not in .micro1/state.json\n  `micro1 forget` takes keys as recorded in .micro1/state.json (webhook:KEY, KEY the path under the webhooks folder, no extension)\n',
    );
    expect(stateText(dir)).toBe(before);

    renameSync(path.join(dir, 'webhooks/ats.yaml'), path.join(dir, 'ats.yaml.bak'));
    const warned = await runCli(['plan'], dir, { env: env(box) });
    expect(warned.stdout).toContain(`! webhook:ats: no longer managed`);
    expect(warned.stdout).toContain('`micro1 forget webhook:ats`');
    const forgot = await runCli(['forget', 'webhook:ats'], dir, { env: {} });
    expect(forgot).toEqual({ code: 0, stdout: `Forgot webhook:ats (${id}): it stays on micro1, no longer managed.\nState saved to .micro1/state.json.\n`, stderr: '' });
    const plan = await runCli(['plan'], dir, { env: env(box) });
    expect(plan.stdout).toBe(`Target: ${box.url}\n\nNo changes. 1 interview already matches micro1.\n`);
    expect(box.webhooks()).toHaveLength(1);
  });
});

describe('micro1 state mv webhook:OLD webhook:NEW', () => {
  it('a renamed webhook file: the plan names the command, which turns delete + create into nothing', async () => {
    const box = await sandbox();
    const dir = withHooks({ ats: ATS });
    await apply(dir, box);
    const id = box.webhooks()[0]!.id;
    renameSync(path.join(dir, 'webhooks/ats.yaml'), path.join(dir, 'webhooks/reports.yaml'));
    const plan = await runCli(['plan'], dir, { env: env(box) });
    expect(plan.stdout).toContain('+ webhook:reports  (create)');
    expect(plan.stdout).toContain(`if webhooks/ats.yaml was renamed to webhooks/reports.yaml, run \`micro1 state mv webhook:ats webhook:reports\` to keep managing ${id} under the new name instead of creating a second webhook`);
    const moved = await runCli(['state', 'mv', 'webhook:ats', 'webhook:reports'], dir, { env: {} });
    expect(moved).toEqual({ code: 0, stdout: `Moved webhook:ats to webhook:reports (id ${id}) in .micro1/state.json.\n`, stderr: '' });
    expect((await runCli(['plan'], dir, { env: env(box) })).stdout).toBe(`Target: ${box.url}\n\nNo changes. 1 interview and 1 webhook already match micro1.\n`);
    const applied = await runCli(['apply', '--auto-approve'], dir, { env: env(box) });
    expect(applied.code).toBe(0);
    expect(box.webhooks()).toHaveLength(1);
  });

  it('says what is left to do, and refuses what it cannot do', async () => {
    const box = await sandbox();
    const dir = withHooks({ ats: ATS, other: 'url: https://ats.example.com/o\nevent: applicant.created\n' });
    await apply(dir, box);
    const id = box.webhooks().find((h) => h.body.event === 'interview_report.created')!.id;
    const before = stateText(dir);
    const cases: [string[], string][] = [
      [['webhook:nope', 'webhook:x'], 'Error: webhook:nope is not in the state\n  `micro1 state list` shows the keys it holds\n'],
      [['webhook:atz', 'webhook:x'], 'Error: webhook:atz is not in the state\n  did you mean webhook:ats?\n'],
      [['webhook:ats', 'webhook:other'], `Error: webhook:other is already in the state (id ${box.webhooks().find((h) => h.body.event === 'applicant.created')!.id})\n  \`micro1 state rm webhook:other\` first if that entry is stale\n`],
      [['webhook:ats', 'webhook:a.yaml'], 'Error: "webhook:a.yaml" is not a webhook key: leave out the .yaml extension\n  a key is webhook: and the file path under the webhooks folder without extension, e.g. webhook:ats/reports\n'],
      [['webhook:ats', 'eng/ats'], 'Error: webhook:ats cannot become eng/ats: a state entry keeps its kind\n  name the new key as webhook:KEY\n'],
    ];
    for (const [args, stderr] of cases) expect(await runCli(['state', 'mv', ...args], dir, { env: {} })).toEqual({ code: 1, stdout: '', stderr });
    expect(stateText(dir)).toBe(before);
    const moved = await runCli(['state', 'mv', 'webhook:ats', 'webhook:hr/ats'], dir, { env: {} });
    expect(moved.stdout).toBe(
      `Moved webhook:ats to webhook:hr/ats (id ${id}) in .micro1/state.json.\n  No file webhooks/hr/ats.yaml yet: rename the definition file too, or the next plan sees it as gone.\n  webhooks/ats.yaml still exists: the next plan creates it as a new webhook.\n`,
    );
    expect((await runCli(['plan'], dir, { env: env(box) })).stdout).toContain('+ webhook:ats  (create)');
    expect(existsSync(path.join(dir, '.micro1/state.json.lock'))).toBe(false);
  });
});

describe('--target and --exclude say how to select a webhook', () => {
  it('in the help of plan and apply', async () => {
    for (const command of ['plan', 'apply']) {
      const help = (await runCli([command, '--help'], project({}))).stdout;
      expect(help).toMatch(/--target KEY +only this interview key, folder or glob, or webhook:KEY for a webhook \(repeatable\)/);
      expect(help).toMatch(/--exclude KEY +leave this key, folder or glob out; webhook:KEY for a webhook \(repeatable\)/);
    }
  });
});

describe('the webhook applier stops at an unreachable micro1 and announces long waits', () => {
  it('38 webhook creates to a refused port: few requests, one message naming the URL, the rest not started', async () => {
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}`;
    const hooks = Object.fromEntries(Array.from({ length: 38 }, (_, i) => [`h${i}`, `url: https://ats.example.com/h${i}\nevent: applicant.created\n`]));
    const dir = withHooks(hooks);
    // The interview is already applied elsewhere: only webhooks are sent.
    const { outcome } = await apply(dir, { url } as Sandbox, { env: { MICRO1_API_URL: url, MICRO1_API_KEY: API_KEY }, excludes: ['eng/backend'] });
    expect(outcome.kind).toBe('applied');
    if (outcome.kind !== 'applied') return;
    expect(outcome.result).toMatchObject({ stoppedBecause: 'unreachable', created: 0, failures: [], skipped: 38 });
    expect(outcome.result.requests).toBeLessThanOrEqual(UNREACHABLE_AFTER + 4);
    expect(outcome.result.stopReason).toContain(url);
    expect(outcome.result.stopHint).toContain('MICRO1_API_URL');
  });

  it('a webhook wait past apply.maxDurationMs stops the run with the same reason and hint as for interviews', async () => {
    const box = await sandbox({ fault: (r) => (r.method === 'POST' && r.path === '/webhook' ? { kind: 'status', status: 429, retryAfter: '300' } : undefined) });
    const dir = project({}, { apply: { concurrency: 1, requestsPerSecond: 1000, maxRetries: 3, maxDurationMs: 60_000 } });
    mkdirSync(path.join(dir, 'webhooks'), { recursive: true });
    writeFileSync(path.join(dir, 'webhooks', 'ats.yaml'), ATS);
    const { outcome } = await apply(dir, box);
    expect(outcome.kind).toBe('applied');
    if (outcome.kind !== 'applied') return;
    expect(outcome.result).toMatchObject({ stoppedBecause: 'deadline', created: 0 });
    expect(outcome.result.stopReason).toContain('apply.maxDurationMs (1 min) has passed');
    expect(outcome.result.stopHint).toBe('run `micro1 apply` again later, or raise apply.maxDurationMs in the config');
  });

  it('a 429 with a long Retry-After on a webhook create is announced once', async () => {
    let left = 1;
    const box = await sandbox({ fault: (r) => (r.method === 'POST' && r.path === '/webhook' && left-- > 0 ? { kind: 'status', status: 429, retryAfter: '40' } : undefined) });
    const dir = withHooks({ ats: ATS });
    const { outcome, notices, clock } = await apply(dir, box);
    expect(outcome.kind).toBe('applied');
    expect(notices).toEqual(['Waiting 40 s before sending again: micro1 answered 429 with Retry-After: 40.']);
    expect(clock.sleeps).toContain(40_000);
    expect(box.webhooks()).toHaveLength(1);
  });
});
