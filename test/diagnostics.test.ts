import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { countLine, formatDiagnostic, sortDiagnostics, type Diagnostic } from '../src/diagnostics.js';
import { loadDefinitions } from '../src/definitions/load-definitions.js';
import { parseYamlSource } from '../src/definitions/yaml-file.js';
import { fixture, runCli } from './helpers.js';

/** Every diagnostic the loader gives, with its exact file, line, column, field path and message. */

function load(files: Record<string, string | Buffer>) {
  const root = fixture(Object.fromEntries(Object.entries(files).map(([f, c]) => [`interviews/${f}`, c])));
  return loadDefinitions({ projectRoot: root, interviewsRoot: path.join(root, 'interviews') });
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

describe('YAML files', () => {
  it('reports a syntax error where it is', () => {
    const result = load({ 'a.yaml': 'interview_name: A\nskills:\n\t- name: Go\n' });
    expect(result.diagnostics).toEqual([error('a.yaml', 3, 1, '', 'YAML syntax: Tabs are not allowed as indentation')]);
    expect(result.definitions).toEqual([]);
  });

  it('reports an unclosed quote', () => {
    expect(load({ 'a.yaml': 'interview_name: "A\n' }).diagnostics).toEqual([error('a.yaml', 2, 1, '', 'YAML syntax: Missing closing "quote')]);
  });

  it('reports a duplicate key by its name and path, at the second occurrence', () => {
    const result = load({
      'a.yaml': 'interview_name: A\nskills:\n  - name: Go\n    name: Rust\ninterview_name: B\n',
      'b.yaml': 'interview_name: B\nskills: [{name: a, name: b}]\n',
    });
    expect(result.diagnostics).toEqual([
      error('a.yaml', 4, 5, 'skills[0].name', 'duplicate key "name": each field may appear only once'),
      error('a.yaml', 5, 1, 'interview_name', 'duplicate key "interview_name": each field may appear only once'),
      error('b.yaml', 2, 20, 'skills[0].name', 'duplicate key "name": each field may appear only once'),
    ]);
    expect(result.definitions).toEqual([]);
  });

  it.each([
    ['an empty file', ''],
    ['only a comment', '# nothing here yet\n'],
    ['only whitespace', '\n\n   \n'],
  ])('refuses %s', (_name, content) => {
    expect(load({ 'a.yaml': content }).diagnostics).toEqual([error('a.yaml', 1, 1, '', 'is empty', 'an interview needs at least interview_name')]);
  });

  it('refuses a file whose root is not a mapping', () => {
    expect(load({ 'a.yaml': '- interview_name: A\n', 'b.yaml': '# a comment\nInterview A\n', 'c.yaml': '~\n' }).diagnostics).toEqual([
      error('a.yaml', 1, 1, '', 'must be a mapping of fields, but its top level is a list'),
      error('b.yaml', 2, 1, '', 'must be a mapping of fields, but its top level is a single value'),
      error('c.yaml', 1, 1, '', 'must be a mapping of fields, but its top level is a single value'),
    ]);
  });

  it('refuses more than one document, pointing at the second', () => {
    expect(load({ 'a.yaml': 'interview_name: A\n---\ninterview_name: B\n' }).diagnostics).toEqual([
      error('a.yaml', 2, 1, '', 'holds more than one YAML document', 'keep one interview per file'),
    ]);
  });

  it('accepts one document with a leading --- marker', () => {
    const result = load({ 'a.yaml': '---\ninterview_name: A\n' });
    expect(result.diagnostics).toEqual([]);
    expect(result.definitions.map((d) => d.body.interview_name)).toEqual(['A']);
  });

  it('accepts a UTF-8 byte-order mark and counts columns from the first real character', () => {
    const ok = load({ 'a.yaml': '\uFEFFinterview_name: A\n' });
    expect(ok.diagnostics).toEqual([]);
    expect(ok.definitions[0]!.body.interview_name).toBe('A');
    expect(load({ 'a.yaml': '\uFEFFinterview_name: 12\n' }).diagnostics).toEqual([error('a.yaml', 1, 17, 'interview_name', 'interview_name must be text')]);
  });

  it('accepts CRLF line endings, with the same lines and columns as LF', () => {
    const crlf = load({ 'a.yaml': 'interview_name: A\r\nskills:\r\n  - name: Go\r\n    description: Goroutines\r\n' });
    expect(crlf.diagnostics).toEqual([]);
    expect(crlf.definitions[0]!.body.skills).toEqual([{ name: 'Go', description: 'Goroutines' }]);
    expect(load({ 'a.yaml': 'interview_name: A\r\nskills:\r\n  - name: Go\r\n    level: 3\r\n' }).diagnostics).toEqual([
      error('a.yaml', 4, 5, 'skills[0].level', 'unknown field "level"'),
    ]);
  });

  it('refuses a file that is not UTF-8, pointing at the first bad byte', () => {
    const latin1 = Buffer.from('interview_name: A\nskills:\n  - name: Café\n', 'latin1');
    expect(load({ 'a.yaml': latin1 }).diagnostics).toEqual([error('a.yaml', 3, 14, '', 'is not valid UTF-8', 'save the file as UTF-8')]);
  });

  it('refuses a binary file', () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d]);
    expect(load({ 'a.yaml': png, 'b.yaml': Buffer.from('interview_name: A\nskills: \0\n') }).diagnostics).toEqual([
      error('a.yaml', 3, 1, '', 'is a binary file (it contains a NUL byte), not YAML text'),
      error('b.yaml', 2, 9, '', 'is a binary file (it contains a NUL byte), not YAML text'),
    ]);
  });

  it('accepts a file of exactly 1 MiB and refuses one byte more', () => {
    const head = 'interview_name: A\n#';
    const exact = head + 'x'.repeat(1024 * 1024 - head.length);
    expect(Buffer.byteLength(exact)).toBe(1_048_576);
    expect(load({ 'a.yaml': exact }).diagnostics).toEqual([]);
    expect(load({ 'a.yaml': `${exact}x` }).diagnostics).toEqual([
      error(
        'a.yaml',
        1,
        1,
        '',
        'is 1048577 bytes; a definition may be at most 1048576 bytes (1 MiB)',
        'an interview definition is a few kilobytes: check that this is the right file',
      ),
    ]);
  });

  it('refuses an alias bomb without expanding it', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i <= 9; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
    lines.push('interview_name: A', '');
    expect(load({ 'a.yaml': lines.join('\n') }).diagnostics).toEqual([
      error('a.yaml', 2, 10, '', 'expands aliases too many times (limit 100): refused as an alias bomb'),
    ]);
  });

  it('refuses deep nesting before parsing it, flow or block, however deep', () => {
    // 1,000 levels already overflow yaml's recursive composer; 20,000 is far past it.
    const flow = `interview_name: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`;
    const block = `interview_name: A\nskills:\n${'- '.repeat(20_000)}x\n`;
    expect(load({ 'a.yaml': flow, 'b.yaml': block }).diagnostics).toEqual([
      error('a.yaml', 1, 80, '', 'is nested more than 64 levels deep', 'an interview definition nests 3 levels at most'),
      error('b.yaml', 3, 127, '', 'is nested more than 64 levels deep', 'an interview definition nests 3 levels at most'),
    ]);
  });

  it('points at the first place nesting goes too deep', () => {
    const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
    const text = `interview_name: A\nskills: ${deep(70)}\ncustom_question_list: ${deep(80)}\n`;
    expect(load({ 'a.yaml': text }).diagnostics).toEqual([
      error('a.yaml', 2, 72, '', 'is nested more than 64 levels deep', 'an interview definition nests 3 levels at most'),
    ]);
  });

  it('accepts nesting up to the limit', () => {
    const nested = `coding_exercise_details: x\ninterview_name: A\nskills: ${'['.repeat(63)}${']'.repeat(63)}\n`;
    // 63 lists deep parses; the schema, not the parser, refuses it.
    expect(load({ 'a.yaml': nested }).diagnostics).toEqual([
      error('a.yaml', 3, 10, 'skills[0]', 'each skill must be a mapping with a name, e.g. "- name: Go"'),
    ]);
  });

  it('reads a few harmless aliases', () => {
    const result = load({ 'a.yaml': 'interview_name: &name A\ncoding_exercise_details: *name\n' });
    expect(result.diagnostics).toEqual([]);
    expect(result.definitions[0]!.body.coding_exercise_details).toBe('A');
  });

  it('parseYamlSource names the file it was given', () => {
    expect(parseYamlSource('x/y.yml', Buffer.from('')).diagnostics[0]!.file).toBe('x/y.yml');
  });
});

describe('across files', () => {
  it('refuses two files that pin the same id, reporting both and planning neither', () => {
    const result = load({
      'a.yaml': 'id: abc-123\ninterview_name: A\n',
      'team/b.yaml': 'interview_name: B\nid: abc-123\n',
      'c.yaml': 'id: other\ninterview_name: C\n',
    });
    expect(result.diagnostics).toEqual([
      error('a.yaml', 1, 5, 'id', 'id "abc-123" is also pinned by interviews/team/b.yaml', 'one micro1 interview can be managed by one file only'),
      error('team/b.yaml', 2, 5, 'id', 'id "abc-123" is also pinned by interviews/a.yaml', 'one micro1 interview can be managed by one file only'),
    ]);
    expect(result.definitions.map((d) => d.key)).toEqual(['c']);
  });

  it('refuses a.yaml and a.yml, which would share the key "a"', () => {
    const result = load({ 'a.yaml': 'interview_name: A\n', 'a.yml': 'interview_name: A2\n' });
    expect(result.diagnostics).toEqual([error('a.yml', 1, 1, '', 'defines the same key "a" as interviews/a.yaml', 'keep one of the two files')]);
  });

  it('reports every problem in every file at once', () => {
    const result = load({
      'a.yaml': 'interview_name: ""\nskills: 3\n',
      'b.yaml': 'interview_name: B\ninterview_language: xx\n',
      'c.yaml': 'interview_name: C\n',
    });
    expect(result.diagnostics).toEqual([
      error('a.yaml', 1, 17, 'interview_name', 'interview_name must not be empty'),
      error('a.yaml', 2, 9, 'skills', 'skills must be a list'),
      error('b.yaml', 2, 21, 'interview_language', '"xx" is not a valid interview_language (36 codes; see `micro1 schema`)'),
    ]);
    expect(result.definitions.map((d) => d.key)).toEqual(['c']);
  });

  it('gives every file its key and project-relative path, fragments excluded', () => {
    const result = load({
      'engineering/frontend-senior.yaml': 'interview_name: F\n',
      'sales/ae.yml': 'interview_name: S\n',
      '_shared/base.yaml': 'is_proctoring_required: false\n',
      'team/_drafts/wip.yaml': 'interview_name: W\n',
      'notes.txt': 'not yaml',
    });
    expect(result.diagnostics).toEqual([]);
    expect(result.definitions.map((d) => [d.key, d.file])).toEqual([
      ['engineering/frontend-senior', 'interviews/engineering/frontend-senior.yaml'],
      ['sales/ae', 'interviews/sales/ae.yml'],
    ]);
  });
});

describe('fragments', () => {
  it('merge beneath the file: mappings merge, lists replace, the file wins', () => {
    const result = load({
      '_base.yaml': 'is_proctoring_required: false\ninterview_language: fr\nskills:\n  - name: Base\n',
      'a.yaml': 'extends: _base.yaml\ninterview_name: A\nskills:\n  - name: Own\ninterview_language: de\n',
    });
    expect(result.diagnostics).toEqual([]);
    const [def] = result.definitions;
    expect(def!.body).toMatchObject({ is_proctoring_required: false, interview_language: 'de', skills: [{ name: 'Own' }] });
    expect(def!.fragments).toEqual(['interviews/_base.yaml']);
    expect(Object.keys(def!.sources)).toEqual(['interviews/a.yaml', 'interviews/_base.yaml']);
  });

  it('report a problem in the fragment at the fragment, once, however many files use it', () => {
    const result = load({
      '_base.yaml': 'interview_language: xx\nbogus: 1\nid: abc\n',
      'a.yaml': 'extends: _base.yaml\ninterview_name: A\n',
      'b.yaml': 'extends: [_base.yaml]\ninterview_name: B\n',
    });
    expect(sortDiagnostics(result.diagnostics)).toEqual([
      error('_base.yaml', 1, 21, 'interview_language', '"xx" is not a valid interview_language (36 codes; see `micro1 schema`)'),
      error('_base.yaml', 2, 1, 'bogus', 'unknown field "bogus"'),
      error('_base.yaml', 3, 1, 'id', 'a fragment cannot pin an id', 'put id in the interview file that extends this fragment'),
    ]);
  });

  it('report a value a fragment provides at the fragment', () => {
    const result = load({
      '_base.yaml': `skills:\n${'  - name: S\n'.repeat(11)}`,
      'a.yaml': 'extends: _base.yaml\ninterview_name: A\n',
    });
    expect(result.diagnostics).toEqual([error('_base.yaml', 2, 3, 'skills', 'has 11 skills; micro1 allows at most 10')]);
  });

  it('refuse a missing fragment, an interview used as one, a path outside the root and a cycle', () => {
    const result = load({
      'a.yaml': 'extends: _missing.yaml\ninterview_name: A\n',
      'b.yaml': 'extends: [c.yaml]\ninterview_name: B\n',
      'c.yaml': 'extends: ../../_up.yaml\ninterview_name: C\n',
      '_x.yaml': 'extends: _y.yaml\n',
      '_y.yaml': 'extends: _x.yaml\n',
      'd.yaml': 'extends: _x.yaml\ninterview_name: D\n',
      'e.yaml': 'extends: []\ninterview_name: E\n',
    });
    expect(sortDiagnostics(result.diagnostics)).toEqual([
      error('_y.yaml', 1, 10, 'extends', 'extends cycle: interviews/_x.yaml → interviews/_y.yaml → interviews/_x.yaml', 'remove one of the extends entries'),
      error('a.yaml', 1, 10, 'extends', 'fragment "_missing.yaml" does not exist', 'paths in extends are relative to the file that names them'),
      error('b.yaml', 1, 11, 'extends[0]', '"c.yaml" is an interview, not a fragment', 'fragments are files or folders whose name starts with "_"'),
      error('c.yaml', 1, 10, 'extends', '"../../_up.yaml" points outside the interviews folder', 'fragments must live under the interviews root'),
      error('e.yaml', 1, 10, 'extends', 'extends must not be an empty list'),
    ]);
    expect(result.definitions).toEqual([]);
  });
});

describe('printing', () => {
  it('formats a diagnostic as file:line:col  path  message (hint)', () => {
    expect(formatDiagnostic(error('a.yaml', 2, 1, 'interview_langauge', 'unknown field "interview_langauge"', 'did you mean "interview_language"?'))).toBe(
      'interviews/a.yaml:2:1  interview_langauge  unknown field "interview_langauge" (did you mean "interview_language"?)',
    );
    expect(formatDiagnostic(error('a.yaml', 1, 1, '', 'is empty'))).toBe('interviews/a.yaml:1:1  is empty');
    expect(formatDiagnostic({ ...error('a.yaml', 1, 1, '', 'odd'), severity: 'warning' })).toBe('interviews/a.yaml:1:1  warning: odd');
  });

  it('sorts by file, line, column, path and message, and counts errors and warnings', () => {
    const a = error('b.yaml', 1, 1, '', 'x');
    const b = error('a.yaml', 10, 1, '', 'x');
    const c = error('a.yaml', 9, 5, 'z', 'x');
    const d = error('a.yaml', 9, 5, 'y', 'x');
    const w = { ...error('a.yaml', 9, 5, 'y', 'w'), severity: 'warning' as const };
    expect(sortDiagnostics([a, b, c, d, w])).toEqual([w, d, c, b, a]);
    expect(countLine([a, b, w])).toBe('2 errors, 1 warning');
    expect(countLine([a])).toBe('1 error, 0 warnings');
  });

  it('plan prints every diagnostic sorted, then the count, and plans nothing', async () => {
    const root = fixture({
      'interviews/z.yaml': 'interview_name: Z\nonly_coding_round: yes\n',
      'interviews/a.yaml': 'skills:\n  - nam: Go\n',
      'interviews/m.yaml': '',
      'interviews/ok.yaml': 'interview_name: OK\n',
    });
    const result = await runCli(['plan'], root);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      [
        'interviews/a.yaml:1:1  interview_name  interview_name is required',
        'interviews/a.yaml:2:5  skills[0].nam  unknown field "nam" (did you mean "name"?)',
        'interviews/a.yaml:2:5  skills[0].name  skill name is required',
        'interviews/m.yaml:1:1  is empty (an interview needs at least interview_name)',
        'interviews/z.yaml:2:20  only_coding_round  only_coding_round must be true or false (write true or false; YAML 1.2 reads "yes" as text)',
        '5 errors, 0 warnings: nothing was planned.',
        '',
      ].join('\n'),
    );
  });
});
