import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { editorSchema } from '../src/definitions/editor-schema.js';
import { loadDefinitions } from '../src/definitions/load-definitions.js';
import { didYouMean } from '../src/suggest.js';
import { fixture } from './helpers.js';

/**
 * The limits micro1 writes only in its field descriptions (openapi.json), each checked at its
 * boundary and just past it. The lists are spelt out here, not imported, so that a wrong edit of
 * the schema's constants fails a test.
 */
const LANGUAGES = [
  'en', 'fr', 'de', 'he', 'hi', 'pt', 'es', 'es-la', 'tr', 'ja', 'sv', 'ar', 'pl', 'dk', 'kr', 'it', 'nl', 'cz',
  'ua', 'ur', 'id', 'en-GB', 'es-MX', 'cn', 'zh-CN', 'zh-TW', 'zh-HK', 'ru', 'bn', 'ms', 'pt-BR', 'vi', 'tl', 'th',
  'afb', 'pt-PT',
];
const CODING = [
  'user_choice', 'javascript', 'cpp', 'c', 'csharp', 'go', 'java', 'kotlin', 'php', 'python', 'ruby', 'rust', 'swift',
  'typescript',
];
const BOOLEANS = ['can_change_interview_language', 'only_coding_round', 'is_coding_round_required', 'is_proctoring_required'];

function load(yaml: string) {
  const root = fixture({ 'interviews/a.yaml': yaml });
  return loadDefinitions({ projectRoot: root, interviewsRoot: path.join(root, 'interviews') });
}

/** Loads one file and expects exactly these diagnostics (file, line, column, path, message, hint). */
function expectErrors(yaml: string, expected: { line: number; column: number; path: string; message: string; hint?: string }[]) {
  const result = load(yaml);
  expect(result.diagnostics).toEqual(expected.map((e) => ({ severity: 'error', file: 'interviews/a.yaml', ...e })));
  expect(result.definitions).toEqual([]);
}

function expectValid(yaml: string) {
  const result = load(yaml);
  expect(result.diagnostics).toEqual([]);
  expect(result.definitions).toHaveLength(1);
  return result.definitions[0]!;
}

const skills = (n: number) => Array.from({ length: n }, (_, i) => `  - name: Skill ${i + 1}\n`).join('');
const questions = (n: number) =>
  Array.from({ length: n }, (_, i) => `  - question: Question ${i + 1}?\n    time: 2\n    type: audio\n`).join('');

describe('skills', () => {
  it('accepts 10 skills', () => {
    expect(expectValid(`interview_name: A\nskills:\n${skills(10)}`).body.skills).toHaveLength(10);
  });

  it('refuses 11 skills', () => {
    expectErrors(`interview_name: A\nskills:\n${skills(11)}`, [
      { line: 3, column: 3, path: 'skills', message: 'has 11 skills; micro1 allows at most 10' },
    ]);
  });

  it('accepts an empty list and a skill without a description', () => {
    expect(expectValid('interview_name: A\nskills: []\n').body.skills).toEqual([]);
    expect(expectValid('interview_name: A\nskills:\n  - name: Go\n').body.skills).toEqual([{ name: 'Go' }]);
  });

  it('requires each skill name, and not an empty one', () => {
    expectErrors('interview_name: A\nskills:\n  - description: Goroutines\n  - name: ""\n  - name: Go\n    description: 7\n', [
      { line: 3, column: 5, path: 'skills[0].name', message: 'skill name is required' },
      { line: 4, column: 11, path: 'skills[1].name', message: 'skill name must not be empty' },
      { line: 6, column: 18, path: 'skills[2].description', message: 'skill description must be text' },
    ]);
  });

  it('refuses skills that are not a list', () => {
    expectErrors('interview_name: A\nskills: React\n', [{ line: 2, column: 9, path: 'skills', message: 'skills must be a list' }]);
  });

  it('refuses skills written as plain names', () => {
    expectErrors('interview_name: A\nskills:\n  - Go\n  - name: Rust\n', [
      { line: 3, column: 5, path: 'skills[0]', message: 'each skill must be a mapping with a name, e.g. "- name: Go"' },
    ]);
  });
});

describe('custom questions', () => {
  it('accepts 20 questions', () => {
    expect(expectValid(`interview_name: A\ncustom_question_list:\n${questions(20)}`).body.custom_question_list).toHaveLength(20);
  });

  it('refuses 21 questions', () => {
    expectErrors(`interview_name: A\ncustom_question_list:\n${questions(21)}`, [
      { line: 3, column: 3, path: 'custom_question_list', message: 'has 21 questions; micro1 allows at most 20' },
    ]);
  });

  it.each([1, 1.5, 4])('accepts a time of %s minutes', (time) => {
    const def = expectValid(`interview_name: A\ncustom_question_list:\n  - question: Why?\n    time: ${time}\n    type: text\n`);
    expect(def.body.custom_question_list).toEqual([{ question: 'Why?', time, type: 'text' }]);
  });

  it.each([
    [0, 'time must be at least 1 minute'],
    [0.99, 'time must be at least 1 minute'],
    [4.01, 'time must be at most 4 minutes'],
    [5, 'time must be at most 4 minutes'],
    [-1, 'time must be at least 1 minute'],
    ['"3"', 'time must be a number of minutes'],
  ])('refuses a time of %s', (time, message) => {
    expectErrors(`interview_name: A\ncustom_question_list:\n  - question: Why?\n    time: ${time}\n    type: text\n`, [
      { line: 4, column: 11, path: 'custom_question_list[0].time', message },
    ]);
  });

  it.each(['audio', 'text'])('accepts type %s', (type) => {
    expectValid(`interview_name: A\ncustom_question_list:\n  - question: Why?\n    time: 2\n    type: ${type}\n`);
  });

  it('refuses any other type and suggests the nearest', () => {
    expectErrors('interview_name: A\ncustom_question_list:\n  - question: Why?\n    time: 2\n    type: video\n  - question: How?\n    time: 2\n    type: Audio\n', [
      { line: 5, column: 11, path: 'custom_question_list[0].type', message: '"video" is not a valid type: one of audio, text' },
      { line: 8, column: 11, path: 'custom_question_list[1].type', message: '"Audio" is not a valid type: one of audio, text', hint: 'did you mean "audio"?' },
    ]);
  });

  it('refuses a question written as plain text', () => {
    expectErrors('interview_name: A\ncustom_question_list:\n  - Why?\n', [
      { line: 3, column: 5, path: 'custom_question_list[0]', message: 'each custom question must be a mapping of question, time and type' },
    ]);
  });

  it('requires question, time and type', () => {
    expectErrors('interview_name: A\ncustom_question_list:\n  - question: "  "\n', [
      { line: 3, column: 15, path: 'custom_question_list[0].question', message: 'question must not be empty' },
      { line: 3, column: 5, path: 'custom_question_list[0].time', message: 'time must be a number of minutes' },
      { line: 3, column: 5, path: 'custom_question_list[0].type', message: 'type must be audio or text' },
    ]);
  });
});

describe('interview_language', () => {
  it('has the 36 documented codes in the JSON Schema', () => {
    const properties = editorSchema('interview', 'test').properties as Record<string, { enum?: string[] }>;
    expect(properties.interview_language?.enum).toEqual(LANGUAGES);
    expect(LANGUAGES).toHaveLength(36);
  });

  it.each(LANGUAGES)('accepts %s', (code) => {
    expect(expectValid(`interview_name: A\ninterview_language: ${code}\n`).body.interview_language).toBe(code);
  });

  it('defaults to en', () => {
    expect(expectValid('interview_name: A\n').body.interview_language).toBe('en');
  });

  it('refuses a code outside the list, suggesting the right spelling', () => {
    expectErrors('interview_name: A\ninterview_language: EN\n', [
      { line: 2, column: 21, path: 'interview_language', message: '"EN" is not a valid interview_language (36 codes; see `micro1 schema`)', hint: 'did you mean "en"?' },
    ]);
  });

  it('refuses a display name the list endpoint would return', () => {
    expectErrors('interview_name: A\ninterview_language: English\n', [
      { line: 2, column: 21, path: 'interview_language', message: '"English" is not a valid interview_language (36 codes; see `micro1 schema`)' },
    ]);
  });
});

describe('selected_coding_language', () => {
  it('has the 14 values of the create enum in the JSON Schema', () => {
    const properties = editorSchema('interview', 'test').properties as Record<string, { enum?: string[] }>;
    expect(properties.selected_coding_language?.enum).toEqual(CODING);
    expect(CODING).toHaveLength(14);
  });

  it.each(CODING)('accepts %s', (value) => {
    expect(expectValid(`interview_name: A\nselected_coding_language: ${value}\n`).body.selected_coding_language).toBe(value);
  });

  it('defaults to user_choice', () => {
    expect(expectValid('interview_name: A\n').body.selected_coding_language).toBe('user_choice');
  });

  it('refuses a value outside the list, listing them all', () => {
    expectErrors('interview_name: A\nselected_coding_language: pyhton\n', [
      {
        line: 2,
        column: 27,
        path: 'selected_coding_language',
        message: `"pyhton" is not a valid selected_coding_language: one of ${CODING.join(', ')}`,
        hint: 'did you mean "python"?',
      },
    ]);
  });

  it('refuses a number with the same sentence', () => {
    expectErrors('interview_name: A\nselected_coding_language: 3\n', [
      { line: 2, column: 27, path: 'selected_coding_language', message: `3 is not a valid selected_coding_language: one of ${CODING.join(', ')}` },
    ]);
  });
});

describe('booleans', () => {
  it.each(BOOLEANS)('%s accepts true and false', (field) => {
    expect(expectValid(`interview_name: A\n${field}: true\n`).body[field as 'only_coding_round']).toBe(true);
    expect(expectValid(`interview_name: A\n${field}: false\n`).body[field as 'only_coding_round']).toBe(false);
  });

  it('fills the documented defaults: proctoring on, everything else off', () => {
    const { body } = expectValid('interview_name: A\n');
    expect([body.is_proctoring_required, body.can_change_interview_language, body.only_coding_round, body.is_coding_round_required]).toEqual([
      true,
      false,
      false,
      false,
    ]);
  });

  it.each(BOOLEANS)('%s refuses text, numbers and YAML 1.1 words', (field) => {
    const column = field.length + 3;
    expectErrors(`interview_name: A\n${field}: "true"\n`, [{ line: 2, column, path: field, message: `${field} must be true or false` }]);
    expectErrors(`interview_name: A\n${field}: 1\n`, [{ line: 2, column, path: field, message: `${field} must be true or false` }]);
    expectErrors(`interview_name: A\n${field}: yes\n`, [
      { line: 2, column, path: field, message: `${field} must be true or false`, hint: 'write true or false; YAML 1.2 reads "yes" as text' },
    ]);
  });
});

describe('interview_name', () => {
  it('is required', () => {
    expectErrors('skills: []\n', [{ line: 1, column: 1, path: 'interview_name', message: 'interview_name is required' }]);
  });

  it.each(['""', '"   "'])('must not be empty (%s)', (value) => {
    expectErrors(`interview_name: ${value}\n`, [{ line: 1, column: 17, path: 'interview_name', message: 'interview_name must not be empty' }]);
  });

  it('must be text', () => {
    expectErrors('interview_name: 12\n', [{ line: 1, column: 17, path: 'interview_name', message: 'interview_name must be text' }]);
  });

  it('accepts one character', () => {
    expect(expectValid('interview_name: A\n').body.interview_name).toBe('A');
  });
});

describe('id', () => {
  const ID_MESSAGE = 'id must be 1–128 letters, digits, ".", "_", "~" or "-", starting with a letter or digit';

  it.each(['a', 'Z9', '3f2b9c4e-8d1a-4f6b-9e2c-7a5d1b8e6f40', 'a.b_c~d-e', 'x'.repeat(128)])('accepts %s', (id) => {
    expect(expectValid(`id: ${id}\ninterview_name: A\n`).id).toBe(id);
  });

  it.each(['x'.repeat(129), '-abc', '.hidden', '_x', 'a/b', '../etc', 'a%2Fb', '"a b"', '""', 'ü'])('refuses %s', (id) => {
    expectErrors(`id: ${id}\ninterview_name: A\n`, [{ line: 1, column: 5, path: 'id', message: ID_MESSAGE }]);
  });

  it('must be text', () => {
    expectErrors('id: 12345\ninterview_name: A\n', [{ line: 1, column: 5, path: 'id', message: 'id must be text' }]);
  });
});

describe('unknown keys', () => {
  it('are errors with a "did you mean" hint at every level', () => {
    expectErrors(
      [
        'interview_name: A',
        'interview_langauge: en',
        'skills:',
        '  - name: Go',
        '    descripton: Goroutines',
        'custom_question_list:',
        '  - question: Why?',
        '    time: 2',
        '    type: text',
        '    tyme: 3',
        'colour: blue',
        '',
      ].join('\n'),
      [
        { line: 5, column: 5, path: 'skills[0].descripton', message: 'unknown field "descripton"', hint: 'did you mean "description"?' },
        { line: 10, column: 5, path: 'custom_question_list[0].tyme', message: 'unknown field "tyme"', hint: 'did you mean "time"?' },
        { line: 2, column: 1, path: 'interview_langauge', message: 'unknown field "interview_langauge"', hint: 'did you mean "interview_language"?' },
        { line: 11, column: 1, path: 'colour', message: 'unknown field "colour"' },
      ],
    );
  });

  it('suggest a case-insensitive match and a unique prefix', () => {
    expectErrors('Interview_Name: A\n', [
      { line: 1, column: 1, path: 'interview_name', message: 'interview_name is required' },
      { line: 1, column: 1, path: 'Interview_Name', message: 'unknown field "Interview_Name"', hint: 'did you mean "interview_name"?' },
    ]);
    expectErrors('interview_name: A\nselected_coding: go\n', [
      { line: 2, column: 1, path: 'selected_coding', message: 'unknown field "selected_coding"', hint: 'did you mean "selected_coding_language"?' },
    ]);
  });
});

describe('didYouMean', () => {
  it('allows about one typo per three characters and no more', () => {
    expect(didYouMean('interview_langauge', ['interview_language', 'skills'])).toBe('interview_language');
    expect(didYouMean('skils', ['skills'])).toBe('skills');
    expect(didYouMean('x', ['interview_language'])).toBeUndefined();
    expect(didYouMean('abc', ['xyz'])).toBeUndefined();
  });

  it('counts a swap of two neighbouring letters as one typo', () => {
    expect(didYouMean('plna', ['plan', 'apply', 'validate', 'schema'])).toBe('plan');
    expect(didYouMean('skilsl', ['skills'])).toBe('skills');
    expect(didYouMean('lpna', ['plan'])).toBeUndefined();
  });
});
