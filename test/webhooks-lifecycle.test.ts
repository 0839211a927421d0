import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { apply, calls, env, project, sandbox } from './apply-harness.js';
import { runCli } from './helpers.js';

/** Import, refresh (drift) and the state commands, for webhooks, against the sandbox. */

const ATS = 'url: https://ats.example.com/micro1\nevent: interview_report.created\ndescription: Reports to the ATS\n';

function withHook(text = ATS, key = 'ats'): string {
  const dir = project({ 'eng/backend': 'interview_name: Backend Engineer\n' });
  mkdirSync(path.join(dir, 'webhooks'), { recursive: true });
  writeFileSync(path.join(dir, 'webhooks', `${key}.yaml`), text);
  return dir;
}

describe('micro1 import --kind webhook', () => {
  it('refuses --dry-run and --dir, which are for interviews, before any request or file', async () => {
    const box = await sandbox({ seedWebhooks: [{ id: 'wh-1', body: { url: 'https://ats.example.com/micro1', event: 'interview_report.created' } }] });
    const dir = project({});
    for (const flags of [['--dry-run'], ['--dir', 'hooks']]) {
      const result = await runCli(['import', '--kind', 'webhook', ...flags], dir, { env: env(box) });
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toContain(`${flags[0]} is for interviews`);
      expect(existsSync(path.join(dir, 'webhooks'))).toBe(false);
    }
    expect(box.requests).toHaveLength(0);
  });

  it('writes one file per unmanaged webhook, records it, and the next plan is empty', async () => {
    const box = await sandbox({
      seedWebhooks: [
        { id: 'wh-1', body: { url: 'https://ats.example.com/micro1', event: 'interview_report.created', description: 'Reports' } },
        { id: 'wh-2', body: { url: 'http://ats.example.com/plain', event: 'applicant.created' } },
      ],
    });
    const dir = project({});
    const result = await runCli(['import', '--kind', 'webhook'], dir, { env: env(box) });
    expect([result.code, result.stderr]).toEqual([0, '']);
    expect(result.stdout).toBe(
      [
        'Imported 1 webhook of the 2 micro1 listed.',
        '  + webhooks/interview-report-created-ats-example-com.yaml  id wh-1  interview_report.created → https://ats.example.com/micro1',
        'Skipped 1:',
        '  - applicant.created → http://ats.example.com/plain (id wh-2): no valid file can say what micro1 holds (url must use https: candidate reports would cross the network unencrypted to ats.example.com): change it on micro1, or write its file by hand',
        'State saved to .micro1/state.json.',
        '',
      ].join('\n'),
    );
    expect(readFileSync(path.join(dir, 'webhooks/interview-report-created-ats-example-com.yaml'), 'utf8')).toBe('url: https://ats.example.com/micro1\nevent: interview_report.created\ndescription: Reports\n');
    expect(calls(box)).toEqual(['GET /webhooks']);
    const plan = await runCli(['plan'], dir, { env: env(box) });
    expect(plan.stdout).toBe(`Target: ${box.url}\n\nNo changes. 1 webhook already matches micro1.\n`);
    const again = await runCli(['import', '--kind', 'webhook'], dir, { env: env(box) });
    expect(again.stdout).toContain('Nothing imported: micro1 listed 2 webhooks. 1 is already managed here.');
  });

  it('refuses an unknown --kind as a usage error', async () => {
    const result = await runCli(['import', '--kind', 'dns'], project({}), { env: { MICRO1_API_KEY: 'k' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--kind must be interview or webhook, not "dns"');
  });
});

describe('plan --refresh shows webhook drift', () => {
  it('a webhook changed and one deleted on micro1 are reported, and the plan puts them back', async () => {
    const box = await sandbox();
    const dir = withHook();
    writeFileSync(path.join(dir, 'webhooks', 'started.yaml'), 'url: https://ats.example.com/started\nevent: interview.started\n');
    await apply(dir, box);
    const [ats, started] = ['interview_report.created', 'interview.started'].map((e) => box.webhooks().find((h) => h.body.event === e)!);
    // Outside git: one redirected, one deleted.
    const headers = { 'x-api-key': 'test-key-7d1f3c9a2b8e4f60', 'content-type': 'application/json' };
    await fetch(`${box.url}/webhook/${ats!.id}`, { method: 'PUT', headers, body: JSON.stringify({ url: 'https://evil.example.net/x', event: 'interview_report.created' }) });
    await fetch(`${box.url}/webhook/${started!.id}`, { method: 'DELETE', headers });
    const result = await runCli(['plan', '--refresh'], dir, { env: env(box) });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`  ~ webhook:ats  (changed on micro1, id ${ats!.id})  webhooks/ats.yaml\n      ~ url: "https://ats.example.com/micro1" -> "https://evil.example.net/x"\n      ~ description: "Reports to the ATS" -> ""`);
    expect(result.stdout).toContain(`  - webhook:started  (deleted on micro1, id ${started!.id})  webhooks/started.yaml`);
    expect(result.stdout).toContain('Webhooks: 1 changed and 1 deleted outside git, of 2 managed.');
    expect(result.stdout).toContain('      ! url: "https://evil.example.net/x" -> "https://ats.example.com/micro1"  # where micro1 sends candidate data changes');
    expect(result.stdout).toContain('  + webhook:started  (create)  webhooks/started.yaml');
    const json = JSON.parse((await runCli(['plan', '--refresh', '--json'], dir, { env: env(box) })).stdout) as { drift: { resources: unknown } };
    expect(json.drift.resources).toEqual([
      {
        kind: 'webhook',
        checked: 2,
        unmanaged: 0,
        changed: [{ key: 'ats', file: 'webhooks/ats.yaml', id: ats!.id, fields: [{ field: 'url', applied: 'https://ats.example.com/micro1', live: 'https://evil.example.net/x' }, { field: 'description', applied: 'Reports to the ATS', live: '' }] }],
        deleted: [{ key: 'started', file: 'webhooks/started.yaml', id: started!.id }],
      },
    ]);
    const md = await runCli(['plan', '--refresh', '--format', 'markdown'], dir, { env: env(box) });
    expect(md.stdout).toContain(`- \`webhook:started\` deleted on micro1 (id \`${started!.id}\`)`);
  });

  it('an interviews-only project reads no webhook list', async () => {
    const box = await sandbox();
    const dir = project({ 'eng/backend': 'interview_name: Backend Engineer\n' });
    await apply(dir, box);
    const before = box.requests.length;
    await runCli(['plan', '--refresh'], dir, { env: env(box) });
    expect(calls(box).slice(before).every((c) => c === 'GET /interviews')).toBe(true);
  });
});

describe('micro1 state covers webhooks', () => {
  it('list shows them as webhook:KEY; rm drops one and says the true way back', async () => {
    const box = await sandbox();
    const dir = withHook();
    await apply(dir, box);
    const id = box.webhooks()[0]!.id;
    const list = await runCli(['state', 'list'], dir);
    expect(list.stdout).toContain(`webhook:ats  ${id}  interview_report.created → https://ats.example.com/micro1  applied `);
    expect(list.stdout).toContain('1 interview and 1 webhook in .micro1/state.json (serial 1).');
    const json = JSON.parse((await runCli(['state', 'list', '--json'], dir)).stdout) as { resources: unknown[] };
    expect(json.resources).toEqual([{ kind: 'webhook', key: 'ats', id, spec: { url: 'https://ats.example.com/micro1', event: 'interview_report.created', description: 'Reports to the ATS' }, applied_at: expect.any(String) as unknown }]);

    const show = await runCli(['state', 'show', 'webhook:ats'], dir);
    expect(show.stdout).toMatch(new RegExp(`^webhook:ats\n  id: {10}${id}\n  file: {8}webhooks/ats.yaml\n`));
    expect(show.stdout).toContain('  last applied body:\n    url: "https://ats.example.com/micro1"\n    event: "interview_report.created"\n    description: "Reports to the ATS"\n');
    const unknown = await runCli(['state', 'show', 'webhook:nope'], dir);
    expect([unknown.code, unknown.stderr]).toEqual([1, 'Error: webhook:nope is not in the state\n  `micro1 state list` shows the keys it holds\n']);

    const rm = await runCli(['state', 'rm', 'webhook:ats'], dir);
    expect([rm.code, rm.stdout]).toEqual([
      0,
      `Removed webhook:ats (id ${id}) from .micro1/state.json; it stays on micro1, no longer managed.\n  webhooks/ats.yaml still exists: the next apply creates a second webhook from it; delete the file, or run \`micro1 import --kind webhook\` to manage this one again.\n`,
    ]);
    expect((await runCli(['plan'], dir)).stdout).toContain('+ webhook:ats  (create)');
    // The hint is true: import records the existing webhook for the file, and the plan is empty again.
    const imported = await runCli(['import', '--kind', 'webhook'], dir, { env: env(box) });
    expect(imported.stdout).toContain(`  = webhooks/ats.yaml  id ${id}  interview_report.created → https://ats.example.com/micro1  (its file already defines it: state recorded)`);
    expect((await runCli(['plan'], dir, { env: env(box) })).stdout).toBe(`Target: ${box.url}\n\nNo changes. 1 interview and 1 webhook already match micro1.\n`);
    expect(box.webhooks()).toHaveLength(1);
    expect(existsSync(path.join(dir, 'webhooks/ats.yaml'))).toBe(true);

    const missing = await runCli(['state', 'rm', 'webhook:nope'], dir);
    expect([missing.code, missing.stderr]).toEqual([1, 'Error: webhook:nope is not in the state\n  `micro1 state list` shows the keys it holds\n']);
  });
});
