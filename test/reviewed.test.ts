import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { API_KEY, calls, project, sandbox } from './apply-harness.js';
import { BIN } from './chaos-harness.js';
import { fixture, runCli } from './helpers.js';
import { reviewedDifferences } from '../src/plan/reviewed.js';

/**
 * `apply --reviewed PLANFILE`: plan now, apply only what the reviewer saw (keys, actions, ids,
 * bodies, target host), else send nothing and say what differs. State movement elsewhere is no difference.
 */

const GO = 'interview_name: Go Engineer\nskills:\n  - name: Go\n';
const SALES = 'interview_name: Account Executive\ninterview_language: fr\n';
const envFor = (url: string) => ({ MICRO1_API_URL: url, MICRO1_API_KEY: API_KEY });
const execute = promisify(execFile);

describe('apply --reviewed', () => {
  it('applies a plan that still sends what was reviewed, without asking', async () => {
    const box = await sandbox();
    const cwd = project({ 'eng/go': GO, 'sales/ae': SALES });
    expect((await runCli(['plan', '--out', 'reviewed.json'], cwd, { env: envFor(box.url) })).code).toBe(0);
    const applied = await runCli(['apply', '--reviewed', 'reviewed.json'], cwd, { env: envFor(box.url) });
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    expect(calls(box)).toEqual(['POST /interview', 'POST /interview']);
  });

  it('refuses, sending nothing, when a file changed since the review, and lists each difference', async () => {
    const box = await sandbox();
    const cwd = project({ 'eng/go': GO, 'sales/ae': SALES });
    expect((await runCli(['plan', '--out', 'reviewed.json'], cwd, { env: envFor(box.url) })).code).toBe(0);
    writeFileSync(path.join(cwd, 'interviews/eng/go.yaml'), 'interview_name: Go Engineer\nskills:\n  - name: Rust\n');
    rmSync(path.join(cwd, 'interviews/sales/ae.yaml'));
    writeFileSync(path.join(cwd, 'interviews/ops.yaml'), 'interview_name: SRE\n');
    const refused = await runCli(['apply', '--reviewed', 'reviewed.json'], cwd, { env: envFor(box.url) });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      [
        'Error: Refusing to apply: what would be applied now differs from the reviewed plan reviewed.json, so nothing was sent (3 differences):',
        '  - "eng/go": the create sends another body than reviewed (skills)',
        '  - "ops": not in the reviewed plan, now create',
        '  - "sales/ae": reviewed create, now no change',
        '  have the new plan reviewed: `micro1 plan --out reviewed.json`, read it, then `micro1 apply --reviewed reviewed.json` (in CI: push to the pull request again, or open a new one, so its plan is commented and reviewed)',
        '',
      ].join('\n'),
    );
    expect(box.requests).toHaveLength(0);
    expect(existsSync(path.join(cwd, '.micro1/state.json'))).toBe(false);

    // The hint, followed: a new plan, reviewed, then applied.
    expect((await runCli(['plan', '--out', 'reviewed.json'], cwd, { env: envFor(box.url) })).code).toBe(0);
    expect((await runCli(['apply', '--reviewed', 'reviewed.json'], cwd, { env: envFor(box.url) })).code).toBe(0);
    expect(calls(box)).toEqual(['POST /interview', 'POST /interview']);
  });

  it('binds webhooks too: an unreviewed URL change is refused, a reviewed one applied', async () => {
    const box = await sandbox();
    const cwd = project({ 'eng/go': GO });
    const hook = (url: string) => `url: ${url}\nevent: interview_report.created\n`;
    const write = (url: string) => {
      mkdirSync(path.join(cwd, 'webhooks'), { recursive: true });
      writeFileSync(path.join(cwd, 'webhooks/ats.yaml'), hook(url));
    };
    write('https://ats.example.com/micro1');
    expect((await runCli(['plan', '--out', 'reviewed.json'], cwd, { env: envFor(box.url) })).code).toBe(0);
    // After the review, the URL now sends every report elsewhere.
    write('https://evil.example.net/collect');
    const refused = await runCli(['apply', '--reviewed', 'reviewed.json'], cwd, { env: envFor(box.url) });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('"webhook:ats": the create sends another body than reviewed (url)');
    expect(box.requests).toHaveLength(0);
    write('https://ats.example.com/micro1');
    const applied = await runCli(['apply', '--reviewed', 'reviewed.json'], cwd, { env: envFor(box.url) });
    expect(applied.code).toBe(0);
    expect(calls(box).sort()).toEqual(['POST /interview', 'POST /webhook']);
    expect(box.webhooks().map((h) => h.body.url)).toEqual(['https://ats.example.com/micro1']);
  });

  it('is not stopped by the state moving for other interviews (another merge applied in between)', async () => {
    const box = await sandbox();
    const cwd = project({ 'eng/go': GO });
    expect((await runCli(['apply', '--auto-approve'], cwd, { env: envFor(box.url) })).code).toBe(0);
    // This pull request edits eng/go and is planned...
    writeFileSync(path.join(cwd, 'interviews/eng/go.yaml'), 'interview_name: Go Engineer II\n');
    expect((await runCli(['plan', '--out', 'reviewed.json'], cwd, { env: envFor(box.url) })).code).toBe(0);
    // ...while another one, adding sales/ae, is merged and applied first: the serial moves.
    writeFileSync(path.join(cwd, 'interviews/sales-ae.yaml'), SALES);
    expect((await runCli(['apply', '--auto-approve', '--target', 'sales-ae'], cwd, { env: envFor(box.url) })).code).toBe(0);
    const applied = await runCli(['apply', '--reviewed', 'reviewed.json'], cwd, { env: envFor(box.url) });
    expect(applied.code).toBe(0);
    expect(calls(box).slice(2).map((c) => c.replace(/\/[^/]+$/, '/ID'))).toEqual(['PUT /interview/ID']);
    // A plain saved plan is stale after the same movement: --reviewed is the one that allows it.
    writeFileSync(path.join(cwd, 'interviews/eng/go.yaml'), 'interview_name: Go Engineer III\n');
    expect((await runCli(['plan', '--out', 'saved.json'], cwd, { env: envFor(box.url) })).code).toBe(0);
    writeFileSync(path.join(cwd, 'interviews/sales-ae.yaml'), 'interview_name: Account Executive II\n');
    expect((await runCli(['apply', '--auto-approve', '--target', 'sales-ae'], cwd, { env: envFor(box.url) })).code).toBe(0);
    expect((await runCli(['apply', 'saved.json'], cwd, { env: envFor(box.url) })).stderr).toContain('is stale');
  });

  it('refuses when the target host changed since the review', async () => {
    const box = await sandbox();
    const other = await sandbox();
    const cwd = project({ 'eng/go': GO });
    expect((await runCli(['plan', '--out', 'reviewed.json'], cwd, { env: envFor(box.url) })).code).toBe(0);
    const refused = await runCli(['apply', '--reviewed', 'reviewed.json'], cwd, { env: envFor(other.url) });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`(1 difference):\n  - target host: reviewed ${JSON.stringify(box.url)}, now ${JSON.stringify(other.url)}\n`);
    expect(box.requests.length + other.requests.length).toBe(0);
  });

  it('refuses when the key would come from another variable (another account) than reviewed', async () => {
    const box = await sandbox();
    const cwd = project({ 'eng/go': GO });
    expect((await runCli(['plan', '--out', 'reviewed.json'], cwd, { env: envFor(box.url) })).code).toBe(0);
    const config = path.join(cwd, 'micro1.config.json');
    writeFileSync(config, JSON.stringify({ ...JSON.parse(readFileSync(config, 'utf8')), api: { timeoutMs: 2000, apiKeyEnv: 'OTHER_ACCOUNT_KEY' } }));
    const refused = await runCli(['apply', '--reviewed', 'reviewed.json'], cwd, { env: { ...envFor(box.url), OTHER_ACCOUNT_KEY: API_KEY } });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('(1 difference):\n  - API key: reviewed from "MICRO1_API_KEY", now from "OTHER_ACCOUNT_KEY" (api.apiKeyEnv)\n');
    expect(box.requests).toHaveLength(0);
  });

  it('catches a config that behaves differently in the apply job than in the plan job (0 requests)', async () => {
    const box = await sandbox();
    expect(existsSync(BIN), 'dist/bin.js is missing: run `npm run build`').toBe(true);
    // The config is code: this one prunes only when it runs on a push, i.e. in the apply job.
    const config = `export default { prune: process.env.GITHUB_EVENT_NAME === 'push', api: { timeoutMs: 2000 }, apply: { requestsPerSecond: 1000 } };\n`;
    const cwd = fixture({ 'micro1.config.mjs': config, 'interviews/eng/go.yaml': GO, 'interviews/sales/ae.yaml': SALES, 'interviews/ops.yaml': 'interview_name: SRE\n' });
    const cli = (args: string[], event: string) =>
      execute(process.execPath, [BIN, ...args], { cwd, env: { PATH: process.env.PATH ?? '', ...envFor(box.url), GITHUB_EVENT_NAME: event } }).then(
        (r) => ({ code: 0, ...r }),
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
    expect((await cli(['apply', '--auto-approve'], 'push')).code).toBe(0);
    rmSync(path.join(cwd, 'interviews/sales'), { recursive: true });
    rmSync(path.join(cwd, 'interviews/ops.yaml'));
    const planned = await cli(['plan', '--out', 'reviewed.json'], 'pull_request');
    expect(planned.stdout).toContain('No changes. 1 interview already matches micro1.');
    const sent = box.requests.length;
    const refused = await cli(['apply', '--reviewed', 'reviewed.json'], 'push');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('(2 differences):\n  - "ops": not in the reviewed plan, now delete of id ');
    expect(refused.stderr).toContain('\n  - "sales/ae": not in the reviewed plan, now delete of id ');
    expect(box.requests.length).toBe(sent);
    expect(JSON.parse(readFileSync(path.join(cwd, '.micro1/state.json'), 'utf8')).interviews).toHaveProperty(['sales/ae']);
  });

  it('takes a plan file or --reviewed, not both; refuses a reviewed file that is not a plan', async () => {
    const box = await sandbox();
    const cwd = project({ 'eng/go': GO });
    const both = await runCli(['apply', 'a.json', '--reviewed', 'b.json'], cwd, { env: envFor(box.url) });
    expect(both).toMatchObject({ code: 1, stderr: 'Error: apply takes a plan file or --reviewed PLANFILE, not both\n  run `micro1 apply --help` for usage\n' });
    writeFileSync(path.join(cwd, 'bad.json'), JSON.stringify({ format_version: '1.0', checksum: 'x', inputs: {}, changes: 'all' }));
    const bad = await runCli(['apply', '--reviewed', 'bad.json'], cwd, { env: envFor(box.url) });
    expect(bad.stderr).toContain('Error: bad.json is not a saved plan of this micro1-sync');
    expect(box.requests).toHaveLength(0);
  });
});

describe('reviewedDifferences', () => {
  const change = (key: string, action: string, after: unknown, id: string | null = null) => ({ key, action, id, after, moved_from: null });
  it('compares what is sent, not the state it is sent from', () => {
    const reviewed = { host: 'https://a', changes: [change('x', 'update', { interview_name: 'X' }, 'i1')] };
    expect(reviewedDifferences(reviewed, reviewed)).toEqual([]);
    expect(reviewedDifferences(reviewed, { host: 'https://a', changes: [change('x', 'update', { interview_name: 'X' }, 'i2')] })).toEqual(['"x": reviewed update of id i1, now of id i2']);
    expect(reviewedDifferences(reviewed, { host: undefined, changes: [] })).toEqual(['target host: reviewed "https://a", now (not recorded)', '"x": reviewed update of id i1, now no change']);
    expect(reviewedDifferences({ host: 'h', changes: [] }, { host: 'h', changes: [change('a\nb', 'delete', null, 'i3')] })).toEqual(['"a\\nb": not in the reviewed plan, now delete of id i3']);
  });
});
