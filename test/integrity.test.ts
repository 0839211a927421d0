import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { Lexer } from 'yaml';
import { describe, expect, it } from 'vitest';
import { importedFileText } from '../src/plan/plan-import.js';
import { serializeState, type State } from '../src/state/state.js';
import { parseYamlSource } from '../src/definitions/yaml-file.js';
import { parseSimpleYaml } from '../src/definitions/simple-yaml.js';
import { apply, calls, env, project, readStateFile, sandbox } from './apply-harness.js';
import { appliedEntry, definition, fixture, runCli, stateOf } from './helpers.js';

/**
 * Identity and data integrity: one micro1 id is managed by one key only, no key of any name
 * (`__proto__`, `constructor`, `toString`) changes what the tool does, the fast YAML reader refuses
 * what the full parser refuses, and `import` never writes a file that reads back as something else.
 */

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const SAME = id(77);
/** Every create is answered with the same id, as a broken or hostile server could. */
const sameIdForCreates = (r: { method: string; path: string }) =>
  r.method === 'POST' && r.path === '/interview' ? { kind: 'status' as const, status: 200, body: { status: true, message: 'created', data: { interview_id: SAME } } } : undefined;

function writeState(root: string, state: State): void {
  mkdirSync(path.join(root, '.micro1'), { recursive: true });
  writeFileSync(path.join(root, '.micro1/state.json'), serializeState(state));
}

const ROLE1 = definition('role1', { interview_name: 'Role 1' }, { sources: { 'interviews/role1.yaml': 'r1' } });
const ROLE2 = definition('role2', { interview_name: 'Role 2' }, { sources: { 'interviews/role2.yaml': 'r2' } });

describe('one micro1 id, one key', () => {
  it('a create answered with an id another key already manages fails and is not recorded; a later prune deletes nothing it does not own', async () => {
    const box = await sandbox({ fault: sameIdForCreates });
    const dir = project({ role1: 'interview_name: Role 1\n', role2: 'interview_name: Role 2\n' }, { apply: { requestsPerSecond: 1000, concurrency: 1, maxRetries: 0 }, prune: true });
    const { outcome } = await apply(dir, box);
    expect(outcome.kind).toBe('applied');
    if (outcome.kind !== 'applied') return;
    expect(outcome.result.created).toBe(1);
    expect(outcome.result.failures).toEqual([
      {
        key: 'role2',
        file: 'interviews/role2.yaml',
        action: 'create',
        message: `micro1 answered the create with id ${SAME}, which role1 already manages: not recorded for role2`,
        hint: 'check micro1 for an interview named "Role 2" before applying again; one micro1 interview is managed by one file only',
      },
    ]);
    const state = readStateFile(dir);
    expect(Object.fromEntries(Object.entries(state.interviews).map(([k, e]) => [k, e.id]))).toEqual({ role1: SAME });
    expect(state.pending).toEqual([]);

    // role2's file goes: nothing manages it, so nothing is deleted; role1 still manages SAME.
    const { rmSync } = await import('node:fs');
    rmSync(path.join(dir, 'interviews/role2.yaml'));
    const before = box.requests.length;
    await runCli(['apply', '--auto-approve'], dir, { env: env(box) });
    expect(calls(box).slice(before).filter((c) => c.startsWith('DELETE'))).toEqual([]);
  });

  it('a state that records one id under two keys is refused at load, naming both keys, and nothing is sent', async () => {
    const box = await sandbox({ seed: [{ id: SAME, body: { interview_name: 'Role 2' } }] });
    const dir = project({ role2: 'interview_name: Role 2\n' }, { prune: true });
    // A pull request pointed role1 (file gone: "delete Role 1") at the interview role2 manages.
    writeState(dir, stateOf({ role1: appliedEntry(ROLE1, SAME), role2: appliedEntry(ROLE2, SAME) }));
    const plan = await runCli(['plan'], dir, { env: env(box) });
    expect(plan.code).toBe(1);
    expect(plan.stderr).toContain(`Error: The state file .micro1/state.json records id ${SAME} under two keys, role1 and role2`);
    expect(plan.stderr).toContain('one micro1 interview is managed by one key');
    const applied = await runCli(['apply', '--auto-approve'], dir, { env: env(box) });
    expect(applied.code).toBe(1);
    expect(calls(box).filter((c) => !c.startsWith('GET'))).toEqual([]);
    expect(box.interviews().map((i) => i.id)).toEqual([SAME]);
  });

  it('a state entry pointed at an interview this repo never managed is not deleted: micro1 lists that id under another name', async () => {
    const other = id(91);
    const box = await sandbox({ seed: [{ id: other, body: { interview_name: 'Another team' } }] });
    const dir = project({ keep: 'interview_name: Keep\n' }, { prune: true, safety: { maxDeletes: 10, maxDeletePercent: 100 } });
    // A pull request added an entry whose id is another team's interview: the plan says "delete Role 1".
    writeState(dir, stateOf({ role1: appliedEntry(ROLE1, other) }));
    const plan = await runCli(['plan'], dir, { env: env(box) });
    expect(plan.stdout).toContain('- role1  (delete, id');
    const result = await runCli(['apply', '--auto-approve'], dir, { env: env(box) });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`delete role1: not deleted: micro1 lists id ${other} as "Another team", not "Role 1" as the state recorded`);
    expect(result.stderr).toContain('run `micro1 plan --refresh` to compare with micro1; if it is gone, `micro1 state rm role1` drops it from the state');
    expect(calls(box).filter((c) => c.startsWith('DELETE'))).toEqual([]);
    expect(box.interviews().map((i) => i.body.interview_name).sort()).toEqual(['Another team', 'Keep']);
    // Still recorded: nothing happened to it.
    expect(Object.keys(readStateFile(dir).interviews).sort()).toEqual(['keep', 'role1']);
  });

  it('a delete whose id micro1 no longer lists is recorded as done without a request (deleted outside git, or by a killed run)', async () => {
    const box = await sandbox();
    const dir = project({ keep: 'interview_name: Keep\n' }, { prune: true, safety: { maxDeletes: 10, maxDeletePercent: 100 } });
    writeState(dir, stateOf({ role1: appliedEntry(ROLE1, id(92)) }));
    const result = await runCli(['apply', '--auto-approve'], dir, { env: env(box) });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('1 created, 0 updated, 1 deleted, 0 failed');
    expect(calls(box).filter((c) => c.startsWith('DELETE'))).toEqual([]);
    expect(Object.keys(readStateFile(dir).interviews)).toEqual(['keep']);
  });

  it('state mv keeps one key per id: the moved entry never lands beside another holding its id', async () => {
    // The loader refuses such a state, so `state mv` can never create one: shown by the state after a move.
    const dir = fixture({ 'interviews/.keep': '' });
    writeState(dir, stateOf({ role1: appliedEntry(ROLE1, id(1)), role2: appliedEntry(ROLE2, id(2)) }));
    expect((await runCli(['state', 'mv', 'role1', 'role3'], dir)).code).toBe(0);
    const ids = Object.values(readStateFile(dir).interviews).map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('keys named like Object.prototype members', () => {
  it('__proto__ in a definition is an unknown field at its line, and sets nothing', async () => {
    const dir = project({ eng: 'interview_name: Eng\n__proto__:\n  is_proctoring_required: false\n  only_coding_round: true\n' });
    const result = await runCli(['plan', '--json'], dir);
    expect(result.code).toBe(1);
    const diagnostics = (JSON.parse(result.stdout) as { diagnostics: { file: string; line: number; column: number; path: string; message: string }[] }).diagnostics;
    expect(diagnostics.map((d) => `${d.file}:${d.line}:${d.column} ${d.path} ${d.message}`)).toEqual(['interviews/eng.yaml:2:1 __proto__ unknown field "__proto__"']);
  });

  it('__proto__ in a fragment is an unknown field of the fragment', async () => {
    const dir = fixture({
      'micro1.config.json': '{}',
      'interviews/_base.yaml': '__proto__:\n  only_coding_round: true\n',
      'interviews/eng.yaml': 'extends: _base.yaml\ninterview_name: Eng\n',
    });
    const result = await runCli(['plan', '--json'], dir);
    expect(result.code).toBe(1);
    const diagnostics = (JSON.parse(result.stdout) as { diagnostics: { file: string; line: number; path: string; message: string }[] }).diagnostics;
    expect(diagnostics.map((d) => `${d.file}:${d.line} ${d.path} ${d.message}`)).toEqual(['interviews/_base.yaml:1 __proto__ unknown field "__proto__"']);
  });

  const withNamedState = () => {
    const entries = Object.fromEntries(
      ['hasOwnProperty', 'toString', 'a'].map((k, i) => [k, appliedEntry(definition(k, { interview_name: `I ${k}` }), id(i + 1))]),
    );
    const dir = fixture({ 'interviews/.keep': '' });
    writeState(dir, stateOf(entries, { pending: [] }));
    return dir;
  };

  it('state rm hasOwnProperty removes that entry', async () => {
    const dir = withNamedState();
    const result = await runCli(['state', 'rm', 'hasOwnProperty'], dir);
    expect(result.code).toBe(0);
    expect(Object.keys(readStateFile(dir).interviews)).toEqual(['a', 'toString']);
  });

  it('state rm and state mv of valueOf, which the state does not hold, are refused and change nothing', async () => {
    const dir = withNamedState();
    const result = await runCli(['state', 'rm', 'valueOf'], dir);
    expect(result).toMatchObject({ code: 1, stderr: expect.stringContaining('valueOf is not in the state') });
    const moved = await runCli(['state', 'mv', 'valueOf', 'x'], dir);
    expect(moved).toMatchObject({ code: 1, stderr: expect.stringContaining('valueOf is not in the state') });
    expect(Object.keys(readStateFile(dir).interviews)).toEqual(['a', 'hasOwnProperty', 'toString']);
  });

  it('state mv toString x moves that entry', async () => {
    const dir = withNamedState();
    expect((await runCli(['state', 'mv', 'toString', 'x'], dir)).code).toBe(0);
    const state = readStateFile(dir);
    expect(Object.keys(state.interviews)).toEqual(['a', 'hasOwnProperty', 'x']);
    expect(state.interviews.x!.id).toBe(id(2));
  });

  it('state mv a constructor is allowed: no entry holds that key', async () => {
    const dir = withNamedState();
    const result = await runCli(['state', 'mv', 'a', 'constructor'], dir);
    expect(result.code).toBe(0);
    expect(Object.keys(readStateFile(dir).interviews)).toEqual(['constructor', 'hasOwnProperty', 'toString']);
  });

  it('state show toString shows that entry; state show valueOf says it is not there', async () => {
    const dir = withNamedState();
    const shown = await runCli(['state', 'show', 'toString'], dir);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`toString\n  id:          ${id(2)}`);
    const missing = await runCli(['state', 'show', 'valueOf'], dir);
    expect(missing).toMatchObject({ code: 1, stderr: expect.stringContaining('valueOf is not in the state') });
  });

  it('state list lists those keys', async () => {
    const result = await runCli(['state', 'list'], withNamedState());
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n').slice(0, 3).map((l) => l.split(' ')[0])).toEqual(['a', 'hasOwnProperty', 'toString']);
  });

  it('a plan sees a state entry keyed __proto__ as an entry, not as a prototype', async () => {
    const dir = project({}, { prune: true });
    mkdirSync(path.join(dir, 'interviews'));
    const entry = appliedEntry(definition('x', { interview_name: 'P' }), id(1));
    // JSON.parse keeps "__proto__" as an own key; a plain `{}` copy of the record would make it a prototype.
    writeState(dir, stateOf({}));
    writeFileSync(path.join(dir, '.micro1/state.json'), `{"version":1,"lineage":"l","serial":1,"pending":[],"interviews":{"__proto__":${JSON.stringify(entry)}}}\n`);
    const result = await runCli(['plan', '--json'], dir);
    expect(result.stderr).toBe('');
    const plan = JSON.parse(result.stdout) as { changes: { key: string; action: string; id: string }[] };
    expect(plan.changes.map((c) => [c.key, c.action, c.id])).toEqual([['__proto__', 'delete', id(1)]]);
  });

  it('an applied file keyed constructor is a no-op plan, found in the state as its own entry', async () => {
    const box = await sandbox();
    const dir = project({ constructor: 'interview_name: Constructor\n', toString: 'interview_name: To String\n' });
    expect((await runCli(['apply', '--auto-approve'], dir, { env: env(box) })).code).toBe(0);
    expect(Object.keys(readStateFile(dir).interviews)).toEqual(['constructor', 'toString']);
    expect((await runCli(['plan', '--detailed-exitcode'], dir, { env: env(box) })).code).toBe(0);
  });

  it('a saved plan is stale once constructor.yaml is added', async () => {
    const box = await sandbox();
    const dir = project({ eng: 'interview_name: Eng\n' });
    expect((await runCli(['plan', '--out', 'plan.json'], dir, { env: env(box) })).code).toBe(0);
    writeFileSync(path.join(dir, 'interviews/constructor.yaml'), 'interview_name: Constructor\n');
    const result = await runCli(['apply', 'plan.json'], dir, { env: env(box) });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('The saved plan plan.json is stale: interviews/constructor.yaml was added since');
    expect(box.requests).toEqual([]);
  });
});

describe('the fast reader refuses what the full parser refuses', () => {
  const read = (text: string) => parseYamlSource('f.yaml', new TextEncoder().encode(text));

  it('strips exactly one byte-order mark: a second one is content, with the full parser’s diagnostics', () => {
    expect(read('\uFEFFinterview_name: x\n').source?.value).toEqual({ interview_name: 'x' });
    const twice = read('\uFEFF\uFEFFinterview_name: x\n');
    // yaml reads the second mark as part of the key, as parseDocument does after its own one strip.
    expect(twice.source?.value).toEqual({ '\uFEFFinterview_name': 'x' });
  });

  it('a file with two byte-order marks fails plan at line 1, column 1', async () => {
    const dir = project({ eng: '\uFEFF\uFEFFinterview_name: Eng\n' });
    const result = await runCli(['plan'], dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('interviews/eng.yaml:1:1');
    expect(result.stderr).toContain('unknown field');
  });

  it('columns on line 1 still count from after the one byte-order mark', () => {
    const parsed = read('\uFEFFinterview_name: x\nfoo: 1\n');
    expect(parsed.source!.locate(['interview_name'], { key: true })).toEqual({ line: 1, column: 1 });
    expect(parsed.source!.locate(['interview_name'])).toEqual({ line: 1, column: 17 });
  });

  it('refuses a simple file of more than 100,000 tokens under 256 KiB, as the full parser does', () => {
    const text = `interview_name: x\nskills:\n${'  - a\n'.repeat(40_000)}`;
    expect(text.length).toBeLessThan(256 * 1024);
    expect(parseSimpleYaml(text)).toBeDefined(); // the subset alone would take it
    const parsed = read(text);
    expect(parsed.source).toBeUndefined();
    expect(parsed.diagnostics.map((d) => d.message)).toEqual(['has more than 100000 YAML tokens']);
  });

  it('accepts a simple file just under the token limit, with the value the full parser gives', () => {
    const base = 'interview_name: x\nskills:\n';
    let text = base + '  - a\n'.repeat(16_000);
    let tokens = 0;
    for (const _ of new Lexer().lex(text)) tokens++;
    expect(tokens).toBeLessThanOrEqual(100_000);
    expect(read(text).source?.value).toMatchObject({ interview_name: 'x' });
    text = base;
  });

  it('refuses nesting deeper than the full parser allows, with its message', () => {
    const nest = (depth: number) => Array.from({ length: depth }, (_, i) => `${' '.repeat(i)}k:\n`).join('') + `${' '.repeat(depth)}k: 1\n`;
    expect(read(nest(63)).source).toBeDefined();
    expect(read(nest(64)).diagnostics.map((d) => d.message)).toEqual(['is nested more than 64 levels deep']);
  });
});

describe('import writes only files that read back as the body it meant', () => {
  const CHARS = ['a', 'b', ' ', ' ', '  ', '\n', '\n', '\t', '\r', '\r\n', '\u2028', '\u2029', '\u0085', '#', ':', '-', '"', "'", '|', '>', 'é', '\u00a0', '\\'];
  const text = fc.array(fc.constantFrom(...CHARS), { minLength: 1, maxLength: 24 }).map((parts) => parts.join(''));
  /** Where import writes text: one random body per run, in plain objects as import builds them. */
  const PLACES = {
    interview_name: (body: string) => ({ id: id(1), interview_name: body }),
    'skills[].description': (body: string) => ({ id: id(1), interview_name: 'x', skills: [{ name: 'S', description: body }] }),
    'custom_question_list[].question': (body: string) => ({ id: id(1), interview_name: 'x', custom_question_list: [{ question: body, time: 2, type: 'text' }] }),
  };

  // 3 × 10,000 = 30,000 bodies, split so that each test stays well under 10 s.
  for (const [index, [place, fieldsOf]] of Object.entries(PLACES).entries()) {
    it(`10,000 random bodies in ${place} each read back equal (never a file that means something else)`, () => {
      let refused = 0;
      fc.assert(
        fc.property(text, (body) => {
          const fields = fieldsOf(body);
          const written = importedFileText(fields, undefined);
          if (!written.ok) {
            refused++;
            return;
          }
          const back = parseYamlSource('x.yaml', new TextEncoder().encode(written.text));
          // toEqual only on a mismatch: 10,000 expect() calls would cost more than the reading.
          if (back.diagnostics.length > 0 || JSON.stringify(back.source?.value) !== JSON.stringify(fields)) expect(back.source?.value).toEqual(fields);
        }),
        { numRuns: 10_000, seed: 20261201 + index },
      );
      // Double quotes can say any text: refusing is a last resort, not the answer for odd whitespace.
      expect(refused).toBe(0);
    });
  }

  it('a question of one spaces-only line, which yaml writes as a block that reads back as "\\n", is written double-quoted', () => {
    const f = { id: id(1), interview_name: 'x', custom_question_list: [{ question: ' \n', time: 2, type: 'text' }] };
    const written = importedFileText(f, undefined);
    expect(written).toEqual({ ok: true, text: `id: "${id(1)}"\ninterview_name: "x"\ncustom_question_list:\n  - question: "\\ \\n"\n    time: 2\n    type: "text"\n` });
    if (written.ok) expect(parseYamlSource('x.yaml', new TextEncoder().encode(written.text)).source?.value).toEqual(f);
  });

  it('micro1 import writes such a body so that the next plan reads the same body', async () => {
    const box = await sandbox({ seed: [{ id: id(1), body: { interview_name: 'Spaces', skills: [{ name: 'Go', description: '  \n' }] } }] });
    const dir = project({});
    const result = await runCli(['import'], dir, { env: env(box) });
    expect(result.code).toBe(0);
    expect(existsSync(path.join(dir, 'interviews/spaces.yaml'))).toBe(true);
    const written = readFileSync(path.join(dir, 'interviews/spaces.yaml'));
    const value = parseYamlSource('spaces.yaml', written).source?.value as { skills: { description: string }[] };
    expect(value.skills[0]!.description).toBe('  \n');
    const plan = await runCli(['plan', '--detailed-exitcode'], dir, { env: env(box) });
    expect(plan.code).toBe(0);
  });
});
