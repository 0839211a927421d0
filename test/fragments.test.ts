import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sortDiagnostics, type Diagnostic } from '../src/diagnostics.js';
import { loadDefinitions, type LoadResult } from '../src/definitions/load-definitions.js';
import { plan } from '../src/plan/planner.js';
import { renderPlanText } from '../src/render/render-text.js';
import { serializeState, type State } from '../src/state/state.js';
import { fixture, runCli } from './helpers.js';

/** `extends`: merging, provenance (source hash and "via"), and every error a fragment can cause, with its position. */

const ALL = { prune: false, targets: [], excludes: [] };

function project(files: Record<string, string>): string {
  return fixture(Object.fromEntries(Object.entries(files).map(([f, c]) => [`interviews/${f}`, c])));
}

function loadAt(root: string): LoadResult {
  return loadDefinitions({ projectRoot: root, interviewsRoot: path.join(root, 'interviews') });
}

function load(files: Record<string, string>): LoadResult {
  return loadAt(project(files));
}

const error = (file: string, line: number, column: number, fieldPath: string, message: string, hint?: string): Diagnostic => ({
  severity: 'error',
  file: `interviews/${file}`,
  line,
  column,
  path: fieldPath,
  message,
  ...(hint === undefined ? {} : { hint }),
});

/** The state an apply of everything under `root` would leave. */
function appliedState(root: string): State {
  const { definitions, diagnostics } = loadAt(root);
  expect(diagnostics).toEqual([]);
  return {
    version: 1,
    lineage: '0e7c5a52-5d4f-4c51-9d55-2f1a3c8b9e10',
    serial: 3,
    pending: [],
    interviews: Object.fromEntries(
      definitions.map((d) => [d.key, { id: `id-${d.key}`, spec: d.body, sourceHash: d.sourceHash, sources: d.sources, appliedAt: '2024-05-01T12:00:00.000Z' }]),
    ),
  };
}

describe('merging', () => {
  it('lays fragments beneath the file: top-level keys merge, lists replace, later fragments win, the file wins over all', () => {
    const result = load({
      '_shared/base.yaml': 'interview_language: fr\nis_proctoring_required: false\nskills:\n  - name: Base\n  - name: Base 2\n',
      '_shared/backend.yaml': 'interview_language: de\ncustom_question_list:\n  - question: Why Go?\n    time: 2\n    type: audio\n',
      'eng/go.yaml': 'extends: [../_shared/base.yaml, ../_shared/backend.yaml]\ninterview_name: Go\nskills:\n  - name: Go\n',
    });
    expect(result.diagnostics).toEqual([]);
    const [go] = result.definitions;
    expect(go!.body).toEqual({
      interview_name: 'Go',
      skills: [{ name: 'Go' }],
      custom_question_list: [{ question: 'Why Go?', time: 2, type: 'audio' }],
      interview_language: 'de',
      can_change_interview_language: false,
      only_coding_round: false,
      is_coding_round_required: false,
      selected_coding_language: 'user_choice',
      coding_exercise_details: '',
      is_proctoring_required: false,
    });
    expect(go!.fragments).toEqual(['interviews/_shared/base.yaml', 'interviews/_shared/backend.yaml']);
    expect(go!.explicit.sort()).toEqual(['custom_question_list', 'interview_language', 'interview_name', 'is_proctoring_required', 'skills']);
  });

  it('merges a fragment of a fragment beneath it, and lets a fragment give the name', () => {
    const result = load({
      '_base.yaml': 'interview_language: fr\nonly_coding_round: true\n',
      '_team.yaml': 'extends: _base.yaml\ninterview_name: Team default\ninterview_language: es\n',
      'a.yaml': 'extends: _team.yaml\n',
    });
    expect(result.diagnostics).toEqual([]);
    expect(result.definitions[0]!.body).toMatchObject({ interview_name: 'Team default', interview_language: 'es', only_coding_round: true });
    expect(result.definitions[0]!.fragments).toEqual(['interviews/_base.yaml', 'interviews/_team.yaml']);
  });

  it('keeps a fragment reached twice (a diamond) beneath everything that extends it', () => {
    const result = load({
      '_base.yaml': 'interview_language: fr\nselected_coding_language: go\n',
      '_x.yaml': 'extends: _base.yaml\ninterview_language: de\n',
      '_y.yaml': 'extends: _base.yaml\nis_proctoring_required: false\n',
      'a.yaml': 'extends: [_x.yaml, _y.yaml]\ninterview_name: A\n',
    });
    expect(result.diagnostics).toEqual([]);
    // Were _base merged again after _x, its "fr" would override _x's "de".
    expect(result.definitions[0]!.body).toMatchObject({ interview_language: 'de', selected_coding_language: 'go', is_proctoring_required: false });
    expect(result.definitions[0]!.fragments).toEqual(['interviews/_base.yaml', 'interviews/_x.yaml', 'interviews/_y.yaml']);
  });

  it('accepts a fragment folder at any depth and paths relative to the file that names them', () => {
    const result = load({
      'eng/_shared/lang.yaml': 'interview_language: ja\n',
      'eng/backend/go.yaml': 'extends: ../_shared/lang.yaml\ninterview_name: Go\n',
    });
    expect(result.diagnostics).toEqual([]);
    expect(result.definitions.map((d) => [d.key, d.body.interview_language, d.fragments])).toEqual([['eng/backend/go', 'ja', ['interviews/eng/_shared/lang.yaml']]]);
  });
});

describe('provenance', () => {
  const files = {
    '_shared/lang.yaml': 'interview_language: fr\n',
    '_shared/backend.yaml': 'extends: lang.yaml\nis_coding_round_required: true\n',
    'a.yaml': 'extends: _shared/backend.yaml\ninterview_name: A\n',
    'b.yaml': 'extends: _shared/backend.yaml\ninterview_name: B\n',
    'c.yaml': 'interview_name: C\n',
  };

  it('hashes every source: the file, each fragment and each fragment of a fragment', () => {
    const root = project(files);
    const before = Object.fromEntries(loadAt(root).definitions.map((d) => [d.key, d.sourceHash]));
    expect(Object.keys(loadAt(root).definitions[0]!.sources)).toEqual(['interviews/a.yaml', 'interviews/_shared/lang.yaml', 'interviews/_shared/backend.yaml']);

    writeFileSync(path.join(root, 'interviews/_shared/lang.yaml'), 'interview_language: de\n');
    const after = Object.fromEntries(loadAt(root).definitions.map((d) => [d.key, d.sourceHash]));
    expect(after.a).not.toBe(before.a);
    expect(after.b).not.toBe(before.b);
    expect(after.c).toBe(before.c);
    // Bytes, not meaning: a comment in a fragment is a change of source too (a saved plan must go stale).
    writeFileSync(path.join(root, 'interviews/_shared/lang.yaml'), 'interview_language: de # German\n');
    expect(loadAt(root).definitions[0]!.sourceHash).not.toBe(after.a);
  });

  it('plans an update "via" the fragment that changed, even a fragment of a fragment, and not when the file changed too', () => {
    const root = project(files);
    const state = appliedState(root);
    writeFileSync(path.join(root, 'interviews/_shared/lang.yaml'), 'interview_language: de\n');
    writeFileSync(path.join(root, 'interviews/b.yaml'), 'extends: _shared/backend.yaml\ninterview_name: B2\n');
    const changes = plan(loadAt(root).definitions, state, ALL).changes;
    expect(changes.map((c) => [c.key, c.action, c.via])).toEqual([
      ['a', 'update', ['interviews/_shared/lang.yaml']],
      ['b', 'update', []],
      ['c', 'no-op', []],
    ]);
  });

  it('says once, before 300 look-alike updates, which fragment changed and how many interviews it changes', () => {
    const files300: Record<string, string> = { '_shared/backend.yaml': 'interview_language: en\n' };
    for (let i = 1; i <= 300; i++) files300[`eng/svc-${String(i).padStart(3, '0')}.yaml`] = `extends: ../_shared/backend.yaml\ninterview_name: Service ${i}\n`;
    const root = project(files300);
    const state = appliedState(root);
    writeFileSync(path.join(root, 'interviews/_shared/backend.yaml'), 'interview_language: fr\n');
    const text = renderPlanText(plan(loadAt(root).definitions, state, ALL), { color: false });
    const lines = text.split('\n');
    expect(lines.slice(0, 10)).toEqual([
      'Fragments changed since the last apply:',
      '  interviews/_shared/backend.yaml  300 interviews change only because of it',
      '',
      'micro1 will perform the following actions:',
      '',
      '  ~ eng/svc-001  (update, id id-eng/svc-001)  interviews/eng/svc-001.yaml',
      '      # only because a fragment changed: via interviews/_shared/backend.yaml',
      '      ~ interview_language: "en" -> "fr"',
      '',
      '  ~ eng/svc-002  (update, id id-eng/svc-002)  interviews/eng/svc-002.yaml',
    ]);
    expect(lines.filter((l) => l === '      # only because a fragment changed: via interviews/_shared/backend.yaml')).toHaveLength(300);
    expect(lines.slice(-2)).toEqual(['Plan: 0 to create, 300 to update, 0 to delete, 0 unchanged.', '']);
  });

  it('counts each changed fragment apart, through the CLI', async () => {
    const root = project({
      '_a.yaml': 'interview_language: en\n',
      '_b.yaml': 'only_coding_round: false\n',
      'one.yaml': 'extends: _a.yaml\ninterview_name: One\n',
      'two.yaml': 'extends: [_a.yaml, _b.yaml]\ninterview_name: Two\n',
      'three.yaml': 'extends: _b.yaml\ninterview_name: Three\n',
    });
    mkdirSync(path.join(root, '.micro1'));
    writeFileSync(path.join(root, '.micro1/state.json'), serializeState(appliedState(root)));
    writeFileSync(path.join(root, 'interviews/_a.yaml'), 'interview_language: fr\n');
    writeFileSync(path.join(root, 'interviews/_b.yaml'), 'only_coding_round: true\n');
    const result = await runCli(['plan'], root);
    expect(result).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        'Target: https://public.api.micro1.ai',
        '',
        'Fragments changed since the last apply:',
        '  interviews/_a.yaml  2 interviews change only because of it',
        '  interviews/_b.yaml  2 interviews change only because of it',
        '',
        'micro1 will perform the following actions:',
        '',
        '  ~ one  (update, id id-one)  interviews/one.yaml',
        '      # only because a fragment changed: via interviews/_a.yaml',
        '      ~ interview_language: "en" -> "fr"',
        '',
        '  ~ three  (update, id id-three)  interviews/three.yaml',
        '      # only because a fragment changed: via interviews/_b.yaml',
        '      ~ only_coding_round: false -> true',
        '',
        '  ~ two  (update, id id-two)  interviews/two.yaml',
        '      # only because a fragment changed: via interviews/_a.yaml, interviews/_b.yaml',
        '      ~ interview_language: "en" -> "fr"',
        '      ~ only_coding_round: false -> true',
        '',
        'Plan: 0 to create, 3 to update, 0 to delete, 0 unchanged.',
        '',
      ].join('\n'),
    });
  });
});

describe('fragment errors, each at its file, line and column', () => {
  it('extends that is not a path or a list of paths', () => {
    const result = load({
      'a.yaml': 'interview_name: A\nextends: 3\n',
      'b.yaml': 'interview_name: B\nextends:\n  x: 1\n',
      'c.yaml': 'interview_name: C\nextends: []\n',
      'd.yaml': 'interview_name: D\nextends: ""\n',
      'e.yaml': 'interview_name: E\nextends:\n  - _ok.yaml\n  - ""\n  - 7\n',
      '_ok.yaml': 'interview_language: fr\n',
    });
    expect(sortDiagnostics(result.diagnostics)).toEqual([
      error('a.yaml', 2, 10, 'extends', 'extends must be a fragment path or a list of them'),
      error('b.yaml', 3, 3, 'extends', 'extends must be a fragment path or a list of them'),
      error('c.yaml', 2, 10, 'extends', 'extends must not be an empty list'),
      error('d.yaml', 2, 10, 'extends', 'must be the path of a fragment file, e.g. _shared/backend.yaml'),
      error('e.yaml', 4, 5, 'extends[1]', 'must be the path of a fragment file, e.g. _shared/backend.yaml'),
      error('e.yaml', 5, 5, 'extends[2]', 'must be the path of a fragment file, e.g. _shared/backend.yaml'),
    ]);
    expect(result.definitions).toEqual([]);
  });

  it('a missing fragment, at every file that names it', () => {
    const result = load({
      'a.yaml': 'extends: _missing.yaml\ninterview_name: A\n',
      'sub/b.yaml': 'interview_name: B\nextends:\n  - ../_missing.yaml\n',
    });
    expect(sortDiagnostics(result.diagnostics)).toEqual([
      error('a.yaml', 1, 10, 'extends', 'fragment "_missing.yaml" does not exist', 'paths in extends are relative to the file that names them'),
      error('sub/b.yaml', 3, 5, 'extends[0]', 'fragment "../_missing.yaml" does not exist', 'paths in extends are relative to the file that names them'),
    ]);
    expect(result.definitions).toEqual([]);
  });

  it('a folder, a file that is not YAML, and an interview named as fragments', () => {
    const root = project({
      '_shared/x.yaml': 'interview_language: fr\n',
      '_notes.txt': 'interview_language: fr\n',
      'a.yaml': 'extends: _shared\ninterview_name: A\n',
      'b.yaml': 'extends: _notes.txt\ninterview_name: B\n',
      'c.yaml': 'extends: [a.yaml]\ninterview_name: C\n',
    });
    expect(sortDiagnostics(loadAt(root).diagnostics)).toEqual([
      error('a.yaml', 1, 10, 'extends', 'fragment "_shared" is a folder, not a file', 'name one fragment file in it, e.g. _shared/backend.yaml'),
      error('b.yaml', 1, 10, 'extends', 'fragment "_notes.txt" is not a .yaml or .yml file', 'fragments are YAML files, like interviews'),
      error('c.yaml', 1, 11, 'extends[0]', '"a.yaml" is an interview, not a fragment', 'fragments are files or folders whose name starts with "_"'),
    ]);
  });

  it('paths that leave the interviews folder: by "..", absolutely, by a linked file and by a linked folder', () => {
    const root = project({
      'a.yaml': 'extends: ../../_up.yaml\ninterview_name: A\n',
      'b.yaml': 'extends: /etc/_passwd.yaml\ninterview_name: B\n',
      'c.yaml': 'extends: _link.yaml\ninterview_name: C\n',
      'd.yaml': 'extends: _linked/x.yaml\ninterview_name: D\n',
    });
    mkdirSync(path.join(root, 'outside'));
    writeFileSync(path.join(root, 'outside/x.yaml'), 'interview_language: fr\n');
    symlinkSync(path.join(root, 'outside/x.yaml'), path.join(root, 'interviews/_link.yaml'));
    symlinkSync(path.join(root, 'outside'), path.join(root, 'interviews/_linked'));
    expect(sortDiagnostics(loadAt(root).diagnostics)).toEqual([
      error('a.yaml', 1, 10, 'extends', '"../../_up.yaml" points outside the interviews folder', 'fragments must live under the interviews root'),
      error('b.yaml', 1, 10, 'extends', '"/etc/_passwd.yaml" points outside the interviews folder', 'fragments must live under the interviews root'),
      error('c.yaml', 1, 10, 'extends', 'fragment "_link.yaml" is a symbolic link that points outside the interviews folder', 'copy the file into the interviews folder instead'),
      error('d.yaml', 1, 10, 'extends', 'fragment "_linked/x.yaml" is reached through a symbolic link to a folder outside the interviews folder', 'copy the file into the interviews folder instead'),
    ]);
  });

  it('cycles: a fragment extending itself, two and three fragments in a ring', () => {
    const result = load({
      '_self.yaml': 'interview_language: fr\nextends: _self.yaml\n',
      '_x.yaml': 'extends: _y.yaml\n',
      '_y.yaml': 'extends: _x.yaml\n',
      '_p.yaml': 'extends: _q.yaml\n',
      '_q.yaml': 'extends: [_r.yaml]\n',
      '_r.yaml': 'extends: _p.yaml\n',
      'a.yaml': 'extends: _self.yaml\ninterview_name: A\n',
      'b.yaml': 'extends: _x.yaml\ninterview_name: B\n',
      'c.yaml': 'extends: _p.yaml\ninterview_name: C\n',
    });
    expect(sortDiagnostics(result.diagnostics)).toEqual([
      error('_r.yaml', 1, 10, 'extends', 'extends cycle: interviews/_p.yaml → interviews/_q.yaml → interviews/_r.yaml → interviews/_p.yaml', 'remove one of the extends entries'),
      error('_self.yaml', 2, 10, 'extends', 'extends cycle: interviews/_self.yaml → interviews/_self.yaml', 'remove one of the extends entries'),
      error('_y.yaml', 1, 10, 'extends', 'extends cycle: interviews/_x.yaml → interviews/_y.yaml → interviews/_x.yaml', 'remove one of the extends entries'),
    ]);
    expect(result.definitions).toEqual([]);
  });

  it('a fragment that is not a YAML mapping: syntax error, duplicate key, list, empty', () => {
    const result = load({
      '_syntax.yaml': 'interview_language: fr\nskills:\n\t- name: Go\n',
      '_dup.yaml': 'interview_language: fr\nonly_coding_round: true\ninterview_language: de\n',
      '_list.yaml': '- interview_language: fr\n',
      '_empty.yaml': '',
      'a.yaml': 'extends: [_syntax.yaml, _dup.yaml, _list.yaml, _empty.yaml]\ninterview_name: A\n',
    });
    expect(sortDiagnostics(result.diagnostics)).toEqual([
      error('_dup.yaml', 3, 1, 'interview_language', 'duplicate key "interview_language": each field may appear only once'),
      error('_empty.yaml', 1, 1, '', 'is empty', 'an interview needs at least interview_name'),
      error('_list.yaml', 1, 1, '', 'must be a mapping of fields, but its top level is a list'),
      error('_syntax.yaml', 3, 1, '', 'YAML syntax: Tabs are not allowed as indentation'),
    ]);
  });

  it('what a fragment holds: an id, an unknown key, a bad value, too many skills, a broken extends of its own', () => {
    const result = load({
      '_id.yaml': 'interview_language: fr\nid: abc\n',
      '_typo.yaml': 'is_procturing_required: false\n',
      '_value.yaml': 'selected_coding_language: cobol\n',
      '_skills.yaml': `skills:\n${'  - name: S\n'.repeat(11)}`,
      '_nested.yaml': 'only_coding_round: true\nextends: _gone.yaml\n',
      'a.yaml': 'extends: _id.yaml\ninterview_name: A\n',
      'b.yaml': 'extends: _typo.yaml\ninterview_name: B\n',
      'c.yaml': 'extends: _value.yaml\ninterview_name: C\n',
      'd.yaml': 'extends: _skills.yaml\ninterview_name: D\n',
      'e.yaml': 'extends: _nested.yaml\ninterview_name: E\n',
    });
    expect(sortDiagnostics(result.diagnostics)).toEqual([
      error('_id.yaml', 2, 1, 'id', 'a fragment cannot pin an id', 'put id in the interview file that extends this fragment'),
      error('_nested.yaml', 2, 10, 'extends', 'fragment "_gone.yaml" does not exist', 'paths in extends are relative to the file that names them'),
      error('_skills.yaml', 2, 3, 'skills', 'has 11 skills; micro1 allows at most 10'),
      error('_typo.yaml', 1, 1, 'is_procturing_required', 'unknown field "is_procturing_required"', 'did you mean "is_proctoring_required"?'),
      error(
        '_value.yaml',
        1,
        27,
        'selected_coding_language',
        '"cobol" is not a valid selected_coding_language: one of user_choice, javascript, cpp, c, csharp, go, java, kotlin, php, python, ruby, rust, swift, typescript',
      ),
    ]);
    expect(result.definitions).toEqual([]);
  });

  it('a wrong value is reported where it was written, in the fragment or in the file, and one does not hide the other', () => {
    const result = load({
      '_q.yaml': 'custom_question_list:\n  - question: Why?\n    time: 9\n    type: audio\n',
      'a.yaml': 'extends: _q.yaml\ninterview_name: A\n',
      'b.yaml': 'extends: _q.yaml\ninterview_name: B\ncustom_question_list:\n  - question: Ok?\n    time: 1\n    type: video\n',
    });
    expect(sortDiagnostics(result.diagnostics)).toEqual([
      error('_q.yaml', 3, 11, 'custom_question_list[0].time', 'time must be at most 4 minutes'),
      // The broken fragment does not hide the file's own mistake.
      error('b.yaml', 6, 11, 'custom_question_list[0].type', '"video" is not a valid type: one of audio, text'),
    ]);
  });

  it('plan prints fragment errors as file:line:col and plans nothing', async () => {
    const root = project({ 'a.yaml': 'interview_name: A\nextends:\n  - _base.yaml\n  - _missing.yaml\n', '_base.yaml': 'interview_language: fr\n' });
    expect(await runCli(['plan'], root)).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'interviews/a.yaml:4:5  extends[1]  fragment "_missing.yaml" does not exist (paths in extends are relative to the file that names them)\n' +
        '1 error, 0 warnings: nothing was planned.\n',
    });
  });
});
