import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Micro1Error } from '../src/errors.js';
import { loadDefinitions } from '../src/definitions/load-definitions.js';
import { readSavedPlan } from '../src/state/saved-plan.js';
import { serializeState, type State } from '../src/state/state.js';
import { fixture, runCli, stripAnsi } from './helpers.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));

/** A small project: one create (through a fragment), one adoption, one no-op once `applied` is used. */
const PROJECT = {
  'interviews/_shared/eng.yaml': 'is_coding_round_required: true\ncustom_question_list:\n  - question: Tell us about an incident.\n    time: 3\n    type: audio\n',
  'interviews/eng/go.yaml': 'extends: ../_shared/eng.yaml\ninterview_name: Go Engineer\nskills:\n  - name: Go\nselected_coding_language: go\n',
  'interviews/design/pd.yaml': 'id: live-pd-1\ninterview_name: Product Designer\n',
};

const EXPECTED_PLAN = [
  // The default API: these projects set no api.baseUrl.
  'Target: https://public.api.micro1.ai',
  '',
  'micro1 will perform the following actions:',
  '',
  '  ~ design/pd  (update, id live-pd-1)  interviews/design/pd.yaml',
  '      # adopts an existing micro1 interview: its fields are replaced by this file',
  '      + interview_name: "Product Designer"',
  '      ~ coding_exercise_details: (unknown on micro1: never shown by the API) -> ""  # not in the file: apply refuses to clear it',
  '',
  '  + eng/go  (create)  interviews/eng/go.yaml',
  '      + interview_name: "Go Engineer"',
  '      + skills[0]: {name: "Go"}',
  '      + custom_question_list[0]: {question: "Tell us about an incident.", time: 3, type: "audio"}',
  '      + is_coding_round_required: true',
  '      + selected_coding_language: "go"',
  '',
  'Plan: 1 to create, 1 to update, 0 to delete, 0 unchanged.',
  '',
].join('\n');

/** The state an apply of PROJECT would leave: every interview recorded as it is in the files. */
function appliedState(root: string): void {
  const { definitions, diagnostics } = loadDefinitions({ projectRoot: root, interviewsRoot: path.join(root, 'interviews') });
  expect(diagnostics).toEqual([]);
  const state: State = {
    version: 1,
    lineage: '0e7c5a52-5d4f-4c51-9d55-2f1a3c8b9e10',
    serial: 3,
    pending: [],
    interviews: Object.fromEntries(
      definitions.map((d) => [
        d.key,
        { id: d.id ?? `id-${d.key.replaceAll('/', '-')}`, spec: d.body, sourceHash: d.sourceHash, sources: d.sources, appliedAt: '2024-05-01T12:00:00.000Z' },
      ]),
    ),
  };
  mkdirSync(path.join(root, '.micro1'));
  writeFileSync(path.join(root, '.micro1', 'state.json'), serializeState(state));
}

describe('micro1 plan', () => {
  it('prints the plan for a project', async () => {
    const root = fixture(PROJECT);
    const result = await runCli(['plan'], root);
    expect(result).toEqual({ code: 0, stdout: EXPECTED_PLAN, stderr: '' });
  });

  it('writes nothing to the project', async () => {
    const root = fixture(PROJECT);
    await runCli(['plan'], root);
    expect(existsSync(path.join(root, '.micro1'))).toBe(false);
  });

  it('--detailed-exitcode: 2 with changes, 0 without', async () => {
    const root = fixture(PROJECT);
    expect((await runCli(['plan', '--detailed-exitcode'], root)).code).toBe(2);
    appliedState(root);
    const result = await runCli(['plan', '--detailed-exitcode'], root);
    expect(result).toEqual({ code: 0, stdout: 'Target: https://public.api.micro1.ai\n\nNo changes. 2 interviews already match micro1.\n', stderr: '' });
    // Without the flag, changes still exit 0.
    writeFileSync(path.join(root, 'interviews/eng/go.yaml'), PROJECT['interviews/eng/go.yaml'].replace('Go Engineer', 'Go Developer'));
    expect((await runCli(['plan'], root)).code).toBe(0);
    expect((await runCli(['plan', '--detailed-exitcode'], root)).code).toBe(2);
  });

  it('exits 1 on invalid files, with the diagnostics on stderr and nothing planned', async () => {
    const root = fixture({ ...PROJECT, 'interviews/bad.yaml': 'interview_name: Bad\ninterview_langauge: fr\n' });
    const result = await runCli(['plan', '--detailed-exitcode'], root);
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'interviews/bad.yaml:2:1  interview_langauge  unknown field "interview_langauge" (did you mean "interview_language"?)\n' +
        '1 error, 0 warnings: nothing was planned.\n',
    });
  });

  it('--json prints the machine plan', async () => {
    const root = fixture(PROJECT);
    const result = await runCli(['plan', '--json'], root);
    expect([result.code, result.stderr]).toEqual([0, '']);
    const json = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(json).toMatchObject({
      format_version: '1.0',
      state: { lineage: '', serial: 0 },
      summary: { create: 1, update: 1, delete: 0, no_op: 0 },
      warnings: [],
      diagnostics: [],
    });
    expect((json.changes as { key: string; action: string; id: string | null }[]).map((c) => [c.key, c.action, c.id])).toEqual([
      ['design/pd', 'update', 'live-pd-1'],
      ['eng/go', 'create', null],
    ]);
    expect((await runCli(['plan', '--format', 'json'], root)).stdout).toBe(result.stdout);
  });

  it('--json on invalid files prints the diagnostics as JSON too', async () => {
    const root = fixture({ 'interviews/a.yaml': 'skills: []\n' });
    const result = await runCli(['plan', '--json'], root);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual({
      format_version: '1.0',
      valid: false,
      diagnostics: [{ severity: 'error', file: 'interviews/a.yaml', line: 1, column: 1, path: 'interview_name', message: 'interview_name is required' }],
    });
  });

  it('--out writes a saved plan that readSavedPlan verifies, and refuses a hand-edited copy', async () => {
    const root = fixture(PROJECT);
    const result = await runCli(['plan', '--out', 'plans/next.json'], root);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(EXPECTED_PLAN);
    expect(result.stderr).toBe('Saved the plan to plans/next.json. Apply exactly this plan with: micro1 apply plans/next.json\n');
    const file = path.join(root, 'plans', 'next.json');
    expect(readdirSync(path.dirname(file))).toEqual(['next.json']);

    const saved = readSavedPlan(file);
    expect(saved.checksum).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(saved.inputs).toEqual({
      prune: false,
      targets: [],
      excludes: [],
      sources: {
        'design/pd': expect.stringMatching(/^sha256:[0-9a-f]{64}$/) as string,
        'eng/go': expect.stringMatching(/^sha256:[0-9a-f]{64}$/) as string,
      },
    });
    expect(saved.changes.map((c) => c.key)).toEqual(['design/pd', 'eng/go']);

    const edited = path.join(root, 'plans', 'edited.json');
    writeFileSync(edited, readFileSync(file, 'utf8').replace('"Go Engineer"', '"Go Engineer!"'));
    expect(() => readSavedPlan(edited)).toThrow(Micro1Error);
    expect(() => readSavedPlan(edited)).toThrow('The saved plan ' + edited + ' was modified after it was written (checksum mismatch)');
    writeFileSync(edited, '{ "format_version": "1.0"');
    expect(() => readSavedPlan(edited)).toThrow(`The saved plan ${edited} is not a valid JSON plan`);
    expect(() => readSavedPlan(path.join(root, 'missing.json'))).toThrow(`The saved plan ${path.join(root, 'missing.json')} does not exist`);
  });

  it('--target narrows the plan', async () => {
    const root = fixture(PROJECT);
    const result = await runCli(['plan', '--target', 'eng', '--exclude', 'nothing'], root);
    expect(result.stdout).toMatch(/^Target: https:\/\/public\.api\.micro1\.ai\n\nmicro1 will perform the following actions:\n\n {2}\+ eng\/go {2}\(create\)/);
    expect(result.stdout).not.toContain('design/pd');
    expect(result.stdout.endsWith('Plan: 1 to create, 0 to update, 0 to delete, 0 unchanged.\n')).toBe(true);
  });

  it('refuses to plan over a state file it cannot read, and leaves it alone', async () => {
    const root = fixture({ ...PROJECT, '.micro1/state.json': '{ "version": 1, ' });
    const result = await runCli(['plan'], root);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^Error: The state file \.micro1\/state\.json is not valid JSON \(truncated or hand-edited\?\): .+\n {2}restore it from git/);
    expect(readFileSync(path.join(root, '.micro1/state.json'), 'utf8')).toBe('{ "version": 1, ');
  });

  it('says when the interviews folder is missing', async () => {
    const result = await runCli(['plan'], fixture({ 'README.md': '' }));
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'Error: The interviews folder interviews does not exist\n' +
        '  create it, or set `interviews` in a micro1.config.ts (none found here or in a folder above) to the folder that holds your definitions\n',
    });
  });

  it('colours only on a terminal, and never with NO_COLOR or TERM=dumb', async () => {
    const root = fixture(PROJECT);
    const tty = await runCli(['plan'], root, { tty: true });
    expect(tty.stdout).toContain('\x1b[');
    expect(stripAnsi(tty.stdout)).toBe(EXPECTED_PLAN);
    expect((await runCli(['plan'], root, { tty: true, env: { NO_COLOR: '1' } })).stdout).toBe(EXPECTED_PLAN);
    expect((await runCli(['plan'], root, { tty: true, env: { TERM: 'dumb' } })).stdout).toBe(EXPECTED_PLAN);
    expect((await runCli(['plan'], root, { tty: false })).stdout).toBe(EXPECTED_PLAN);
  });

  it('colours diagnostics by whether stderr is a terminal, not stdout', async () => {
    const root = fixture({ 'interviews/a.yaml': 'interview_name: A\nfoo: 1\n' });
    const plain = 'interviews/a.yaml:2:1  foo  unknown field "foo"\n1 error, 0 warnings: nothing was planned.\n';
    expect((await runCli(['plan'], root, { tty: true, stderrTty: false })).stderr).toBe(plain);
    const coloured = (await runCli(['plan'], root, { tty: false, stderrTty: true })).stderr;
    expect(coloured).toBe('\x1b[31minterviews/a.yaml:2:1  foo  unknown field "foo"\x1b[39m\n1 error, 0 warnings: nothing was planned.\n');
    expect((await runCli(['validate'], root, { tty: true, stderrTty: false })).stderr).toBe('interviews/a.yaml:2:1  foo  unknown field "foo"\n');
  });
});

describe('micro1 validate', () => {
  it('counts valid interviews and problems', async () => {
    expect(await runCli(['validate'], fixture(PROJECT))).toEqual({ code: 0, stdout: '2 valid interviews; 0 errors, 0 warnings.\n', stderr: '' });
    const bad = await runCli(['validate'], fixture({ ...PROJECT, 'interviews/x.yaml': 'interview_name: X\nonly_coding_round: 1\n' }));
    expect(bad).toEqual({
      code: 1,
      stdout: '2 valid interviews; 1 error, 0 warnings.\n',
      stderr: 'interviews/x.yaml:2:20  only_coding_round  only_coding_round must be true or false\n',
    });
  });
});

describe('micro1 schema', () => {
  it('prints a JSON Schema that accepts the example files and refuses broken ones', async () => {
    const result = await runCli(['schema'], fixture({}));
    expect([result.code, result.stderr]).toEqual([0, '']);
    const schema = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(schema).toMatchObject({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', else: { required: ['interview_name'] }, additionalProperties: false });
    // zod cannot read if/else: the name's condition is checked by a real editor in test/editor-lsp.test.ts.
    const { if: _if, else: _else, ...unconditional } = schema;
    const validator = z.fromJSONSchema(unconditional as Parameters<typeof z.fromJSONSchema>[0]);

    const examples = readdirSync(path.join(REPO, 'interviews'), { recursive: true, encoding: 'utf8' })
      .filter((f) => /\.ya?ml$/.test(f) && !f.split(path.sep).some((p) => p.startsWith('_')))
      .sort();
    expect(examples.length).toBeGreaterThanOrEqual(5);
    for (const example of examples) {
      const value = parseYaml(readFileSync(path.join(REPO, 'interviews', example), 'utf8')) as unknown;
      expect([example, validator.safeParse(value).success]).toEqual([example, true]);
    }

    for (const broken of [
      { interview_name: 'A', colour: 'blue' },
      { interview_name: 'A', interview_language: 'English' },
      { interview_name: 'A', selected_coding_language: 'perl' },
      { interview_name: 'A', skills: Array.from({ length: 11 }, (_, i) => ({ name: `S${i}` })) },
      { interview_name: 'A', skills: [{ description: 'no name' }] },
      { interview_name: 'A', custom_question_list: [{ question: 'Q', time: 5, type: 'audio' }] },
      { interview_name: 'A', custom_question_list: [{ question: 'Q', time: 2, type: 'video' }] },
      { interview_name: 'A', only_coding_round: 'yes' },
      { interview_name: 'A', id: '../x' },
    ]) {
      expect([broken, validator.safeParse(broken).success]).toEqual([broken, false]);
    }
  });
});

describe('usage', () => {
  it('--help works on every command the top help lists', async () => {
    const top = (await runCli(['--help'], fixture({}))).stdout;
    const commands = [...top.split('Commands:\n')[1]!.split('\n\n')[0]!.matchAll(/^ {2}(\S+) /gm)].map((m) => m[1]!);
    expect(commands).toEqual(expect.arrayContaining(['plan', 'validate', 'schema']));
    for (const command of commands) {
      const result = await runCli([command, '--help'], fixture({}));
      expect([command, result.code, result.stderr]).toEqual([command, 0, '']);
      expect(result.stdout).toContain(`\nUsage: micro1 ${command}`);
      expect(result.stdout).toContain('  -h, --help ');
      expect((await runCli([command, '-h'], fixture({}))).stdout).toBe(result.stdout);
    }
  });

  it('plan --help lists every plan flag', async () => {
    const { stdout } = await runCli(['plan', '--help'], fixture({}));
    for (const flag of ['--format', '--json', '--out', '--detailed-exitcode', '--prune', '--target', '--exclude', '--config']) {
      expect(stdout).toContain(flag);
    }
    expect(stdout).toContain('Reads no API key and makes no network call.');
  });

  it('--help and no arguments print the command list', async () => {
    const help = await runCli(['--help'], fixture({}));
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^micro1 — micro1 AI interviews as code\n\nUsage: micro1 <command> \[flags\]\n\nCommands:\n/);
    expect(help.stdout).toMatch(/\n {2}plan +Show what apply would change on micro1\n/);
    expect(help.stdout).toMatch(/\n {2}schema +Print the JSON Schema of an interview definition \(for editors\)\n/);
    const bare = await runCli([], fixture({}));
    expect([bare.code, bare.stdout]).toEqual([1, help.stdout]);
  });

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string };
    expect(await runCli(['--version'], fixture({}))).toEqual({ code: 0, stdout: `micro1-sync ${version}\n`, stderr: '' });
  });

  it('suggests the command meant by an unknown one', async () => {
    expect(await runCli(['plna'], fixture({}))).toEqual({ code: 1, stdout: '', stderr: 'Error: Unknown command "plna"\n  did you mean `micro1 plan`?\n' });
    expect(await runCli(['frobnicate'], fixture({}))).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error: Unknown command "frobnicate"\n  run `micro1 --help` for the list\n',
    });
  });

  it('treats an unknown flag, a bad --format and a stray argument as usage errors', async () => {
    const root = fixture(PROJECT);
    expect(await runCli(['plan', '--frobnicate'], root)).toEqual({
      code: 1,
      stdout: '',
      stderr: "Error: Unknown option '--frobnicate'\n  run `micro1 plan --help` for usage\n",
    });
    expect(await runCli(['plan', '--format', 'yaml'], root)).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error: --format must be text, json or markdown, not "yaml"\n  run `micro1 plan --help` for usage\n',
    });
    expect(await runCli(['plan', 'extra'], root)).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error: Unexpected argument "extra"\n  run `micro1 plan --help` for usage\n',
    });
    expect(await runCli(['plan', '--out'], root)).toMatchObject({ code: 1, stdout: '' });
  });

  it('reports a config problem as an error with its hint', async () => {
    const root = fixture({ ...PROJECT, 'micro1.config.json': '{ "intreviews": "x" }' });
    expect(await runCli(['plan'], root)).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error: micro1.config.json: unknown setting "intreviews"\n  did you mean "interviews"?\n',
    });
    expect((await runCli(['plan', '--config', 'other.json'], root)).stderr).toBe('Error: The config file other.json does not exist\n  check the --config path\n');
  });
});

describe('the built bin', () => {
  const bin = path.join(REPO, 'dist', 'bin.js');

  it('plans a project with no API key and no network', async () => {
    expect(existsSync(bin), 'dist/bin.js is missing: run `npm run build` (npm test does)').toBe(true);
    const root = fixture(PROJECT);
    // Any attempt to open a socket or resolve a name fails the run loudly.
    const noNetwork = [
      "import net from 'node:net'; import dns from 'node:dns';",
      "const refuse = () => { throw new Error('network access attempted'); };",
      'net.Socket.prototype.connect = refuse; dns.lookup = refuse; globalThis.fetch = refuse;',
    ].join(' ');
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MICRO1_')));
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [`--import=data:text/javascript,${encodeURIComponent(noNetwork)}`, bin, 'plan', '--detailed-exitcode'],
      { cwd: root, env: { ...env, NO_COLOR: '1' } },
    ).then(
      () => {
        throw new Error('expected exit code 2 (changes present)');
      },
      (error: { code?: number; stdout: string; stderr: string }) => {
        expect(error.code).toBe(2);
        return error;
      },
    );
    expect(stderr).toBe('');
    expect(stdout).toBe(EXPECTED_PLAN);
    expect(existsSync(path.join(root, '.micro1'))).toBe(false);
  });
});
