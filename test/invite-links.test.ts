import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { env, project, readStateFile, sandbox } from './apply-harness.js';
import { runCli } from './helpers.js';
import { renderGfm, screen } from './render-harness.js';

/**
 * Issue 17: the invite link micro1 returns is what a recruiter needs after a create. It is
 * recorded in the state from every answer that carries it, printed per created interview, listed
 * by `micro1 links`, shown by `state show`, and, being micro1's text, never obeyed by a terminal
 * or turned into a link by Markdown.
 */

const GO = 'interview_name: Go Engineer\n';
const SALES = 'interview_name: Account Executive\ninterview_language: fr\n';
const linkOf = (id: string) => `https://interview.micro1.ai/intro/micro1?uid=${encodeURIComponent(id)}`;
const stateLinks = (dir: string) => Object.fromEntries(Object.entries(readStateFile(dir).interviews).map(([k, e]) => [k, (e as { invite_url?: string }).invite_url]));

describe('invite links', () => {
  it('are printed per created interview, recorded in the state, listed by `links` and shown by `state show`', async () => {
    const box = await sandbox();
    const dir = project({ 'eng/go': GO, 'sales/ae': SALES });
    const applied = await runCli(['apply', '--auto-approve'], dir, { env: env(box) });
    expect(applied.code).toBe(0);
    const ids = Object.fromEntries(Object.entries(readStateFile(dir).interviews).map(([k, e]) => [k, e.id]));
    const go = ids['eng/go']!;
    const ae = ids['sales/ae']!;
    expect(stateLinks(dir)).toEqual({ 'eng/go': linkOf(go), 'sales/ae': linkOf(ae) });
    expect(applied.stdout).toContain('Invite links (send them to candidates; `micro1 links` lists them again):\n');
    expect(applied.stdout).toContain(`  + eng/go  id ${go}  ${linkOf(go)}\n`);
    expect(applied.stdout).toContain(`  + sales/ae  id ${ae}  ${linkOf(ae)}\n`);

    const listed = await runCli(['links'], dir);
    expect(listed).toEqual({ code: 0, stderr: '', stdout: `eng/go    ${go}  ${linkOf(go)}\nsales/ae  ${ae}  ${linkOf(ae)}\n` });
    const one = await runCli(['links', 'sales', '--json'], dir);
    expect(JSON.parse(one.stdout)).toEqual([{ key: 'sales/ae', id: ae, invite_url: linkOf(ae) }]);

    const shown = await runCli(['state', 'show', 'eng/go'], dir);
    expect(shown.stdout).toContain(`  invite link: ${linkOf(go)}\n`);
    expect(JSON.parse((await runCli(['state', 'show', 'eng/go', '--json'], dir)).stdout).invite_url).toBe(linkOf(go));

    // An update sends no link back: the one recorded stays.
    writeFileSync(path.join(dir, 'interviews/eng/go.yaml'), `${GO}interview_language: de\n`);
    expect((await runCli(['apply', '--auto-approve'], dir, { env: env(box) })).code).toBe(0);
    expect(stateLinks(dir)['eng/go']).toBe(linkOf(go));
  });

  it('`links` says "did you mean" for an unknown key, and the suggested command works', async () => {
    const box = await sandbox();
    const dir = project({ 'eng/go': GO });
    await runCli(['apply', '--auto-approve'], dir, { env: env(box) });
    const wrong = await runCli(['links', 'eng/og'], dir);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toBe('Error: eng/og matches no interview in the state\n  did you mean `micro1 links eng/go`?\n');
    const suggested = await runCli(['links', 'eng/go'], dir);
    expect(suggested.code).toBe(0);
    expect(suggested.stdout).toContain('eng/go');
  });

  it('are recorded from the lookup that adopts an unconfirmed create', async () => {
    // The create lands, the answer is lost: apply finds it by name and takes its link from the list.
    const box = await sandbox({ fault: (r) => (r.method === 'POST' && r.seq === 1 ? { kind: 'reset-after-commit' } : undefined) });
    const dir = project({ 'eng/go': GO });
    const applied = await runCli(['apply', '--auto-approve'], dir, { env: env(box) });
    expect(applied.code).toBe(0);
    const [only] = box.interviews();
    expect(box.interviews()).toHaveLength(1);
    expect(stateLinks(dir)).toEqual({ 'eng/go': linkOf(only!.id) });
    expect(applied.stdout).toContain(`  + eng/go  id ${only!.id}  ${linkOf(only!.id)}\n`);
  });

  it('are recorded by import', async () => {
    const box = await sandbox({ seed: [{ id: 'c0ffee00-0000-4000-8000-000000000001', body: { interview_name: 'Data Engineer' } }] });
    const dir = project({});
    expect((await runCli(['import'], dir, { env: env(box) })).code).toBe(0);
    expect(stateLinks(dir)).toEqual({ 'data-engineer': linkOf('c0ffee00-0000-4000-8000-000000000001') });
  });

  it('missing ones (an adopted id) are read by `links --refresh`, as `links` suggests', async () => {
    const id = 'c0ffee00-0000-4000-8000-000000000002';
    const box = await sandbox({ seed: [{ id, body: { interview_name: 'Old name' } }] });
    const dir = project({ 'eng/go': `id: ${id}\n${GO}coding_exercise_details: ""\n` });
    expect((await runCli(['apply', '--auto-approve'], dir, { env: env(box) })).code).toBe(0);
    expect(stateLinks(dir)).toEqual({ 'eng/go': undefined });
    const before = await runCli(['links'], dir);
    expect(before.stdout).toBe(
      `eng/go  ${id}  (no link recorded)\n1 interview without a recorded link (adopted by a pinned id, or applied by an older micro1-sync): \`micro1 links --refresh\` reads them from micro1.\n`,
    );
    const refreshed = await runCli(['links', '--refresh'], dir, { env: env(box) });
    expect(refreshed).toEqual({ code: 0, stderr: '', stdout: `eng/go  ${id}  ${linkOf(id)}\nRead the links micro1 lists: 1 link newly recorded in .micro1/state.json.\n` });
    expect(stateLinks(dir)).toEqual({ 'eng/go': linkOf(id) });
    expect((await runCli(['state', 'show', 'eng/go'], dir)).stdout).toContain(`  invite link: ${linkOf(id)}\n`);
  });

  it('from a hostile server are shown, never obeyed: no terminal escape, no Markdown link', async () => {
    const hostile = 'https://evil.example/\u001b[2J\u001b]8;;https://evil.example\u0007x [click](https://evil.example) www.evil.example <a href="https://evil.example">a</a> `x`';
    const box = await sandbox({
      fault: (r) => (r.method === 'POST' ? { kind: 'status', status: 200, body: { status: true, message: 'ok', data: { interview_id: 'f00d0000-0000-4000-8000-000000000001', invite_url: hostile } } } : undefined),
    });
    const dir = project({ 'eng/go': GO });
    const summary = path.join(dir, 'summary.md');
    writeFileSync(summary, '');
    const applied = await runCli(['apply', '--auto-approve'], dir, { env: env(box, { GITHUB_STEP_SUMMARY: summary }) });
    expect(applied.code).toBe(0);
    // Recorded as micro1 sent it, shown escaped.
    expect(stateLinks(dir)['eng/go']).toBe(hostile);
    for (const out of [applied.stdout, (await runCli(['links'], dir)).stdout, (await runCli(['state', 'show', 'eng/go'], dir)).stdout]) {
      expect(out).not.toContain('\u001b');
      expect(out).not.toContain('\u0007');
      const seen = await screen(out);
      expect(seen.text).toContain('https://evil.example/\\x1b[2J');
    }
    const md = renderGfm(readFileSync(summary, 'utf8'));
    expect(md.elements).not.toContain('a');
    expect(md.codeTexts.some((c) => c.startsWith('https://evil.example/\\x1b[2J'))).toBe(true);
  });
});
