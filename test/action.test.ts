import { createHash } from 'node:crypto';
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
 * The packaged GitHub Action (action.yml), run as the runner runs a composite action: its `run:`
 * steps in order, each with `bash --noprofile --norc -eo pipefail`, its `if:` rules, its inputs
 * resolved into `env:` and `working-directory:`, and its outputs read back from $GITHUB_OUTPUT,
 * against the sandbox. `npx` is a shim that runs this repository's built CLI (dist/bin.js), as the
 * project's own `node_modules/.bin/micro1` would be; the apply pushes to a local bare repository.
 */

const REPO = fileURLToPath(new URL('..', import.meta.url));
const BIN = path.join(REPO, 'dist', 'bin.js');
const run = promisify(execFile);

interface Step {
  name: string;
  id?: string;
  if?: string;
  shell: string;
  'working-directory': string;
  env: Record<string, string>;
  run: string;
}
interface Action {
  name: string;
  description: string;
  inputs: Record<string, { description: string; required: boolean; default: string }>;
  outputs: Record<string, { description: string; value: string }>;
  runs: { using: string; steps: Step[] };
}

const action = parse(readFileSync(path.join(REPO, 'action.yml'), 'utf8'), { uniqueKeys: true }) as Action;

beforeAll(() => {
  expect(existsSync(BIN), 'dist/bin.js is missing: run `npm run build` (npm test does)').toBe(true);
});

describe('action.yml', () => {
  it('is a composite action with inputs for the command and the working directory, and outputs from its steps', () => {
    expect(action.runs.using).toBe('composite');
    expect(Object.keys(action.inputs)).toEqual(['command', 'working-directory', 'state-file', 'commit-state', 'reviewed-plan']);
    expect(action.inputs['reviewed-plan']!.default).toBe('');
    expect(action.inputs.command!.default).toBe('plan');
    expect(action.inputs['working-directory']!.default).toBe('.');
    expect(Object.values(action.inputs).every((i) => i.required === false && i.description.length > 0)).toBe(true);
    expect(Object.fromEntries(Object.entries(action.outputs).map(([k, o]) => [k, o.value]))).toEqual({
      exitcode: '${{ steps.micro1.outputs.exitcode }}',
      'plan-file': '${{ steps.micro1.outputs.plan-file }}',
      'plan-json': '${{ steps.micro1.outputs.plan-json }}',
      digest: '${{ steps.micro1.outputs.digest }}',
    });
  });

  it('keeps expressions out of its scripts, and gives every step bash and the working directory', () => {
    for (const step of action.runs.steps) {
      expect(step.run).not.toContain('${{');
      expect(step.shell).toBe('bash');
      expect(step['working-directory']).toBe('${{ inputs.working-directory }}');
    }
  });

  it('reads no secret itself: the key comes from the env of the step that uses it', () => {
    expect(readFileSync(path.join(REPO, 'action.yml'), 'utf8')).not.toMatch(/secrets\./);
  });
});

// ---------------------------------------------------------------------------------------------
// A small runner for the composite action.

interface Run {
  steps: Record<string, { outcome: 'success' | 'failure' | 'skipped'; code?: number; stdout: string; stderr: string; summary: string }>;
  outputs: Record<string, string>;
  outcome: 'success' | 'failure';
}

async function runAction(workspace: string, inputs: Record<string, string>, options: { env?: Record<string, string>; installed?: boolean } = {}): Promise<Run> {
  const given = Object.fromEntries(Object.entries(action.inputs).map(([k, i]) => [k, inputs[k] ?? i.default]));
  // The runner's own files (shims, $GITHUB_OUTPUT, the step summary) live outside the workspace.
  const shims = fixture({});
  writeFileSync(
    path.join(shims, 'npx'),
    [
      '#!/bin/sh',
      'if [ "$1" = --no-install ]; then shift; fi',
      options.installed === false ? 'echo "npm error could not determine executable to run" >&2; exit 1' : '',
      `if [ "$1" = micro1 ]; then shift; exec "${process.execPath}" "${BIN}" "$@"; fi`,
      'echo "npx shim: unexpected npx $*" >&2',
      'exit 127',
      '',
    ].join('\n'),
  );
  chmodSync(path.join(shims, 'npx'), 0o755);
  const home = path.join(shims, 'home');
  mkdirSync(home);
  const steps: Run['steps'] = {};
  const outputs: Record<string, Record<string, string>> = {};
  let failed = false;
  for (const [index, step] of action.runs.steps.entries()) {
    const key = step.id ?? step.name;
    if (!condition(step.if, failed, given, steps)) {
      steps[key] = { outcome: 'skipped', stdout: '', stderr: '', summary: '' };
      continue;
    }
    const files = path.join(shims, String(index));
    mkdirSync(files);
    const [script, output, summary] = ['script.sh', 'output', 'summary'].map((f) => path.join(files, f)) as [string, string, string];
    writeFileSync(script, step.run);
    writeFileSync(output, '');
    writeFileSync(summary, '');
    const env = {
      PATH: `${shims}:${path.dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`,
      HOME: home,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: path.join(home, '.gitconfig'),
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_WORKSPACE: workspace,
      GITHUB_REF_NAME: 'main',
      GITHUB_OUTPUT: output,
      GITHUB_STEP_SUMMARY: summary,
      RUNNER_TEMP: files,
      ...options.env,
      ...Object.fromEntries(Object.entries(step.env).map(([k, v]) => [k, inputsIn(v, given)])),
    };
    const cwd = path.resolve(workspace, inputsIn(step['working-directory'], given));
    const result = await run('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], { cwd, env }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
    );
    outputs[key] = Object.fromEntries(readFileSync(output, 'utf8').split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    steps[key] = { outcome: result.code === 0 ? 'success' : 'failure', ...result, summary: readFileSync(summary, 'utf8') };
    if (result.code !== 0) failed = true;
  }
  const resolved = Object.fromEntries(
    Object.entries(action.outputs).map(([name, o]) => {
      const m = /^\$\{\{ steps\.([\w-]+)\.outputs\.([\w-]+) \}\}$/.exec(o.value)!;
      return [name, outputs[m[1]!]?.[m[2]!] ?? ''];
    }),
  );
  return { steps, outputs: resolved, outcome: failed ? 'failure' : 'success' };
}

function inputsIn(value: string, inputs: Record<string, string>): string {
  return value.replace(/\$\{\{ inputs\.([\w-]+) \}\}/g, (_, name: string) => {
    if (!(name in inputs)) throw new Error(`the action reads an undeclared input ${name}`);
    return inputs[name]!;
  });
}

/** The `if:` forms the action uses, evaluated as the runner would; anything else fails the test. */
function condition(expression: string | undefined, failed: boolean, inputs: Record<string, string>, steps: Run['steps']): boolean {
  if (expression === undefined) return !failed;
  const inner = /^\$\{\{ (.*) \}\}$/.exec(expression)?.[1];
  if (inner === undefined) throw new Error(`unexpected if: ${expression}`);
  const terms = inner.split(' && ');
  // Without a status function, GitHub reads `if:` as `success() && …`.
  if (!terms.includes('always()') && failed) return false;
  return terms.every((term) => {
    if (term === 'always()') return true;
    const input = /^inputs\.([\w-]+) == '([^']*)'$/.exec(term);
    if (input) return inputs[input[1]!] === input[2];
    const outcome = /^steps\.([\w-]+)\.outcome != 'skipped'$/.exec(term);
    if (outcome) return steps[outcome[1]!] !== undefined && steps[outcome[1]!]!.outcome !== 'skipped';
    throw new Error(`the test does not know the condition ${term}`);
  });
}

// ---------------------------------------------------------------------------------------------

const GO = 'interview_name: Go Engineer\nskills:\n  - name: Go\n';
const SALES = 'interview_name: Account Executive\ninterview_language: fr\n';

function projectFiles(box: Sandbox, dir: string, interviews: Record<string, string>): Record<string, string> {
  const files: Record<string, string> = {
    [`${dir}micro1.config.json`]: JSON.stringify({ api: { baseUrl: box.url, timeoutMs: 2000 }, apply: { requestsPerSecond: 1000, maxRetries: 2 } }),
    [`${dir}interviews/.gitkeep`]: '',
  };
  for (const [key, content] of Object.entries(interviews)) files[`${dir}interviews/${key}.yaml`] = content;
  return files;
}

async function git(cwd: string, ...args: string[]): Promise<string> {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
  return (await run('git', ['-c', 'user.name=Dev', '-c', 'user.email=dev@example.com', '-c', 'init.defaultBranch=main', ...args], { cwd, env })).stdout;
}

describe('command: plan', () => {
  it('plans the project in working-directory: exit code 2 does not fail the step; the Markdown plan and its digest are outputs', async () => {
    const box = await sandbox();
    const workspace = path.join(fixture(projectFiles(box, 'repo/hiring/', { 'eng/go': GO })), 'repo');
    const result = await runAction(workspace, { command: 'plan', 'working-directory': 'hiring' });
    expect(result.outcome).toBe('success');
    expect(result.steps['Commit the state']!.outcome).toBe('skipped');
    expect(result.outputs.exitcode).toBe('2');
    const plan = readFileSync(result.outputs['plan-file']!, 'utf8');
    expect(plan.startsWith(`${PLAN_COMMENT_MARKER}\n### micro1 plan\n\n**Plan: 1 to create, 0 to update, 0 to delete, 0 unchanged.**`)).toBe(true);
    expect(result.outputs.digest).toBe(`sha256:${createHash('sha256').update(plan).digest('hex')}`);
    expect(result.steps.micro1!.summary).toBe(plan);
    // A plan needs no key and sends nothing.
    expect(box.requests).toHaveLength(0);
  });

  it('exits 0 with no changes, and gives the same digest for the same plan', async () => {
    const box = await sandbox();
    const workspace = fixture(projectFiles(box, '', {}));
    const first = await runAction(workspace, {});
    const second = await runAction(workspace, {});
    expect([first.outcome, first.outputs.exitcode]).toEqual(['success', '0']);
    expect(second.outputs.digest).toBe(first.outputs.digest);
  });

  it('fails the step on invalid files, with the exit code as output and each problem annotated on its line', async () => {
    const box = await sandbox();
    const workspace = fixture(projectFiles(box, '', { 'eng/go': 'interview_name: Go\ncolour: red\n' }));
    const result = await runAction(workspace, { command: 'plan' });
    expect(result.outcome).toBe('failure');
    expect(result.outputs.exitcode).toBe('1');
    expect(result.steps.micro1!.stderr).toContain('::error file=interviews/eng/go.yaml,line=2,col=1,title=micro1-sync%3A colour::unknown field "colour"\n');
  });

  it('refuses a command other than plan or apply, saying what to set, and runs nothing', async () => {
    const box = await sandbox();
    const workspace = fixture(projectFiles(box, '', { 'eng/go': GO }));
    const result = await runAction(workspace, { command: 'destroy\n::warning::forged' });
    expect(result.outcome).toBe('failure');
    expect(result.steps.micro1!.stdout).toBe('::error title=micro1-sync action::The input command must be plan or apply. Set with: command: plan (or apply) on the step that uses this action.\n');
    expect(result.outputs.exitcode).toBe('');
    expect(box.requests).toHaveLength(0);
  });

  it('says how to install micro1-sync when the project does not have it', async () => {
    const box = await sandbox();
    const workspace = fixture(projectFiles(box, '', { 'eng/go': GO }));
    const result = await runAction(workspace, {}, { installed: false });
    expect(result.outcome).toBe('failure');
    expect(result.steps.micro1!.stdout).toMatch(
      /^::error title=micro1-sync action::micro1-sync is not installed in .*, so there is no micro1 to run\. Add it to the devDependencies of package\.json \(see Install in the micro1-sync README: from npm, a git URL or a tarball\), commit package-lock\.json, and run npm ci before this step\.\n$/,
    );
  });
});

describe('command: apply', () => {
  /** A bare `origin` holding the project; each run works in a fresh clone of main, as checkout would. */
  async function repository(files: Record<string, string>) {
    const root = fixture({});
    const seed = path.join(root, 'seed');
    for (const [rel, content] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(seed, rel)), { recursive: true });
      writeFileSync(path.join(seed, rel), content);
    }
    await git(seed, 'init', '-q');
    await git(seed, 'add', '-A');
    await git(seed, 'commit', '-qm', 'interviews');
    const origin = path.join(root, 'origin.git');
    await git(root, 'clone', '-q', '--bare', seed, origin);
    let clones = 0;
    const checkout = async () => {
      const work = path.join(root, `work-${clones++}`);
      await git(root, 'clone', '-q', '--branch', 'main', origin, work);
      return work;
    };
    return { origin, checkout };
  }

  it('applies with the key from the env, commits the state back with [skip ci], and commits nothing the second time', async () => {
    const box = await sandbox();
    const repo = await repository(projectFiles(box, 'hiring/', { 'eng/go': GO, 'sales/ae': SALES }));
    const result = await runAction(await repo.checkout(), { command: 'apply', 'working-directory': 'hiring' }, { env: { MICRO1_API_KEY: API_KEY } });
    expect(result.outcome).toBe('success');
    expect(result.outputs).toEqual({ exitcode: '0', 'plan-file': '', 'plan-json': '', digest: '' });
    expect(box.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /interview', 'POST /interview']);
    expect((await git(repo.origin, 'log', '--format=%an: %s', 'main')).trim().split('\n')).toEqual(['github-actions[bot]: micro1: record applied state [skip ci]', 'Dev: interviews']);
    const pushed = JSON.parse(await git(repo.origin, 'show', 'main:hiring/.micro1/state.json')) as { interviews: Record<string, unknown> };
    expect(Object.keys(pushed.interviews)).toEqual(['eng/go', 'sales/ae']);

    const again = await runAction(await repo.checkout(), { command: 'apply', 'working-directory': 'hiring' }, { env: { MICRO1_API_KEY: API_KEY } });
    // The plan names the host it is for first (the state records it), then finds nothing to do.
    expect(again.steps.micro1!.stdout).toBe(`Target: ${box.url}\n\nNo changes. 2 interviews already match micro1.\n`);
    expect(again.steps['Commit the state']!.stdout).toBe('The state did not change: nothing to commit.\n');
    expect(box.requests).toHaveLength(2);
  });

  it('commits what micro1 confirmed even when part of the apply failed, and fails with its exit code', async () => {
    const box = await sandbox({
      fault: (r) => ((r.body as { interview_name?: string })?.interview_name === 'Account Executive' ? { kind: 'status', status: 400, body: { status: false, message: 'interview_name is taken' } } : undefined),
    });
    const repo = await repository(projectFiles(box, '', { 'eng/go': GO, 'sales/ae': SALES }));
    const result = await runAction(await repo.checkout(), { command: 'apply' }, { env: { MICRO1_API_KEY: API_KEY } });
    expect(result.outcome).toBe('failure');
    expect(result.outputs.exitcode).toBe('1');
    expect([result.steps.micro1!.outcome, result.steps['Commit the state']!.outcome]).toEqual(['failure', 'success']);
    expect(result.steps.micro1!.stderr).toContain('::error file=interviews/sales/ae.yaml,title=micro1 apply%3A create sales/ae failed::micro1 rejected it: interview_name is taken\n');
    const pushed = JSON.parse(await git(repo.origin, 'show', 'main:.micro1/state.json')) as { interviews: Record<string, unknown> };
    expect(Object.keys(pushed.interviews)).toEqual(['eng/go']);
  });

  it('with reviewed-plan, applies the saved plan of the plan command when it still holds, as micro1.yml does', async () => {
    const box = await sandbox();
    const repo = await repository(projectFiles(box, 'hiring/', { 'eng/go': GO }));
    const planned = await runAction(await repo.checkout(), { command: 'plan', 'working-directory': 'hiring' });
    expect(planned.outputs.exitcode).toBe('2');
    const saved = JSON.parse(readFileSync(planned.outputs['plan-json']!, 'utf8')) as { changes: { key: string; action: string }[] };
    expect(saved.changes.map((c) => `${c.action} ${c.key}`)).toEqual(['create eng/go']);
    const result = await runAction(await repo.checkout(), { command: 'apply', 'working-directory': 'hiring', 'reviewed-plan': planned.outputs['plan-json']! }, { env: { MICRO1_API_KEY: API_KEY } });
    expect(result.outcome).toBe('success');
    expect(box.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /interview']);
    expect((await git(repo.origin, 'log', '--format=%s', 'main')).trim().split('\n')[0]).toBe('micro1: record applied state [skip ci]');
  });

  it('with reviewed-plan, sends nothing when main no longer plans what was reviewed', async () => {
    const box = await sandbox();
    const repo = await repository(projectFiles(box, '', { 'eng/go': GO }));
    const planned = await runAction(await repo.checkout(), { command: 'plan' });
    // main moved on after the review: the same interview now says something else.
    const work = await repo.checkout();
    writeFileSync(path.join(work, 'interviews/eng/go.yaml'), `${GO}interview_language: fr\n`);
    const result = await runAction(work, { command: 'apply', 'reviewed-plan': planned.outputs['plan-json']! }, { env: { MICRO1_API_KEY: API_KEY } });
    expect(result.outcome).toBe('failure');
    expect(result.outputs.exitcode).toBe('1');
    expect(box.requests).toHaveLength(0);
    expect(`${result.steps.micro1!.stdout}${result.steps.micro1!.stderr}`).toContain('eng/go');
  });

  it('leaves the state uncommitted with commit-state: false', async () => {
    const box = await sandbox();
    const repo = await repository(projectFiles(box, '', { 'eng/go': GO }));
    const work = await repo.checkout();
    const result = await runAction(work, { command: 'apply', 'commit-state': 'false' }, { env: { MICRO1_API_KEY: API_KEY } });
    expect(result.outcome).toBe('success');
    expect(result.steps['Commit the state']!.outcome).toBe('skipped');
    expect(existsSync(path.join(work, '.micro1/state.json'))).toBe(true);
    expect((await git(repo.origin, 'log', '--format=%s', 'main')).trim()).toBe('interviews');
  });
});
