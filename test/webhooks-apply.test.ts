import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Fault } from '../src/sandbox/sandbox.js';
import { apply, calls, env, project, sandbox } from './apply-harness.js';
import { fixture, runCli } from './helpers.js';

/** Webhooks planned and applied against the sandbox, beside interviews, through the same machinery. */

const INTERVIEW = 'interview_name: Backend Engineer\n';
const ATS = 'url: https://ats.example.com/micro1\nevent: interview_report.created\ndescription: Reports to the ATS\n';
const STARTED = 'url: https://ats.example.com/started\nevent: interview.started\n';

function withHooks(hooks: Record<string, string>, interviews: Record<string, string> = { 'eng/backend': INTERVIEW }, config: Record<string, unknown> = {}): string {
  const dir = project(interviews, config);
  for (const [key, text] of Object.entries(hooks)) {
    fixtureWrite(path.join(dir, 'webhooks', `${key}.yaml`), text);
  }
  return dir;
}

function fixtureWrite(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

function state(dir: string): Record<string, unknown> & { version: number; webhooks: Record<string, { id: string; kind: string; spec: Record<string, string> }> } {
  return JSON.parse(readFileSync(path.join(dir, '.micro1/state.json'), 'utf8'));
}

describe('plan shows webhooks', () => {
  it('text: each webhook as KIND:KEY with its fields, counted in the summary', async () => {
    const dir = withHooks({ 'ats/reports': ATS });
    const result = await runCli(['plan'], dir);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        'Target: https://public.api.micro1.ai',
        '',
        'micro1 will perform the following actions:',
        '',
        '  + eng/backend  (create)  interviews/eng/backend.yaml',
        '      + interview_name: "Backend Engineer"',
        '',
        '  + webhook:ats/reports  (create)  webhooks/ats/reports.yaml',
        '      + url: "https://ats.example.com/micro1"',
        '      + event: "interview_report.created"',
        '      + description: "Reports to the ATS"',
        '',
        'Plan: 2 to create, 0 to update, 0 to delete, 0 unchanged.',
        '',
      ].join('\n'),
    );
  });

  it('a project without webhooks/ plans exactly as before, with no resources in the JSON', async () => {
    const dir = project({ 'eng/backend': INTERVIEW });
    const json = JSON.parse((await runCli(['plan', '--json'], dir)).stdout) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(['format_version', 'tool', 'state', 'target', 'summary', 'changes', 'warnings', 'diagnostics']);
  });

  it('JSON lists webhook changes with their kind, and counts them', async () => {
    const dir = withHooks({ 'ats/reports': ATS });
    const json = JSON.parse((await runCli(['plan', '--json'], dir)).stdout) as { summary: unknown; resources: unknown[] };
    expect(json.summary).toEqual({ create: 2, update: 0, delete: 0, no_op: 0 });
    expect(json.resources).toEqual([
      {
        kind: 'webhook',
        key: 'ats/reports',
        file: 'webhooks/ats/reports.yaml',
        id: null,
        action: 'create',
        before: null,
        after: { url: 'https://ats.example.com/micro1', event: 'interview_report.created', description: 'Reports to the ATS' },
        changed_fields: ['url', 'event', 'description'],
        source_hash: expect.stringMatching(/^sha256:/) as unknown,
        sources: { 'webhooks/ats/reports.yaml': expect.any(String) as unknown },
        note: null,
      },
    ]);
  });

  it('--target webhook:KEY selects webhooks only; a bare key still selects interviews only', async () => {
    const dir = withHooks({ 'ats/reports': ATS, started: STARTED });
    const hooks = await runCli(['plan', '--target', 'webhook:ats'], dir);
    expect(hooks.stdout).toContain('webhook:ats/reports');
    expect(hooks.stdout).not.toContain('webhook:started');
    expect(hooks.stdout).not.toContain('eng/backend');
    expect(hooks.stdout).toContain('Plan: 1 to create');
    const interviews = await runCli(['plan', '--target', 'eng'], dir);
    expect(interviews.stdout).not.toContain('webhook:');
    const none = await runCli(['plan', '--exclude', 'webhook:', '--target', 'webhook:nope'], dir);
    expect(none.stdout).toContain('webhook:nope: --target webhook:nope matches no webhook');
  });
});

describe('apply webhooks against the sandbox', () => {
  it('creates, re-plans empty, migrates the state to version 2, then updates with the URL change made prominent', async () => {
    const box = await sandbox();
    const dir = withHooks({ 'ats/reports': ATS, started: STARTED });
    const { outcome } = await apply(dir, box);
    expect(outcome.kind).toBe('applied');
    if (outcome.kind !== 'applied') return;
    expect(outcome.result).toMatchObject({ created: 3, updated: 0, failures: [] });
    expect(calls(box).sort()).toEqual(['POST /interview', 'POST /webhook', 'POST /webhook']);
    const hooks = box.webhooks();
    expect(hooks.map((h) => h.body).sort((a, b) => a.url.localeCompare(b.url))).toEqual([
      { url: 'https://ats.example.com/micro1', event: 'interview_report.created', description: 'Reports to the ATS' },
      { url: 'https://ats.example.com/started', event: 'interview.started', description: '' },
    ]);
    const written = state(dir);
    expect(written.version).toBe(2);
    expect(written.webhooks['ats/reports']).toMatchObject({ kind: 'webhook', id: hooks.find((h) => h.body.event === 'interview_report.created')!.id });

    const again = await runCli(['plan', '--detailed-exitcode'], dir, { env: env(box) });
    expect([again.code, again.stdout]).toEqual([0, `Target: ${box.url}\n\nNo changes. 1 interview and 2 webhooks already match micro1.\n`]);

    writeFileSync(path.join(dir, 'webhooks/ats/reports.yaml'), ATS.replace('ats.example.com', 'evil.example.net'));
    const planned = await runCli(['plan'], dir);
    expect(planned.stdout).toContain('      ! url: "https://ats.example.com/micro1" -> "https://evil.example.net/micro1"  # where micro1 sends candidate data changes');
    expect(planned.stdout).toContain(
      '  ! webhook:ats/reports: url changes from "https://ats.example.com/micro1" to "https://evil.example.net/micro1": micro1 will send what this webhook carries (candidate data) to the new address',
    );
    const md = await runCli(['plan', '--format', 'markdown'], dir);
    expect(md.stdout).toContain('- `webhook:ats/reports`: url changes from');
    const before = box.requests.length;
    const updated = await apply(dir, box);
    expect(updated.outcome.kind === 'applied' && updated.outcome.result).toMatchObject({ updated: 1, failures: [] });
    expect(calls(box).slice(before)).toEqual([`PUT /webhook/${written.webhooks['ats/reports']!.id}`]);
    expect(box.webhooks().find((h) => h.body.event === 'interview_report.created')!.body.url).toBe('https://evil.example.net/micro1');
  });

  it('prunes a webhook whose file is gone only after GET /webhooks shows it as the state recorded it', async () => {
    const box = await sandbox();
    const dir = withHooks({ 'ats/reports': ATS, started: STARTED }, {});
    await apply(dir, box);
    rmSync(path.join(dir, 'webhooks/started.yaml'));
    const warned = await runCli(['plan'], dir);
    expect(warned.stdout).toContain('webhook:started: no longer managed: its file is gone, but webhook');
    expect(warned.stdout).toContain('run `micro1 apply --prune` to delete it, or put its file back');
    const before = box.requests.length;
    const { outcome } = await apply(dir, box, { prune: true });
    expect(outcome.kind === 'applied' && outcome.result).toMatchObject({ deleted: 1, failures: [] });
    const id = box.requests.slice(before).map((r) => `${r.method} ${r.path}`);
    expect(id[0]).toBe('GET /webhooks');
    expect(id[1]).toMatch(/^DELETE \/webhook\//);
    expect(box.webhooks().map((h) => h.body.event)).toEqual(['interview_report.created']);
    expect(Object.keys(state(dir).webhooks)).toEqual(['ats/reports']);
  });

  it('a create whose answer is lost is found by url + event in GET /webhooks, never sent twice', async () => {
    let posts = 0;
    const fault = (r: { method: string; path: string }): Fault | undefined => (r.method === 'POST' && r.path === '/webhook' && ++posts === 1 ? { kind: 'reset-after-commit' } : undefined);
    const box = await sandbox({ fault });
    const dir = withHooks({ 'ats/reports': ATS }, {});
    const { outcome } = await apply(dir, box);
    expect(outcome.kind === 'applied' && outcome.result).toMatchObject({ created: 1, reconciled: 1, failures: [] });
    expect(calls(box)).toEqual(['POST /webhook', 'GET /webhooks']);
    expect(box.webhooks()).toHaveLength(1);
    expect(state(dir).webhooks['ats/reports']!.id).toBe(box.webhooks()[0]!.id);
  });

  it('a killed run\'s unconfirmed create is looked up first by the next apply', async () => {
    const box = await sandbox({ seedWebhooks: [{ id: 'wh-made', body: { url: 'https://ats.example.com/micro1', event: 'interview_report.created', description: 'Reports to the ATS' } }] });
    const dir = withHooks({ 'ats/reports': ATS }, {});
    fixtureWrite(
      path.join(dir, '.micro1/state.json'),
      JSON.stringify({ version: 2, lineage: 'l', serial: 1, interviews: {}, webhooks: {}, pending: [{ kind: 'webhook', key: 'ats/reports', spec: { url: 'https://ats.example.com/micro1', event: 'interview_report.created', description: 'Reports to the ATS' }, sourceHash: '', startedAt: 't' }] }),
    );
    const planned = await runCli(['plan'], dir);
    expect(planned.stdout).toContain('# an earlier create was not confirmed: apply first looks it up on micro1 by url + event and adopts it if found');
    const { outcome } = await apply(dir, box);
    expect(outcome.kind === 'applied' && outcome.result).toMatchObject({ created: 1, reconciled: 1, failures: [] });
    expect(calls(box)).toEqual(['GET /webhooks']);
    expect(state(dir).webhooks['ats/reports']!.id).toBe('wh-made');
    expect(state(dir).pending).toEqual([]);
  });

  it('refuses to prune more webhooks than the safety thresholds allow, unless forced', async () => {
    const box = await sandbox();
    const dir = withHooks({ a: ATS, b: STARTED }, {}, { safety: { maxDeletes: 1 } });
    await apply(dir, box);
    for (const key of ['a', 'b']) rmSync(path.join(dir, `webhooks/${key}.yaml`));
    await expect(apply(dir, box, { prune: true })).rejects.toMatchObject({ code: 'TOO_MANY_DELETES', message: 'Refusing to delete 2 webhooks: more than safety.maxDeletes (1)' });
    const forced = await apply(dir, box, { prune: true, force: true });
    expect(forced.outcome.kind === 'applied' && forced.outcome.result).toMatchObject({ deleted: 2 });
    expect(box.webhooks()).toEqual([]);
  });

  it('applies a saved plan with webhooks exactly, and refuses it once a webhook file changed', async () => {
    const box = await sandbox();
    const dir = withHooks({ 'ats/reports': ATS }, {});
    expect((await runCli(['plan', '--out', 'p.plan'], dir, { env: env(box) })).code).toBe(0);
    const { outcome } = await apply(dir, box, { planFile: 'p.plan' });
    expect(outcome.kind === 'applied' && outcome.result).toMatchObject({ created: 1 });
    expect((await runCli(['plan', '--out', 'q.plan'], dir, { env: env(box) })).code).toBe(0);
    writeFileSync(path.join(dir, 'webhooks/ats/reports.yaml'), STARTED);
    await expect(apply(dir, box, { planFile: 'q.plan' })).rejects.toMatchObject({ code: 'PLAN_STALE', message: 'The saved plan q.plan is stale: webhooks/ats/reports.yaml changed since' });
  });
});

describe('the webhooks folder is configurable', () => {
  it('reads webhooks from the folder the config names', async () => {
    const dir = fixture({ 'micro1.config.json': JSON.stringify({ webhooks: 'hooks' }), 'interviews/a.yaml': INTERVIEW, 'hooks/x.yaml': ATS, 'webhooks/y.yaml': STARTED });
    const result = await runCli(['plan'], dir);
    expect(result.stdout).toContain('webhook:x  (create)  hooks/x.yaml');
    expect(result.stdout).not.toContain('webhook:y');
  });
});

describe('the demo', () => {
  it('plans, applies and re-plans the example interviews and webhook against a sandbox', async () => {
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const demo = new URL('../dist/demo.js', import.meta.url);
    const { stdout } = await promisify(execFile)(process.execPath, [demo.pathname], { env: { ...process.env, NO_COLOR: '1' } });
    expect(stdout).toContain('  + webhook:ats-reports  (create)  webhooks/ats-reports.yaml');
    expect(stdout).toContain('No changes. 6 interviews and 1 webhook already match micro1.');
    expect(stdout).toMatch(/Demo complete: 6 interviews and 1 webhook on the sandbox, \d+ requests, and the second plan is a no-op\./);
  });
});
