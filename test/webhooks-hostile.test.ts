import { closeSync, mkdirSync, openSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { apply, calls, env, project, sandbox } from './apply-harness.js';
import { runBin } from './chaos-harness.js';
import { fixture, runCli } from './helpers.js';
import { ALLOWED_ELEMENTS, hasMentionOrReference, nonSgrEscapes, rawInvisibles, renderGfm } from './render-harness.js';

/**
 * Hostile input, for webhooks: files, text inside them, and a server's answers. Each refused with
 * a clear error at its position or shown visibly, no crash, bounded, and nothing sent that should
 * not be. Webhook URLs and descriptions are text from a pull request: they reach the terminal and
 * the pull-request comment only through neutralise.ts.
 */

const MiB = 1024 * 1024;

describe('hostile webhook files', () => {
  it('are each refused at their position, in one run of the real CLI, bounded, with nothing sent', async () => {
    const box = await sandbox();
    const lines = ['  a0: &a0 "lol"'];
    for (let i = 1; i < 10; i++) lines.push(`  a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(', ')}]`);
    const dir = fixture({
      'micro1.config.json': JSON.stringify({ apply: { requestsPerSecond: 1000, maxRetries: 0 } }),
      'outside/secret.yaml': 'url: https://outside.example/\nevent: applicant.created\n',
      'webhooks/bomb.yaml': `url: https://a.example/\nevent: applicant.created\nx:\n${lines.join('\n')}\n`,
      'webhooks/binary.yaml': Buffer.from('url: https://a.example/\0\nevent: applicant.created\n'),
      'webhooks/deep.yaml': `url: ${'['.repeat(500_000)}${']'.repeat(500_000)}\n`,
      'webhooks/js.yaml': 'url: "javascript:alert(1)"\nevent: applicant.created\n',
      'webhooks/file.yaml': 'url: file:///etc/passwd\nevent: applicant.created\n',
      'webhooks/creds.yaml': 'url: https://admin:hunter2@ats.example.com/\nevent: applicant.created\n',
      'webhooks/proto.yaml': '__proto__: { url: https://a.example/ }\nevent: applicant.created\nurl: https://b.example/\n',
      'webhooks/list.yaml': '- url: https://a.example/\n',
    });
    const hooks = path.join(dir, 'webhooks');
    const fd = openSync(path.join(hooks, 'huge.yaml'), 'w');
    writeSync(fd, 'url: https://a.example/\n');
    for (let i = 0; i < 5; i++) writeSync(fd, Buffer.alloc(MiB, '#'));
    closeSync(fd);
    symlinkSync('../outside/secret.yaml', path.join(hooks, 'escape.yaml'));
    symlinkSync('../outside', path.join(hooks, 'linked'));
    const run = await runBin(['apply', '--auto-approve'], { cwd: dir, env: env(box), maxOldSpaceMb: 96, killAfterMs: 30_000 });
    expect(run.code).toBe(1);
    const expected = [
      'webhooks/binary.yaml:1:24  is a binary file (it contains a NUL byte), not YAML text',
      'webhooks/bomb.yaml:',
      'webhooks/creds.yaml:1:6  url  url holds a user name or password, which would be kept in git and in the state file',
      'webhooks/deep.yaml:',
      'webhooks/escape.yaml:1:1  is a symbolic link or not a regular file',
      'webhooks/file.yaml:1:6  url  url must be an https address, not file:',
      'webhooks/huge.yaml:1:1  is 5242904 bytes; a definition may be at most 1048576 bytes (1 MiB)',
      'webhooks/js.yaml:1:6  url  url must be an https address, not javascript:',
      'webhooks/linked:1:1  is a symbolic link to a folder, which micro1-sync does not follow',
      'webhooks/proto.yaml:1:1  __proto__  unknown key "__proto__"',
    ];
    for (const line of expected) expect(run.stderr).toContain(line);
    expect(run.stderr).not.toContain('outside.example');
    expect(run.stderr).toMatch(/webhooks\/list\.yaml:1:1 {2}.*(mapping|object)/);
    expect(box.requests).toEqual([]);
  }, 60_000);

  it('URLs and descriptions are shown visibly in the terminal plan and inert in the pull-request comment', async () => {
    const description = 'Reports \x1b[2J\x1b]8;;https://evil.example\x07click\x1b]8;;\x07 @octocat #12 </code></details><img src=x onerror=alert(1)> ``` \u202egnp.exe';
    const dir = project({});
    mkdirSync(path.join(dir, 'webhooks'));
    writeFileSync(path.join(dir, 'webhooks/evil.yaml'), `url: "https://ats.example.com/\u202e\u200bpath?x=<b>"\nevent: interview_report.created\ndescription: ${JSON.stringify(description)}\n`);
    const text = await runCli(['plan'], dir, { tty: true, env: { TERM: 'xterm-256color' } });
    expect(text.code).toBe(0);
    expect(nonSgrEscapes(text.stdout)).toEqual([]);
    expect(rawInvisibles(text.stdout)).toEqual([]);
    expect(text.stdout).toContain('webhook:evil');
    const md = await runCli(['plan', '--format', 'markdown'], dir);
    const rendered = renderGfm(md.stdout);
    expect(rendered.elements.filter((e) => !ALLOWED_ELEMENTS.has(e))).toEqual([]);
    expect(hasMentionOrReference(rendered.textOutsideCode)).toEqual([]);
    expect(rawInvisibles(rendered.text)).toEqual([]);
    expect(rendered.text).toContain('webhook:evil');
  });
});

describe('hostile answers about webhooks', () => {
  it('a create answered with an id that would leave its path segment is not recorded, and the next apply looks it up first', async () => {
    let bad = true;
    const box = await sandbox({ fault: (r) => (r.method === 'POST' && r.path === '/webhook' && bad ? { kind: 'status', status: 200, body: { id: '../../interview/x' } } : undefined) });
    const dir = project({});
    mkdirSync(path.join(dir, 'webhooks'));
    writeFileSync(path.join(dir, 'webhooks/ats.yaml'), 'url: https://ats.example.com/\nevent: applicant.created\n');
    const first = await apply(dir, box);
    expect(first.outcome.kind === 'applied' && first.outcome.result.failures).toEqual([
      { key: 'webhook:ats', file: 'webhooks/ats.yaml', action: 'create', message: 'create not confirmed: micro1 answered the webhook create without a usable id', hint: 'the next apply looks it up on micro1 by url + event before sending it again' },
    ]);
    bad = false;
    const before = box.requests.length;
    const second = await apply(dir, box);
    expect(second.outcome.kind === 'applied' && second.outcome.result).toMatchObject({ created: 1, failures: [] });
    expect(calls(box).slice(before)).toEqual(['GET /webhooks', 'POST /webhook']);
  });

  it('a list with an unusable webhook_id is refused, never adopted, and import writes nothing', async () => {
    const box = await sandbox({ fault: (r) => (r.path === '/webhooks' ? { kind: 'status', status: 200, body: { status: true, data: [{ webhook_id: '../x', url: 'https://a.example/', event: 'applicant.created' }] } } : undefined) });
    const dir = project({});
    const result = await runCli(['import', '--kind', 'webhook'], dir, { env: env(box) });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Cannot read the webhooks on micro1 (GET /webhooks): micro1 answered the webhook list with an item without a usable id, url or event');
  });
});
