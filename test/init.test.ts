import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { editorAssociations } from '../src/definitions/editor-schema.js';
import { readState } from '../src/state/state.js';
import { env, sandbox } from './apply-harness.js';
import { fixture, runCli } from './helpers.js';

/**
 * `micro1 init`: writes what a new repository lacks, never over anything, and says what it did and
 * what to run next. test/editor-lsp.test.ts takes the scaffold on through validate, plan, apply and
 * the editor.
 */

const REPO = fileURLToPath(new URL('..', import.meta.url));
const WORKFLOWS = readdirSync(path.join(REPO, '.github/workflows')).filter((f) => /^micro1.*\.yml$/.test(f)).sort();
const read = (root: string, file: string) => readFileSync(path.join(root, file), 'utf8');

/** Every file under `root`, with its text. */
function tree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of readdirSync(root, { recursive: true, encoding: 'utf8' }).sort()) {
    const file = path.join(root, rel);
    if (statSync(file).isFile()) out[rel.split(path.sep).join('/')] = readFileSync(file, 'utf8');
  }
  return out;
}

describe('micro1 init in an empty folder', () => {
  it('writes the config, an example and a fragment, .gitignore lines, editor settings, the schemas and the workflow', async () => {
    const root = fixture({});
    const result = await runCli(['init'], root);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        'micro1 init: wrote what this folder was missing.',
        '  wrote     micro1.config.ts',
        '  wrote     interviews/_shared/defaults.yaml',
        '  wrote     interviews/example.yaml',
        '  wrote     .gitignore',
        '  wrote     .gitattributes',
        '  wrote     micro1.schema.json',
        '  wrote     micro1.fragment.schema.json',
        '  wrote     micro1.webhook.schema.json',
        '  wrote     .vscode/settings.json',
        ...WORKFLOWS.map((w) => `  wrote     .github/workflows/${w}`),
        '',
        'Register the state merge driver once in each clone (git keeps it outside the repository, so init cannot):',
        '  git config merge.micro1-state.driver "npx micro1 state merge %O %A %B"',
        '',
        'Next: run `micro1 plan` to see what apply would create (no API key needed), then commit these files.',
        '',
      ].join('\n'),
    );
    const files = tree(root);
    expect(Object.keys(files).sort()).toEqual(
      [
        '.github/workflows/' + WORKFLOWS[0],
        ...WORKFLOWS.slice(1).map((w) => `.github/workflows/${w}`),
        '.gitattributes',
        '.gitignore',
        '.vscode/settings.json',
        'interviews/_shared/defaults.yaml',
        'interviews/example.yaml',
        'micro1.config.ts',
        'micro1.fragment.schema.json',
        'micro1.schema.json',
        'micro1.webhook.schema.json',
      ].sort(),
    );
    for (const w of WORKFLOWS) expect(files[`.github/workflows/${w}`], w).toBe(read(REPO, `.github/workflows/${w}`));
    expect(files['micro1.schema.json']).toBe((await runCli(['schema'], root)).stdout);
    expect(files['micro1.fragment.schema.json']).toBe((await runCli(['schema', '--fragment'], root)).stdout);
    expect(JSON.parse(files['.vscode/settings.json']!)).toEqual({ 'yaml.schemas': editorAssociations('interviews') });
    expect(files['.gitignore']).toBe(
      [
        '# micro1-sync: what an apply leaves beside the state while it runs (the state file itself is committed)',
        '.micro1/*.journal',
        '.micro1/*.lock',
        '.micro1/*.lock.new-*',
        '.micro1/*.lock.stale-*',
        '.micro1/.*.tmp-*',
        '',
      ].join('\n'),
    );
    expect(files["interviews/example.yaml"]).toMatch(/^extends: _shared\/defaults\.yaml$/m);
  });

  it('leaves a folder it has set up as it is, and says so', async () => {
    const root = fixture({});
    await runCli(['init'], root);
    const before = tree(root);
    const again = await runCli(['init'], root);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^micro1 init: nothing to write; this folder is set up\.\n/);
    expect(again.stdout).toContain('  kept      micro1.config.ts (exists)\n');
    expect(again.stdout).toContain('  kept      interviews/ (holds definitions)\n');
    expect(again.stdout).toContain('  kept      .gitignore (has the lines)\n');
    expect(again.stdout).toContain('  kept      .gitattributes (has the line)\n');
    expect(again.stdout).toContain('  kept      .vscode/settings.json (associates the schemas)\n');
    expect(tree(root)).toEqual(before);
  });

  it('ends with a next command that works: plan shows the example as a create', async () => {
    const root = fixture({});
    const init = await runCli(['init'], root);
    const next = /Next: run `micro1 ([a-z]+)`/.exec(init.stdout)![1]!;
    const result = await runCli([next], root);
    expect([result.code, result.stderr]).toEqual([0, '']);
    expect(result.stdout).toContain('+ example');
    expect(result.stdout).toContain('1 to create');
  });
});

describe('micro1 init from the built bin', () => {
  it('scaffolds a folder where micro1-sync is not installed, whose config then loads', () => {
    const bin = path.join(REPO, 'dist', 'bin.js');
    expect(existsSync(bin), 'dist/bin.js is missing: run `npm run build` (npm test does)').toBe(true);
    const root = fixture({});
    const run = (...args: string[]) => execFileSync(process.execPath, [bin, ...args], { cwd: root, env: { PATH: process.env.PATH, NO_COLOR: '1' }, encoding: 'utf8' });
    expect(run('init')).toContain('  wrote     micro1.config.ts\n');
    for (const w of WORKFLOWS) expect(read(root, `.github/workflows/${w}`)).toBe(read(REPO, `.github/workflows/${w}`));
    expect(run('validate')).toBe('1 valid interview; 0 errors, 0 warnings.\n');
  });
});

describe('micro1 init in an existing repository', () => {
  it('uses its config, writes no example beside its definitions, and adds only what is missing', async () => {
    const settings = { 'editor.tabSize': 4, 'yaml.schemas': { './other.json': ['x/*.yaml'] } };
    const root = fixture({
      'micro1.config.json': JSON.stringify({ interviews: 'defs', state: 'st/state.json' }),
      'defs/a.yaml': 'interview_name: A\n',
      '.gitignore': 'node_modules/\nst/*.lock\n',
      '.vscode/settings.json': JSON.stringify(settings),
    });
    const result = await runCli(['init'], root);
    expect([result.code, result.stderr]).toEqual([0, '']);
    expect(result.stdout).toContain('  kept      micro1.config.json (exists)\n');
    expect(result.stdout).toContain('  kept      defs/ (holds definitions)\n');
    expect(result.stdout).toContain('  updated   .gitignore (4 lines added)\n');
    expect(result.stdout).toContain('  updated   .vscode/settings.json (./micro1.schema.json, ./micro1.fragment.schema.json, ./micro1.webhook.schema.json added to yaml.schemas)\n');
    expect(existsSync(path.join(root, 'micro1.config.ts'))).toBe(false);
    expect(readdirSync(path.join(root, 'defs'))).toEqual(['a.yaml']);
    expect(read(root, '.gitignore')).toBe(
      'node_modules/\nst/*.lock\n\n# micro1-sync: what an apply leaves beside the state while it runs (the state file itself is committed)\nst/*.journal\nst/*.lock.new-*\nst/*.lock.stale-*\nst/.*.tmp-*\n',
    );
    expect(JSON.parse(read(root, '.vscode/settings.json'))).toEqual({
      'editor.tabSize': 4,
      'yaml.schemas': { './other.json': ['x/*.yaml'], ...editorAssociations('defs') },
    });
    expect(await runCli(['validate'], root)).toEqual({ code: 0, stdout: '1 valid interview; 0 errors, 0 warnings.\n', stderr: '' });
  });

  it('leaves a settings file it cannot parse as it is, and prints what to add by hand', async () => {
    const commented = '{\n  // mine\n  "editor.tabSize": 4,\n}\n';
    const root = fixture({ '.vscode/settings.json': commented });
    const result = await runCli(['init'], root);
    expect(result.code).toBe(0);
    expect(read(root, '.vscode/settings.json')).toBe(commented);
    expect(result.stdout).toContain('  left      .vscode/settings.json (not plain JSON, e.g. comments: add "yaml.schemas" below by hand)\n');
    const lines = JSON.stringify({ 'yaml.schemas': editorAssociations('interviews') }, null, 2).split('\n').slice(1, -1);
    expect(result.stdout).toContain(`\nAdd to .vscode/settings.json:\n${lines.join('\n')}\n`);
  });

  it('never writes through an existing file, even one that differs from what it would write', async () => {
    const root = fixture({ 'micro1.schema.json': '{}\n', 'interviews/_shared/defaults.yaml': '# mine\n' });
    const result = await runCli(['init'], root);
    expect(result.code).toBe(0);
    expect(read(root, 'micro1.schema.json')).toBe('{}\n');
    expect(read(root, 'interviews/_shared/defaults.yaml')).toBe('# mine\n');
    expect(result.stdout).toContain('  kept      micro1.schema.json (exists; differs from this version\'s: `micro1 schema --write` rewrites it)\n');
  });
});

describe('micro1 init and hostile files', () => {
  it('refuses to follow a .gitignore or settings link out of the project, and leaves the target alone', async () => {
    for (const rel of ['.gitignore', '.vscode/settings.json']) {
      const outside = fixture({ 'target.txt': '{}\n' });
      const root = fixture({});
      mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      symlinkSync(path.join(outside, 'target.txt'), path.join(root, rel));
      const result = await runCli(['init'], root);
      expect([rel, result.code]).toEqual([rel, 1]);
      expect(result.stderr).toContain(`Error: The file ${rel} is a symbolic link to ${path.join(outside, 'target.txt')}, outside the project\n  replace the link with the file itself`);
      expect(read(outside, 'target.txt')).toBe('{}\n');
    }
  });
});

describe('micro1 init and linked folders', () => {
  it('refuses to write through a folder that links out of the project, and writes nothing there', async () => {
    const outside = fixture({});
    const root = fixture({});
    symlinkSync(outside, path.join(root, '.vscode'));
    const result = await runCli(['init'], root);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `Error: Cannot write .vscode/settings.json: its folder .vscode is a link to ${outside}, outside the project\n  replace the link with a folder, or write .vscode/settings.json there yourself; then run \`micro1 init\` again\n`,
    );
    expect(readdirSync(outside)).toEqual([]);
    // The hint holds: with a folder in place of the link, init finishes.
    rmSync(path.join(root, '.vscode'));
    const again = await runCli(['init'], root);
    expect([again.code, again.stderr]).toEqual([0, '']);
    expect(again.stdout).toContain('  wrote     .vscode/settings.json\n');
  });
});

describe('micro1 init --import', () => {
  it('then imports what exists on micro1, and plan finds nothing to do for it', async () => {
    const box = await sandbox({ seed: [{ id: 'iv-1', body: { interview_name: 'Staff Engineer', skills: [{ name: 'Go' }] } }] });
    const root = fixture({});
    const result = await runCli(['init', '--import'], root, { env: env(box) });
    expect([result.code, result.stderr]).toEqual([0, '']);
    expect(result.stdout).toContain('  wrote     micro1.config.ts\n');
    expect(result.stdout).not.toContain('interviews/example.yaml');
    expect(result.stdout).toContain('Staff Engineer');
    expect(Object.keys(readState(path.join(root, '.micro1/state.json')).interviews)).toEqual(['staff-engineer']);
    const plan = await runCli(['plan'], root, { env: env(box) });
    expect(plan.stdout).toBe(`Target: ${box.url}\n\nNo changes. 1 interview already matches micro1.\n`);
  });
});
