import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PLAN_COMMENT_MARKER } from '../src/render/render-markdown.js';
import type { Sandbox } from '../src/sandbox/sandbox.js';
import { API_KEY, sandbox } from './apply-harness.js';
import { fixture } from './helpers.js';

/**
 * The example workflow, run for real: its `run:` scripts are executed as GitHub runs them
 * (`bash --noprofile --norc -eo pipefail`), in order, with the job's `if:` rules, against the
 * sandbox, with GitHub's environment variables set. The `uses:` steps are emulated: checkout is a
 * clone of a local bare repository (so `git push` really pushes), setup-node is this Node,
 * github-script runs the workflow's own script against a recording stand-in for the GitHub API,
 * and upload-artifact is recorded. Stubbed: `npm ci` (an `npm` shim records its arguments);
 * `npx micro1` is a shim that runs this repository's built CLI (dist/bin.js).
 */

const REPO = fileURLToPath(new URL('..', import.meta.url));
const WORKFLOW_FILE = path.join(REPO, '.github', 'workflows', 'micro1.yml');
const BIN = path.join(REPO, 'dist', 'bin.js');
const run = promisify(execFile);

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, string | number>;
}
interface Job {
  if: string;
  permissions: Record<string, string>;
  concurrency: { group: string; 'cancel-in-progress': boolean };
  env?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  name: string;
  on: { pull_request: null; push: { branches: string[] } };
  permissions: Record<string, string>;
  defaults: { run: { shell: string } };
  env?: Record<string, string>;
  jobs: { plan: Job; apply: Job };
}

const text = readFileSync(WORKFLOW_FILE, 'utf8');
const workflow = parse(text, { uniqueKeys: true }) as Workflow;

describe('the example workflow file', () => {
  it('is valid YAML with the triggers, permissions and concurrency the README promises', () => {
    expect(workflow.on).toEqual({ pull_request: null, push: { branches: ['main'] } });
    expect(workflow.permissions).toEqual({});
    expect(workflow.defaults).toEqual({ run: { shell: 'bash' } });
    expect(workflow.jobs.plan.if).toBe("github.event_name == 'pull_request'");
    expect(workflow.jobs.plan.permissions).toEqual({ contents: 'read', 'pull-requests': 'write' });
    expect(workflow.jobs.plan.concurrency).toEqual({ group: 'micro1-plan-${{ github.event.pull_request.number }}', 'cancel-in-progress': true });
    expect(workflow.jobs.apply.if).toBe("github.event_name == 'push'");
    expect(workflow.jobs.apply.permissions).toEqual({ contents: 'write' });
    expect(workflow.jobs.apply.concurrency).toEqual({ group: 'micro1-apply-${{ github.ref }}', 'cancel-in-progress': false });
  });

  it('gives the API key to the apply step alone', () => {
    expect(text.match(/secrets\./g)).toHaveLength(1);
    const withKey = Object.values(workflow.jobs).flatMap((j) => j.steps).filter((s) => s.env?.MICRO1_API_KEY !== undefined);
    expect(withKey.map((s) => [s.name, s.run, s.env])).toEqual([['Apply', 'npx micro1 apply --auto-approve', { MICRO1_API_KEY: '${{ secrets.MICRO1_API_KEY }}' }]]);
  });

  it('keeps expressions out of run scripts (no script injection; the scripts run as written)', () => {
    for (const step of Object.values(workflow.jobs).flatMap((j) => j.steps)) {
      if (step.run !== undefined) expect(step.run).not.toContain('${{');
    }
  });

  it('finds its comment by the marker the Markdown plan starts with', () => {
    const script = workflow.jobs.plan.steps.find((s) => s.uses?.startsWith('actions/github-script@'))!.with!.script as string;
    expect(script).toContain(`const marker = '${PLAN_COMMENT_MARKER}';`);
  });
});

// ---------------------------------------------------------------------------------------------
// A small runner for the workflow's jobs.

interface Context {
  cwd: string;
  secrets: Record<string, string>;
  /** Called for `actions/checkout`: returns the workspace. */
  checkout(step: Step): Promise<string>;
  github: GithubStub;
  shims: Shims;
}

interface StepRun {
  name: string;
  outcome: 'success' | 'failure' | 'skipped';
  code?: number;
  stdout: string;
  stderr: string;
  summary: string;
  output: string;
}

async function runJob(name: 'plan' | 'apply', ctx: Omit<Context, 'cwd'> & { cwd?: string }): Promise<Record<string, StepRun>> {
  const job = workflow.jobs[name];
  const results: Record<string, StepRun> = {};
  let failed = false;
  let cwd = ctx.cwd ?? '';
  for (const [index, step] of job.steps.entries()) {
    const label = step.name ?? step.uses ?? `step ${index}`;
    const key = step.id ?? label;
    if (!condition(step.if, failed, results)) {
      results[key] = { name: label, outcome: 'skipped', stdout: '', stderr: '', summary: '', output: '' };
      continue;
    }
    let result: StepRun;
    if (step.uses !== undefined) {
      result = { name: label, outcome: 'success', stdout: '', stderr: '', summary: '', output: '' };
      const action = step.uses.split('@')[0];
      if (action === 'actions/checkout') cwd = await ctx.checkout(step);
      else if (action === 'actions/setup-node') expect(step.with).toMatchObject({ 'node-version': 20 });
      else if (action === 'actions/github-script') await runGithubScript(String(step.with!.script), cwd, ctx.github);
      else if (action === 'actions/upload-artifact') ctx.github.artifacts.push({ ...step.with!, path: resolveExpressions(String(step.with!.path), { ...workflow.env, ...job.env }, ctx.secrets) });
      else throw new Error(`the test does not know how to emulate ${step.uses}`);
    } else {
      const env = {
        ...resolveAll(workflow.env, ctx.secrets),
        ...resolveAll(job.env, ctx.secrets),
        ...resolveAll(step.env, ctx.secrets),
      };
      result = await runScript(label, step.run!, cwd, env, ctx.shims);
    }
    results[key] = result;
    if (result.outcome === 'failure') failed = true;
  }
  return results;
}

/** The `if:` forms the workflow uses, evaluated as GitHub would; anything else fails the test. */
function condition(expression: string | undefined, failed: boolean, results: Record<string, StepRun>): boolean {
  if (expression === undefined) return !failed;
  const inner = /^\$\{\{ (.*) \}\}$/.exec(expression)?.[1];
  if (inner === undefined) throw new Error(`unexpected if: ${expression}`);
  return inner.split(' && ').every((term) => {
    if (term === 'always()' || term === '!cancelled()') return true;
    if (term === 'failure()') return failed;
    if (term === 'github.event.pull_request.head.repo.full_name == github.repository') return true;
    const outcome = /^steps\.(\w+)\.outcome != 'skipped'$/.exec(term);
    if (outcome) return results[outcome[1]!]?.outcome !== 'skipped';
    throw new Error(`the test does not know the condition ${term}`);
  });
}

function resolveAll(env: Record<string, string> | undefined, secrets: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env ?? {}).map(([k, v]) => [k, resolveExpressions(v, env ?? {}, secrets)]));
}

function resolveExpressions(value: string, env: Record<string, string>, secrets: Record<string, string>): string {
  return value.replace(/\$\{\{ (\S+) \}\}/g, (_, expr: string) => {
    const [scope, name] = expr.split('.') as [string, string];
    if (scope === 'secrets' && name in secrets) return secrets[name]!;
    if (scope === 'env' && name in env) return env[name]!;
    throw new Error(`the test does not know the expression ${expr}`);
  });
}

interface Shims {
  dir: string;
  npmCalls: string;
  /** Numbers the scratch folders of each step and checkout. */
  runs: number;
  github: Record<string, string>;
}

/**
 * `npx micro1` → the built CLI; `npm` records its arguments (npm ci is stubbed). With
 * `planExit`, `npx micro1 plan` prints nothing and exits with that code instead.
 */
function makeShims(root: string, planExit?: number): Shims {
  const dir = path.join(root, '.shims');
  mkdirSync(dir);
  const npmCalls = path.join(root, '.npm-calls');
  writeFileSync(
    path.join(dir, 'npx'),
    [
      '#!/bin/sh',
      planExit === undefined ? '' : `if [ "$1 $2" = "micro1 plan" ]; then echo "simulated failure" >&2; exit ${planExit}; fi`,
      `if [ "$1" = micro1 ]; then shift; exec "${process.execPath}" "${BIN}" "$@"; fi`,
      'echo "npx shim: unexpected npx $*" >&2',
      'exit 127',
      '',
    ].join('\n'),
  );
  writeFileSync(path.join(dir, 'npm'), `#!/bin/sh\necho "$*" >> "${npmCalls}"\n`);
  chmodSync(path.join(dir, 'npx'), 0o755);
  chmodSync(path.join(dir, 'npm'), 0o755);
  const home = path.join(root, '.home');
  mkdirSync(home);
  return {
    dir,
    npmCalls,
    runs: 0,
    github: {
      PATH: `${dir}:${path.dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`,
      HOME: home,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: path.join(home, '.gitconfig'),
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: 'acme/interviews',
      GITHUB_RUN_ID: '4242',
      GITHUB_REF: 'refs/heads/main',
      GITHUB_REF_NAME: 'main',
    },
  };
}

async function runScript(name: string, script: string, cwd: string, env: Record<string, string>, shims: Shims): Promise<StepRun> {
  const files = path.join(shims.dir, '..', '.runner', String(shims.runs++));
  mkdirSync(files, { recursive: true });
  const file = path.join(files, 'script.sh');
  const summary = path.join(files, 'step_summary');
  const output = path.join(files, 'output');
  writeFileSync(file, script);
  writeFileSync(summary, '');
  writeFileSync(output, '');
  const result = await run('bash', ['--noprofile', '--norc', '-eo', 'pipefail', file], {
    cwd,
    env: { ...shims.github, GITHUB_WORKSPACE: cwd, GITHUB_STEP_SUMMARY: summary, GITHUB_OUTPUT: output, ...env },
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
  return { name, outcome: result.code === 0 ? 'success' : 'failure', ...result, summary: readFileSync(summary, 'utf8'), output: readFileSync(output, 'utf8') };
}

interface Comment {
  id: number;
  user: { login: string; type: string };
  body: string;
}

interface GithubStub {
  comments: Comment[];
  calls: string[];
  artifacts: Record<string, unknown>[];
}

function githubStub(comments: Comment[] = []): GithubStub {
  return { comments, calls: [], artifacts: [] };
}

/** The workflow's github-script, run as actions/github-script runs it, against a recording stand-in for Octokit. */
async function runGithubScript(script: string, cwd: string, stub: GithubStub): Promise<void> {
  const context = { serverUrl: 'https://github.com', repo: { owner: 'acme', repo: 'interviews' }, runId: 4242, issue: { owner: 'acme', repo: 'interviews', number: 7 } };
  const listComments = () => {
    throw new Error('listComments is only called through paginate here');
  };
  const github = {
    paginate: async (method: unknown, params: Record<string, unknown>) => {
      expect(method).toBe(listComments);
      stub.calls.push(`list ${params.owner}/${params.repo}#${params.issue_number}`);
      return stub.comments.map((c) => ({ ...c }));
    },
    rest: {
      issues: {
        listComments,
        createComment: async (p: { owner: string; repo: string; issue_number: number; body: string }) => {
          stub.calls.push(`create ${p.owner}/${p.repo}#${p.issue_number}`);
          stub.comments.push({ id: 100 + stub.comments.length, user: { login: 'github-actions[bot]', type: 'Bot' }, body: p.body });
        },
        updateComment: async (p: { owner: string; repo: string; comment_id: number; body: string }) => {
          stub.calls.push(`update ${p.owner}/${p.repo} comment ${p.comment_id}`);
          stub.comments.find((c) => c.id === p.comment_id)!.body = p.body;
        },
      },
    },
  };
  // github-script resolves relative paths against the workspace, its working directory.
  const fs = {
    existsSync: (p: string) => existsSync(path.resolve(cwd, p)),
    readFileSync: (p: string, encoding: BufferEncoding) => readFileSync(path.resolve(cwd, p), encoding),
  };
  const requireShim = (id: string) => {
    if (id === 'fs') return fs;
    throw new Error(`the workflow's script requires ${id}`);
  };
  const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (...args: string[]) => (...args: unknown[]) => Promise<void>;
  await new AsyncFunction('require', 'github', 'context', 'core', script)(requireShim, github, context, {});
}

// ---------------------------------------------------------------------------------------------

const GO = 'interview_name: Go Engineer\nskills:\n  - name: Go\n';
const SALES = 'interview_name: Account Executive\ninterview_language: fr\n';

function projectFiles(box: Sandbox, interviews: Record<string, string>): Record<string, string> {
  const files: Record<string, string> = {
    'micro1.config.json': JSON.stringify({ api: { baseUrl: box.url, timeoutMs: 2000 }, apply: { requestsPerSecond: 1000, maxRetries: 2 } }),
  };
  for (const [key, content] of Object.entries(interviews)) files[`interviews/${key}.yaml`] = content;
  return files;
}

async function git(cwd: string, ...args: string[]): Promise<string> {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
  return (await run('git', ['-c', 'user.name=Dev', '-c', 'user.email=dev@example.com', '-c', 'init.defaultBranch=main', ...args], { cwd, env })).stdout;
}

beforeAll(() => {
  expect(existsSync(BIN), 'dist/bin.js is missing: run `npm run build` (npm test does)').toBe(true);
});

describe('the plan job, on a pull request', () => {
  async function planJob(files: Record<string, string>, comments: Comment[] = [], planExit?: number) {
    const root = fixture(files);
    const shims = makeShims(root, planExit);
    const github = githubStub(comments);
    const steps = await runJob('plan', { cwd: root, secrets: {}, shims, github, checkout: async () => root });
    return { root, shims, github, steps };
  }

  it('validates, plans (exit 2 does not fail the job), writes the summary and posts one comment', async () => {
    const box = await sandbox();
    const { root, shims, github, steps } = await planJob(projectFiles(box, { 'eng/go': GO }));
    expect(Object.values(steps).map((s) => `${s.name}: ${s.outcome}`)).toEqual([
      'actions/checkout@v4: success',
      'actions/setup-node@v4: success',
      'Install: success',
      'Validate: success',
      'Plan: success',
      'Comment the plan: success',
    ]);
    expect(readFileSync(shims.npmCalls, 'utf8')).toBe('ci\n');
    expect(steps.Validate!.stdout).toBe('1 valid interview; 0 errors, 0 warnings.\n');
    expect(steps.plan!.output).toBe('exitcode=2\n');
    expect(steps.plan!.stderr).toBe('');

    const planMd = readFileSync(path.join(root, 'plan.md'), 'utf8');
    expect(planMd).toBe(
      [
        PLAN_COMMENT_MARKER,
        '### micro1 plan',
        '',
        '**Plan: 1 to create, 0 to update, 0 to delete, 0 unchanged.**',
        '',
        '#### Changes',
        '',
        '<details><summary><code>+</code> <b>eng/go</b> (create) <code>interviews/eng/go.yaml</code></summary>',
        '',
        '```diff',
        '+ interview_name: "Go Engineer"',
        '+ skills[0]: {name: "Go"}',
        '```',
        '',
        '</details>',
        '',
      ].join('\n'),
    );
    expect(steps.plan!.summary).toBe(planMd);
    expect(github.calls).toEqual(['list acme/interviews#7', 'create acme/interviews#7']);
    expect(github.comments.map((c) => c.body)).toEqual([planMd]);
    // Plan needs no key and sends nothing.
    expect(box.requests).toHaveLength(0);
  });

  it('updates its own comment on the next push, leaving a human quoting the marker alone', async () => {
    const box = await sandbox();
    const human: Comment = { id: 1, user: { login: 'alice', type: 'User' }, body: `${PLAN_COMMENT_MARKER} looks odd` };
    const bot: Comment = { id: 2, user: { login: 'github-actions[bot]', type: 'Bot' }, body: `${PLAN_COMMENT_MARKER}\nold plan` };
    const { root, github, steps } = await planJob(projectFiles(box, { 'eng/go': GO, 'sales/ae': SALES }), [human, bot]);
    expect(steps['Comment the plan']!.outcome).toBe('success');
    expect(github.calls).toEqual(['list acme/interviews#7', 'update acme/interviews comment 2']);
    expect(github.comments).toEqual([human, { ...bot, body: readFileSync(path.join(root, 'plan.md'), 'utf8') }]);
    expect(bot.body).toContain('**Plan: 2 to create, 0 to update, 0 to delete, 0 unchanged.**');
  });

  it('exits 0 with no changes', async () => {
    const box = await sandbox();
    const { steps } = await planJob({ ...projectFiles(box, {}), 'interviews/.gitkeep': '' });
    expect(steps.plan!).toMatchObject({ outcome: 'success', output: 'exitcode=0\n' });
  });

  it('fails on invalid files, annotates them, and replaces the comment with a failure notice', async () => {
    const box = await sandbox();
    const bot: Comment = { id: 2, user: { login: 'github-actions[bot]', type: 'Bot' }, body: `${PLAN_COMMENT_MARKER}\nstale plan` };
    const { github, steps } = await planJob(projectFiles(box, { 'eng/go': 'interview_name: Go\ncolour: red\n' }), [bot]);
    expect(Object.values(steps).map((s) => `${s.name}: ${s.outcome}`).slice(3)).toEqual(['Validate: failure', 'Plan: skipped', 'Comment the plan: success']);
    expect(steps.Validate!.code).toBe(1);
    expect(steps.Validate!.stderr).toBe(
      '::error file=interviews/eng/go.yaml,line=2,col=1,title=micro1-sync%3A colour::unknown field "colour"\ninterviews/eng/go.yaml:2:1  colour  unknown field "colour"\n',
    );
    expect(github.comments[0]!.body).toBe(
      `${PLAN_COMMENT_MARKER}\n### micro1 plan\n\n**No plan: validation or planning failed.** See the annotations and the [workflow run](https://github.com/acme/interviews/actions/runs/4242).\n`,
    );
  });

  it('fails the job on any plan exit code but 0 and 2, and says so in the comment', async () => {
    const box = await sandbox();
    for (const [code, outcome] of [[0, 'success'], [2, 'success'], [1, 'failure'], [130, 'failure']] as const) {
      const { github, steps } = await planJob(projectFiles(box, { 'eng/go': GO }), [], code);
      expect(steps.plan!).toMatchObject({ outcome, code: outcome === 'success' ? 0 : code, output: `exitcode=${code}\n`, stderr: 'simulated failure\n' });
      expect(steps['Comment the plan']!.outcome).toBe('success');
      expect(github.comments[0]!.body).toContain('**No plan: validation or planning failed.**');
    }
  });

  it('says why in the summary when plan stops with an error', async () => {
    const box = await sandbox();
    const root = fixture({ ...projectFiles(box, { 'eng/go': GO }), '.micro1/state.json': '{"version": 1, "lineage": "x", "serial": 3, "interv' });
    const shims = makeShims(root);
    const step = workflow.jobs.plan.steps.find((s) => s.id === 'plan')!;
    const result = await runScript('Plan', step.run!, root, {}, shims);
    expect(result).toMatchObject({ outcome: 'failure', code: 1, stdout: '', output: 'exitcode=1\n' });
    expect(result.stderr).toMatch(/^Error: The state file \.micro1\/state\.json is not valid JSON/);
    expect(result.stderr).toContain('\n::error title=micro1 plan failed::The state file .micro1/state.json is not valid JSON');
    expect(result.summary).toMatch(/^### micro1 plan\n\n\*\*Error:\*\* The state file \.micro1\/state\.json is not valid JSON/);
    expect(readFileSync(path.join(root, 'plan.md'), 'utf8')).toBe('');
  });
});

describe('the apply job, on a push to main', () => {
  /** A bare `origin` holding the project, as GitHub would; checkout clones the branch's tip from it. */
  async function repository(files: Record<string, string>) {
    const root = fixture({});
    const seed = path.join(root, 'seed');
    mkdirSync(seed);
    for (const [rel, content] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(seed, rel)), { recursive: true });
      writeFileSync(path.join(seed, rel), content);
    }
    await git(seed, 'init', '-q');
    await git(seed, 'add', '-A');
    await git(seed, 'commit', '-qm', 'interviews');
    const origin = path.join(root, 'origin.git');
    await git(root, 'clone', '-q', '--bare', seed, origin);
    return { root, origin, shims: makeShims(root) };
  }

  async function applyJob(repo: { root: string; origin: string; shims: Shims }, beforePush?: () => Promise<void>) {
    const work = path.join(repo.root, `work-${repo.shims.runs++}`);
    const github = githubStub();
    const steps = await runJob('apply', {
      secrets: { MICRO1_API_KEY: API_KEY },
      shims: repo.shims,
      github,
      checkout: async (step) => {
        expect(step.with).toEqual({ ref: '${{ github.ref }}' });
        await git(repo.root, 'clone', '-q', '--branch', 'main', repo.origin, work);
        await beforePush?.();
        return work;
      },
    });
    return { work, github, steps };
  }

  async function originLog(origin: string): Promise<string[]> {
    return (await git(origin, 'log', '--format=%an <%ae>: %s', 'main')).trim().split('\n');
  }

  it('applies, commits the state back with [skip ci], and commits nothing when nothing changed', async () => {
    const box = await sandbox();
    const repo = await repository(projectFiles(box, { 'eng/go': GO, 'sales/ae': SALES }));
    const { work, github, steps } = await applyJob(repo);
    expect(Object.values(steps).map((s) => `${s.name}: ${s.outcome}`)).toEqual([
      'actions/checkout@v4: success',
      'actions/setup-node@v4: success',
      'Install: success',
      'Apply: success',
      'Commit the state: success',
      'Keep the state as an artifact: skipped',
    ]);
    expect(box.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /interview', 'POST /interview']);
    expect(box.requests.every((r) => r.headers['x-api-key'] === '***')).toBe(true);
    const idOf = (name: string) => box.interviews().find((i) => i.body.interview_name === name)!.id;
    const link = (key: string, id: string) => `- \`${key}\` (id \`${id}\`): \`https://interview.micro1.ai/intro/micro1?uid=${id}\`\n`;
    expect(steps.apply!.summary).toBe(
      '### micro1 apply\n\n**Apply complete: 2 created, 0 updated, 0 deleted, 0 failed.**\n\nPlan: 2 to create, 0 to update, 0 to delete, 0 unchanged.\n\n' +
        `#### Invite links\n\n${link('eng/go', idOf('Go Engineer'))}${link('sales/ae', idOf('Account Executive'))}\n` +
        'State saved to `.micro1/state.json` (2 requests sent).\n',
    );
    expect(await originLog(repo.origin)).toEqual([
      'github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>: micro1: record applied state [skip ci]',
      'Dev <dev@example.com>: interviews',
    ]);
    const pushed = await git(repo.origin, 'show', 'main:.micro1/state.json');
    expect(pushed).toBe(readFileSync(path.join(work, '.micro1/state.json'), 'utf8'));
    expect(Object.keys(JSON.parse(pushed).interviews)).toEqual(['eng/go', 'sales/ae']);
    expect(github.artifacts).toEqual([]);

    // The next merge: the checkout holds the committed state, so nothing is sent and nothing committed.
    const again = await applyJob(repo);
    expect(again.steps.apply!.stdout).toBe('No changes. 2 interviews already match micro1.\n');
    expect(again.steps['Commit the state']!.stdout).toBe('The state did not change: nothing to commit.\n');
    expect(box.requests).toHaveLength(2);
    expect(await originLog(repo.origin)).toHaveLength(2);
  });

  it('rebases and pushes again when another merge landed during the apply', async () => {
    const box = await sandbox();
    const repo = await repository(projectFiles(box, { 'eng/go': GO }));
    const other = path.join(repo.root, 'other');
    const { steps } = await applyJob(repo, async () => {
      await git(repo.root, 'clone', '-q', repo.origin, other);
      writeFileSync(path.join(other, 'README.md'), 'another merge\n');
      await git(other, 'add', '-A');
      await git(other, 'commit', '-qm', 'another merge');
      await git(other, 'push', '-q', 'origin', 'main');
    });
    expect(steps['Commit the state']!.outcome).toBe('success');
    expect(steps['Commit the state']!.stdout).toContain('Push rejected (attempt 1): rebasing on the latest main.\n');
    expect(steps['Commit the state']!.stdout).not.toContain('attempt 2');
    expect((await git(repo.origin, 'log', '--format=%s', 'main')).trim().split('\n')).toEqual(['micro1: record applied state [skip ci]', 'another merge', 'interviews']);
  });

  it('commits what micro1 confirmed even when part of the apply failed, and keeps the state as an artifact', async () => {
    const box = await sandbox({
      fault: (r) => ((r.body as { interview_name?: string })?.interview_name === 'Account Executive' ? { kind: 'status', status: 400, body: { status: false, message: 'interview_name is taken' } } : undefined),
    });
    const repo = await repository(projectFiles(box, { 'eng/go': GO, 'sales/ae': SALES }));
    const { github, steps } = await applyJob(repo);
    expect(Object.values(steps).map((s) => `${s.name}: ${s.outcome}`).slice(3)).toEqual([
      'Apply: failure',
      'Commit the state: success',
      'Keep the state as an artifact: success',
    ]);
    expect(steps.apply!.stderr).toContain('::error file=interviews/sales/ae.yaml,title=micro1 apply%3A create sales/ae failed::micro1 rejected it: interview_name is taken\n');
    expect(steps.apply!.summary).toContain('\n#### Failures\n\n- `interviews/sales/ae.yaml` create `sales/ae`: micro1 rejected it: interview\\_name is taken\n');
    const pushed = JSON.parse(await git(repo.origin, 'show', 'main:.micro1/state.json')) as { interviews: Record<string, unknown> };
    expect(Object.keys(pushed.interviews)).toEqual(['eng/go']);
    expect(github.artifacts).toEqual([{ name: 'micro1-state', path: '.micro1/state.json', 'if-no-files-found': 'ignore' }]);
  });
});
