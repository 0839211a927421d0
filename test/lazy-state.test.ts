import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Micro1Error } from '../src/errors.js';
import { BodyScanner } from '../src/lazy-state.js';
import { loadDefinitions } from '../src/load-definitions.js';
import { plan } from '../src/planner.js';
import { readState, serializeState, type State } from '../src/state.js';
import { appliedEntry, body, definition, fixture, stateOf } from './helpers.js';

/** Reading a written state parses each spec only when something reads it, and changes nothing else. */

function sample(): State {
  const a = definition('eng/a', { interview_name: 'A "quoted" \\ é', skills: [{ name: 'Go', description: 'Goroutines\nand channels' }] });
  const b = definition('eng/b', { interview_name: 'B', custom_question_list: [{ question: 'Why?', time: 3, type: 'audio' }] });
  return stateOf(
    { 'eng/a': appliedEntry(a, 'id-a'), 'eng/b': appliedEntry(b, 'id-b') },
    { pending: [{ key: 'c', interview_name: 'C', spec: body({ interview_name: 'C' }), sourceHash: 'sha256:c', startedAt: '2024-05-01T12:00:00.000Z' }] },
  );
}

function stateFile(content: string): string {
  return path.join(fixture({ '.micro1/state.json': content }), '.micro1', 'state.json');
}

/** Whether `holder.spec` has not been parsed yet. */
const unread = (holder: object) => Object.getOwnPropertyDescriptor(holder, 'spec')?.get !== undefined;

function invalid(content: string): Micro1Error {
  try {
    readState(stateFile(content), '.micro1/state.json');
  } catch (error) {
    expect(error).toBeInstanceOf(Micro1Error);
    return error as Micro1Error;
  }
  throw new Error('expected STATE_INVALID');
}

describe('reading a state micro1-sync wrote', () => {
  it('leaves every spec unread until asked, and then gives what JSON.parse gives', () => {
    const text = serializeState(sample());
    const state = readState(stateFile(text));
    expect([...Object.values(state.interviews), ...state.pending].every(unread)).toBe(true);
    expect(state).toEqual(JSON.parse(text));
    expect(serializeState(state)).toBe(text);
  });

  it('reads a spec once, and a spec assigned before it was read is the one kept', () => {
    const state = readState(stateFile(serializeState(sample())));
    const a = state.interviews['eng/a']!;
    expect(a.spec).toBe(a.spec);
    expect(unread(a)).toBe(false);
    const b = state.interviews['eng/b']!;
    b.spec = body({ interview_name: 'replaced' });
    expect(b.spec.interview_name).toBe('replaced');
  });

  it.each([
    ['compact JSON', (s: State) => JSON.stringify(s)],
    ['4-space indent', (s: State) => JSON.stringify(s, null, 4)],
    ['tabs', (s: State) => JSON.stringify(s, null, '\t')],
  ])('reads a state in another layout (%s) the ordinary way, to the same value', (_name, write) => {
    const text = write(sample());
    const state = readState(stateFile(text));
    expect(Object.values(state.interviews).some(unread)).toBe(false);
    expect(state).toEqual(JSON.parse(text));
  });

  it.each([
    ['a missing comma inside a spec', (t: string) => t.replace('"can_change_interview_language": false,', '"can_change_interview_language": false')],
    ['a merge conflict inside a spec', (t: string) => t.replace('        "interview_language": "en",\n', '<<<<<<< HEAD\n        "interview_language": "en",\n=======\n')],
    ['a control character in a string', (t: string) => t.replace('"Goroutines', '"Gorou\u0001tines')],
    ['a bad escape', (t: string) => t.replace('"Goroutines', '"Gorou\\xtines')],
    ['a number with a leading zero', (t: string) => t.replace('"time": 3', '"time": 03')],
    ['a truncated file', (t: string) => t.slice(0, t.indexOf('"only_coding_round"'))],
  ])('gives the ordinary, precise error for %s', (_name, corrupt) => {
    const text = corrupt(serializeState(sample()));
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
    const error = invalid(text);
    expect(error.code).toBe('STATE_INVALID');
    expect(error.message).toMatch(/^The state file \.micro1\/state\.json is not valid JSON \(truncated or hand-edited\?\): \S/);
  });

  it.each([
    ['an interview_name that is not text', (t: string) => t.replace('"interview_name": "B"', '"interview_name": 3'), 'interviews.eng/b.spec.interview_name: Invalid input: expected string, received number'],
    ['a spec without interview_name', (t: string) => t.replace('        "interview_name": "B",\n', ''), 'interviews.eng/b.spec.interview_name: Invalid input: expected string, received undefined'],
    ['a second interview_name, which JSON.parse keeps', (t: string) => t.replace('"interview_name": "B",', '"interview_name": "B", "interview_name": null,'), 'interviews.eng/b.spec.interview_name: Invalid input: expected string, received null'],
    ['a spec that is a number written by hand', (t: string) => t.replace(/"spec": \{[^]*?\n {6}\}/, '"spec": 1'), 'interviews.eng/a.spec: Invalid input: expected object, received number'],
  ])('refuses %s with the same message as before', (_name, corrupt, detail) => {
    const error = invalid(corrupt(serializeState(sample())));
    expect(error.code).toBe('STATE_INVALID');
    expect(error.message).toBe(`The state file .micro1/state.json is not a micro1-sync state: ${detail}`);
  });
});

describe('a plan over unchanged files', () => {
  it('reads no spec, and an edited file still gets its update with the applied fields as before', () => {
    const files = {
      'interviews/a.yaml': 'interview_name: A\n',
      'interviews/b.yaml': 'interview_name: B\nskills:\n  - name: Go\n',
    };
    const root = fixture(files);
    const options = { projectRoot: root, interviewsRoot: path.join(root, 'interviews') };
    const applied = loadDefinitions(options).definitions;
    const text = serializeState(stateOf(Object.fromEntries(applied.map((d) => [d.key, appliedEntry(d, `id-${d.key}`)]))));
    const stateFile = path.join(fixture({ '.micro1/state.json': text }), '.micro1/state.json');

    const state = readState(stateFile);
    const noChanges = plan(loadDefinitions({ ...options, previous: state }).definitions, state, { prune: false, targets: [], excludes: [] });
    expect(noChanges.changes.map((c) => c.action)).toEqual(['no-op', 'no-op']);
    expect(Object.values(state.interviews).every(unread)).toBe(true);
    // Read on demand, a no-op's bodies are the applied spec.
    expect(noChanges.changes[1]!.after).toEqual(applied[1]!.body);
    expect(noChanges.changes[1]!.before).toEqual(applied[1]!.body);

    const fresh = readState(stateFile);
    writeFileSync(path.join(root, 'interviews/b.yaml'), 'interview_name: B\nskills:\n  - name: Rust\n');
    const edited = plan(loadDefinitions({ ...options, previous: fresh }).definitions, fresh, { prune: false, targets: [], excludes: [] });
    expect(edited.changes.map((c) => c.action)).toEqual(['no-op', 'update']);
    expect(edited.changes[1]!.fields).toEqual([{ field: 'skills', before: [{ name: 'Go' }], after: [{ name: 'Rust' }], reset: false }]);
    expect(unread(fresh.interviews.a!)).toBe(true);
    expect(readFileSync(stateFile, 'utf8')).toBe(text);
  });
});

describe('BodyScanner', () => {
  const scan = (text: string) => new BodyScanner(Buffer.from(text)).end(0);
  /** What the full reader asks of a spec: JSON.parse accepts exactly this text, an object whose interview_name is a string. */
  const accepted = (text: string) => {
    try {
      const value = JSON.parse(text) as unknown;
      return text.startsWith('{') && text.endsWith('}') && typeof (value as { interview_name?: unknown }).interview_name === 'string';
    } catch {
      return false;
    }
  };

  it.each([
    ['{"interview_name":"A"}', true],
    ['{ "interview_name" : "A" , "x" : [ 1 , -0.5e+3 , true , false , null , {} , [] ] }', true],
    ['{"interview_name":"\\u00e9\\n\\"\\\\\\/\\b\\f\\r\\t"}', true],
    ['{"interview_name":3}', false],
    ['{"x":{"interview_name":"nested"}}', false],
    ['{"interview_name":"A",}', false],
    ['{"interview_name":"A" "b":1}', false],
    ['{"interview_name":"A","n":01}', false],
    ['{"interview_name":"A","n":1.}', false],
    ['{"interview_name":"A","n":-}', false],
    ['{"interview_name":"A","s":"\\u12"}', false],
    ['{"interview_name":"A","s":"\\a"}', false],
    ['{"interview_name":"A","w":tru}', false],
    ['{"interview_name":"A"', false],
  ])('%s → %s', (text, ok) => {
    expect(accepted(text)).toBe(ok);
    expect(scan(text)).toBe(ok ? Buffer.byteLength(text) : -1);
  });

  it('agrees with JSON.parse on generated and mutated bodies', () => {
    const body = fc.record({ interview_name: fc.oneof(fc.string(), fc.integer(), fc.constant(null)) }).chain((head) =>
      fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 }).map((rest) => ({ ...rest, ...head })),
    );
    const mutation = fc.tuple(fc.nat(), fc.constantFrom('', ' ', ',', '"', '\\', '{', '}', '[', ']', ':', '0', '-', '.', 'e', 'u', '\n', '\u0001', 'é'), fc.boolean());
    fc.assert(
      fc.property(body, fc.constantFrom(0, 2, '\t'), fc.array(mutation, { maxLength: 2 }), (value, indent, mutations) => {
        let text = JSON.stringify(value, null, indent);
        for (const [at, insert, replace] of mutations) {
          const i = at % (text.length + 1);
          text = text.slice(0, i) + insert + text.slice(replace ? i + 1 : i);
        }
        const ok = accepted(text);
        expect(scan(text) === Buffer.byteLength(text), text).toBe(ok);
      }),
      { numRuns: 3000, seed: 20261129 },
    );
  });
});
