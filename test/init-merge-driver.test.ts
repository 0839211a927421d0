import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { editorAssociations } from '../src/definitions/editor-schema.js';
import { serializeState, type State } from '../src/state/state.js';
import { GIT_AUTHOR, npxShell } from './workflow-runner.js';
import { appliedEntry, definition, fixture, runCli, stateOf } from './helpers.js';

/**
 * `micro1 init` registers the state's merge driver where a repository can (.gitattributes) and
 * prints the one step it cannot (git config lives outside the repository); the printed command,
 * run as printed, makes git merge two conflicting state commits by key. And the webhooks folder
 * gets its editor schema by glob, like the interviews.
 */

const run = promisify(execFile);

/** A shell where `npx micro1` is this build, as it is in a repository with micro1-sync installed. */
function shell(root: string): (script: string) => Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...npxShell(root).env, ...GIT_AUTHOR };
  return async (script) => {
    try {
      const { stdout, stderr } = await run('sh', ['-ec', script], { cwd: root, env });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code?: number; stdout?: string; stderr?: string };
      return { code: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  };
}

const DRIVER_LINES = [
  'Register the state merge driver once in each clone (git keeps it outside the repository, so init cannot):',
  '  git config merge.micro1-state.driver "npx micro1 state merge %O %A %B"',
];

function stateWith(serial: number, names: Record<string, string>): State {
  return { ...stateOf(Object.fromEntries(Object.entries(names).map(([key, name]) => [key, appliedEntry(definition(key, { interview_name: name }), `id-${key}`)]))), serial, lineage: 'lineage-1' };
}

describe('micro1 init and the state merge driver', () => {
  it('writes the .gitattributes line and prints the git config step; run as printed, a conflicting state commit merges by key', async () => {
    const root = fixture({});
    const init = await runCli(['init'], root);
    expect([init.code, init.stderr]).toEqual([0, '']);
    expect(init.stdout).toContain('  wrote     .gitattributes\n');
    expect(init.stdout).toContain(`\n${DRIVER_LINES.join('\n')}\n\nNext: run \`micro1 plan\``);
    expect(readFileSync(path.join(root, '.gitattributes'), 'utf8')).toBe('# micro1-sync: merge the state file by key (`micro1 state merge`), not by line\n.micro1/state.json merge=micro1-state\n');

    const sh = shell(root);
    const command = init.stdout.split('\n').find((l) => l.startsWith('  git config '))!.trim();
    mkdirSync(path.join(root, '.micro1'), { recursive: true });
    writeFileSync(path.join(root, '.micro1/state.json'), serializeState(stateWith(3, { a: 'A', b: 'B' })));
    expect(await sh(`git init -q -b main && ${command} && git add -A && git commit -qm base`)).toMatchObject({ code: 0 });
    // Two branches change different keys and the serial: by line they conflict.
    writeFileSync(path.join(root, '.micro1/state.json'), serializeState(stateWith(4, { a: 'A2', b: 'B' })));
    expect((await sh('git checkout -qb apply && git commit -qam "applied a"')).code).toBe(0);
    expect((await sh('git checkout -q main')).code).toBe(0);
    writeFileSync(path.join(root, '.micro1/state.json'), serializeState(stateWith(5, { a: 'A' })));
    expect((await sh('git commit -qam "state rm b"')).code).toBe(0);
    const merged = await sh('git merge -q --no-edit apply');
    expect([merged.code, merged.stderr]).toEqual([0, '']);
    const after = JSON.parse(readFileSync(path.join(root, '.micro1/state.json'), 'utf8')) as State;
    expect(Object.fromEntries(Object.entries(after.interviews).map(([k, e]) => [k, e.spec.interview_name]))).toEqual({ a: 'A2' });
    expect(after.serial).toBe(6);
    // Without the driver the same merge is a line conflict: the step is what makes it work.
    expect((await sh(`git config --unset merge.micro1-state.driver && git reset -q --hard HEAD~1 && git merge -q --no-edit apply`)).code).not.toBe(0);
  });

  it('adds the line to an existing .gitattributes for a state set elsewhere, once', async () => {
    const root = fixture({ '.gitattributes': '*.png binary', 'micro1.config.json': JSON.stringify({ state: 'ops/micro1-state.json' }) });
    const first = await runCli(['init'], root);
    expect(first.stdout).toContain('  updated   .gitattributes (1 line added)\n');
    expect(readFileSync(path.join(root, '.gitattributes'), 'utf8')).toBe('*.png binary\n\n# micro1-sync: merge the state file by key (`micro1 state merge`), not by line\nops/micro1-state.json merge=micro1-state\n');
    const again = await runCli(['init'], root);
    expect(again.stdout).toContain('  kept      .gitattributes (has the line)\n');
    expect(again.stdout).toContain(DRIVER_LINES[1]);
  });
});

describe('micro1 init associates the webhook schema with the webhooks folder', () => {
  it('writes the schema `micro1 schema --kind webhook` prints and a glob for webhooks/', async () => {
    const root = fixture({});
    const init = await runCli(['init'], root);
    expect(init.stdout).toContain('  wrote     micro1.webhook.schema.json\n');
    expect(readFileSync(path.join(root, 'micro1.webhook.schema.json'), 'utf8')).toBe((await runCli(['schema', '--kind', 'webhook'], root)).stdout);
    const settings = JSON.parse(readFileSync(path.join(root, '.vscode/settings.json'), 'utf8')) as { 'yaml.schemas': Record<string, string[]> };
    expect(settings['yaml.schemas']['./micro1.webhook.schema.json']).toEqual(['webhooks/**/*.yaml', 'webhooks/**/*.yml']);
    expect(settings).toEqual({ 'yaml.schemas': editorAssociations('interviews') });
    const schema = JSON.parse(readFileSync(path.join(root, 'micro1.webhook.schema.json'), 'utf8')) as Record<string, unknown>;
    expect(schema.$id).toMatch(/^urn:micro1-sync:webhook-schema:/);
  });

  it('uses the configured webhooks folder', async () => {
    const root = fixture({ 'micro1.config.json': JSON.stringify({ webhooks: 'config/hooks' }) });
    await runCli(['init'], root);
    const settings = JSON.parse(readFileSync(path.join(root, '.vscode/settings.json'), 'utf8')) as { 'yaml.schemas': Record<string, string[]> };
    expect(settings['yaml.schemas']['./micro1.webhook.schema.json']).toEqual(['config/hooks/**/*.yaml', 'config/hooks/**/*.yml']);
  });
});
