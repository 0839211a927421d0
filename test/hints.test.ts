import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Sandbox } from '../src/sandbox/sandbox.js';
import { API_KEY, calls, env, project, readStateFile, sandbox } from './apply-harness.js';
import { runCli } from './helpers.js';

/**
 * Issue 17: every hint that names a command is run here, exactly as printed, and the outcome it
 * promises is checked. The wrong ones this replaced: `forget` after a 404 (it refuses while the
 * file exists), "prune or forget" for a renamed file, `state mv` predicting a create for a pinned
 * file, and a refreshed plan whose advice led to "No changes".
 */

const GO = 'interview_name: Go Engineer\n';
const PINNED_ID = 'c0ffee00-0000-4000-8000-00000000aaaa';
const PINNED = `id: ${PINNED_ID}\n${GO}coding_exercise_details: ""\n`;

/** Deletes an interview on micro1 behind the tool's back, as someone in micro1's web app would. */
async function deleteOutsideGit(box: Sandbox, id: string): Promise<void> {
  const response = await fetch(`${box.url}/interview/${id}`, { method: 'DELETE', headers: { 'x-api-key': API_KEY } });
  expect(response.status).toBe(200);
}

/** The commands a hint names, in order, as argv (without `micro1`). */
function commandsIn(text: string): string[][] {
  return [...text.matchAll(/`micro1 ([^`]+)`/g)].map((m) => m[1]!.split(' '));
}

const file = (dir: string, key: string) => path.join(dir, 'interviews', `${key}.yaml`);

describe('after a 404 on an update', () => {
  it('without a pinned id: `state rm KEY`, then apply creates it anew', async () => {
    const box = await sandbox();
    const dir = project({ 'eng/go': GO });
    expect((await runCli(['apply', '--auto-approve'], dir, { env: env(box) })).code).toBe(0);
    await deleteOutsideGit(box, readStateFile(dir).interviews['eng/go']!.id);
    writeFileSync(file(dir, 'eng/go'), `${GO}interview_language: de\n`);
    const failed = await runCli(['apply', '--auto-approve'], dir, { env: env(box) });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('      run `micro1 state rm eng/go`, then `micro1 apply` creates it anew\n');
    expect(commandsIn(failed.stderr.split('does not exist on micro1')[1]!)).toEqual([['state', 'rm', 'eng/go'], ['apply']]);

    expect((await runCli(['state', 'rm', 'eng/go'], dir)).code).toBe(0);
    const again = await runCli(['apply', '--auto-approve'], dir, { env: env(box) });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Apply complete: 1 created, 0 updated, 0 deleted, 0 failed.');
    expect(box.interviews().map((i) => i.body.interview_language)).toEqual(['de']);
  });

  it('with a pinned id: remove the `id:` line and `state rm KEY`, then apply creates it anew', async () => {
    const box = await sandbox({ seed: [{ id: PINNED_ID, body: { interview_name: 'Go Engineer' } }] });
    const dir = project({ 'eng/go': PINNED });
    expect((await runCli(['apply', '--auto-approve'], dir, { env: env(box) })).code).toBe(0);
    await deleteOutsideGit(box, PINNED_ID);
    writeFileSync(file(dir, 'eng/go'), `${PINNED}interview_language: de\n`);
    const failed = await runCli(['apply', '--auto-approve'], dir, { env: env(box) });
    expect(failed.stderr).toContain('      remove the `id:` line from interviews/eng/go.yaml and run `micro1 state rm eng/go`, then `micro1 apply` creates it anew, or pin an id that exists\n');

    writeFileSync(file(dir, 'eng/go'), `${GO}coding_exercise_details: ""\ninterview_language: de\n`);
    expect((await runCli(['state', 'rm', 'eng/go'], dir)).code).toBe(0);
    const again = await runCli(['apply', '--auto-approve'], dir, { env: env(box) });
    expect(again.stdout).toContain('Apply complete: 1 created, 0 updated, 0 deleted, 0 failed.');
    expect(box.interviews()).toHaveLength(1);
  });

  it('of an adoption (a pinned id never applied): removing the `id:` line creates it', async () => {
    const box = await sandbox();
    const dir = project({ 'eng/go': PINNED });
    const failed = await runCli(['apply', '--auto-approve'], dir, { env: env(box) });
    expect(failed.stderr).toContain('      remove the `id:` line from interviews/eng/go.yaml, then `micro1 apply` creates it anew, or pin an id that exists\n');
    writeFileSync(file(dir, 'eng/go'), GO);
    const again = await runCli(['apply', '--auto-approve'], dir, { env: env(box) });
    expect(again.stdout).toContain('Apply complete: 1 created');
  });
});

describe('a file renamed without a pinned id', () => {
  it('is told `state mv OLD NEW`, after which the plan has no changes and apply sends nothing', async () => {
    const box = await sandbox();
    const dir = project({ 'eng/go': GO });
    expect((await runCli(['apply', '--auto-approve'], dir, { env: env(box) })).code).toBe(0);
    const id = readStateFile(dir).interviews['eng/go']!.id;
    renameSync(file(dir, 'eng/go'), path.join(dir, 'interviews/eng/golang.yaml'));
    const planned = await runCli(['plan'], dir);
    const hint = `if interviews/eng/go.yaml was renamed to interviews/eng/golang.yaml, run \`micro1 state mv eng/go eng/golang\` to keep managing ${id} under the new name instead of creating a second interview`;
    expect(planned.stdout).toContain(`      ${hint}\n`);
    expect(planned.stdout).not.toContain('forget');
    // The same advice when prune would delete the old one.
    expect((await runCli(['plan', '--prune'], dir)).stdout).toContain(`  ! eng/go: eng/golang has the same name and is planned as a create\n      ${hint}\n`);

    const [command] = commandsIn(hint);
    expect(command).toEqual(['state', 'mv', 'eng/go', 'eng/golang']);
    expect((await runCli(command!, dir)).code).toBe(0);
    expect((await runCli(['plan'], dir, { env: env(box) })).stdout).toBe(`Target: ${box.url}\n\nNo changes. 1 interview already matches micro1.\n`);
    const sent = box.requests.length;
    expect((await runCli(['apply', '--auto-approve', '--prune'], dir, { env: env(box) })).stdout).toContain('No changes.');
    expect(box.requests.length).toBe(sent);
    expect(box.interviews().map((i) => i.id)).toEqual([id]);
  });
});

describe('`state mv` on a file that pins its id', () => {
  it('predicts what the next plan does: the entry moves back, nothing is created', async () => {
    const box = await sandbox({ seed: [{ id: PINNED_ID, body: { interview_name: 'Go Engineer' } }] });
    const dir = project({ 'eng/go': PINNED });
    expect((await runCli(['apply', '--auto-approve'], dir, { env: env(box) })).code).toBe(0);
    const moved = await runCli(['state', 'mv', 'eng/go', 'eng/golang'], dir);
    expect(moved.stdout).toBe(
      `Moved eng/go to eng/golang (id ${PINNED_ID}) in .micro1/state.json.\n` +
        `  interviews/eng/go.yaml pins ${PINNED_ID}, so the next plan moves the entry back to eng/go (nothing is sent); with a pinned id, renaming the file to interviews/eng/golang.yaml is enough.\n`,
    );
    const planned = await runCli(['plan'], dir);
    expect(planned.stdout).toContain('Plan: 0 to create, 0 to update, 0 to delete, 1 unchanged; 1 file moved.');
    const sent = box.requests.length;
    expect((await runCli(['apply', '--auto-approve'], dir, { env: env(box) })).code).toBe(0);
    expect(box.requests.length).toBe(sent);
    expect(Object.keys(readStateFile(dir).interviews)).toEqual(['eng/go']);
  });
});

describe('`plan --refresh` on an interview deleted outside git', () => {
  it('whose file pins its id: warns that apply would 404, and the advice leads to a create', async () => {
    const box = await sandbox({ seed: [{ id: PINNED_ID, body: { interview_name: 'Go Engineer' } }] });
    const dir = project({ 'eng/go': PINNED });
    expect((await runCli(['apply', '--auto-approve'], dir, { env: env(box) })).code).toBe(0);
    await deleteOutsideGit(box, PINNED_ID);
    const refreshed = await runCli(['plan', '--refresh'], dir, { env: env(box) });
    expect(refreshed.stdout).toContain(`# interviews/eng/go.yaml pins this id, which micro1 no longer has: remove its \`id:\` line and run \`micro1 state rm eng/go\`, then \`micro1 apply\` creates it anew`);
    expect(refreshed.stdout).toContain(`  ! eng/go: interviews/eng/go.yaml pins ${PINNED_ID}, which micro1 no longer lists (deleted outside git): apply would send an update that fails with 404\n`);
    expect(refreshed.stdout).toContain('      to create it anew, remove the `id:` line from interviews/eng/go.yaml and run `micro1 state rm eng/go`; then `micro1 plan` shows the create\n');

    writeFileSync(file(dir, 'eng/go'), `${GO}coding_exercise_details: ""\n`);
    // Removing the line alone is not enough (the state still records the gone id): the advice says both.
    expect((await runCli(['plan'], dir)).stdout).toContain('No changes.');
    expect((await runCli(['state', 'rm', 'eng/go'], dir)).code).toBe(0);
    expect((await runCli(['plan'], dir)).stdout).toContain('Plan: 1 to create, 0 to update, 0 to delete, 0 unchanged.');
    expect((await runCli(['apply', '--auto-approve'], dir, { env: env(box) })).stdout).toContain('Apply complete: 1 created');
    expect(box.interviews().map((i) => i.body.interview_name)).toEqual(['Go Engineer']);
  });

  it('without a pinned id: says a plain apply still sees it, and `state rm` first makes apply create it', async () => {
    const box = await sandbox();
    const dir = project({ 'eng/go': GO });
    expect((await runCli(['apply', '--auto-approve'], dir, { env: env(box) })).code).toBe(0);
    await deleteOutsideGit(box, readStateFile(dir).interviews['eng/go']!.id);
    const refreshed = await runCli(['plan', '--refresh'], dir, { env: env(box) });
    expect(refreshed.stdout).toContain('# a plain `micro1 apply` still takes it as there (the state records it): run `micro1 state rm eng/go` first, or apply this plan saved with `--out FILE`, to create it again from its file');
    expect((await runCli(['apply', '--auto-approve'], dir, { env: env(box) })).stdout).toContain('No changes.');

    // The saved plan, as said.
    expect((await runCli(['plan', '--refresh', '--out', 'p.json'], dir, { env: env(box) })).code).toBe(0);
    expect((await runCli(['apply', 'p.json'], dir, { env: env(box) })).stdout).toContain('Apply complete: 1 created');
    await deleteOutsideGit(box, readStateFile(dir).interviews['eng/go']!.id);
    // And `state rm` first, as said.
    expect((await runCli(['state', 'rm', 'eng/go'], dir)).code).toBe(0);
    expect((await runCli(['apply', '--auto-approve'], dir, { env: env(box) })).stdout).toContain('Apply complete: 1 created');
    expect(calls(box).filter((c) => c === 'POST /interview')).toHaveLength(3);
  });
});
