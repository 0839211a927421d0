import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Micro1Error } from '../src/errors.js';
import { emptyState, readState, serializeState, writeState, type State } from '../src/state/state.js';
import { appliedEntry, body, definition, fixture, stateOf } from './helpers.js';

const RESTORE =
  'restore it from git (git checkout -- .micro1/state.json) or from the CI artefact; micro1-sync never overwrites a state file it cannot read';

/** Calls `fn`, expecting a Micro1Error, and returns it. */
function thrown(fn: () => unknown): Micro1Error {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(Micro1Error);
    return error as Micro1Error;
  }
  throw new Error('expected a Micro1Error, but nothing was thrown');
}

function stateFile(content?: string): string {
  const root = fixture(content === undefined ? {} : { '.micro1/state.json': content });
  return path.join(root, '.micro1', 'state.json');
}

function sample(): State {
  const a = definition('eng/a', { interview_name: 'A', skills: [{ name: 'Go', description: 'Goroutines' }] });
  return stateOf(
    { 'eng/a': appliedEntry(a, 'id-a') },
    { pending: [{ key: 'b', interview_name: 'B', spec: body({ interview_name: 'B' }), sourceHash: 'sha256:b', startedAt: '2024-05-01T12:00:00.000Z' }] },
  );
}

describe('readState', () => {
  it('reads a missing file as the empty state', () => {
    expect(readState(stateFile())).toEqual({ version: 1, lineage: '', serial: 0, interviews: {}, pending: [] });
    expect(emptyState()).toEqual({ version: 1, lineage: '', serial: 0, interviews: {}, pending: [] });
  });

  it('reads back what serializeState wrote', () => {
    const state = sample();
    expect(readState(stateFile(serializeState(state)))).toEqual(state);
  });

  it('accepts a state without pending', () => {
    expect(readState(stateFile('{"version":1,"lineage":"l","serial":1,"interviews":{}}')).pending).toEqual([]);
  });

  it('refuses invalid JSON with a clear message and hint, and leaves the file alone', () => {
    const file = stateFile('{"version": 1, "lineage": ');
    const error = thrown(() => readState(file, '.micro1/state.json'));
    expect(error.code).toBe('STATE_INVALID');
    expect(error.message).toMatch(/^The state file \.micro1\/state\.json is not valid JSON \(truncated or hand-edited\?\): \S/);
    expect(error.hint).toBe(RESTORE);
    expect(error.cause).toBeInstanceOf(SyntaxError);
    expect(readFileSync(file, 'utf8')).toBe('{"version": 1, "lineage": ');
  });

  it.each([
    ['[]', '(top level): Invalid input: expected object, received array'],
    ['{"version":1,"serial":0,"interviews":{}}', 'lineage: Invalid input: expected string, received undefined'],
    ['{"version":1,"lineage":"l","serial":-1,"interviews":{}}', 'serial: Too small: expected number to be >=0'],
    ['{"version":1,"lineage":"l","serial":0,"interviews":{"a":{"id":"","spec":{"interview_name":"A"},"sourceHash":"h","appliedAt":"t"}}}', 'interviews.a.id: Too small: expected string to have >=1 characters'],
    ['{"version":1,"lineage":"l","serial":0,"interviews":{},"extra":true}', '(top level): Unrecognized key: "extra"'],
    ['{"version":0,"lineage":"l","serial":0,"interviews":{}}', 'version: Invalid input: expected 1'],
  ])('refuses a wrong shape: %s', (content, detail) => {
    const file = stateFile(content);
    const error = thrown(() => readState(file, '.micro1/state.json'));
    expect(error.code).toBe('STATE_INVALID');
    expect(error.message).toBe(`The state file .micro1/state.json is not a micro1-sync state: ${detail}`);
    expect(error.hint).toBe(RESTORE);
    expect(readFileSync(file, 'utf8')).toBe(content);
  });

  it('refuses a newer version and says to upgrade', () => {
    const content = '{"version":3,"lineage":"l","serial":3,"interviews":{},"somethingNew":[]}';
    const file = stateFile(content);
    const error = thrown(() => readState(file, '.micro1/state.json'));
    expect(error.code).toBe('STATE_TOO_NEW');
    expect(error.message).toBe('The state file .micro1/state.json has version 3, newer than this micro1-sync understands (2)');
    expect(error.hint).toBe('upgrade micro1-sync to the version that wrote it');
    expect(readFileSync(file, 'utf8')).toBe(content);
  });

  it('refuses a state path that is a folder', () => {
    const file = stateFile();
    mkdirSync(file, { recursive: true });
    expect(thrown(() => readState(file, '.micro1/state.json')).code).toBe('STATE_UNREADABLE');
  });
});

describe('serializeState', () => {
  it('sorts keys at every depth, indents by 2 spaces and ends with a newline', () => {
    const state: State = {
      version: 1,
      serial: 2,
      lineage: 'l',
      pending: [],
      interviews: {
        'z/last': {
          sourceHash: 'h',
          id: 'z',
          appliedAt: 't',
          spec: body({ interview_name: 'Z', skills: [{ name: 'Go', description: 'G' }] }),
        },
        a: { spec: body({ interview_name: 'A' }), id: 'a', sourceHash: 'h2', appliedAt: 't2', sources: { 'y.yaml': '2', 'x.yaml': '1' } },
      },
    };
    const spec = (name: string, skills: string) =>
      [
        '      "spec": {',
        '        "can_change_interview_language": false,',
        '        "coding_exercise_details": "",',
        '        "custom_question_list": [],',
        '        "interview_language": "en",',
        `        "interview_name": "${name}",`,
        '        "is_coding_round_required": false,',
        '        "is_proctoring_required": true,',
        '        "only_coding_round": false,',
        '        "selected_coding_language": "user_choice",',
        `        "skills": ${skills}`,
        '      }',
      ].join('\n');
    expect(serializeState(state)).toBe(
      [
        '{',
        '  "interviews": {',
        '    "a": {',
        '      "appliedAt": "t2",',
        '      "id": "a",',
        '      "sourceHash": "h2",',
        '      "sources": {',
        '        "x.yaml": "1",',
        '        "y.yaml": "2"',
        '      },',
        spec('A', '[]'),
        '    },',
        '    "z/last": {',
        '      "appliedAt": "t",',
        '      "id": "z",',
        '      "sourceHash": "h",',
        spec('Z', '[\n          {\n            "description": "G",\n            "name": "Go"\n          }\n        ]'),
        '    }',
        '  },',
        '  "lineage": "l",',
        '  "pending": [],',
        '  "serial": 2,',
        '  "version": 1',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('is stable: the same state always gives the same bytes', () => {
    const state = sample();
    const shuffled = JSON.parse(JSON.stringify({ pending: state.pending, interviews: state.interviews, serial: 7, lineage: state.lineage, version: 1 })) as State;
    expect(serializeState(shuffled)).toBe(serializeState(state));
  });
});

describe('writeState', () => {
  it('increments serial, sets lineage once, and leaves no temp file', () => {
    const file = stateFile();
    const first = writeState(file, emptyState());
    expect(first.serial).toBe(1);
    expect(first.lineage).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(readFileSync(file, 'utf8')).toBe(serializeState(first));
    expect(readState(file)).toEqual(first);

    const second = writeState(file, { ...first, interviews: sample().interviews });
    expect(second.serial).toBe(2);
    expect(second.lineage).toBe(first.lineage);
    expect(readState(file)).toEqual(second);
    expect(readdirSync(path.dirname(file))).toEqual(['state.json']);
  });

  it('does not change the state it was given', () => {
    const file = stateFile();
    const state = emptyState();
    writeState(file, state);
    expect(state).toEqual(emptyState());
  });

  it('creates the folder and replaces a previous file whole', () => {
    const root = fixture({});
    const file = path.join(root, 'deep', 'er', 'state.json');
    writeState(file, sample());
    writeFileSync(file, serializeState(sample()) + '\n\n');
    const next = writeState(file, readState(file));
    expect(readFileSync(file, 'utf8')).toBe(serializeState(next));
    expect(readdirSync(path.dirname(file))).toEqual(['state.json']);
  });
});

describe('serializeState with an entry cache', () => {
  it('writes the same bytes as without one, on the first write and after entries change', () => {
    const a = definition('eng/a', { interview_name: 'A "quoted"\nline', skills: [{ name: 'Go', description: 'Goroutines' }] });
    const b = definition('__proto__', { interview_name: 'B' });
    const state = stateOf({ 'eng/a': appliedEntry(a, 'id-a'), __proto__: appliedEntry(b, 'id-b'), 'Z/upper': { ...appliedEntry(b, 'id-z'), unseen: ['coding_exercise_details'] } }, sample());
    const cache = new WeakMap();
    expect(serializeState(state, cache)).toBe(serializeState(state));
    expect(serializeState(state, cache)).toBe(serializeState(state));
    const changed = { ...state, interviews: { ...state.interviews, 'eng/a': appliedEntry(a, 'id-a2') } };
    expect(serializeState(changed, cache)).toBe(serializeState(changed));
    for (const empty of [emptyState(), { ...state, interviews: {} }, { ...state, pending: [] }]) expect(serializeState(empty, cache)).toBe(serializeState(empty));
  });
});
