import { createRequire } from 'node:module';
import type { CST, Document, LineCounter, Node } from 'yaml';
import { formatPath, type Diagnostic } from '../diagnostics.js';
import { parseSimpleYaml } from './simple-yaml.js';

/**
 * The YAML parser is loaded on first use, not at start-up: a plan in which every file matches the
 * state never parses one, and loading it is a measurable share of a 300 ms CLI start.
 */
const load = createRequire(import.meta.url);
function yamlLib(): typeof import('yaml') {
  return load('yaml') as typeof import('yaml');
}

/** A definition or fragment file, parsed with positions so any field path maps back to a line. */
export interface YamlSource {
  file: string;
  value: Record<string, unknown>;
  /** Where `path` is in the file; with `key`, the key of the last segment rather than its value. */
  locate(path: readonly PropertyKey[], options?: { key?: boolean }): { line: number; column: number };
}

/** A definition is a handful of fields; anything larger is a mistake or an attack. */
export const MAX_FILE_BYTES = 1024 * 1024;
/** The yaml package's own guard against "billion laughs" alias expansion. */
const MAX_ALIAS_COUNT = 100;
/**
 * A definition nests 3 levels (skills → item → field). yaml composes documents recursively, and a
 * few hundred kilobytes of `[[[[…` exhaust the stack; V8 can then abort the whole process (seen on
 * Node 20: "RegExpCompiler Allocation failed"), so depth is checked while the tokens are read.
 */
const MAX_DEPTH = 64;
/**
 * The largest valid definition is a few hundred YAML tokens (10 skills, 20 questions). Within the
 * 1 MiB limit, `skills: [a,a,a,…]` is 1.5 million of them, and their syntax tree alone took 8 s and
 * 590 MB: reading stops at this many.
 */
const MAX_TOKENS = 100_000;
/**
 * A real definition is a few kilobytes. Larger files go to the full parser even when simple, so
 * that the limits above refuse them with the same message whichever way they would be read.
 */
const SIMPLE_MAX_CHARS = 256 * 1024;

type Parsed = { source?: YamlSource; diagnostics: Diagnostic[] };

/** A parse that failed with one error about the whole file (path ''). */
function failWith(file: string) {
  return (message: string, line = 1, column = 1, hint?: string): Parsed => ({
    diagnostics: [{ severity: 'error', file, line, column, path: '', message, ...(hint ? { hint } : {}) }],
  });
}

// ignoreBOM: the decoder would otherwise drop a mark itself, and the one yaml drops would be a second.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function parseYamlSource(file: string, bytes: Uint8Array): Parsed {
  const fail = failWith(file);

  const nul = bytes.indexOf(0);
  if (nul !== -1) return fail('is a binary file (it contains a NUL byte), not YAML text', ...lineOf(bytes, nul));
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    const loose = new TextDecoder('utf-8').decode(bytes);
    return fail('is not valid UTF-8', ...lineOfText(loose, loose.indexOf('\uFFFD')), 'save the file as UTF-8');
  }
  // One UTF-8 byte-order mark is accepted, as yaml accepts one: a second is content (yaml reads it
  // into the first key), so the full parser is given the text with its one mark, which it drops itself.
  const bom = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const body = bom === 1 ? text.slice(1) : text;

  // The common case: plain YAML read in one pass, with the value the full parser gives. Positions
  // are wanted only for a diagnostic, so the full parse that knows them waits for the first one.
  // Text starting with a (second) mark is never plain: the full parser reads it.
  const simple = body.length <= SIMPLE_MAX_CHARS && body.charCodeAt(0) !== 0xfeff ? parseSimpleYaml(body) : undefined;
  if (simple !== undefined && withinTokenLimit(body)) {
    let full: YamlSource | undefined;
    const locate: YamlSource['locate'] = (at, options) => {
      full ??= parseFully(file, text, bom).source;
      return full?.locate(at, options) ?? { line: 1, column: 1 };
    };
    return { source: { file, value: simple, locate }, diagnostics: [] };
  }
  return parseFully(file, text, bom);
}

/**
 * Whether the full parser would read `text` without reaching MAX_TOKENS, so that the fast reader
 * accepts no file the full parser refuses. The lexer emits at most two tokens per character (a
 * zero-width marker before a scalar, then its text), so a file of up to MAX_TOKENS / 2 characters,
 * every real definition, is within it uncounted; a longer one is lexed and counted like yaml does.
 */
function withinTokenLimit(text: string): boolean {
  if (2 * text.length + 2 <= MAX_TOKENS) return true;
  let count = 0;
  for (const _ of new (yamlLib().Lexer)().lex(text)) if (++count > MAX_TOKENS) return false;
  return true;
}

/**
 * The yaml package's parse, with every check and the positions of every node. `bom` is 1 when the
 * text starts with the byte-order mark yaml drops: positions on line 1 are counted after it.
 */
function parseFully(file: string, text: string, bom = 0): Parsed {
  const { Composer, LineCounter, isAlias, isMap, isScalar, isSeq, visit } = yamlLib();
  const fail = failWith(file);
  const lineCounter = new LineCounter();
  const pos = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: line === 1 ? Math.max(1, col - bom) : col };
  };
  // What parseAllDocuments does, with the depth check between its two steps.
  const parsed = parseTokens(text, lineCounter, MAX_DEPTH, MAX_TOKENS);
  if ('deepAt' in parsed) {
    const at = pos(parsed.deepAt);
    return fail(`is nested more than ${MAX_DEPTH} levels deep`, at.line, at.column, 'an interview definition nests 3 levels at most');
  }
  if ('largeAt' in parsed) {
    const at = pos(parsed.largeAt);
    return fail(`has more than ${MAX_TOKENS} YAML tokens`, at.line, at.column, 'an interview definition has a few hundred: check that this is the right file');
  }
  const { tokens } = parsed;
  let docs: Document.Parsed[];
  try {
    docs = Array.from(new Composer({ uniqueKeys: true }).compose(tokens)) as Document.Parsed[];
  } catch (error) {
    if (error instanceof RangeError) return fail('is nested too deeply to parse');
    throw error;
  }

  if (!Array.isArray(docs) || docs.length === 0) return fail('is empty', 1, 1, 'an interview needs at least interview_name');
  if (docs.length > 1) {
    const second = pos(docs[1]!.range[0]);
    return fail('holds more than one YAML document', second.line, second.column, 'keep one interview per file');
  }
  const doc = docs[0]!;
  const syntax: Diagnostic[] = doc.errors.map((e) => {
    // The error's range is only the key's first character: find the key itself for its name and path.
    const duplicate = e.code === 'DUPLICATE_KEY' ? keyPathAt(doc.contents, e.pos[0], []) : undefined;
    return {
      severity: 'error',
      file,
      ...pos(e.pos[0]),
      path: duplicate === undefined ? '' : formatPath(duplicate),
      message:
        duplicate !== undefined
          ? `duplicate key "${String(duplicate.at(-1))}": each field may appear only once`
          : `YAML syntax: ${e.message}`,
    };
  });
  if (syntax.length > 0) return { diagnostics: syntax };
  if (doc.contents === null) return fail('is empty', 1, 1, 'an interview needs at least interview_name');
  if (!isMap(doc.contents)) {
    const at = pos(doc.contents.range?.[0] ?? 0);
    const found = isSeq(doc.contents) ? 'a list' : 'a single value';
    return fail(`must be a mapping of fields, but its top level is ${found}`, at.line, at.column);
  }

  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    if (error instanceof RangeError) return fail('is nested too deeply to read');
    const message = error instanceof Error ? error.message : String(error);
    if (/alias/i.test(message)) {
      let first = 0;
      visit(doc, { Alias: (_, node) => ((first = node.range?.[0] ?? 0), visit.BREAK) });
      const at = pos(first);
      return fail(`expands aliases too many times (limit ${MAX_ALIAS_COUNT}): refused as an alias bomb`, at.line, at.column);
    }
    return fail(`could not be read: ${message}`);
  }

  const locate: YamlSource['locate'] = (path, options = {}) => {
    let node: unknown = doc.contents;
    let at = (node as Node).range?.[0] ?? 0;
    for (let i = 0; i < path.length; i++) {
      if (isAlias(node)) node = node.resolve(doc);
      const segment = path[i];
      let next: unknown;
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
        if (pair === undefined) break;
        if (options.key && i === path.length - 1) {
          at = (pair.key as Node).range?.[0] ?? at;
          break;
        }
        next = pair.value ?? pair.key;
      } else if (isSeq(node) && typeof segment === 'number') {
        next = node.items[segment];
      }
      if (next === undefined || next === null) break;
      node = next;
      at = (next as Node).range?.[0] ?? at;
    }
    return pos(at);
  };

  return { source: { file, value: value as Record<string, unknown>, locate }, diagnostics: [] };
}

/**
 * The CST of `text`, or where the first collection (in file order) nested deeper than `limit`
 * starts, or where the `maxTokens`th token is. The parser is fed one token at a time and its stack of open nodes (one per level) is
 * watched, so a file is refused as soon as it goes too deep: building the whole CST of 500,000
 * nested `[` before measuring it took over 600 MB and 8 s.
 */
function parseTokens(text: string, lineCounter: LineCounter, limit: number, maxTokens: number): { tokens: CST.Token[] } | { deepAt: number } | { largeAt: number } {
  const { Lexer, Parser } = yamlLib();
  const parser = new Parser(lineCounter.addNewLine);
  lineCounter.addNewLine(0);
  const tokens: CST.Token[] = [];
  let count = 0;
  for (const lexeme of new Lexer().lex(text)) {
    if (++count > maxTokens) return { largeAt: parser.offset };
    for (const token of parser.next(lexeme)) tokens.push(token);
    if (parser.stack.length <= limit) continue;
    const open = parser.stack.filter((t) => t.type === 'block-map' || t.type === 'block-seq' || t.type === 'flow-collection');
    if (open.length > limit) return { deepAt: open[limit]!.offset };
  }
  for (const token of parser.end()) tokens.push(token);
  return { tokens };
}

/** The path of the mapping key that starts at `offset`, if there is one. */
function keyPathAt(node: unknown, offset: number, at: (string | number)[]): (string | number)[] | undefined {
  const { isMap, isScalar, isSeq } = yamlLib();
  if (isMap(node)) {
    for (const pair of node.items) {
      if (isScalar(pair.key) && pair.key.range?.[0] === offset) return [...at, String(pair.key.value)];
      const inside = isScalar(pair.key) ? keyPathAt(pair.value, offset, [...at, String(pair.key.value)]) : undefined;
      if (inside !== undefined) return inside;
    }
  } else if (isSeq(node)) {
    for (const [index, item] of node.items.entries()) {
      const inside = keyPathAt(item, offset, [...at, index]);
      if (inside !== undefined) return inside;
    }
  }
  return undefined;
}

function lineOf(bytes: Uint8Array, index: number): [number, number] {
  return lineOfText(new TextDecoder('utf-8').decode(bytes.subarray(0, index)), -1);
}

/** [line, column] of `index` in `text` (-1: just past its end). */
function lineOfText(text: string, index: number): [number, number] {
  const before = index === -1 ? text : text.slice(0, index);
  const lastNewline = before.lastIndexOf('\n');
  return [before.split('\n').length, before.length - lastNewline];
}
