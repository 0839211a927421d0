import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/cli.js';
import { fixture, runCli } from './helpers.js';

/**
 * Flags are declared once per command (name, type, short form, value name, help text); the parser
 * options and the help lines both come from that declaration. These tests hold the two together
 * and cover the mistakes people make at the prompt: a misspelt flag, Terraform's single dash, and
 * `help CMD` / `version` typed as words.
 */
const PROJECT = { 'interviews/eng/go.yaml': 'interview_name: Go Engineer\n' };

describe('a misspelt flag', () => {
  it.each([
    ['apply', '--auto-aprove', '--auto-approve'],
    ['plan', '--detailed-exitcod', '--detailed-exitcode'],
    ['plan', '--trget', '--target'],
    ['import', '--keywrod', '--keyword'],
    ['fmt', '--chek', '--check'],
    ['sandbox', '--prot', '--port'],
    ['validate', '--jsno', '--json'],
  ])('%s %s suggests %s', async (command, typed, meant) => {
    expect(await runCli([command, typed], fixture(PROJECT))).toEqual({
      code: 1,
      stdout: '',
      stderr: `Error: Unknown option '${typed}'\n  did you mean \`${meant}\`? run \`micro1 ${command} --help\` for usage\n`,
    });
  });

  it('keeps the plain hint when nothing is close', async () => {
    expect((await runCli(['plan', '--frobnicate'], fixture(PROJECT))).stderr).toBe("Error: Unknown option '--frobnicate'\n  run `micro1 plan --help` for usage\n");
  });

  it('is caught with an inline value too', async () => {
    expect((await runCli(['plan', '--otu=x.plan'], fixture(PROJECT))).stderr).toBe("Error: Unknown option '--otu'\n  did you mean `--out`? run `micro1 plan --help` for usage\n");
  });
});

describe('a long flag with one dash (Terraform style)', () => {
  it('-out=x.plan is refused, suggesting --out=x.plan, and writes no file', async () => {
    const root = fixture(PROJECT);
    expect(await runCli(['plan', '-out=x.plan'], root)).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error: "-out=x.plan" has one dash: long flags take two\n  did you mean `--out=x.plan`? run `micro1 plan --help` for usage\n',
    });
    expect(readdirSync(root).sort()).toEqual(['interviews']);
    expect(existsSync(path.join(root, 'ut=x.plan'))).toBe(false);
  });

  it('-auto-approve is refused, suggesting --auto-approve', async () => {
    expect(await runCli(['apply', '-auto-approve'], fixture(PROJECT))).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error: "-auto-approve" has one dash: long flags take two\n  did you mean `--auto-approve`? run `micro1 apply --help` for usage\n',
    });
  });

  it('-target=x and a misspelt one-dash flag are refused too', async () => {
    expect((await runCli(['plan', '-target=eng'], fixture(PROJECT))).stderr).toBe(
      'Error: "-target=eng" has one dash: long flags take two\n  did you mean `--target=eng`? run `micro1 plan --help` for usage\n',
    );
    expect((await runCli(['apply', '-auto-aprove'], fixture(PROJECT))).stderr).toBe(
      'Error: "-auto-aprove" has one dash: long flags take two\n  did you mean `--auto-approve`? run `micro1 apply --help` for usage\n',
    );
  });

  it('leaves real short flags alone: -o FILE, -oFILE, -h, and anything after --', async () => {
    const root = fixture(PROJECT);
    expect((await runCli(['plan', '-o', 'a.plan'], root)).code).toBe(0);
    expect((await runCli(['plan', '-ob.plan'], root)).code).toBe(0);
    expect(existsSync(path.join(root, 'a.plan')) && existsSync(path.join(root, 'b.plan'))).toBe(true);
    expect((await runCli(['plan', '-h'], root)).code).toBe(0);
    expect(await runCli(['forget', '--', '-out=x'], root)).toMatchObject({ code: 1, stderr: expect.not.stringContaining('one dash') });
  });
});

describe('help and version as words', () => {
  it('`help plan` prints what `plan --help` prints', async () => {
    const flag = await runCli(['plan', '--help'], fixture({}));
    expect(await runCli(['help', 'plan'], fixture({}))).toEqual({ ...flag, code: 0 });
    for (const name of Object.keys(COMMANDS)) {
      expect((await runCli(['help', name], fixture({}))).stdout).toBe((await runCli([name, '--help'], fixture({}))).stdout);
    }
  });

  it('`help` prints the top help; `help` of an unknown command suggests one', async () => {
    expect(await runCli(['help'], fixture({}))).toEqual(await runCli(['--help'], fixture({})));
    expect(await runCli(['help', 'plna'], fixture({}))).toEqual({ code: 1, stdout: '', stderr: 'Error: Unknown command "plna"\n  did you mean `micro1 plan`?\n' });
  });

  it('`version` prints what `--version` prints', async () => {
    const flag = await runCli(['--version'], fixture({}));
    expect(flag.stdout).toMatch(/^micro1-sync \d/);
    expect(await runCli(['version'], fixture({}))).toEqual(flag);
  });
});

describe('every declared flag', () => {
  const flags = Object.entries(COMMANDS).flatMap(([name, command]) => Object.entries(command.flags).map(([flag, spec]) => ({ name, flag, spec })));

  it('covers every command and its common flags', () => {
    expect(new Set(flags.map((f) => f.name))).toEqual(new Set(Object.keys(COMMANDS)));
    expect(flags.filter((f) => f.flag === 'help').length).toBe(Object.keys(COMMANDS).length);
  });

  it.each(flags.map((f) => [`${f.name} --${f.flag}`, f] as const))('%s is in the help and accepted by the parser', async (_, { name, flag, spec }) => {
    const root = fixture({});
    const help = (await runCli([name, '--help'], root)).stdout;
    const shown = `${spec.short ? `-${spec.short}, ` : '    '}--${flag}${spec.value ? ` ${spec.value}` : ''}`;
    expect(help).toContain(`\n  ${shown} `);
    expect(help).toContain(spec.help);
    const value = spec.type === 'boolean' ? [] : ['x'];
    const twice = spec.type === 'strings' ? [`--${flag}`, 'y'] : [];
    const long = await runCli([name, `--${flag}`, ...value, ...twice, '--help'], root);
    expect([long.code, long.stderr, long.stdout]).toEqual([0, '', help]);
    if (spec.short !== undefined) {
      const short = await runCli([name, `-${spec.short}`, ...value, '--help'], root);
      expect([short.code, short.stderr, short.stdout]).toEqual([0, '', help]);
    }
  });
});
