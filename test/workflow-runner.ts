import { execFile } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse } from 'yaml';

/**
 * The example workflows, run for real: `run:` scripts are executed as GitHub runs them
 * (`bash --noprofile --norc -eo pipefail`), in order, with the `if:` rules and `${{ }}` expressions
 * evaluated, against the sandbox, with GitHub's environment variables set. The `uses:` steps are
 * emulated: checkout is a clone of a local bare repository (so `git push` really pushes),
 * setup-node is this Node, github-script runs the workflow's own script against a recording
 * stand-in for the GitHub API (`GithubWorld`), and the artifact actions copy folders in and out
 * of the world's artifact store. `npm ci` is stubbed (a shim records it); `npx micro1` runs this
 * repository's built CLI (dist/bin.js). Anything the runner does not know fails the test.
 *
 * A little over ~350 lines: the runner and its GitHub stand-in are one emulation, kept together so
 * that what the tests assume of GitHub is in one place.
 */

export const REPO = fileURLToPath(new URL('..', import.meta.url));
export const BIN = path.join(REPO, 'dist', 'bin.js');
const execute = promisify(execFile);

export interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, string | number | boolean>;
}
export interface Job {
  if: string;
  'runs-on': string;
  environment?: string;
  permissions: Record<string, string>;
  concurrency: { group: string; 'cancel-in-progress': boolean };
  env?: Record<string, string>;
  steps: Step[];
}
export interface Workflow {
  name: string;
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  defaults?: { run: { shell: string } };
  env: Record<string, string>;
  jobs: Record<string, Job>;
}

export function loadWorkflow(file: string): { text: string; workflow: Workflow } {
  const text = readFileSync(path.join(REPO, '.github', 'workflows', file), 'utf8');
  return { text, workflow: parse(text, { uniqueKeys: true }) as Workflow };
}

export interface StepRun {
  name: string;
  outcome: 'success' | 'failure' | 'skipped';
  code?: number;
  stdout: string;
  stderr: string;
  summary: string;
  outputs: Record<string, string>;
}

export interface Comment {
  id: number;
  user: { login: string; type: string };
  body: string;
}
export interface Pull {
  number: number;
  head: { sha: string; ref: string };
  base: { ref: string };
  merged_at: string | null;
  merge_commit_sha: string | null;
}
export interface RunRecord {
  id: number;
  event: 'pull_request' | 'push';
  head_sha: string;
  status: 'completed' | 'in_progress';
  conclusion: 'success' | 'failure' | null;
  created_at: string;
}

/** What GitHub holds for the repository: pull requests, their comments, runs, and each run's artifacts. */
export class GithubWorld {
  pulls: Pull[] = [];
  comments = new Map<number, Comment[]>();
  runs: RunRecord[] = [];
  /** run id → artifact name → folder holding its files. */
  artifacts = new Map<number, Map<string, string>>();
  calls: string[] = [];
  private nextRun = 100;
  private nextComment = 1000;
  constructor(readonly root: string) {}

  startRun(event: RunRecord['event'], headSha: string): RunRecord {
    const run: RunRecord = { id: this.nextRun++, event, head_sha: headSha, status: 'in_progress', conclusion: null, created_at: new Date(Date.UTC(2026, 0, 1, 0, 0, this.nextRun)).toISOString() };
    this.runs.push(run);
    return run;
  }
  commentsOn(pr: number): Comment[] {
    if (!this.comments.has(pr)) this.comments.set(pr, []);
    return this.comments.get(pr)!;
  }
  addComment(pr: number, body: string, user = { login: 'github-actions[bot]', type: 'Bot' }): void {
    this.commentsOn(pr).push({ id: this.nextComment++, user, body });
  }
}

export interface RunContext {
  world: GithubWorld;
  run: RunRecord;
  /** `github.*` as the event gives it. */
  github: Record<string, unknown>;
  secrets: Record<string, string>;
  /** Called for `actions/checkout`: returns the workspace. */
  checkout(step: Step): Promise<string>;
  shims: Shims;
}

/** Runs one job of `workflow` as GitHub would, step by step; the run's conclusion is recorded in the world. */
export async function runJob(workflow: Workflow, name: string, ctx: RunContext): Promise<Record<string, StepRun>> {
  const job = workflow.jobs[name]!;
  const results: Record<string, StepRun> = {};
  const temp = path.join(ctx.shims.root, `.runner-temp-${ctx.run.id}`);
  mkdirSync(temp, { recursive: true });
  const expr: ExpressionContext = { github: ctx.github, secrets: ctx.secrets, runner: { temp }, steps: results, env: { ...workflow.env, ...job.env } };
  let failed = false;
  let cwd = '';
  for (const [index, step] of job.steps.entries()) {
    const label = step.name ?? step.uses ?? `step ${index}`;
    const key = step.id ?? label;
    if (!condition(step.if, failed, expr)) {
      results[key] = { name: label, outcome: 'skipped', stdout: '', stderr: '', summary: '', outputs: {} };
      continue;
    }
    const env = { ...resolveAll(workflow.env, expr), ...resolveAll(job.env, expr), ...resolveAll(step.env, expr) };
    const args = Object.fromEntries(Object.entries(step.with ?? {}).map(([k, v]) => [k, typeof v === 'string' ? resolve(v, expr) : String(v)]));
    let result: StepRun = { name: label, outcome: 'success', stdout: '', stderr: '', summary: '', outputs: {} };
    if (step.uses !== undefined) {
      const action = step.uses.split('@')[0];
      if (action === 'actions/checkout') cwd = await ctx.checkout(step);
      else if (action === 'actions/setup-node') {
        if (args['node-version'] !== '24') throw new Error(`setup-node ${args['node-version']}`);
      } else if (action === 'actions/github-script') result = { ...result, ...(await runGithubScript(args.script!, cwd, env, temp, ctx)) };
      else if (action === 'actions/upload-artifact') upload(ctx, args);
      else if (action === 'actions/download-artifact') result = { ...result, ...download(ctx, args) };
      else throw new Error(`the test does not know how to emulate ${step.uses}`);
    } else {
      result = { ...(await runScript(label, step.run!, cwd, { ...env, RUNNER_TEMP: temp, GITHUB_RUN_ID: String(ctx.run.id), GITHUB_SHA: String(ctx.github.sha ?? ''), GITHUB_EVENT_NAME: String(ctx.github.event_name) }, ctx.shims)), name: label };
    }
    results[key] = result;
    if (result.outcome === 'failure') failed = true;
  }
  ctx.run.status = 'completed';
  ctx.run.conclusion = failed ? 'failure' : 'success';
  return results;
}

interface ExpressionContext {
  github: Record<string, unknown>;
  secrets: Record<string, string>;
  runner: { temp: string };
  steps: Record<string, StepRun>;
  env: Record<string, string>;
}

/** The `if:` forms the workflows use, evaluated as GitHub would; anything else fails the test. */
function condition(expression: string | undefined, failed: boolean, expr: ExpressionContext): boolean {
  if (expression === undefined) return !failed;
  const inner = /^\$\{\{ (.*) \}\}$/.exec(expression)?.[1] ?? expression;
  const terms = inner.split(' && ');
  // GitHub adds success() unless the expression names a status function.
  const status = terms.some((t) => /^(always|failure|!cancelled|success)\(\)$/.test(t));
  return (status || !failed) && terms.every((term) => {
    if (term === 'always()' || term === '!cancelled()') return true;
    if (term === 'failure()') return failed;
    if (term === 'success()') return !failed;
    const comparison = /^([\w.-]+) (==|!=) '([^']*)'$/.exec(term);
    if (comparison) {
      const value = String(lookup(comparison[1]!, expr) ?? '');
      return comparison[2] === '==' ? value === comparison[3] : value !== comparison[3];
    }
    throw new Error(`the test does not know the condition ${term}`);
  });
}

function lookup(pathText: string, expr: ExpressionContext): unknown {
  const [scope, ...rest] = pathText.split('.');
  let value: unknown = scope === 'steps' ? stepsView(expr.steps) : (expr as unknown as Record<string, unknown>)[scope!];
  for (const part of rest) value = value === undefined || value === null ? undefined : (value as Record<string, unknown>)[part];
  return value;
}

function stepsView(steps: Record<string, StepRun>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(steps).map(([k, s]) => [k, { outcome: s.outcome, outputs: s.outputs }]));
}

function resolveAll(env: Record<string, string> | undefined, expr: ExpressionContext): Record<string, string> {
  return Object.fromEntries(Object.entries(env ?? {}).map(([k, v]) => [k, resolve(String(v), expr)]));
}

function resolve(value: string, expr: ExpressionContext): string {
  return value.replace(/\$\{\{ ([\w.-]+) \}\}/g, (_, name: string) => {
    if (name === 'github.token') return 'ghs_test_token';
    const found = lookup(name, expr);
    if (found === undefined && !name.startsWith('steps.')) throw new Error(`the test does not know the expression ${name}`);
    return String(found ?? '');
  });
}

function upload(ctx: RunContext, args: Record<string, string>): void {
  const source = args.path!;
  if (!existsSync(source)) {
    if (args['if-no-files-found'] === 'ignore') return;
    throw new Error(`upload-artifact: nothing at ${source}`);
  }
  const dest = path.join(ctx.world.root, 'artifacts', String(ctx.run.id), args.name!);
  mkdirSync(dest, { recursive: true });
  // A folder uploads its contents; a file, itself.
  cpSync(source, statSync(source).isDirectory() ? dest : path.join(dest, path.basename(source)), { recursive: true });
  if (!ctx.world.artifacts.has(ctx.run.id)) ctx.world.artifacts.set(ctx.run.id, new Map());
  ctx.world.artifacts.get(ctx.run.id)!.set(args.name!, dest);
}

function download(ctx: RunContext, args: Record<string, string>): Partial<StepRun> {
  const from = ctx.world.artifacts.get(Number(args['run-id']))?.get(args.name!);
  ctx.world.calls.push(`download ${args.name} of run ${args['run-id']}`);
  if (from === undefined) return { outcome: 'failure', stderr: `Unable to download artifact(s): Artifact not found for name: ${args.name}\n` };
  cpSync(from, args.path!, { recursive: true });
  return {};
}

export interface Shims {
  root: string;
  dir: string;
  npmCalls: string;
  runs: number;
  env: Record<string, string>;
}

/**
 * A shell environment under `root` where `npx micro1` runs this build, as in a repository with
 * micro1-sync installed, and git reads no configuration but its own home's: what every test that
 * runs documented shell commands starts from.
 */
export function npxShell(root: string): { dir: string; env: Record<string, string> } {
  const dir = path.join(root, '.shims');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'npx'), ['#!/bin/sh', `if [ "$1" = micro1 ]; then shift; exec "${process.execPath}" "${BIN}" "$@"; fi`, 'echo "npx shim: unexpected npx $*" >&2', 'exit 127', ''].join('\n'));
  chmodSync(path.join(dir, 'npx'), 0o755);
  const home = path.join(root, '.home');
  mkdirSync(home, { recursive: true });
  return {
    dir,
    env: {
      PATH: `${dir}:${path.dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`,
      HOME: home,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: path.join(home, '.gitconfig'),
    },
  };
}

/** Who the shell's own commits are by (`git commit` in a documented recipe). */
export const GIT_AUTHOR = { GIT_AUTHOR_NAME: 'Dev', GIT_AUTHOR_EMAIL: 'dev@example.com', GIT_COMMITTER_NAME: 'Dev', GIT_COMMITTER_EMAIL: 'dev@example.com' };

/** `npx micro1` → the built CLI; `npm` records its arguments (npm ci is stubbed). */
export function makeShims(root: string): Shims {
  const { dir, env } = npxShell(root);
  const npmCalls = path.join(root, '.npm-calls');
  writeFileSync(path.join(dir, 'npm'), `#!/bin/sh\necho "$*" >> "${npmCalls}"\n`);
  chmodSync(path.join(dir, 'npm'), 0o755);
  return {
    root,
    dir,
    npmCalls,
    runs: 0,
    env: {
      ...env,
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: 'acme/interviews',
      GITHUB_REF: 'refs/heads/main',
      GITHUB_REF_NAME: 'main',
    },
  };
}

export async function runScript(name: string, script: string, cwd: string, env: Record<string, string>, shims: Shims): Promise<StepRun> {
  const files = path.join(shims.root, '.runner', String(shims.runs++));
  mkdirSync(files, { recursive: true });
  const file = path.join(files, 'script.sh');
  const summary = path.join(files, 'step_summary');
  const output = path.join(files, 'output');
  writeFileSync(file, script);
  writeFileSync(summary, '');
  writeFileSync(output, '');
  const result = await execute('bash', ['--noprofile', '--norc', '-eo', 'pipefail', file], {
    cwd,
    env: { ...shims.env, GITHUB_WORKSPACE: cwd, GITHUB_STEP_SUMMARY: summary, GITHUB_OUTPUT: output, ...env },
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
  const outputs = Object.fromEntries(readFileSync(output, 'utf8').split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  return { name, outcome: result.code === 0 ? 'success' : 'failure', ...result, summary: readFileSync(summary, 'utf8'), outputs };
}

/** The workflow's github-script, run as actions/github-script runs it, against the world's stand-in for Octokit. */
async function runGithubScript(script: string, cwd: string, env: Record<string, string>, temp: string, ctx: RunContext): Promise<Partial<StepRun>> {
  const { world } = ctx;
  const outputs: Record<string, string> = {};
  let failure: string | undefined;
  let info = '';
  const g = ctx.github as { sha?: string; ref?: string; event?: Record<string, unknown>; action?: string };
  const context = {
    serverUrl: 'https://github.com',
    repo: { owner: 'acme', repo: 'interviews' },
    runId: ctx.run.id,
    sha: g.sha,
    ref: g.ref,
    payload: { ...(g.event ?? {}) },
  };
  const listComments = (p: { issue_number: number }) => world.commentsOn(p.issue_number);
  const listPulls = () => world.pulls.filter((p) => p.merged_at === null);
  const github = {
    paginate: async (method: unknown, params: Record<string, unknown>) => {
      world.calls.push(`list ${method === listComments ? `comments #${params.issue_number}` : 'open pulls'}`);
      if (method === listComments) return listComments(params as { issue_number: number }).map((c) => ({ ...c }));
      if (method === listPulls) return listPulls().map((p) => ({ ...p }));
      throw new Error('paginate of an unknown method');
    },
    rest: {
      issues: {
        listComments,
        createComment: async (p: { issue_number: number; body: string }) => {
          world.calls.push(`create comment #${p.issue_number}`);
          world.addComment(p.issue_number, p.body);
        },
        updateComment: async (p: { comment_id: number; body: string }) => {
          world.calls.push(`update comment ${p.comment_id}`);
          const c = [...world.comments.values()].flat().find((x) => x.id === p.comment_id)!;
          c.body = p.body;
        },
      },
      pulls: { list: listPulls },
      repos: {
        listPullRequestsAssociatedWithCommit: async (p: { commit_sha: string }) => ({ data: world.pulls.filter((x) => x.merge_commit_sha === p.commit_sha).map((x) => ({ ...x })) }),
      },
      actions: {
        listWorkflowRuns: async (p: { workflow_id: string; event: string; head_sha?: string }) => {
          if (p.workflow_id !== 'micro1.yml') throw new Error(`unknown workflow ${p.workflow_id}`);
          return { data: { workflow_runs: world.runs.filter((r) => r.event === p.event && (p.head_sha === undefined || r.head_sha === p.head_sha)).map((r) => ({ ...r })) } };
        },
      },
    },
  };
  // github-script resolves relative paths against the workspace, its working directory.
  const fs = {
    existsSync: (p: string) => existsSync(path.resolve(cwd || temp, p)),
    readFileSync: (p: string, encoding: BufferEncoding) => readFileSync(path.resolve(cwd || temp, p), encoding),
  };
  const requireShim = (id: string) => {
    if (id === 'fs') return fs;
    throw new Error(`the workflow's script requires ${id}`);
  };
  const core = {
    setOutput: (k: string, v: string) => void (outputs[k] = v),
    setFailed: (message: string) => void (failure = message),
    info: (message: string) => void (info += `${message}\n`),
  };
  const processShim = { env: { ...env, RUNNER_TEMP: temp, GITHUB_WORKFLOW_REF: 'acme/interviews/.github/workflows/micro1.yml@refs/heads/main' } };
  const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (...args: string[]) => (...args: unknown[]) => Promise<void>;
  await new AsyncFunction('require', 'github', 'context', 'core', 'process', script)(requireShim, github, context, core, processShim);
  return { outputs, stdout: info, ...(failure === undefined ? {} : { outcome: 'failure', stderr: `::error::${failure}\n` }) };
}
