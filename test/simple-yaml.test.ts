import { readFileSync } from 'node:fs';
import path from 'node:path';
import { inspect, isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import fg from 'fast-glob';
import { Composer, Parser, isMap } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseSimpleYaml } from '../src/definitions/simple-yaml.js';

/**
 * The fast path must give exactly what the yaml package gives, or `undefined`. Every test here is
 * differential: the expected value always comes from yaml itself, never from a hand-written copy.
 */

const ROOT = path.resolve(import.meta.dirname, '..');
const ERROR = Symbol('yaml error');

/** What the full parser accepts: one document, no errors, a mapping; as yaml-file.ts reads it. */
function reference(text: string): unknown {
  const docs = Array.from(new Composer({ uniqueKeys: true }).compose(new Parser().parse(text)));
  const doc = docs[0];
  if (docs.length !== 1 || doc === undefined || doc.errors.length > 0 || !isMap(doc.contents)) return ERROR;
  try {
    return doc.toJS();
  } catch {
    return ERROR; // an alias to an anchor that comes later is found only here
  }
}

/**
 * isDeepStrictEqual compares primitives with Object.is (so -0 is not 0) and checks prototypes.
 * vitest's toStrictEqual is not used for values: it compares `a.constructor`, and a YAML key named
 * `constructor` makes two equal objects differ.
 */
function expectSame(actual: unknown, expected: unknown, label: string): void {
  expect(isDeepStrictEqual(actual, expected), `${label}\n  fast: ${inspect(actual, { depth: 9 })}\n  yaml: ${inspect(expected, { depth: 9 })}`).toBe(true);
}

/** Same value as yaml, or undefined; never a value yaml would not give. */
function agrees(text: string): boolean {
  const fast = parseSimpleYaml(text);
  if (fast === undefined) return true;
  const expected = reference(text);
  return expected !== ERROR && isDeepStrictEqual(fast, expected);
}

function nested(depth: number): string {
  return Array.from({ length: depth }, (_, i) => `${' '.repeat(i)}k:`).join('\n') + ' 1\n';
}

/** Inputs in the subset: the fast path must give yaml's value. */
const SAME: Record<string, string> = {
  'plain value': 'a: b\n',
  'no final newline': 'a: b',
  'key characters': 'a: 1\nB_c-d9: x\n_e: y\n',
  'trailing comment': 'a: b #c\n',
  '# not after a space': 'a: b#c\n',
  'colon not before a space': 'a: http://x.y/z\nb: x:y\n',
  'trailing and inner spaces': 'a:    b  c   \n',
  'no-break spaces are not trimmed': 'a: \u00a0b\u00a0\n',
  'flow characters inside a plain scalar': 'a: b[0]{x},y\n',
  'dots and slashes': 'extends: ../_shared/x.yaml\nb: /abs\nc: ...\nd: .hidden\ne: a - b ? c\n',
  'unicode': 'a: Négociation — café 😀\nb: x\u2028y\u0085z\n',
  'single quotes': "a: 'it''s'\nb: ' x # y '\nc: '' # empty\nd: 'a: b'\n",
  'double quotes': 'a: "x\\"y"\nb: "\\\\ \\/ \\n \\t \\u00e9 \\u0041" # c\nc: ""\nd: "\\ud83d\\ude00 \\ud800"\n',
  'null forms': 'a: ~\nb: null\nc: Null\nd: NULL\ne:\nf: # c\ng:   \n',
  'empty value at the end': 'a:',
  'booleans': 'a: true\nb: True\nc: TRUE\nd: false\ne: False\nf: FALSE\n',
  'YAML 1.1 booleans are strings in 1.2': 'a: yes\nb: no\nc: on\nd: Off\ne: y\n',
  'integers': 'a: 0\nb: 7\nc: 123456789012345\n',
  'almost numbers': 'a: v1.2\nb: x1\nc: inf\nd: nan\ne: +x\nf: 1.2.3\ng: 1a\nh: 2024-01-31\ni: 0x\nj: .infinity\nk: 1e\nl: 0b101\n',
  'id starting with a digit': 'id: 3f2b9c4e-8d1a-4f6b-9e2c-7a5d1b8e6f40\n',
  'nested mapping': 'a:\n  b: 1\n  c:\n    d: x\ne: 2\n',
  'one-space indentation': 'a:\n b:\n  c: 1\n',
  'sequence of scalars': 'a:\n  - x\n  - 1\n  - "q"\n  - \'s\' # c\nb: 2\n',
  'indentless sequence': 'a:\n- x\n- y\nb: 1\n',
  'sequence of mappings': 'skills:\n  - name: x\n    description: y\n  - name: z\n',
  'wide dash': 'a:\n  -   name: x\n      d: y\n  -  z\n',
  'indentless sequence in an item': 'a:\n- b:\n  - x\n  c: 1\n- d: 2\n',
  'item with a nested mapping': 'a:\n  - b:\n      c: 1\n    d: 2\n',
  'item with a block scalar': 'a:\n  - b: |\n      x\n    c: >-\n      y\n      z\n',
  'empty value in an item': 'a:\n- b:\n- c: 1\n',
  'comments and blank lines': '# top\n\na: 1 # c\n   # odd indent\n\nb:\n  # inside\n  - x\n\n# between\n  - y\n#end',
  'spaces-only lines': 'a: 1\n   \nb:\n  - x\n \n  - y\n',
  '--- at the start': '---\na: 1\n',
  '--- after a comment': '# c\n\n---\na: 1\n',
  'literal': 'a: |\n  x\n  y\nb: 1\n',
  'literal, strip': 'a: |-\n  x\n  y\n',
  'literal with comment lines inside': 'a: |\n  # not a comment\n  x\n  #nor this\nb: 1\n',
  'literal with blank lines': 'a: |\n  x\n\n\n  y\n\n\nb: 1\n',
  'folded': 'a: >\n  x\n  y\n\n  z\n\n\n  w\n',
  'folded, strip, with a header comment': 'a: >-  # c\n  x\n  y\nb: >  #c\n    z\n',
  'less indented comment after a block scalar': 'a: |\n    x\n  # c\nb: 1\n',
  'blank lines and a comment after a block scalar': 'a: |-\n    x\n\n  # c\n\nb: 1\n',
  'block scalar without a final newline': 'a: |\n  x',
  'block scalar before trailing blank lines': 'a: >-\n  x\n\n\n',
  'block scalar, deep content indentation': 'a: |\n         x\n         y\n',
  'keys that are Object.prototype names': 'constructor: 1\ntoString: 2\nhasOwnProperty: x\nvalueOf:\n',
  'key of 1024 characters': `${'k'.repeat(1024)}: 1\n`,
  '64 levels': nested(63),
  'interview-like': readFileSync(path.join(ROOT, 'interviews/engineering/ml-engineer.yaml'), 'utf8'),
};

/** Outside the subset (unusual YAML, or a yaml error): the fast path must say so. */
const FULL: Record<string, string> = {
  'nested mapping on one line': 'a: b: c\n',
  'value ending with a colon': 'a: b:\n',
  'flow sequence': 'a: [1, 2]\n',
  'flow mapping': 'a: {b: 1}\n',
  'anchor': 'a: &x 1\n',
  'alias': 'a: &x 1\nb: *x\n',
  'unknown alias': 'a: *x\n',
  'tag': 'a: !!str 1\n',
  'leading zero': 'a: 007\n',
  'exponent': 'a: 1e3\n',
  'leading dot': 'a: .5\n',
  'infinity': 'a: .inf\n',
  'minus infinity': 'a: -.INF\n',
  'not a number': 'a: .NaN\n',
  'hexadecimal': 'a: 0x1F\n',
  'octal': 'a: 0o17\n',
  'negative': 'a: -1\n',
  'plus sign': 'a: +1\n',
  'float': 'a: 1.5\n',
  'infinity, other spellings': 'a: +.Inf\n',
  'exponent with a sign': 'a: -1.5E+3\n',
  'trailing dot': 'a: 1.\n',
  'integer of 16 digits': 'a: 1234567890123456\n',
  'indicator @': 'a: @x\n',
  'indicator `': 'a: `x\n',
  'indicator %': 'a: %x\n',
  'indicator ?': 'a: ?x\n',
  'indicator :': 'a: :x\n',
  'indicator ,': 'a: ,x\n',
  'indicator -': 'a: -x\n',
  'indicator |': 'a: |x\n',
  'no space after the colon': 'a:b\n',
  'space before the colon': 'a : b\n',
  'comment right after the colon': 'a:#c\n',
  'null key': 'null: 1\n',
  'boolean key': 'True: 1\n',
  '__proto__ key': '__proto__: 1\n',
  'number key': '1: x\n',
  'quoted key': '"a": 1\n',
  'key with a space': 'a b: 1\n',
  'non-ASCII key': 'é: 1\n',
  'key of 1025 characters': `${'k'.repeat(1025)}: 1\n`,
  'duplicate key': 'a: 1\na: 2\n',
  'duplicate nested key': 'a:\n  b: 1\n  b: 2\n',
  'duplicate key in an item': 'a:\n  - b: 1\n    b: 2\n',
  'key more indented': 'a: 1\n b: 2\n',
  'key less indented than its siblings': 'a:\n    b: 1\n  c: 2\n',
  'item more indented': 'a:\n  - x\n   - y\n',
  'item key less indented': 'a:\n  - name: x\n   d: y\n',
  'item key more indented': 'a:\n  - name: x\n     d: y\n',
  'key after an indented sequence': 'a:\n  - x\n  b: 1\n',
  'item at the wrong place': 'a: 1\n- x\n',
  'a dash where an item would be, in a less indented line': 'a:\n  - x\nbb- y\n',
  'multi-line plain scalar': 'a: x\n  y\n',
  'multi-line plain scalar after a blank line': 'a: x\n\n  y\n',
  'multi-line single quotes': "a: 'x\n  y'\n",
  'multi-line double quotes': 'a: "x\n  y"\n',
  'plain value on the next line': 'a:\n  x\n',
  'bare dash': 'a:\n  -\n  - x\n',
  'dash and a space': 'a:\n  - \n  - x\n',
  'bare dash with a mapping below': 'a:\n  -\n    b: 1\n',
  'dash then a comment': 'a:\n  - # c\n',
  'nested sequence': 'a:\n  - - x\n',
  'block scalar as an item': 'a:\n  - |\n    x\n',
  'text after single quotes': "a: 'x' y\n",
  'comment after quotes without a space': "a: 'x'#c\n",
  'unterminated quotes': "a: 'x\n",
  'escape \\x': 'a: "\\x41"\n',
  'escape \\e': 'a: "\\e"\n',
  'short \\u': 'a: "\\u12"\n',
  'keep chomping': 'a: |+\n  x\n',
  'indentation indicator': 'a: |2\n  x\n',
  'header text': 'a: | x\n',
  'header comment without a space': 'a: |#c\n  x\n',
  'leading blank line in a block scalar': 'a: |\n\n  x\n',
  'less indented text after a block scalar': 'a: |\n    x\n  y\n',
  'more indented line in a block scalar': 'a: |\n  x\n    y\n',
  'spaces-only line in a block scalar': 'a: |\n  x\n   \n  y\n',
  'less indented spaces-only line after a block scalar': 'a: |\n  x\n \nb: 1\n',
  'trailing space in a block scalar': 'a: |\n  x \n',
  'empty block scalar before a key': 'a: |\nb: 1\n',
  'empty block scalar at the end': 'a: >\n',
  'block scalar not indented': 'a: |\nx\n',
  'block scalar in an item not indented past its key': 'a:\n  - b: |\n    x\n',
  'empty text': '',
  'blank lines only': '\n\n',
  'comment only': '# only\n',
  '--- only': '---\n',
  '... at the end': 'a: 1\n...\n',
  'second document': 'a: 1\n---\nb: 2\n',
  '--- with trailing space': '--- \na: 1\n',
  '--- with a comment': '--- # c\na: 1\n',
  'two ---': '---\n---\na: 1\n',
  'directive': '%YAML 1.2\n---\na: 1\n',
  'CRLF': 'a: 1\r\nb: 2\r\n',
  'tab in a value': 'a:\t1\n',
  'tab in indentation': 'a:\n\tb: 1\n',
  'tab on a blank line': 'a: 1\n\t\n',
  'tab before a comment': 'a: b\t#c\n',
  'top-level sequence': '- a\n',
  'top-level scalar': 'x\n',
  'indented top level': '  a: 1\n',
  'byte-order mark (the caller removes it)': '\ufeffa: 1\n',
  '65 levels': nested(65),
};

describe('parseSimpleYaml, explicit cases', () => {
  it.each(Object.entries(SAME))('%s: the value yaml gives', (_, text) => {
    const expected = reference(text);
    expect(expected).not.toBe(ERROR);
    expectSame(parseSimpleYaml(text), expected, JSON.stringify(text));
  });

  it.each(Object.entries(FULL))('%s: left to the full parser', (_, text) => {
    expect(parseSimpleYaml(text)).toBeUndefined();
  });

  it('compares values strictly: -0 is not 0, and prototypes count', () => {
    expect(() => expectSame({ a: -0 }, { a: 0 }, '')).toThrow();
    expect(() => expectSame({ a: [] }, { a: {} }, '')).toThrow();
    expect(() => expectSame(Object.create(null), {}, '')).toThrow();
    expect(() => expectSame({ constructor: { a: 1 } }, { constructor: { a: 1 } }, '')).not.toThrow();
  });
});

describe('parseSimpleYaml, real files', () => {
  it('reads every file in interviews/ fast, with the value yaml gives', () => {
    const files = fg.sync('interviews/**/*.{yaml,yml}', { cwd: ROOT });
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const text = readFileSync(path.join(ROOT, file), 'utf8');
      expectSame(parseSimpleYaml(text), reference(text), file);
    }
  });

  it('reads 400 generated benchmark definitions fast, with the value yaml gives', async () => {
    const { definitionText } = await benchGenerator();
    for (let i = 0; i < 200; i++) {
      for (const text of [definitionText(i), definitionText(i, 1 + (i % 3))]) {
        const fast = parseSimpleYaml(text);
        expect(fast, text).toBeDefined();
        expectSame(fast, reference(text), text);
      }
    }
  });

  it("agrees with yaml on the YAML texts in the other tests' fixtures, and reads most of them fast", () => {
    const texts = fixtureTexts();
    expect(texts.length).toBeGreaterThan(100);
    let fast = 0;
    let accepted = 0;
    for (const text of texts) {
      expect(agrees(text), JSON.stringify(text)).toBe(true);
      if (reference(text) !== ERROR) accepted++;
      if (parseSimpleYaml(text) !== undefined) fast++;
    }
    // The rest use flow collections, anchors, CRLF or a byte-order mark on purpose.
    expect(fast / accepted).toBeGreaterThan(0.8);
  });
});

describe('parseSimpleYaml, generated texts (fast-check)', () => {
  it('reads texts of the subset fast, with the value yaml gives', () => {
    let fast = 0;
    const texts = fc.sample(documentArb, { seed: 4242, numRuns: 1000 });
    for (const text of texts) {
      const expected = reference(text);
      // The generator writes valid YAML: a generator bug would make the 90% below meaningless.
      expect(expected, JSON.stringify(text)).not.toBe(ERROR);
      const value = parseSimpleYaml(text);
      if (value === undefined) continue;
      fast++;
      expectSame(value, expected, JSON.stringify(text));
    }
    // Proves the fast path is actually taken, not just safe because it always gives up.
    expect(fast / texts.length).toBeGreaterThanOrEqual(0.9);
  });

  it('never gives a value yaml would not, on mutated texts', () => {
    const mutation = fc.record({
      kind: fc.constantFrom('insert', 'delete', 'replace'),
      at: fc.nat(),
      ch: fc.constantFrom(...' \n#:-\'"|>[{&*!~.0\\\t'),
    });
    let runs = 0;
    let fast = 0;
    fc.assert(
      fc.property(documentArb, fc.array(mutation, { minLength: 1, maxLength: 3 }), (text, mutations) => {
        const mutated = mutations.reduce(mutate, text);
        runs++;
        if (parseSimpleYaml(mutated) !== undefined) fast++;
        return agrees(mutated);
      }),
      { seed: 1207, numRuns: 4000 },
    );
    // About a third still read fast (a mutated comment, a changed letter): the comparison is exercised.
    expect(fast / runs).toBeGreaterThan(0.2);
  });
});

// ---- Helpers: the generator of the subset, fixture texts, the benchmark's generator ----

type Mutation = { kind: 'insert' | 'delete' | 'replace'; at: number; ch: string };

function mutate(text: string, { kind, at, ch }: Mutation): string {
  const i = text.length === 0 ? 0 : at % (text.length + (kind === 'insert' ? 1 : 0));
  if (kind === 'insert') return text.slice(0, i) + ch + text.slice(i);
  return text.slice(0, i) + (kind === 'replace' ? ch : '') + text.slice(i + 1);
}

type Scalar = { kind: 'scalar'; text: string };
type Block = { kind: 'block'; header: string; lines: string[] };
type MapNode = { kind: 'map'; step: number; entries: [string, Value, number[]][] };
type SeqNode = { kind: 'seq'; step: number; indentless: boolean; dash: number; items: [Scalar | MapNode, number[]][] };
type Value = Scalar | Block | MapNode | SeqNode;

const comment = fc.constantFrom(' # c', ' #', ' # a: b', ' ## x');
const plainArb = fc.oneof(
  fc.constantFrom('x', 'hello world', 'Négociation — café', '../_shared/x.yaml', '/abs', 'a#b', 'http://x.y', 'v1.2', 'a - b', 'b[0]{x}'),
  fc.constantFrom('0', '7', '42', '123456789012345', 'true', 'False', 'NULL', 'null', '~', 'yes', 'on', 'inf', '+x'),
  // Awkward characters anywhere but where they would end the scalar (`: `).
  fc.stringMatching(/^[a-zA-Zé][a-z0-9 .\/#:'"-]{0,12}[a-z0-9.]$/).filter((s) => !s.includes(': ')),
);
const scalarArb: fc.Arbitrary<Scalar> = fc
  .tuple(
    fc.oneof(
      { weight: 5, arbitrary: plainArb },
      fc.stringMatching(/^[a-z '"# :\\]{0,8}$/).map((s) => `'${s.replaceAll("'", "''")}'`),
      fc.array(fc.constantFrom('a', ' ', '#', "'", 'é', '\\\\', '\\"', '\\/', '\\n', '\\t', '\\u00e9', '\\u0041'), { maxLength: 6 }).map((parts) => `"${parts.join('')}"`),
    ),
    fc.option(comment, { freq: 4 }),
    fc.constantFrom('', '', '', ' ', '   '),
  )
  .map(([text, c, spaces]) => ({ kind: 'scalar', text: text + (c ?? '') + spaces }));
const blockArb: fc.Arbitrary<Block> = fc.record({
  kind: fc.constant('block' as const),
  header: fc.tuple(fc.constantFrom('|', '|-', '>', '>-'), fc.option(comment, { freq: 4 })).map(([h, c]) => h + (c ?? '')),
  lines: fc.array(
    fc.tuple(fc.constantFrom('text', '# hash', "it's", 'a: b', '- item', 'x  y', '"q"'), fc.constantFrom(0, 0, 0, 1, 2)),
    { minLength: 1, maxLength: 4 },
  ).map((lines) => lines.flatMap(([text, blanks], i) => [...Array.from({ length: i > 0 ? blanks : 0 }, () => ''), text])),
});
/** Comment and blank lines to put before an entry or item: see Renderer.decor. */
const decorArb = fc.array(fc.integer({ min: -2, max: 8 }), { maxLength: 2 });
const keyArb = fc.constantFrom('a', 'b', 'name', 'skills', 'x_y', 'k-1', 'description', '_', 'constructor', 'yes');

const { map: mapArb } = fc.letrec<{ value: Value; map: MapNode; seq: SeqNode }>((tie) => ({
  value: fc.oneof({ maxDepth: 3, depthIdentifier: 'yaml' }, scalarArb, blockArb, tie('map'), tie('seq')),
  map: fc.record({
    kind: fc.constant('map' as const),
    step: fc.integer({ min: 1, max: 4 }),
    entries: fc.uniqueArray(fc.tuple(keyArb, tie('value'), decorArb), { minLength: 1, maxLength: 4, selector: (e) => e[0] }),
  }),
  seq: fc.record({
    kind: fc.constant('seq' as const),
    step: fc.integer({ min: 1, max: 4 }),
    indentless: fc.boolean(),
    dash: fc.integer({ min: 1, max: 3 }),
    items: fc.array(fc.tuple(fc.oneof({ depthIdentifier: 'yaml' }, scalarArb, tie('map') as fc.Arbitrary<MapNode>), decorArb), { minLength: 1, maxLength: 4 }),
  }),
}));

const documentArb: fc.Arbitrary<string> = fc
  .tuple(fc.boolean(), decorArb, mapArb, decorArb, fc.boolean())
  .map(([start, before, map, after, newline]) => {
    const out = new Renderer();
    out.decor(before);
    if (start) out.line('---');
    out.map(map, 0);
    out.decor(after);
    return out.lines.join('\n') + (newline ? '\n' : '');
  });

/** Renders the model as YAML lines, indenting each collection by its own step. */
class Renderer {
  readonly lines: string[] = [];
  /**
   * The content indentation of a block scalar just written, until a line other than a comment or a
   * blank follows: a comment or spaces-only line that deep would be part of the scalar's text.
   */
  private block = Infinity;

  line(text: string): void {
    this.lines.push(text);
    this.block = Infinity;
  }

  /** Blank (-2), spaces-only (-1) and comment (its indentation) lines. */
  decor(decor: number[]): void {
    for (const n of decor) {
      if (n < 0) this.lines.push(n === -1 && this.block === Infinity ? '  ' : '');
      else this.lines.push(`${' '.repeat(Math.min(n, this.block - 1))}# note`);
    }
  }

  /** `prefix` replaces the indentation of the first key: the `- ` of an item. */
  map(map: MapNode, col: number, prefix = ' '.repeat(col)): void {
    map.entries.forEach(([key, value, decor], i) => {
      this.decor(decor);
      const head = `${i === 0 ? prefix : ' '.repeat(col)}${key}:`;
      if (value.kind === 'scalar') this.line(`${head} ${value.text}`);
      else if (value.kind === 'block') this.blockScalar(head, value, col + map.step);
      else {
        this.line(head);
        if (value.kind === 'map') this.map(value, col + map.step);
        else this.seq(value, value.indentless ? col : col + map.step);
      }
    });
  }

  seq(seq: SeqNode, indent: number): void {
    const prefix = `${' '.repeat(indent)}-${' '.repeat(seq.dash)}`;
    for (const [item, decor] of seq.items) {
      this.decor(decor);
      if (item.kind === 'scalar') this.line(prefix + item.text);
      else this.map(item, prefix.length, prefix);
    }
  }

  private blockScalar(head: string, value: Block, indent: number): void {
    this.line(`${head} ${value.header}`);
    for (const text of value.lines) this.line(text === '' ? '' : ' '.repeat(indent) + text);
    this.block = indent;
  }
}

/** Single-quoted file contents in the other tests: `'x.yaml': '…'`. */
function fixtureTexts(): string[] {
  const texts: string[] = [];
  for (const file of fg.sync('test/*.test.ts', { cwd: ROOT, ignore: ['test/simple-yaml.test.ts'] })) {
    const source = readFileSync(path.join(ROOT, file), 'utf8');
    for (const match of source.matchAll(/\.ya?ml'\s*:\s*'((?:[^'\\\n]|\\.)*)'/g)) texts.push(unescapeJs(match[1]!));
  }
  return texts;
}

function unescapeJs(body: string): string {
  const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', '0': '\0' };
  return body.replace(/\\(?:u\{([0-9a-fA-F]+)\}|u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2})|(.))/g, (_, brace, u, x, ch: string) =>
    brace || u || x ? String.fromCodePoint(parseInt(brace ?? u ?? x, 16)) : (simple[ch] ?? ch),
  );
}

/** generate.mjs has no type declarations; this is the one function used. */
async function benchGenerator(): Promise<{ definitionText(i: number, variant?: number): string }> {
  const url = new URL('./bench/generate.mjs', import.meta.url).href;
  return (await import(url)) as { definitionText(i: number, variant?: number): string };
}
