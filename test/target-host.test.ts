import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { API_KEY, calls, project, sandbox } from './apply-harness.js';
import { runCli, stripAnsi } from './helpers.js';
import { renderGfm } from './render-harness.js';
import { targetHostOf } from '../src/state/state.js';

/**
 * The state records the API host it was applied to; every plan format shows the host it targets
 * and calls out a change; apply refuses another host unless told with --retarget-host.
 */

const GO = 'interview_name: Go Engineer\nskills:\n  - name: Go\n';
const stateOf = (cwd: string) => JSON.parse(readFileSync(path.join(cwd, '.micro1/state.json'), 'utf8')) as { targetHost?: string; serial: number; interviews: Record<string, { id: string }> };
const envFor = (url: string) => ({ MICRO1_API_URL: url, MICRO1_API_KEY: API_KEY });

describe('the target host', () => {
  it('is written to the state by the first apply, in one spelling per API', async () => {
    const box = await sandbox();
    const cwd = project({ 'eng/go': GO });
    const applied = await runCli(['apply', '--auto-approve'], cwd, { env: envFor(`${box.url}/`) });
    expect(applied.code).toBe(0);
    expect(stateOf(cwd).targetHost).toBe(box.url);
    expect(readFileSync(path.join(cwd, '.micro1/state.json'), 'utf8')).toContain(`\n  "serial": 1,\n  "targetHost": ${JSON.stringify(box.url)},\n  "version": 1\n}\n`);
    expect(targetHostOf('HTTPS://Public.API.micro1.ai:443/')).toBe('https://public.api.micro1.ai');
    expect(targetHostOf('https://example.com/v2//')).toBe('https://example.com/v2');
  });

  it('is shown by plan in text, JSON and Markdown, and a change of host is called out in each', async () => {
    const old = await sandbox();
    const other = await sandbox();
    const cwd = project({ 'eng/go': GO });
    expect((await runCli(['apply', '--auto-approve'], cwd, { env: envFor(old.url) })).code).toBe(0);

    const same = await runCli(['plan'], cwd, { env: envFor(old.url) });
    expect(same.stdout).toBe(`Target: ${old.url}\n\nNo changes. 1 interview already matches micro1.\n`);

    const text = await runCli(['plan'], cwd, { env: envFor(other.url) });
    expect(stripAnsi(text.stdout)).toBe(
      [
        `Target: ${other.url}`,
        `! The target host changed: the state was applied to ${old.url}, and the ids it records belong there.`,
        `  \`micro1 apply\` refuses this plan unless run with --retarget-host (only if these interviews really are on ${other.url}).`,
        '',
        'No changes. 1 interview already matches micro1.',
        '',
      ].join('\n'),
    );

    const json = JSON.parse((await runCli(['plan', '--json'], cwd, { env: envFor(other.url) })).stdout);
    expect(json.target).toEqual({ host: other.url, state_host: old.url, host_changed: true, api_key_env: 'MICRO1_API_KEY' });
    const sameJson = JSON.parse((await runCli(['plan', '--json'], cwd, { env: envFor(old.url) })).stdout);
    expect(sameJson.target).toEqual({ host: old.url, state_host: old.url, host_changed: false, api_key_env: 'MICRO1_API_KEY' });

    const md = (await runCli(['plan', '--format', 'markdown'], cwd, { env: envFor(other.url) })).stdout;
    const shown = renderGfm(md);
    expect(shown.elements).toContain('blockquote');
    expect(shown.html).toMatch(/<blockquote>\n<p>\[!CAUTION\]\n<strong>The target host changed:<\/strong> the state was applied to <code>[^<]+<\/code>/);
    expect(shown.codeTexts).toEqual(expect.arrayContaining([other.url, old.url, 'micro1 apply', '--retarget-host']));
    expect(old.requests.length + other.requests.length).toBe(1);
  });

  it('makes apply refuse another host, sending nothing; the hint\'s flag then applies and records the new host', async () => {
    const old = await sandbox();
    const other = await sandbox();
    const cwd = project({ 'eng/go': GO });
    expect((await runCli(['apply', '--auto-approve'], cwd, { env: envFor(old.url) })).code).toBe(0);
    writeFileSync(path.join(cwd, 'interviews/eng/go.yaml'), 'interview_name: Go Engineer II\n');
    const serial = stateOf(cwd).serial;

    const refused = await runCli(['apply', '--auto-approve'], cwd, { env: envFor(other.url) });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `Error: Refusing to apply: .micro1/state.json was applied to ${old.url}, but this run targets ${other.url} (api.baseUrl, or MICRO1_API_URL). The ids in the state belong to ${old.url}, so nothing was sent\n` +
        `  if that is a mistake, set api.baseUrl back to ${old.url} (and unset MICRO1_API_URL); if these interviews really are on ${other.url}, run the same command again with --retarget-host\n`,
    );
    expect(other.requests).toHaveLength(0);
    expect(calls(old)).toEqual(['POST /interview']);
    expect(stateOf(cwd).serial).toBe(serial);

    // The hint, taken: the same command with --retarget-host. (The sandboxes do not share ids: the
    // 404 is what a real move without the interviews gets, and the update is sent to the new host.)
    const retargeted = await runCli(['apply', '--auto-approve', '--retarget-host'], cwd, { env: envFor(other.url) });
    expect(calls(other)).toEqual([`PUT /interview/${stateOf(cwd).interviews['eng/go']!.id}`]);
    expect(retargeted.code).toBe(1);
    expect(old.requests).toHaveLength(1);
  });

  it('--retarget-host with nothing to send still moves the state to the new host', async () => {
    const old = await sandbox();
    const other = await sandbox();
    const cwd = project({ 'eng/go': GO });
    expect((await runCli(['apply', '--auto-approve'], cwd, { env: envFor(old.url) })).code).toBe(0);
    expect((await runCli(['apply', '--auto-approve'], cwd, { env: envFor(other.url) })).code).toBe(1);
    const moved = await runCli(['apply', '--auto-approve', '--retarget-host'], cwd, { env: envFor(other.url) });
    expect(moved).toMatchObject({ code: 0, stdout: `Target: ${other.url}\n\nNo changes. 1 interview already matches micro1.\n` });
    expect(stateOf(cwd).targetHost).toBe(other.url);
    expect(other.requests).toHaveLength(0);
    expect((await runCli(['apply', '--auto-approve'], cwd, { env: envFor(other.url) })).code).toBe(0);
    expect((await runCli(['apply', '--auto-approve'], cwd, { env: envFor(old.url) })).code).toBe(1);
  });

  it('a state that records no host (written before it was recorded) is applied and then records it', async () => {
    const box = await sandbox();
    const cwd = project({ 'eng/go': GO });
    expect((await runCli(['apply', '--auto-approve'], cwd, { env: envFor(box.url) })).code).toBe(0);
    const file = path.join(cwd, '.micro1/state.json');
    const { targetHost: _, ...legacy } = stateOf(cwd);
    writeFileSync(file, `${JSON.stringify(legacy, null, 2)}\n`);
    expect((await runCli(['plan', '--json'], cwd, { env: envFor(box.url) })).stdout).toContain('"state_host": null');
    writeFileSync(path.join(cwd, 'interviews/eng/go.yaml'), 'interview_name: Go Engineer II\n');
    expect((await runCli(['apply', '--auto-approve'], cwd, { env: envFor(box.url) })).code).toBe(0);
    expect(stateOf(cwd).targetHost).toBe(box.url);
  });

  it('a saved plan made for another host is stale', async () => {
    const old = await sandbox();
    const other = await sandbox();
    const cwd = project({ 'eng/go': GO });
    expect((await runCli(['plan', '--out', 'p.json'], cwd, { env: envFor(old.url) })).code).toBe(0);
    const stale = await runCli(['apply', 'p.json'], cwd, { env: envFor(other.url) });
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain(`Error: The saved plan p.json is stale: it was made for ${JSON.stringify(old.url)}, and this run targets ${other.url}\n`);
    expect(old.requests.length + other.requests.length).toBe(0);
  });

  it('a host recorded in a hostile state is shown, never obeyed, by the terminal', async () => {
    const box = await sandbox();
    const cwd = project({ 'eng/go': GO });
    expect((await runCli(['apply', '--auto-approve'], cwd, { env: envFor(box.url) })).code).toBe(0);
    const state = stateOf(cwd);
    writeFileSync(path.join(cwd, '.micro1/state.json'), `${JSON.stringify({ ...state, targetHost: 'https://evil\u001b]0;owned\u0007\n::error::x' }, null, 2)}\n`);
    const text = await runCli(['plan'], cwd, { env: envFor(box.url) });
    expect(text.stdout).not.toMatch(/\u001b|\u0007/);
    expect(text.stdout.split('\n').filter((l) => l.startsWith('::'))).toEqual([]);
    expect(text.stdout).toContain('The target host changed');
  });
});
