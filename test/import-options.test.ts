import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SeedInterview } from '../src/sandbox/sandbox.js';
import { CODING_DETAILS_WARNING } from '../src/plan/plan-import.js';
import { env, project, readStateFile, sandbox } from './apply-harness.js';
import { runCli } from './helpers.js';

/** Issue 17, import: a dry run, a folder of one's choosing, warnings said once, names every system can hold. */

const id = (n: number) => `c0ffee00-0000-4000-8000-${String(n).padStart(12, '0')}`;
const seed = (n: number, name: string, extra: Partial<SeedInterview['body']> = {}): SeedInterview => ({ id: id(n), body: { interview_name: name, ...extra } });

function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const entry of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(child);
      else out.push(child);
    }
  };
  if (existsSync(dir)) walk('');
  return out.sort();
}

describe('micro1 import --dry-run', () => {
  it('lists what it would write and record, writes nothing, and the real run writes exactly that', async () => {
    const box = await sandbox({ seed: [seed(1, 'Go Engineer'), seed(2, 'Data Engineer')] });
    const dir = project({});
    const before = tree(dir);
    const dry = await runCli(['import', '--dry-run'], dir, { env: env(box) });
    expect(dry).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        'Would import 2 interviews of the 2 micro1 listed.',
        `  + interviews/data-engineer.yaml  id ${id(2)}  "Data Engineer"`,
        `  + interviews/go-engineer.yaml  id ${id(1)}  "Go Engineer"`,
        'Dry run: no file was written and .micro1/state.json was not changed. Run it again without --dry-run to import.',
        '',
      ].join('\n'),
    });
    expect(tree(dir)).toEqual(before);
    const real = await runCli(['import'], dir, { env: env(box) });
    expect(real.stdout).toContain(`  + interviews/data-engineer.yaml  id ${id(2)}  "Data Engineer"\n  + interviews/go-engineer.yaml  id ${id(1)}  "Go Engineer"\n`);
    expect(tree(path.join(dir, 'interviews'))).toEqual(['data-engineer.yaml', 'go-engineer.yaml']);
  });
});

describe('micro1 import --dir', () => {
  it('writes new files in a folder under the interviews folder, keyed by it; the next plan is a no-op', async () => {
    const box = await sandbox({ seed: [seed(1, 'Go Engineer')] });
    const dir = project({ 'eng/existing': 'interview_name: Existing\n' });
    const result = await runCli(['import', '--dir', 'imported/2024'], dir, { env: env(box) });
    expect(result.stdout).toContain(`  + interviews/imported/2024/go-engineer.yaml  id ${id(1)}  "Go Engineer"\n`);
    expect(Object.keys(readStateFile(dir).interviews)).toEqual(['imported/2024/go-engineer']);
    expect((await runCli(['plan'], dir)).stdout).toContain('Plan: 1 to create, 0 to update, 0 to delete, 1 unchanged.');
  });

  it('refuses a folder outside the interviews folder, a fragment folder, a reserved name and a case clash', async () => {
    const box = await sandbox({ seed: [seed(1, 'Go Engineer')] });
    const dir = project({ 'Imported/old': 'interview_name: Old\n' });
    for (const [bad, why] of [
      ['../elsewhere', 'it has an empty, "." or ".." segment'],
      ['_shared', 'a name starting with "_" is a fragment, not an interview'],
      ['teams/aux', '"aux" is a device name Windows reserves'],
      ['teams/sales.', '"sales." ends with a dot or a space, which Windows drops'],
    ] as const) {
      const refused = await runCli(['import', '--dir', bad], dir, { env: env(box) });
      expect(refused.code, bad).toBe(1);
      expect(refused.stderr, bad).toBe(`Error: --dir ${bad} cannot hold imported interviews: ${why}\n  give a folder under the interviews folder, relative to it, e.g. --dir imported or --dir teams/sales\n`);
    }
    const clash = await runCli(['import', '--dir', 'imported'], dir, { env: env(box) });
    expect(clash.stderr).toBe('Error: --dir imported differs only in case from the folder Imported, which already holds definitions: on Windows and macOS they are one folder\n  use --dir Imported\n');
    // The hint, followed.
    const followed = await runCli(['import', '--dir', 'Imported'], dir, { env: env(box) });
    expect(followed.code).toBe(0);
    expect(tree(path.join(dir, 'interviews'))).toEqual(['Imported/go-engineer.yaml', 'Imported/old.yaml']);
  });
});

describe('import warnings', () => {
  it('says each kind once, with the list of files, instead of once per file', async () => {
    const coding = { is_coding_round_required: true, selected_coding_language: 'python' };
    const box = await sandbox({ seed: [seed(1, 'A', coding), seed(2, 'B', coding), seed(3, 'C', coding), seed(4, 'D')] });
    const dir = project({});
    const result = await runCli(['import'], dir, { env: env(box) });
    expect(result.stdout.split(CODING_DETAILS_WARNING).length - 1).toBe(1);
    expect(result.stdout).toContain(`Check these files:\n  ! 3 files: ${CODING_DETAILS_WARNING}\n      interviews/a.yaml\n      interviews/b.yaml\n      interviews/c.yaml\n`);
  });
});

describe('imported file names', () => {
  it('avoid names Windows reserves and names that differ only in case from existing files', async () => {
    const box = await sandbox({ seed: [seed(1, 'CON'), seed(2, 'nul'), seed(3, 'Com1'), seed(4, 'LPT9'), seed(5, 'Go')] });
    const dir = project({});
    mkdirSync(path.join(dir, 'interviews'), { recursive: true });
    writeFileSync(path.join(dir, 'interviews/GO.yaml'), 'interview_name: Go upper\n');
    expect((await runCli(['import'], dir, { env: env(box) })).code).toBe(0);
    expect(tree(path.join(dir, 'interviews'))).toEqual(['GO.yaml', 'com1-interview.yaml', 'con-interview.yaml', 'go-2.yaml', 'lpt9-interview.yaml', 'nul-interview.yaml']);
  });
});
