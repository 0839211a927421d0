/**
 * Secrets kept out of everything micro1-sync prints or writes, in whatever form a server or an
 * error echoes them: exact, truncated (any WINDOW consecutive characters), upper- or lower-cased,
 * URL-encoded, JSON- or HTML-escaped, or with spaces between the characters; in one text
 * (`redact`), or in a stream written in pieces, a secret cut between writes too (`redactStream`).
 */

/** A run of this many characters of a secret is enough to find it (and too little to guess the rest). */
const WINDOW = 12;
/** Shorter values are not treated as secrets: they would match ordinary words. */
const MIN_SECRET = 8;
const MASK = '***';

/** The values of key-like environment variables (`…API_KEY`, `…TOKEN`, `…SECRET`), plus any named explicitly. */
export function secretsOf(env: NodeJS.ProcessEnv, names: readonly string[] = []): string[] {
  const wanted = (name: string) => /(API_KEY|TOKEN|SECRET)$/i.test(name) || names.includes(name);
  return Object.entries(env).flatMap(([name, value]) => (wanted(name) && value !== undefined && value.length >= MIN_SECRET ? [value] : []));
}

/** `text` with every echo of a secret, in any of the forms above, replaced by `***`. */
export function redact(text: string, secrets: readonly string[]): string {
  return masked(text, redactRanges(text, secrets));
}

/** Where `text` echoes a secret: `[start, end)` ranges of `text`, in order, overlapping ones merged (touching ones are two masks). */
export function redactRanges(text: string, secrets: readonly string[]): [number, number][] {
  const grams = gramsOf(secrets);
  if (grams.size === 0 || text === '') return [];
  return matches(canonical(text), grams);
}

/**
 * `redact` for one stream written in pieces (a plan printed 16 KB at a time, progress lines): a
 * secret cut between two writes, even mid-escape or across a line break, is masked as if the
 * writes had been one. Each write is matched behind a carry, the end of what was written before
 * (as written, unmasked): its last CARRY characters as redact reads them (escapes decoded, white space dropped), every run
 * of white space in it shortened to one space, which reads the same and keeps the carry within
 * CARRY * (longest escape + 1) characters however much white space is written. A match that ends
 * in the new write is masked there, from the write's first character on. The guarantee is that of
 * one write: no run of WINDOW characters of a secret, in any form above, reaches the stream; what
 * went out before the cut is shorter than WINDOW, so it is not one (a single write lets as much
 * out beside a mask, and `redact` allows it by design).
 */
export function redactStream(secrets: readonly string[]): StreamRedactor {
  const grams = gramsOf(secrets);
  let carry = '';
  const write = (text: string): string => {
    if (grams.size === 0 || text === '') return text;
    const all = carry + text;
    const seen = canonical(all);
    const ahead = carry.length;
    const mine: [number, number][] = [];
    for (const [start, end] of matches(seen, grams)) {
      if (end <= ahead) continue; // masked, or let out, by an earlier write
      // A mask that starts behind the cut starts at the write's first character that is not white space.
      let from = Math.max(start, ahead) - ahead;
      if (start < ahead) while (from < text.length && isSpace(text.charCodeAt(from))) from++;
      mine.push([from, end - ahead]);
    }
    carry = shortened(seen.length === 0 ? all : all.slice(seen.starts[Math.max(0, seen.length - CARRY)]));
    return masked(text, mine);
  };
  return Object.defineProperty(write, 'carried', { get: () => carry.length }) as StreamRedactor;
}

/** A stream's redactor: each write in, what may be let out of it back. */
export interface StreamRedactor {
  (text: string): string;
  /** How many characters it keeps of what it let out, to read the next write behind: a few hundred at most. */
  readonly carried: number;
}

/** `text` redacted as it will read after `before` (a file it is appended to): the last write of a stream that wrote `before`. */
export function redactAfter(before: string, text: string, secrets: readonly string[]): string {
  const write = redactStream(secrets);
  write(before);
  return write(text);
}

/**
 * How many characters, as redact reads them, the carry keeps: a match needs WINDOW - 1 of them
 * behind the cut, and an escape cut in two (at most 9 characters read one by one, such as
 * `&#x00002b` before its `;`) reads as one character once completed.
 */
const CARRY = WINDOW - 1 + 9;

function shortened(text: string): string {
  return text.replace(/[ \n\t\r]+/g, ' ');
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;
}

/** `text` with each range replaced by `***` (ranges in order; one that overlaps the one before extends its mask). */
function masked(text: string, ranges: readonly (readonly [number, number])[]): string {
  if (ranges.length === 0) return text;
  let out = '';
  let at = 0;
  for (const [start, end] of ranges) {
    if (end <= at) continue; // inside the mask before
    if (start >= at) out += text.slice(at, start) + MASK; // else it overlaps the mask before, which grows
    at = end;
  }
  return out + text.slice(at);
}

type Grams = Map<number, Map<number, string[]>>;
type Canonical = ReturnType<typeof canonical>;

/** Every run of the text, as redact reads it, that is a gram: as ranges of the raw text, in order. */
function matches(seen: Canonical, grams: Grams): [number, number][] {
  const { codes, starts, ends, length: n } = seen;
  const ranges: [number, number][] = [];
  for (const [length, hashes] of grams) {
    // A rolling hash of each run of `length` characters; a hit is checked character by character.
    const high = power(length - 1);
    let h = 0;
    for (let p = 0; p < n; p++) {
      if (p >= length) h = (h - Math.imul(codes[p - length]!, high)) | 0;
      h = (Math.imul(h, BASE) + codes[p]!) | 0;
      if (p + 1 < length) continue;
      const candidates = hashes.get(h);
      const from = p + 1 - length;
      if (candidates?.some((gram) => sameAt(codes, from, gram))) ranges.push([starts[from]!, ends[p]!]);
    }
  }
  if (grams.size > 1) ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return merged(ranges);
}

function merged(ranges: [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  for (const range of ranges) {
    const last = out[out.length - 1];
    if (last !== undefined && range[0] < last[1]) last[1] = Math.max(last[1], range[1]);
    else out.push([range[0], range[1]]);
  }
  return out;
}

const BASE = 0x01000193;

function power(exponent: number): number {
  let result = 1;
  for (let i = 0; i < exponent; i++) result = Math.imul(result, BASE);
  return result;
}

function hashOf(gram: string): number {
  let h = 0;
  for (let i = 0; i < gram.length; i++) h = (Math.imul(h, BASE) + gram.charCodeAt(i)) | 0;
  return h;
}

function sameAt(codes: Uint32Array, from: number, gram: string): boolean {
  for (let i = 0; i < gram.length; i++) if (codes[from + i] !== gram.charCodeAt(i)) return false;
  return true;
}

/** Every WINDOW-long run of each secret, lower-cased, by length (a secret shorter than WINDOW is one run), by hash. */
function gramsOf(secrets: readonly string[]): Map<number, Map<number, string[]>> {
  const byLength = new Map<number, Map<number, string[]>>();
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET) continue;
    const lower = [...secret].map(lowerChar).join('');
    const length = Math.min(WINDOW, lower.length);
    const hashes = byLength.get(length) ?? new Map<number, string[]>();
    for (let i = 0; i + length <= lower.length; i++) {
      const gram = lower.slice(i, i + length);
      const h = hashOf(gram);
      hashes.set(h, [...(hashes.get(h) ?? []), gram]);
    }
    byLength.set(length, hashes);
  }
  return byLength;
}

/**
 * The text as the characters it stands for: escapes decoded, white space dropped, lower-cased,
 * with each character's span in the original so that a match can be masked where it stands.
 */
function canonical(text: string): { codes: Uint32Array; starts: Int32Array; ends: Int32Array; length: number } {
  const codes = new Uint32Array(text.length);
  const starts = new Int32Array(text.length);
  const ends = new Int32Array(text.length);
  let n = 0;
  for (let i = 0; i < text.length; ) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d) {
      i++;
      continue;
    }
    const escaped = c === 0x25 || c === 0x5c || c === 0x26 ? decodeAt(text, i) : undefined;
    const char = escaped === undefined ? c : escaped[0];
    const length = escaped === undefined ? 1 : escaped[1];
    codes[n] = char >= 0x41 && char <= 0x5a ? char + 32 : char < 0x80 ? char : lowerChar(String.fromCharCode(char)).charCodeAt(0);
    starts[n] = i;
    ends[n] = i + length;
    n++;
    i += length;
  }
  return { codes, starts, ends, length: n };
}

function lowerChar(c: string): string {
  const lower = c.toLowerCase();
  return lower.length === c.length ? lower : c;
}

/** `%2B`, `\u002b`, `\x2b`, `&#43;`, `&#x2b;`, and a JSON-escaped `\/`. */
const ESCAPES: readonly RegExp[] = [/%([0-9a-f]{2})/iy, /\\u([0-9a-f]{4})/iy, /\\x([0-9a-f]{2})/iy, /&#(\d{1,7});/y, /&#x([0-9a-f]{1,6});/iy, /\\([/\\"])/y];

/** The UTF-16 code an escape at `at` stands for, and the escape's length. */
function decodeAt(text: string, at: number): [number, number] | undefined {
  for (const re of ESCAPES) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (m === null) continue;
    const value = m[1]!;
    if (/^[/\\"]$/.test(value)) return [value.charCodeAt(0), m[0].length];
    const code = Number.parseInt(value, re.source.startsWith('&#(') ? 10 : 16);
    return code <= 0xffff ? [code, m[0].length] : undefined;
  }
  return undefined;
}
