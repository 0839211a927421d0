import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_TERMINAL_LINKS } from '../src/render/render-apply.js';
import { env, project, readStateFile, sandbox } from './apply-harness.js';
import { runCli } from './helpers.js';
import { screen } from './render-harness.js';

/**
 * Issue 17, what was left: the applier records the links of the live list it reads before
 * deletes, `state list --json` carries the link, and a very large apply's terminal summary shows
 * a bounded number of links with a count and the command that lists them all (which a test runs).
 */

const linkOf = (id: string) => `https://interview.micro1.ai/intro/micro1?uid=${encodeURIComponent(id)}`;
const stateLinks = (dir: string) => Object.fromEntries(Object.entries(readStateFile(dir).interviews).map(([k, e]) => [k, (e as { invite_url?: string }).invite_url]));

/** The state as an older micro1-sync wrote it: no invite links. */
function dropLinks(dir: string): void {
  const file = path.join(dir, '.micro1/state.json');
  const state = JSON.parse(readFileSync(file, 'utf8')) as { interviews: Record<string, Record<string, unknown>> };
  for (const entry of Object.values(state.interviews)) delete entry.invite_url;
  writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`);
}

describe('apply records the links micro1 lists before a delete', () => {
  it('a state without links gets them for every managed interview the list shows', async () => {
    const box = await sandbox();
    const dir = project({ 'eng/go': 'interview_name: Go Engineer\n', 'eng/rust': 'interview_name: Rust Engineer\n', 'old/pm': 'interview_name: PM\n' });
    expect((await runCli(['apply', '--auto-approve'], dir, { env: env(box) })).code).toBe(0);
    dropLinks(dir);
    expect(stateLinks(dir)).toEqual({ 'eng/go': undefined, 'eng/rust': undefined, 'old/pm': undefined });
    rmSync(path.join(dir, 'interviews/old/pm.yaml'));
    const before = box.requests.length;
    const pruned = await runCli(['apply', '--auto-approve', '--prune'], dir, { env: env(box) });
    expect([pruned.code, pruned.stderr]).toEqual([0, '']);
    // No request more than a delete needed before: the list is read anyway.
    expect(box.requests.slice(before).map((r) => `${r.method} ${r.path.split('?')[0]}`)).toEqual(['GET /interviews', 'GET /interviews', expect.stringMatching(/^DELETE \/interview\//) as unknown as string]);
    const ids = Object.fromEntries(Object.entries(readStateFile(dir).interviews).map(([k, e]) => [k, e.id]));
    expect(stateLinks(dir)).toEqual({ 'eng/go': linkOf(ids['eng/go']!), 'eng/rust': linkOf(ids['eng/rust']!) });
    expect((await runCli(['links'], dir)).stdout).not.toContain('(no link recorded');
  });
});

describe('state list --json', () => {
  it('carries each interview’s invite link, and no field where none is recorded', async () => {
    const box = await sandbox();
    const dir = project({ 'eng/go': 'interview_name: Go Engineer\n' });
    await runCli(['apply', '--auto-approve'], dir, { env: env(box) });
    const id = readStateFile(dir).interviews['eng/go']!.id;
    const listed = JSON.parse((await runCli(['state', 'list', '--json'], dir)).stdout) as { interviews: unknown[] };
    expect(listed.interviews).toEqual([{ key: 'eng/go', id, applied_at: expect.any(String) as unknown, invite_url: linkOf(id) }]);
    dropLinks(dir);
    const bare = JSON.parse((await runCli(['state', 'list', '--json'], dir)).stdout) as { interviews: unknown[] };
    expect(bare.interviews).toEqual([{ key: 'eng/go', id, applied_at: expect.any(String) as unknown }]);
  });
});

describe('the terminal summary of a very large apply', () => {
  it(`shows ${MAX_TERMINAL_LINKS} invite links, then a count and \`micro1 links\`, which lists them all`, async () => {
    const box = await sandbox();
    const count = MAX_TERMINAL_LINKS + 37;
    const files = Object.fromEntries(Array.from({ length: count }, (_, i) => [`bulk/r${String(i).padStart(3, '0')}`, `interview_name: Role ${i}\n`]));
    const dir = project(files);
    const applied = await runCli(['apply', '--auto-approve'], dir, { env: env(box) });
    expect([applied.code, applied.stderr]).toEqual([0, '']);
    const shown = await screen(applied.stdout);
    const linkLines = shown.lines.filter((l) => /^ {2}\+ bulk\/r\d{3} {2}id /.test(l));
    expect(linkLines).toHaveLength(MAX_TERMINAL_LINKS);
    expect(shown.lines).toContain('  … 37 more invite links not shown: `micro1 links` lists them all.');
    // The named command is true: it lists every link.
    const listed = await runCli(['links'], dir);
    expect(listed.code).toBe(0);
    const ids = readStateFile(dir).interviews;
    const rows = listed.stdout.trimEnd().split('\n');
    expect(rows).toHaveLength(count);
    for (const [key, entry] of Object.entries(ids)) expect(rows.some((r) => r.startsWith(`${key} `) && r.endsWith(linkOf(entry.id)))).toBe(true);
  });

  it('a run of exactly the limit shows every link and no note', async () => {
    const box = await sandbox();
    const files = Object.fromEntries(Array.from({ length: MAX_TERMINAL_LINKS }, (_, i) => [`bulk/r${String(i).padStart(3, '0')}`, `interview_name: Role ${i}\n`]));
    const dir = project(files);
    const applied = await runCli(['apply', '--auto-approve'], dir, { env: env(box) });
    const shown = await screen(applied.stdout);
    expect(shown.lines.filter((l) => /^ {2}\+ bulk\/r\d{3} {2}id /.test(l))).toHaveLength(MAX_TERMINAL_LINKS);
    expect(applied.stdout).not.toContain('more invite links not shown');
  });
});
