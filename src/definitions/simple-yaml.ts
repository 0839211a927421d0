/**
 * A fast path for the simple YAML that definitions are written in. Speed: planning 10,000 new files
 * spent most of its time building the yaml package's CST and Document; one pass over the lines of
 * block mappings, lists, one-line scalars and `|`/`>` text is about ten times faster. Correctness:
 * it never guesses. Anything unusual, and every input yaml reports an error for, returns
 * `undefined` for the full parser to read (and report with positions); otherwise the value is the
 * one `parseAllDocuments(text, { uniqueKeys: true })` gives, as the differential tests in
 * test/simple-yaml.test.ts check over real files and mutated generated ones.
 */

/** The same limit as the full parser's (yaml-file.ts); deeper files are its job to report. */
const MAX_DEPTH = 64;
/** YAML 1.2 limits an implicit key to 1024 characters; the yaml package reports longer ones. */
const MAX_KEY_LENGTH = 1024;

const KEY_LINE = /^([A-Za-z_][A-Za-z0-9_-]*):(?: +(.*))?$/s;
/** null and booleans resolve to other keys; `__proto__` is special in JS. */
const SPECIAL_KEYS = new Set(['null', 'Null', 'NULL', 'true', 'True', 'TRUE', 'false', 'False', 'FALSE', '__proto__']);
const SEQ_ITEM = /^-( +)(.*)$/s;
const BLOCK_HEADER = /^([|>])(-?)(?: +#.*| *)$/s;
const SINGLE_QUOTED = /^'((?:[^']|'')*)'(?: +#.*| *)$/s;
const DOUBLE_QUOTED = /^"((?:[^"\\]|\\(?:[\\"/nt]|u[0-9A-Fa-f]{4}))*)"(?: +#.*| *)$/s;
const ESCAPES: Record<string, string> = { '\\': '\\', '"': '"', '/': '/', n: '\n', t: '\t' };
/** A plain scalar starting with one of these is flow, an anchor, an alias, a tag, … */
const INDICATORS = new Set('-?:,[]{}#&*!|>\'"%@`');
const NULLS = new Set(['~', 'null', 'Null', 'NULL']);
const BOOLEANS = new Map([['true', true], ['True', true], ['TRUE', true], ['false', false], ['False', false], ['FALSE', false]]);
/** Exact in a double, unlike 16 digits; other numbers (007, 1e3, .5, 0x1F, .inf) are left to yaml. */
const SIMPLE_INT = /^(?:0|[1-9][0-9]{0,14})$/;
/**
 * The union of the `test` patterns of the core schema's number tags (yaml/dist/schema/core): a
 * stricter "starts with a digit" would send every id like `3f2b9c4e-8d1a-…` to the full parser.
 */
const CORE_NUMBER = /^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?)$/;

export function parseSimpleYaml(text: string): Record<string, unknown> | undefined {
  // CR and tab change how yaml counts indentation and trims lines: not worth matching here.
  if (text.includes('\r') || text.includes('\t')) return undefined;
  return new Reader(text).document();
}

/**
 * Parse functions return `undefined` for "outside the subset" (YAML's null is `null`). On return,
 * `at` is the next line that is neither blank nor a comment, or past the end.
 */
class Reader {
  private readonly lines: string[];
  private at = 0;

  constructor(text: string) {
    this.lines = text.split('\n');
  }

  document(): Record<string, unknown> | undefined {
    this.at = this.skip(0);
    if (this.lines[this.at] === '---') this.at = this.skip(this.at + 1);
    const line = this.lines[this.at];
    // An indented first key, and any other `---`, `...` or `%` line, fail as keys. A mapping at
    // column 0 ends only at the end of the text.
    return line === undefined ? undefined : this.map(0, 1, line);
  }

  private map(col: number, depth: number, first: string): Record<string, unknown> | undefined {
    if (depth > MAX_DEPTH) return undefined;
    const result: Record<string, unknown> = {};
    for (let text = first; ; ) {
      const entry = KEY_LINE.exec(text);
      if (entry === null) return undefined;
      const key = entry[1]!;
      if (SPECIAL_KEYS.has(key) || key.length > MAX_KEY_LENGTH || Object.hasOwn(result, key)) return undefined;
      const value = this.mapValue(entry[2] ?? '', col, depth);
      if (value === undefined) return undefined;
      result[key] = value;
      const line = this.lines[this.at];
      if (line === undefined || indentOf(line) < col) return result;
      // A more indented line (which would continue the value, or be an error) fails as a key.
      text = line.slice(col);
    }
  }

  private mapValue(rest: string, col: number, depth: number): unknown {
    if (rest[0] === '|' || rest[0] === '>') return this.blockScalar(rest, col);
    if (rest !== '' && rest[0] !== '#') return this.inlineScalar(rest);
    // `key:` alone: the value is on the next lines, or null.
    this.at = this.skip(this.at + 1);
    const line = this.lines[this.at];
    if (line === undefined) return null;
    const indent = indentOf(line);
    const item = isSeqItem(line, indent);
    if (indent > col) return item ? this.seq(indent, depth + 1) : this.map(indent, depth + 1, line.slice(indent));
    // YAML lets a mapping's sequence value start at the key's own indentation.
    return indent === col && item ? this.seq(col, depth + 1) : null;
  }

  private seq(indent: number, depth: number): unknown[] | undefined {
    if (depth > MAX_DEPTH) return undefined;
    const items: unknown[] = [];
    for (;;) {
      const item = SEQ_ITEM.exec(this.lines[this.at]!.slice(indent));
      // A bare `-` (a null, or a node on the next lines) is left to yaml.
      if (item === null || item[2] === '' || item[2]![0] === '#') return undefined;
      const content = item[2]!;
      const value = KEY_LINE.test(content) ? this.map(indent + 1 + item[1]!.length, depth + 1, content) : this.inlineScalar(content);
      if (value === undefined) return undefined;
      items.push(value);
      // Anything but the next item is for the mapping around the sequence to take or refuse.
      const line = this.lines[this.at];
      if (line === undefined || indentOf(line) !== indent || !isSeqItem(line, indent)) return items;
    }
  }

  /** Its collection then refuses a more indented next line: multi-line scalars are left to yaml. */
  private inlineScalar(text: string): unknown {
    this.at = this.skip(this.at + 1);
    return scalar(text);
  }

  private blockScalar(header: string, col: number): string | undefined {
    const head = BLOCK_HEADER.exec(header);
    const start = this.at + 1;
    const first = this.lines[start];
    if (head === null || first === undefined) return undefined;
    const indent = indentOf(first);
    // Empty scalars and leading blank lines have rules of their own: left to yaml.
    if (indent <= col || indent === first.length) return undefined;
    const folded = head[1] === '>';
    let value = '';
    let blanks = 0;
    let i = start;
    for (; i < this.lines.length; i++) {
      const line = this.lines[i]!;
      if (line === '') {
        blanks++;
        continue;
      }
      const lineIndent = indentOf(line);
      // yaml keeps spaces-only lines, deeper indentation and trailing spaces, with rules of their own.
      if (lineIndent === line.length) return undefined;
      if (lineIndent < indent) break;
      if (lineIndent > indent || line.endsWith(' ')) return undefined;
      if (i > start) value += folded ? (blanks === 0 ? ' ' : '\n'.repeat(blanks)) : '\n'.repeat(blanks + 1);
      value += line.slice(indent);
      blanks = 0;
    }
    // The scalar ends before its trailing blank lines; clip keeps one line break, strip none.
    this.at = this.skip(i);
    return head[2] === '-' ? value : `${value}\n`;
  }

  private skip(from: number): number {
    let i = from;
    for (; i < this.lines.length; i++) {
      const line = this.lines[i]!;
      const indent = indentOf(line);
      if (indent < line.length && line[indent] !== '#') break;
    }
    return i;
  }
}

function scalar(text: string): unknown {
  if (text[0] === "'") {
    const body = SINGLE_QUOTED.exec(text)?.[1];
    return body?.replaceAll("''", "'");
  }
  if (text[0] === '"') {
    const body = DOUBLE_QUOTED.exec(text)?.[1];
    return body?.replace(/\\(?:u([0-9A-Fa-f]{4})|(.))/g, (_, hex: string | undefined, ch: string) =>
      hex === undefined ? ESCAPES[ch]! : String.fromCharCode(parseInt(hex, 16)),
    );
  }
  const comment = text.indexOf(' #');
  const value = trimSpaces(comment === -1 ? text : text.slice(0, comment));
  if (INDICATORS.has(value[0]!) || value.includes(': ') || value.endsWith(':')) return undefined;
  if (NULLS.has(value)) return null;
  const boolean = BOOLEANS.get(value);
  if (boolean !== undefined) return boolean;
  if (SIMPLE_INT.test(value)) return Number(value);
  return CORE_NUMBER.test(value) ? undefined : value;
}

function isSeqItem(line: string, indent: number): boolean {
  return line[indent] === '-' && (line.length === indent + 1 || line[indent + 1] === ' ');
}

function indentOf(line: string): number {
  let i = 0;
  while (line[i] === ' ') i++;
  return i;
}

/** `trim` would also drop the no-break and other Unicode spaces that yaml keeps. */
function trimSpaces(text: string): string {
  let end = text.length;
  while (end > 0 && text[end - 1] === ' ') end--;
  return text.slice(0, end);
}
