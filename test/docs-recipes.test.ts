import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, sandbox } from './apply-harness.js';
import { BIN, GIT_AUTHOR, npxShell } from './workflow-runner.js';
import { fixture } from './helpers.js';
import { renderGfm } from './render-harness.js';

/**
 * The recipes of docs/state.md, run as written: the .gitignore lines are the ones this repository
 * uses, and the merge-conflict recipe (taken from the page's own code block) resolves a real
 * conflict between a branch that ran `state mv` and a `main` that applied an edit of the same
 * interview meanwhile, after which the plan is empty. `npx micro1` is a shim for the built CLI; git works on local repositories.
 */

const REPO = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);
const page = readFileSync(path.join(REPO, 'docs', 'state.md'), 'utf8');

/** The text of each fenced code block of a section of docs/state.md, with its language. */
function blocks(section: string): { lang: string; text: string }[] {
  const start = page.indexOf(`\n## ${section}\n`);
  expect(start, `docs/state.md has a "${section}" section`).toBeGreaterThan(-1);
  const end = page.indexOf('\n## ', start + 1);
  const html = renderGfm(page.slice(start, end === -1 ? undefined : end)).html;
  return [...html.matchAll(/<pre><code class="language-([\w-]+)">([\s\S]*?)<\/code><\/pre>/g)].map((m) => ({ lang: m[1]!, text: m[2]!.replace(/&gt;/g, '>').replace(/&lt;/g, '<').replace(/&quot;/g, '"').replace(/&amp;/g, '&') }));
}

beforeAll(async () => {
  await run(process.execPath, [BIN, '--version']);
});

describe('docs/state.md', () => {
  it('gives the .gitignore lines this repository itself uses for the state folder', () => {
    const documented = blocks('.gitignore').find((b) => b.lang === 'gitignore')!.text.trim().split('\n');
    const own = readFileSync(path.join(REPO, '.gitignore'), 'utf8').split('\n').filter((l) => l.startsWith('.micro1/'));
    expect(documented.sort()).toEqual(own.sort());
  });

  it('resolves a state merge conflict after a branch ran `state mv` with its recipe, and the plan is empty', async () => {
    const box = await sandbox();
    const root = fixture({});
    const env = {
      ...npxShell(root).env,
      ...GIT_AUTHOR,
      MICRO1_API_KEY: API_KEY,
      NO_COLOR: '1',
    };
    const sh = (cwd: string, script: string) =>
      run('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], { cwd, env }).then(
        (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
      );
    const ok = async (cwd: string, script: string) => {
      const result = await sh(cwd, script);
      expect(result, script).toMatchObject({ code: 0 });
      return result.stdout;
    };

    // main: two interviews, applied, the state committed.
    const seed = path.join(root, 'seed');
    mkdirSync(path.join(seed, 'interviews', 'eng'), { recursive: true });
    writeFileSync(path.join(seed, 'micro1.config.json'), JSON.stringify({ api: { baseUrl: box.url, timeoutMs: 2000 }, apply: { requestsPerSecond: 1000 } }));
    writeFileSync(path.join(seed, 'interviews', 'eng', 'go.yaml'), 'interview_name: Go Engineer\n');
    writeFileSync(path.join(seed, 'interviews', 'eng', 'rust.yaml'), 'interview_name: Rust Engineer\n');
    await ok(seed, 'git init -q -b main && npx micro1 apply --auto-approve && git add -A && git commit -qm applied');
    await ok(root, 'git clone -q --bare seed origin.git && git clone -q origin.git main-work && git clone -q origin.git branch-work');

    // The branch renames a file that pins no id and records the move, as docs/state.md says.
    const branch = path.join(root, 'branch-work');
    await ok(branch, 'git checkout -qb rename && git mv interviews/eng/go.yaml interviews/eng/golang.yaml && npx micro1 state mv eng/go eng/golang && git commit -qam "rename"');

    // Meanwhile main edits the same interview, applies it and commits its state.
    const main = path.join(root, 'main-work');
    writeFileSync(path.join(main, 'interviews', 'eng', 'go.yaml'), 'interview_name: Go Engineer\ninterview_language: fr\n');
    await ok(main, 'npx micro1 apply --auto-approve && git add -A && git commit -qm "go in French" && git push -q origin main');

    // The merge driver registered as the page says: a key deleted on one side (the move) and changed
    // on the other is a conflict it names, not a guess; git leaves the file to the recipe below.
    const section = blocks('Merge conflicts in the state file').filter((b) => b.lang === 'sh');
    const driver = section.find((b) => b.text.includes('state merge'));
    expect(driver, 'the merge driver block').toBeDefined();
    await ok(branch, `${driver!.text}\ngit add .gitattributes && git commit -qm "state merge driver"`);
    const merge = await sh(branch, 'git fetch -q origin && git merge origin/main');
    expect(merge.code).not.toBe(0);
    expect(merge.stderr + merge.stdout).toContain('"eng/go" was changed differently on both sides');
    expect(await ok(branch, 'git diff --name-only --diff-filter=U')).toBe('.micro1/state.json\n');

    // The recipe, as written on the page.
    const recipe = section.find((b) => b.text.includes('git checkout origin/main -- .micro1/state.json'));
    expect(recipe, 'the recipe block').toBeDefined();
    await ok(branch, recipe!.text);
    await ok(branch, 'git commit -q --no-edit');

    const plan = await sh(branch, 'npx micro1 plan --detailed-exitcode');
    expect(plan).toMatchObject({ code: 0, stdout: `Target: ${box.url}\n\nNo changes. 2 interviews already match micro1.\n` });
    // git carried main's edit into the renamed file; micro1 has it under the same id.
    expect(readFileSync(path.join(branch, 'interviews', 'eng', 'golang.yaml'), 'utf8')).toBe('interview_name: Go Engineer\ninterview_language: fr\n');
    expect(box.requests.map((r) => r.method)).toEqual(['POST', 'POST', 'PUT']);
  });
});
