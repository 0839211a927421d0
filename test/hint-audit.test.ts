import { execFileSync } from 'node:child_process';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import type { Fault } from '../src/sandbox/sandbox.js';
import { API_KEY, env, project, readStateFile, sandbox } from './apply-harness.js';
import { closedPort, memoryIo, runCli } from './helpers.js';
import { VirtualClock } from './virtual-clock.js';
import { apply } from './apply-harness.js';

/**
 * Issue 17, "every hint in the CLI that names a command is covered by a test that runs that
 * command and checks its promised outcome": the hints not already run by another test
 * (hints.test.ts, invite-links.test.ts, import-options.test.ts, locking.test.ts), each taken
 * from the output exactly as printed, run, and its promise checked.
 */

const GO = 'interview_name: Go Engineer\n';
const SALES = 'interview_name: Account Executive\n';

/** The `micro1 …` commands a text names, as argv; `… && micro1 …` chains count as several. */
function commands(text: string): string[][] {
  const found: string[][] = [];
  for (const m of text.matchAll(/`micro1 ([^`]+)`|(?:with|instead): micro1 ([^\n`]+?)(?: && micro1 ([^\n`]+))?$/gm)) {
    for (const part of [m[1], m[2], m[3]]) if (part !== undefined) found.push(part.trim().split(/\s+/));
  }
  return found;
}

/** The one command `text` names after `marker`. */
function commandAfter(text: string, marker: string): string[] {
  const rest = text.slice(text.indexOf(marker));
  expect(rest, `"${marker}" in:\n${text}`).not.toBe('');
  const [first] = commands(rest);
  expect(first, `a command after "${marker}"`).toBeDefined();
  return first!;
}

/** Runs the CLI as a person at a terminal who answers "yes". */
async function runAsPerson(argv: string[], cwd: string, environment: NodeJS.ProcessEnv) {
  // Assigned, not spread: the recorded output is read through getters.
  const io = Object.assign(memoryIo(cwd, { env: environment, tty: true }), { ask: async () => 'yes' as const });
  const code = await main(argv, io);
  return { code, stdout: io.out, stderr: io.err };
}

describe('hints about the command line', () => {
  it('an unknown command: `micro1 GUESS`, and `micro1 --help`', async () => {
    const dir = project({ 'eng/go': GO });
    const wrong = await runCli(['plna'], dir);
    expect(wrong.stderr).toBe('Error: Unknown command "plna"\n  did you mean `micro1 plan`?\n');
    expect((await runCli(commandAfter(wrong.stderr, 'did you mean'), dir)).stdout).toContain('Plan: 1 to create');
    const none = await runCli(['zzzzzz'], dir);
    const help = await runCli(commandAfter(none.stderr, 'run'), dir);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Commands:');
  });

  it('an unknown flag: `--GUESS`, and `micro1 CMD --help`', async () => {
    const dir = project({ 'eng/go': GO });
    const wrong = await runCli(['plan', '--detailed-exitcod'], dir);
    expect(wrong.stderr).toBe("Error: Unknown option '--detailed-exitcod'\n  did you mean `--detailed-exitcode`? run `micro1 plan --help` for usage\n");
    expect((await runCli(['plan', '--detailed-exitcode'], dir)).code).toBe(2);
    const help = await runCli(commandAfter(wrong.stderr, 'run'), dir);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--detailed-exitcode');
  });

  it('no terminal to approve on: `micro1 plan --out plan.json && micro1 apply plan.json`', async () => {
    const box = await sandbox();
    const dir = project({ 'eng/go': GO });
    const refused = await runCli(['apply'], dir, { env: env(box) });
    expect(refused.stderr).toContain('pass --auto-approve (as CI does), or apply a reviewed plan: micro1 plan --out plan.json && micro1 apply plan.json\n');
    const chain = commands(refused.stderr.replace('plan: micro1', 'instead: micro1'));
    expect(chain).toEqual([['plan', '--out', 'plan.json'], ['apply', 'plan.json']]);
    for (const argv of chain) expect((await runCli(argv, dir, { env: env(box) })).code).toBe(0);
    expect(box.interviews()).toHaveLength(1);
  });
});

describe('hints about saved plans', () => {
  it('`plan --out` says `micro1 apply FILE`; a stale or edited plan says `micro1 plan --out FILE` again', async () => {
    const box = await sandbox();
    const dir = project({ 'eng/go': GO });
    const saved = await runCli(['plan', '--out', 'p.json'], dir);
    expect(saved.stderr).toBe('Saved the plan to p.json. Apply exactly this plan with: micro1 apply p.json\n');
    const [applyIt] = commands(saved.stderr);
    expect(applyIt).toEqual(['apply', 'p.json']);

    // Stale: the file changed after the plan was saved.
    writeFileSync(path.join(dir, 'interviews/eng/go.yaml'), `${GO}interview_language: de\n`);
    const stale = await runCli(applyIt!, dir, { env: env(box) });
    expect(stale.stderr).toContain('is stale');
    const again = commandAfter(stale.stderr, 'run');
    expect(again).toEqual(['plan', '--out', 'p.json']);
    expect((await runCli(again, dir, { env: env(box) })).code).toBe(0);

    // Edited: the plan file itself was changed.
    const plan = readFileSync(path.join(dir, 'p.json'), 'utf8');
    writeFileSync(path.join(dir, 'p.json'), plan.replace('"de"', '"fr"'));
    const tampered = await runCli(applyIt!, dir, { env: env(box) });
    expect(tampered.stderr).toContain('was modified after it was written');
    expect(commandAfter(tampered.stderr, 'a saved plan is applied')).toEqual(['plan', '--out', 'FILE']);
    expect((await runCli(['plan', '--out', 'p.json'], dir, { env: env(box) })).code).toBe(0);
    expect((await runCli(applyIt!, dir, { env: env(box) })).code).toBe(0);
    expect(box.interviews().map((i) => i.body.interview_language)).toEqual(['de']);
  });
});

describe('hints after an apply that stopped short', () => {
  it('--fail-fast: "Run `micro1 apply` again to finish" finishes it', async () => {
    let failed = false;
    const box = await sandbox({ fault: (r) => (r.method === 'POST' && !failed ? ((failed = true), { kind: 'status', status: 500 } as Fault) : undefined) });
    const dir = project({ a: 'interview_name: A\n', b: 'interview_name: B\n', c: 'interview_name: C\n' }, { apply: { concurrency: 1, requestsPerSecond: 1000, maxRetries: 0 } });
    const stopped = await runCli(['apply', '--auto-approve', '--fail-fast'], dir, { env: env(box) });
    expect(stopped.stderr).toContain('2 changes not started. Run `micro1 apply` again to finish.');
    const [next] = commands(stopped.stderr.slice(stopped.stderr.indexOf('not started')));
    const done = await runAsPerson(next!, dir, env(box));
    expect(done.stdout).toContain('Apply complete: 3 created');
    expect(box.interviews()).toHaveLength(3);
  });

  it('micro1 unreachable: "then run `micro1 apply` again" applies once it is reachable', async () => {
    // micro1 is down at its own address, then back at the same one: the state's host is that address all along.
    const port = await closedPort();
    // No retries, so the five failed connections that stop the run come at once, with no backoff to wait out.
    const files = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`i${i}`, `interview_name: I${i}\n`]));
    const dir = project(files, { apply: { concurrency: 1, requestsPerSecond: 1000, maxRetries: 0 } });
    const url = `http://127.0.0.1:${port}`;
    const down = await runCli(['apply', '--auto-approve'], dir, { env: { MICRO1_API_KEY: API_KEY, MICRO1_API_URL: url } });
    const said = down.stdout + down.stderr;
    expect(said).toContain('Apply stopped: micro1 could not be reached');
    const next = commandAfter(said, 'then run');
    expect(next).toEqual(['apply']);
    const box = await sandbox({ port });
    expect(box.url).toBe(url);
    const retried = await runAsPerson(next, dir, env(box));
    expect(retried.stdout).toContain('Apply complete: 6 created');
  });

  it('deletes past the thresholds: `micro1 apply --force` deletes them', async () => {
    const box = await sandbox();
    const files = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`t/i${i}`, `interview_name: I${i}\n`]));
    const dir = project(files, { prune: true });
    expect((await runCli(['apply', '--auto-approve'], dir, { env: env(box) })).code).toBe(0);
    for (let i = 0; i < 11; i++) rmSync(path.join(dir, `interviews/t/i${i}.yaml`));
    const planned = await runCli(['plan'], dir);
    const force = commandAfter(planned.stdout, 'or run');
    expect(force).toEqual(['apply', '--force']);
    const forced = await runAsPerson(force, dir, env(box));
    expect(forced.stdout).toContain('11 deleted');
    expect(box.interviews()).toHaveLength(1);
  });
});

describe('hints of plan about the state', () => {
  it('a file gone (not renamed): `micro1 forget KEY` stops managing it, and the warning goes', async () => {
    const box = await sandbox();
    const dir = project({ 'eng/go': GO, 'sales/ae': SALES });
    await runCli(['apply', '--auto-approve'], dir, { env: env(box) });
    rmSync(path.join(dir, 'interviews/sales/ae.yaml'));
    const planned = await runCli(['plan'], dir);
    const forget = commandAfter(planned.stdout, 'or run');
    expect(forget).toEqual(['forget', 'sales/ae']);
    expect((await runCli(forget, dir)).code).toBe(0);
    expect((await runCli(['plan'], dir, { env: env(box) })).stdout).toBe(`Target: ${box.url}\n\nNo changes. 1 interview already matches micro1.\n`);
    expect(box.interviews()).toHaveLength(2);
  });

  it('`plan --refresh`: `micro1 import` writes files for unmanaged interviews; `micro1 state rm KEY` drops one with no file', async () => {
    const box = await sandbox({ seed: [{ id: 'c0ffee00-0000-4000-8000-000000000009', body: { interview_name: 'Made by hand' } }] });
    const dir = project({ 'eng/go': GO, 'sales/ae': SALES });
    await runCli(['apply', '--auto-approve'], dir, { env: env(box) });
    const aeId = readStateFile(dir).interviews['sales/ae']!.id;
    await fetch(`${box.url}/interview/${aeId}`, { method: 'DELETE', headers: { 'x-api-key': API_KEY } });
    rmSync(path.join(dir, 'interviews/sales/ae.yaml'));
    const refreshed = await runCli(['plan', '--refresh'], dir, { env: env(box) });
    const stateRm = commandAfter(refreshed.stdout, 'no file manages it any more');
    expect(stateRm).toEqual(['state', 'rm', 'sales/ae']);
    const importIt = commandAfter(refreshed.stdout, 'not managed here');
    expect(importIt).toEqual(['import']);
    expect((await runCli(stateRm, dir)).code).toBe(0);
    expect((await runCli(importIt, dir, { env: env(box) })).stdout).toContain('+ interviews/made-by-hand.yaml');
    const after = await runCli(['plan', '--refresh'], dir, { env: env(box) });
    expect(after.stdout).toContain('No drift: 2 managed interviews match micro1.\n');
    expect(after.stdout).not.toContain('not managed here');
  });

  it('a delete whose id micro1 lists under another name: `micro1 plan --refresh` shows why, `micro1 state rm KEY` drops it', async () => {
    const box = await sandbox();
    const dir = project({ 'eng/go': GO, 'sales/ae': SALES }, { prune: true });
    await runCli(['apply', '--auto-approve'], dir, { env: env(box) });
    const aeId = readStateFile(dir).interviews['sales/ae']!.id;
    await fetch(`${box.url}/interview/${aeId}`, { method: 'PUT', headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' }, body: JSON.stringify({ interview_name: 'Renamed by hand' }) });
    rmSync(path.join(dir, 'interviews/sales/ae.yaml'));
    const refused = await runCli(['apply', '--auto-approve'], dir, { env: env(box) });
    expect(refused.stderr).toContain('not deleted: micro1 lists id');
    const [refresh, stateRm] = commands(refused.stderr.slice(refused.stderr.indexOf('not deleted')));
    expect(refresh).toEqual(['plan', '--refresh']);
    expect((await runCli(refresh!, dir, { env: env(box) })).stdout).toContain('~ interview_name: "Account Executive" -> "Renamed by hand"');
    expect(stateRm).toEqual(['state', 'rm', 'sales/ae']);
    expect((await runCli(stateRm!, dir)).code).toBe(0);
    expect((await runCli(['apply', '--auto-approve'], dir, { env: env(box) })).stdout).toContain('No changes.');
    expect(box.interviews().map((i) => i.body.interview_name).sort()).toEqual(['Go Engineer', 'Renamed by hand']);
  });
});

describe('hints of the state commands', () => {
  it('an unknown key: `micro1 state list` lists the keys; a taken one: `micro1 state rm TO` first', async () => {
    const box = await sandbox();
    const dir = project({ 'eng/go': GO, 'sales/ae': SALES });
    await runCli(['apply', '--auto-approve'], dir, { env: env(box) });
    const unknown = await runCli(['state', 'show', 'zzzzzzzz'], dir);
    const list = commandAfter(unknown.stderr, 'zzzzzzzz is not in the state');
    expect(list).toEqual(['state', 'list']);
    expect((await runCli(list, dir)).stdout).toContain('eng/go');

    rmSync(path.join(dir, 'interviews/eng/go.yaml'));
    const taken = await runCli(['state', 'mv', 'eng/go', 'sales/ae'], dir);
    const rm = commandAfter(taken.stderr, 'already in the state');
    expect(rm).toEqual(['state', 'rm', 'sales/ae']);
    expect((await runCli(rm, dir)).code).toBe(0);
    expect((await runCli(['state', 'mv', 'eng/go', 'sales/ae'], dir)).code).toBe(0);
  });

  it('an unconfirmed create: `micro1 apply` looks it up and records it (state show, import)', async () => {
    let lost = false;
    const box = await sandbox({ fault: (r) => (r.method === 'POST' && !lost ? ((lost = true), { kind: 'reset-after-commit' } as Fault) : undefined) });
    const dir = project({ 'eng/go': GO }, { apply: { concurrency: 1, requestsPerSecond: 1000, maxRetries: 0 } });
    expect((await runCli(['apply', '--auto-approve'], dir, { env: env(box) })).code).toBe(1);
    const shown = await runCli(['state', 'show', 'eng/go'], dir);
    expect(shown.stderr).toBe('Error: eng/go is only an unconfirmed create in the state\n  `micro1 apply` looks it up on micro1 and records it\n');
    const skipped = await runCli(['import'], dir, { env: env(box) });
    expect(skipped.stdout).toContain('it may be the unconfirmed create of eng/go: run `micro1 apply` first, which adopts it');
    const [applyIt] = commands(shown.stderr);
    const adopted = await runAsPerson(applyIt!, dir, env(box));
    expect(adopted.stdout).toContain('1 unconfirmed create(s) found on micro1 and adopted');
    expect(box.interviews()).toHaveLength(1);
    expect((await runCli(['state', 'show', 'eng/go'], dir)).code).toBe(0);
    expect((await runCli(['import'], dir, { env: env(box) })).stdout).toContain('Nothing imported: micro1 listed 1 interview. 1 is already managed here.');
  });
});

describe('hints about files', () => {
  it('a pinned file that differs from micro1: `micro1 import --force` replaces it with micro1\'s version', async () => {
    const id = 'c0ffee00-0000-4000-8000-00000000000a';
    const box = await sandbox({ seed: [{ id, body: { interview_name: 'On micro1' } }] });
    const dir = project({ mine: `id: ${id}\ninterview_name: In git\n` });
    const skipped = await runCli(['import'], dir, { env: env(box) });
    const force = commandAfter(skipped.stdout, 'differs from micro1');
    expect(force).toEqual(['import', '--force']);
    expect((await runCli(force, dir, { env: env(box) })).stdout).toContain('(file replaced: --force)');
    expect(readFileSync(path.join(dir, 'interviews/mine.yaml'), 'utf8')).toContain('interview_name: On micro1');
  });

  it('fmt --check: "run `micro1 fmt`" formats them', async () => {
    const dir = project({ a: 'interview_name:    A\nskills:\n- name: Go\n' });
    const check = await runCli(['fmt', '--check'], dir);
    const fmt = commandAfter(check.stdout, 'would be reformatted');
    expect(fmt).toEqual(['fmt']);
    expect((await runCli(fmt, dir)).code).toBe(0);
    expect((await runCli(['fmt', '--check'], dir)).code).toBe(0);
  });

  it('a language code not documented: see `micro1 schema`, which lists the codes', async () => {
    const dir = project({ a: 'interview_name: A\ninterview_language: klingon\n' });
    const invalid = await runCli(['validate'], dir);
    const schema = commandAfter(invalid.stdout + invalid.stderr, 'codes; see');
    expect(schema).toEqual(['schema']);
    const printed = (await runCli(schema, dir)).stdout;
    for (const code of ['en', 'es-la', 'pt-BR', 'afb']) expect(printed).toContain(`"${code}"`);
  });
});

describe('a renamed folder, planned as a move when the id is pinned', () => {
  it('needs no `state mv` (the planner says so by planning the move)', async () => {
    const id = 'c0ffee00-0000-4000-8000-00000000000b';
    const box = await sandbox({ seed: [{ id, body: { interview_name: 'Go Engineer' } }] });
    const dir = project({ 'eng/go': `id: ${id}\n${GO}coding_exercise_details: ""\n` });
    await runCli(['apply', '--auto-approve'], dir, { env: env(box) });
    renameSync(path.join(dir, 'interviews/eng'), path.join(dir, 'interviews/backend'));
    const planned = await runCli(['plan'], dir);
    expect(planned.stdout).toContain('moved from eng/go');
    expect(planned.stdout).not.toContain('state mv');
  });
});

describe('hints about the state files', () => {
  it('a corrupt journal: `rm` it as printed, then `micro1 plan --refresh` runs and shows what micro1 has', async () => {
    const box = await sandbox();
    const dir = project({ 'eng/go': GO });
    await runCli(['apply', '--auto-approve'], dir, { env: env(box) });
    const { lineage, serial } = JSON.parse(readFileSync(path.join(dir, '.micro1/state.json'), 'utf8')) as { lineage: string; serial: number };
    writeFileSync(path.join(dir, '.micro1/state.json.journal'), `${JSON.stringify({ journal: 1, lineage, baseSerial: serial })}\n{torn\n{"op":"deleted","key":"eng/go"}\n`);
    const broken = await runCli(['plan'], dir);
    expect(broken.stderr).toBe(
      'Error: The apply journal .micro1/state.json.journal is corrupt at line 2, so the changes it records cannot be trusted\n' +
        '  remove it (rm .micro1/state.json.journal), then run `micro1 plan --refresh` to see what micro1 has that the state does not (restore the state from git first if it was edited by hand)\n',
    );
    const [rm, ...args] = /\(rm ([^)]+)\)/.exec(broken.stderr)![0].slice(1, -1).split(' ');
    execFileSync(rm!, args, { cwd: dir });
    const refresh = commandAfter(broken.stderr, 'then run');
    expect(refresh).toEqual(['plan', '--refresh']);
    const refreshed = await runCli(refresh, dir, { env: env(box) });
    expect(refreshed.code).toBe(0);
    expect(refreshed.stdout).toContain('No drift: 1 managed interview matches micro1.');
  });

  it('no interview managed yet: `micro1 apply` (or import) records them, and `links` lists them', async () => {
    const box = await sandbox();
    const dir = project({ 'eng/go': GO });
    const empty = await runCli(['links'], dir);
    expect(empty.stdout).toBe('No interview is managed in .micro1/state.json yet: `micro1 apply` or `micro1 import` records them.\n');
    const [applyIt, importIt] = commands(empty.stdout);
    expect([applyIt, importIt]).toEqual([['apply'], ['import']]);
    expect((await runAsPerson(applyIt!, dir, env(box))).code).toBe(0);
    expect((await runCli(['links'], dir)).stdout).toMatch(/^eng\/go {2}\S+ {2}https:\/\/interview\.micro1\.ai\//);
  });
});

describe('hints after the apply deadline', () => {
  it('"run `micro1 apply` again later" finishes it once micro1 stops throttling', async () => {
    let throttled = true;
    const box = await sandbox({ fault: () => (throttled ? { kind: 'status', status: 429, retryAfter: '300', body: { status: false } } : undefined) });
    const dir = project({ a: 'interview_name: A\n', b: 'interview_name: B\n' }, { apply: { concurrency: 1, requestsPerSecond: 1000, maxRetries: 3, maxDurationMs: 60_000 } });
    const { outcome } = await apply(dir, box, { clock: new VirtualClock() });
    expect(outcome.kind === 'applied' && outcome.result.stoppedBecause).toBe('deadline');
    const hint = outcome.kind === 'applied' ? outcome.result.stopHint! : '';
    expect(hint).toBe('run `micro1 apply` again later, or raise apply.maxDurationMs in the config');
    throttled = false;
    const [later] = commands(hint);
    expect((await runAsPerson(later!, dir, env(box))).stdout).toContain('Apply complete: 2 created');
  });
});

describe('hints in a cut Markdown comment', () => {
  it('"Run `micro1 validate` to see them all" shows every problem', async () => {
    const files = Object.fromEntries(Array.from({ length: 900 }, (_, i) => [`team/i${String(i).padStart(3, '0')}`, `interview_name: I${i}\ninterview_language: klingon-${i}\n`]));
    const dir = project(files);
    const md = await runCli(['plan', '--format', 'markdown'], dir);
    expect(md.stdout).toMatch(/more problems not shown\. Run `micro1 validate` to see them all\./);
    const validate = commandAfter(md.stdout, 'more problems not shown');
    expect(validate).toEqual(['validate']);
    const all = await runCli(validate, dir);
    expect((all.stdout + all.stderr).match(/interview_language/g)!.length).toBeGreaterThanOrEqual(900);
  });
});

describe('hints in a cut step summary', () => {
  it('"`micro1 links` lists them all" when the invite links do not fit', async () => {
    const { renderApplyMarkdown } = await import('../src/render/render-markdown.js');
    const box = await sandbox();
    const files = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`team/i${String(i).padStart(2, '0')}`, `interview_name: I${i}\n`]));
    const dir = project(files);
    const { outcome } = await apply(dir, box);
    if (outcome.kind !== 'applied') throw new Error(outcome.kind);
    const md = renderApplyMarkdown(outcome.result, outcome.plan, outcome.statePath, { limit: { max: 3000, unit: 'bytes' } });
    expect(Buffer.byteLength(md)).toBeLessThanOrEqual(3000);
    const cut = /_(\d+) more invite links not shown: `micro1 links` lists them all\._/.exec(md);
    expect(cut, md).not.toBeNull();
    const links = commandAfter(md, 'more invite links not shown');
    expect(links).toEqual(['links']);
    const listed = (await runCli(links, dir)).stdout.trim().split('\n');
    expect(listed).toHaveLength(40);
    for (const line of listed) expect(line).toMatch(/^team\/i\d\d {2}\S+ {2}https:\/\/interview\.micro1\.ai\//);
  });

  it('"`micro1 plan` lists them all" when the warnings of a no-op apply do not fit', async () => {
    const { renderNoChangesMarkdown } = await import('../src/render/render-markdown.js');
    const { planCommand } = await import('../src/commands/plan.js');
    const box = await sandbox();
    const files = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`old/i${String(i).padStart(2, '0')}`, `interview_name: I${i}\n`]));
    const dir = project({ ...files, keep: 'interview_name: Keep\n' });
    await apply(dir, box);
    rmSync(path.join(dir, 'interviews/old'), { recursive: true });
    const planned = await planCommand({ cwd: dir, env: {}, targets: [], excludes: [] });
    if (planned.kind !== 'planned') throw new Error(planned.kind);
    const md = renderNoChangesMarkdown(planned.plan, { limit: { max: 2000, unit: 'bytes' } });
    expect(md).toMatch(/_\d+ more warnings not shown: `micro1 plan` lists them all\._/);
    const plan = commandAfter(md, 'more warnings not shown');
    expect(plan).toEqual(['plan']);
    expect((await runCli(plan, dir)).stdout.match(/no longer managed/g)).toHaveLength(30);
  });
});

describe('the API key hint', () => {
  it('`export MICRO1_API_KEY=<key>`: with the variable set as shown, the same command runs', async () => {
    const box = await sandbox();
    const dir = project({ 'eng/go': GO });
    const noKey = await runCli(['apply', '--auto-approve'], dir, { env: { MICRO1_API_URL: box.url } });
    expect(noKey.stderr).toBe('Error: No API key: the environment variable MICRO1_API_KEY is not set\n  export MICRO1_API_KEY=<your micro1 API key> (the key is never read from a file)\n');
    const variable = /export (\w+)=/.exec(noKey.stderr)![1]!;
    const applied = await runCli(['apply', '--auto-approve'], dir, { env: { MICRO1_API_URL: box.url, [variable]: API_KEY } });
    expect(applied.stdout).toContain('Apply complete: 1 created');
  });
});
