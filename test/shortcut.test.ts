import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { combinedHash, loadDefinitions } from '../src/definitions/load-definitions.js';
import { plan } from '../src/plan/planner.js';
import { emptyState, readState, writeState, type State } from '../src/state/state.js';
import { fixture, runCli } from './helpers.js';

/**
 * Large projects skip parsing files whose bytes (and fragments) hash to what the state recorded.
 * These tests prove the shortcut never hides a change, and that the threads agree with one.
 */

const FRAGMENT = 'is_proctoring_required: false\n';
const files = (count: number, extra: Record<string, string> = {}) => {
  const out: Record<string, string> = { 'micro1.config.json': '{}', 'interviews/_shared/base.yaml': FRAGMENT, ...extra };
  for (let i = 0; i < count; i++) {
    out[`interviews/team/role-${String(i).padStart(4, '0')}.yaml`] = `${i % 3 === 0 ? 'extends: ../_shared/base.yaml\n' : ''}interview_name: Role ${i}\nskills:\n  - name: Skill ${i}\n`;
  }
  return out;
};

/** The state an apply of exactly these files would leave. */
function applied(dir: string, interviews = 'interviews'): State {
  const { definitions, diagnostics } = loadDefinitions({ projectRoot: dir, interviewsRoot: path.join(dir, interviews) });
  expect(diagnostics).toEqual([]);
  const state = { ...emptyState(), interviews: Object.fromEntries(definitions.map((d, i) => [d.key, { id: `id-${i}`, spec: d.body, sourceHash: d.sourceHash, sources: d.sources, appliedAt: 't' }])) };
  return writeState(path.join(dir, '.micro1/state.json'), state);
}

const load = (dir: string, previous?: State, interviews = 'interviews') =>
  loadDefinitions({ projectRoot: dir, interviewsRoot: path.join(dir, interviews), ...(previous ? { previous } : {}) });

describe('the unchanged-file shortcut', () => {
  it('gives the same definitions, and the same plan, as parsing everything', () => {
    const dir = fixture(files(30));
    const state = applied(dir);
    const full = load(dir);
    const quick = load(dir, state);
    expect(quick.definitions.map((d) => [d.key, d.body, d.sourceHash])).toEqual(full.definitions.map((d) => [d.key, d.body, d.sourceHash]));
    const options = { prune: false, targets: [], excludes: [] };
    expect(plan(quick.definitions, state, options).changes.map((c) => c.action)).toEqual(plan(full.definitions, state, options).changes.map((c) => c.action));
  });

  it('still sees an edited file', async () => {
    const dir = fixture(files(5));
    applied(dir);
    writeFileSync(path.join(dir, 'interviews/team/role-0001.yaml'), 'interview_name: Role 1\ninterview_language: de\n');
    const result = await runCli(['plan', '--json'], dir);
    const json = JSON.parse(result.stdout);
    expect(json.changes.map((c: { key: string; changed_fields: string[] }) => [c.key, c.changed_fields])).toEqual([['team/role-0001', ['skills', 'interview_language']]]);
  });

  it('still sees a fragment edit, in every file that extends it', async () => {
    const dir = fixture(files(7));
    applied(dir);
    writeFileSync(path.join(dir, 'interviews/_shared/base.yaml'), 'is_proctoring_required: false\ninterview_language: fr\n');
    const json = JSON.parse((await runCli(['plan', '--json'], dir)).stdout);
    expect(json.changes.map((c: { key: string; via: string[] }) => [c.key, c.via])).toEqual(
      [0, 3, 6].map((i) => [`team/role-000${i}`, ['interviews/_shared/base.yaml']]),
    );
  });

  it('does not trust a state written by a version whose files meant something else', async () => {
    const dir = fixture(files(3));
    const state = applied(dir);
    // As if an older micro1-sync, whose definition format differed, had recorded another body.
    const entry = state.interviews['team/role-0001']!;
    entry.spec = { ...entry.spec, interview_language: 'ja' };
    entry.sourceHash = 'sha256:written-by-another-definition-format';
    writeState(path.join(dir, '.micro1/state.json'), state);
    const json = JSON.parse((await runCli(['plan', '--json'], dir)).stdout);
    expect(json.changes.map((c: { key: string; changed_fields: string[] }) => [c.key, c.changed_fields])).toEqual([['team/role-0001', ['interview_language']]]);
  });

  it('does not carry over to another interviews folder named in the config', async () => {
    const dir = fixture(files(3));
    applied(dir);
    renameSync(path.join(dir, 'interviews'), path.join(dir, 'definitions'));
    writeFileSync(path.join(dir, 'definitions/team/role-0002.yaml'), 'interview_name: Role 2 renamed\n');
    writeFileSync(path.join(dir, 'micro1.config.json'), '{ "interviews": "definitions" }');
    const quick = load(dir, readState(path.join(dir, '.micro1/state.json')), 'definitions');
    expect(quick.definitions.find((d) => d.key === 'team/role-0002')!.body.interview_name).toBe('Role 2 renamed');
    expect(quick.definitions.every((d) => d.file.startsWith('definitions/'))).toBe(true);
    const json = JSON.parse((await runCli(['plan', '--json'], dir)).stdout);
    expect(json.changes.map((c: { key: string }) => c.key)).toEqual(['team/role-0002']);
  });

  it('refuses a changed file that pins the id an unchanged file holds', async () => {
    const dir = fixture(files(3));
    const state = applied(dir);
    writeFileSync(path.join(dir, 'interviews/team/role-0002.yaml'), `id: ${state.interviews['team/role-0001']!.id}\ninterview_name: Role 2\n`);
    const result = await runCli(['plan'], dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('interviews/team/role-0002.yaml:1:5  id  id "id-1" is already managed by interviews/team/role-0001.yaml');
  });
});

describe('the source hash', () => {
  it('is the one earlier versions wrote, fragments in path order, so no state loses its shortcut', () => {
    const sources = { 'interviews/a.yaml': 'aa', 'interviews/_shared/c.yaml': 'cc', 'interviews/_shared/b.yaml': 'bb' };
    // sha256 of 'micro1-sync/definition@1', then "\0file\0hash" for the file and each fragment in path order.
    const expected = 'sha256:d2c773752ec1ba35e01a1c3aaa954f104edd1bd683a7a8c5fa5805df78d9d6e9';
    expect(combinedHash(['interviews/a.yaml', 'interviews/_shared/c.yaml', 'interviews/_shared/b.yaml'], sources)).toBe(expected);
    expect(combinedHash(['interviews/a.yaml', 'interviews/_shared/b.yaml', 'interviews/_shared/c.yaml'], sources)).toBe(expected);
  });
});

describe('a large project with a few broken files', () => {
  it('loads every good file and locates every error, each file read the fast way or in full', () => {
    const broken = {
      'interviews/zz/bad-1.yaml': 'interview_name: Bad\nskills: nope\n',
      'interviews/zz/bad-2.yaml': 'interview_name: [unclosed\n',
      'interviews/zz/dup-a.yaml': 'id: same-id\ninterview_name: A\n',
      'interviews/zz/dup-b.yaml': 'id: same-id\ninterview_name: B\n',
    };
    const dir = fixture(files(450, broken));
    const result = loadDefinitions({ projectRoot: dir, interviewsRoot: path.join(dir, 'interviews') });
    expect(result.definitions.length).toBe(450);
    expect(result.diagnostics.map((d) => `${d.file}:${d.line}:${d.column} ${d.path}`).sort()).toEqual([
      'interviews/zz/bad-1.yaml:2:9 skills',
      'interviews/zz/bad-2.yaml:2:1 ',
      'interviews/zz/dup-a.yaml:1:5 id',
      'interviews/zz/dup-b.yaml:1:5 id',
    ]);
    expect(readFileSync(path.join(dir, 'interviews/zz/bad-1.yaml'), 'utf8')).toContain('nope');
  });
});
