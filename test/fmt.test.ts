import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { definitionYaml, formatDefinitionText } from '../src/definitions/canonical-yaml.js';
import { loadDefinitions } from '../src/definitions/load-definitions.js';
import { fixture, runCli } from './helpers.js';

/** `micro1 fmt`: canonical key order and style, comments kept, idempotent, errors reported and left alone. */

function formatted(text: string): string {
  const result = formatDefinitionText(text);
  if (!result.ok) throw new Error(`not formatted: ${result.reason}`);
  return result.text;
}

const MESSY = `# yaml-language-server: $schema=../micro1.schema.json
# Backend interview, owned by the platform team.

interview_name: Backend Engineer   # what candidates see
# Keep these in sync with the job ad.
skills:
  # the main one
  - description: services and tooling
    name: Go
  - {name: PostgreSQL}
is_proctoring_required: false
custom_question_list:
  - type: audio
    question: Tell us about an incident you handled.
    time: 3 # minutes
id: 3f2b9c4e-8d1a-4f6b-9e2c-7a5d1b8e6f40
extends: [_shared/backend.yaml]
# Go only.
selected_coding_language: go
coding_exercise_details: |
  Build a rate limiter.
  Keep it small.
# end of file
`;

const CANONICAL = `# yaml-language-server: $schema=../micro1.schema.json
# Backend interview, owned by the platform team.

id: 3f2b9c4e-8d1a-4f6b-9e2c-7a5d1b8e6f40
extends:
  - _shared/backend.yaml
interview_name: Backend Engineer # what candidates see
# Keep these in sync with the job ad.
skills:
  # the main one
  - name: Go
    description: services and tooling
  - name: PostgreSQL
custom_question_list:
  - question: Tell us about an incident you handled.
    time: 3 # minutes
    type: audio
# Go only.
selected_coding_language: go
coding_exercise_details: |
  Build a rate limiter.
  Keep it small.
is_proctoring_required: false

# end of file
`;

describe('formatDefinitionText', () => {
  it('puts keys in canonical order, lists and items in block style, and keeps every comment with its key', () => {
    expect(formatted(MESSY)).toBe(CANONICAL);
  });

  it('is idempotent and leaves a canonical file byte for byte as it is', () => {
    expect(formatted(CANONICAL)).toBe(CANONICAL);
    expect(formatted(formatted(MESSY))).toBe(formatted(MESSY));
  });

  it('keeps the meaning: the formatted file parses to the same value', () => {
    expect(parse(formatted(MESSY))).toEqual(parse(MESSY));
  });

  it('keeps a comment above the first key on top when that key moves down', () => {
    expect(formatted('# About this interview\ninterview_name: X\nid: abc\n')).toBe('# About this interview\n\nid: abc\ninterview_name: X\n');
    // When the first key stays first, nothing moves.
    expect(formatted('# The name\ninterview_name: X\nskills: []\n')).toBe('# The name\ninterview_name: X\nskills: []\n');
  });

  it('keeps keys it does not know after the known ones, in their order (validation reports them, fmt keeps them)', () => {
    expect(formatted('zeta: 1\ninterview_name: X\nalpha: 2\nid: a\n')).toBe('id: a\ninterview_name: X\nzeta: 1\nalpha: 2\n');
  });

  it('drops a leading blank line and a byte-order mark, and writes LF line ends', () => {
    expect(formatted('\uFEFFinterview_language: fr\r\n\r\ninterview_name: X\r\n')).toBe('interview_name: X\ninterview_language: fr\n');
  });

  it('never folds a long line', () => {
    const long = `interview_name: X\ncustom_question_list:\n  - question: ${'word '.repeat(40).trim()}\n    time: 2\n    type: text\n`;
    expect(formatted(long)).toBe(long);
  });

  it('refuses, rather than breaks, a file whose aliases would come before their anchors', () => {
    expect(formatDefinitionText('interview_name: &n Backend\nid: *n\n')).toEqual({
      ok: false,
      reason: 'reordering it would change what it means (YAML anchors and aliases?); format it by hand',
    });
    // Aliases that stay after their anchors are fine.
    expect(formatted('interview_name: &n Backend\nskills:\n  - name: *n\n')).toBe('interview_name: &n Backend\nskills:\n  - name: *n\n');
  });

  it('refuses what is not one YAML mapping', () => {
    expect(formatDefinitionText('- a\n')).toEqual({ ok: false, reason: 'its top level is not a mapping of fields' });
    expect(formatDefinitionText('a: [\n')).toMatchObject({ ok: false, reason: expect.stringMatching(/^YAML syntax: /) as unknown });
  });

  it('writes what import writes, already formatted, for any definition (property)', () => {
    const text = fc.string({ minLength: 1, maxLength: 40 });
    const definition = fc.record(
      {
        id: fc.constantFrom('abc-1', '3f2b9c4e-8d1a-4f6b-9e2c-7a5d1b8e6f40'),
        interview_name: text,
        skills: fc.array(fc.record({ name: text, description: text }, { requiredKeys: ['name'] }), { maxLength: 3 }),
        custom_question_list: fc.array(fc.record({ question: text, time: fc.constantFrom(1, 1.5, 4), type: fc.constantFrom('audio', 'text') }), { maxLength: 3 }),
        interview_language: fc.constantFrom('fr', 'yes', 'en-GB', '123'),
        only_coding_round: fc.boolean(),
      },
      { requiredKeys: ['interview_name'] },
    );
    fc.assert(
      fc.property(definition, fc.option(text, { nil: undefined }), (fields, header) => {
        const written = definitionYaml(fields, header?.replace(/[\r\n]/g, ' '));
        expect(parse(written)).toEqual(JSON.parse(JSON.stringify(fields)));
        expect(formatted(written)).toBe(written);
      }),
      { numRuns: 300 },
    );
  });
});

describe('micro1 fmt', () => {
  const files = {
    'interviews/eng/backend.yaml': MESSY.replace('extends: [_shared/backend.yaml]\n', 'extends: [../_shared/backend.yaml]\n'),
    'interviews/_shared/backend.yaml': '# shared by every backend interview\nis_coding_round_required: true\ninterview_language: fr # French\n',
    'interviews/sales/ae.yaml': 'interview_name: Account Executive\ninterview_language: de\n',
  };

  it('rewrites definitions and fragments in place, then finds nothing more to do', async () => {
    const root = fixture(files);
    const before = loadDefinitions({ projectRoot: root, interviewsRoot: path.join(root, 'interviews') }).definitions;
    expect(await runCli(['fmt'], root)).toEqual({
      code: 0,
      stdout: 'formatted interviews/_shared/backend.yaml\nformatted interviews/eng/backend.yaml\nFormatted 2 files; 1 already formatted.\n',
      stderr: '',
    });
    expect(readFileSync(path.join(root, 'interviews/_shared/backend.yaml'), 'utf8')).toBe(
      // The comment above what was the first key is the file's header: it stays on top.
      '# shared by every backend interview\n\ninterview_language: fr # French\nis_coding_round_required: true\n',
    );
    expect(readFileSync(path.join(root, 'interviews/eng/backend.yaml'), 'utf8')).toBe(CANONICAL.replace('  - _shared/backend.yaml\n', '  - ../_shared/backend.yaml\n'));
    // Same meaning: every definition has the same body.
    const after = loadDefinitions({ projectRoot: root, interviewsRoot: path.join(root, 'interviews') }).definitions;
    expect(after.map((d) => d.body)).toEqual(before.map((d) => d.body));
    expect(await runCli(['fmt'], root)).toEqual({ code: 0, stdout: '3 files already formatted.\n', stderr: '' });
  });

  it('--check lists the files that would change, exits 1 and writes nothing', async () => {
    const root = fixture(files);
    const file = path.join(root, 'interviews/eng/backend.yaml');
    const mtime = statSync(file).mtimeMs;
    expect(await runCli(['fmt', '--check'], root)).toEqual({
      code: 1,
      stdout:
        'would reformat interviews/_shared/backend.yaml\nwould reformat interviews/eng/backend.yaml\n' +
        '2 files would be reformatted (run `micro1 fmt`); 1 already formatted.\n',
      stderr: '',
    });
    expect(readFileSync(file, 'utf8')).toBe(files['interviews/eng/backend.yaml']);
    expect(statSync(file).mtimeMs).toBe(mtime);
    await runCli(['fmt'], root);
    expect(await runCli(['fmt', '--check'], root)).toEqual({ code: 0, stdout: '3 files already formatted.\n', stderr: '' });
  });

  it('reports files with errors, leaves them as they are, and formats the rest', async () => {
    const broken = {
      'interviews/syntax.yaml': 'skills:\n\t- name: Go\ninterview_name: S\n',
      'interviews/unknown.yaml': 'interview_langauge: fr\ninterview_name: U\n',
      'interviews/_unused.yaml': 'a: [\n',
      'interviews/ok.yaml': 'interview_language: fr\ninterview_name: OK\n',
    };
    const root = fixture(broken);
    expect(await runCli(['fmt'], root)).toEqual({
      code: 1,
      stdout: 'formatted interviews/ok.yaml\nFormatted 1 file; 0 already formatted. 3 files with errors left as they are.\n',
      stderr: [
        'interviews/_unused.yaml:2:1  YAML syntax: Flow sequence in block collection must be sufficiently indented and end with a ]',
        'interviews/syntax.yaml:2:1  YAML syntax: Tabs are not allowed as indentation',
        'interviews/unknown.yaml:1:1  interview_langauge  unknown field "interview_langauge" (did you mean "interview_language"?)',
        '',
      ].join('\n'),
    });
    for (const name of ['syntax', 'unknown', '_unused']) expect(readFileSync(path.join(root, `interviews/${name}.yaml`), 'utf8')).toBe(broken[`interviews/${name}.yaml` as keyof typeof broken]);
    expect(readFileSync(path.join(root, 'interviews/ok.yaml'), 'utf8')).toBe('interview_name: OK\ninterview_language: fr\n');
  });

  it('reports a file it cannot reorder safely, at line 1, and leaves it', async () => {
    const root = fixture({ 'interviews/a.yaml': 'interview_name: &n Backend\nid: *n\n' });
    expect(await runCli(['fmt', '--check'], root)).toEqual({
      code: 1,
      stdout: '0 files already formatted. 1 file with errors left as it is.\n',
      stderr: 'interviews/a.yaml:1:1  not formatted: reordering it would change what it means (YAML anchors and aliases?); format it by hand\n',
    });
  });

  it('keeps the next plan a no-op: formatting changes bytes, never bodies', async () => {
    const root = fixture({ 'interviews/a.yaml': 'skills: [{name: Go}]\ninterview_name: A\n' });
    const { definitions } = loadDefinitions({ projectRoot: root, interviewsRoot: path.join(root, 'interviews') });
    writeFileSync(
      path.join(root, 'state.json'),
      JSON.stringify({ version: 1, lineage: 'l', serial: 1, pending: [], interviews: { a: { id: 'id-a', spec: definitions[0]!.body, sourceHash: definitions[0]!.sourceHash, appliedAt: '2024-05-01T12:00:00.000Z' } } }),
    );
    writeFileSync(path.join(root, 'micro1.config.json'), JSON.stringify({ state: 'state.json' }));
    await runCli(['fmt'], root);
    expect(readFileSync(path.join(root, 'interviews/a.yaml'), 'utf8')).toBe('interview_name: A\nskills:\n  - name: Go\n');
    expect(await runCli(['plan', '--detailed-exitcode'], root)).toEqual({ code: 0, stdout: 'Target: https://public.api.micro1.ai\n\nNo changes. 1 interview already matches micro1.\n', stderr: '' });
  });
});
