/**
 * Reading a large state without building every spec.
 *
 * A state of 10,000 interviews is 15 MB, four fifths of it the `spec` of each entry. A plan in
 * which most files are unchanged never looks at those specs (an unchanged file's body is its
 * entry's spec, taken as is), yet parsing them all, and collecting the garbage, cost more than
 * reading and hashing every definition file. So the state micro1-sync writes is read in two parts:
 * everything but the specs is parsed at once; each spec is checked at once (it is one JSON object
 * whose `interview_name` is a string, exactly what the full check asks of it) and only parsed
 * when something reads it.
 *
 * It relies on the layout `serializeState` writes: 2-space indent, so every spec starts on a line
 * `      "spec": {` (a line starts outside any JSON string, so this is a key). A state in any other
 * layout, or anything this reader is not sure of, gives undefined and is read the ordinary way,
 * which also gives the precise error for a broken file.
 */
import { defineLazy } from './lazy.js';

const SPEC_OPEN = Buffer.from('\n      "spec": {');

/**
 * The parsed state, its specs read on first use; undefined when the file is not in the layout
 * micro1-sync writes or any spec is not a valid body. `accept` checks the rest of the state, while
 * each spec is still a number standing in for it.
 */
export function readStateLazily(bytes: Buffer, accept: (raw: unknown) => boolean): unknown {
  // The state without its specs, each replaced by its index: a number, which no body can be.
  const skeleton = Buffer.allocUnsafe(bytes.length);
  let length = 0;
  const specs: number[] = [];
  let from = 0;
  for (let at = bytes.indexOf(SPEC_OPEN); at !== -1; at = bytes.indexOf(SPEC_OPEN, from)) {
    const start = at + SPEC_OPEN.length - 1;
    const end = new BodyScanner(bytes).end(start);
    if (end === -1) return undefined;
    length += bytes.copy(skeleton, length, from, start);
    length += skeleton.write(String(specs.length / 2), length, 'latin1');
    specs.push(start, end);
    from = end;
  }
  if (specs.length === 0) return undefined;
  length += bytes.copy(skeleton, length, from);
  let raw: unknown;
  try {
    raw = JSON.parse(skeleton.toString('utf8', 0, length));
  } catch {
    return undefined;
  }
  const holders = specHolders(raw);
  if (holders === undefined || holders.length * 2 !== specs.length || !accept(raw)) return undefined;
  // Each index must be where its own spec was, once: a number written by hand is not a spec.
  for (const [index, holder] of holders.entries()) {
    if (holder.spec !== index) return undefined;
    const start = specs[2 * index]!;
    const end = specs[2 * index + 1]!;
    defineLazy(holder, 'spec', () => JSON.parse(bytes.toString('utf8', start, end)));
  }
  return raw;
}

/** Every interview entry and pending create, in file order; undefined if the shape is not a state's. */
function specHolders(raw: unknown): { spec: unknown }[] | undefined {
  if (!isRecord(raw) || !isRecord(raw.interviews)) return undefined;
  const holders: { spec: unknown }[] = [];
  for (const entry of Object.values(raw.interviews)) {
    if (!isRecord(entry) || typeof entry.spec !== 'number') return undefined;
    holders.push(entry as { spec: unknown });
  }
  if (raw.pending === undefined) return holders;
  if (!Array.isArray(raw.pending)) return undefined;
  for (const pending of raw.pending as unknown[]) {
    if (!isRecord(pending) || typeof pending.spec !== 'number') return undefined;
    holders.push(pending as { spec: unknown });
  }
  // Keys sorted as written, entries before pending: file order is the order found above.
  return holders;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const INTERVIEW_NAME = Buffer.from('"interview_name"');
/** A spec nests 3 levels; a file nested far deeper is not one micro1-sync wrote. */
const MAX_DEPTH = 16;

/**
 * Finds where the JSON object starting at `start` ends, checking on the way that JSON.parse
 * accepts it and that its `interview_name` (the last one, which JSON.parse keeps) is a string.
 * Builds nothing: that is the point.
 */
export class BodyScanner {
  private i = 0;
  private nameIsString = false;

  constructor(private readonly bytes: Uint8Array) {}

  /** Just past the object's closing brace, or -1 when it is not a valid body. */
  end(start: number): number {
    this.i = start;
    if (this.bytes[start] !== 0x7b || !this.object(0)) return -1;
    return this.nameIsString ? this.i : -1;
  }

  private space(): void {
    const { bytes } = this;
    let c = bytes[this.i];
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = bytes[++this.i];
  }

  private value(depth: number): boolean {
    if (depth > MAX_DEPTH) return false;
    this.space();
    const c = this.bytes[this.i];
    if (c === 0x7b) return this.object(depth);
    if (c === 0x5b) return this.array(depth);
    if (c === QUOTE) return this.string();
    if (c === 0x74) return this.word('true');
    if (c === 0x66) return this.word('false');
    if (c === 0x6e) return this.word('null');
    return c === 0x2d || (c !== undefined && c >= 0x30 && c <= 0x39) ? this.number() : false;
  }

  private object(depth: number): boolean {
    this.i++;
    this.space();
    if (this.bytes[this.i] === 0x7d) return (this.i++, true);
    for (;;) {
      this.space();
      const keyStart = this.i;
      if (this.bytes[keyStart] !== QUOTE || !this.string()) return false;
      const isName = depth === 0 && this.i - keyStart === INTERVIEW_NAME.length && INTERVIEW_NAME.equals(this.bytes.subarray(keyStart, this.i));
      this.space();
      if (this.bytes[this.i++] !== 0x3a) return false;
      this.space();
      if (isName) this.nameIsString = this.bytes[this.i] === QUOTE;
      if (!this.value(depth + 1)) return false;
      this.space();
      const c = this.bytes[this.i++];
      if (c === 0x7d) return true;
      if (c !== 0x2c) return false;
    }
  }

  private array(depth: number): boolean {
    this.i++;
    this.space();
    if (this.bytes[this.i] === 0x5d) return (this.i++, true);
    for (;;) {
      if (!this.value(depth + 1)) return false;
      this.space();
      const c = this.bytes[this.i++];
      if (c === 0x5d) return true;
      if (c !== 0x2c) return false;
    }
  }

  private string(): boolean {
    const { bytes } = this;
    let i = this.i + 1;
    for (;;) {
      const c = bytes[i++];
      if (c === QUOTE) break;
      if (c === undefined || c < 0x20) return false;
      if (c !== BACKSLASH) continue;
      const e = bytes[i++];
      if (e === 0x75) {
        for (let k = 0; k < 4; k++) if (!isHex(bytes[i++])) return false;
      } else if (e !== QUOTE && e !== BACKSLASH && e !== 0x2f && e !== 0x62 && e !== 0x66 && e !== 0x6e && e !== 0x72 && e !== 0x74) {
        return false;
      }
    }
    this.i = i;
    return true;
  }

  private number(): boolean {
    const { bytes } = this;
    if (bytes[this.i] === 0x2d) this.i++;
    if (bytes[this.i] === 0x30) this.i++;
    else if (!this.digits()) return false;
    if (bytes[this.i] === 0x2e) {
      this.i++;
      if (!this.digits()) return false;
    }
    if (bytes[this.i] === 0x65 || bytes[this.i] === 0x45) {
      this.i++;
      if (bytes[this.i] === 0x2b || bytes[this.i] === 0x2d) this.i++;
      if (!this.digits()) return false;
    }
    return true;
  }

  private digits(): boolean {
    const first = this.i;
    let c = this.bytes[this.i];
    while (c !== undefined && c >= 0x30 && c <= 0x39) c = this.bytes[++this.i];
    return this.i > first;
  }

  private word(text: string): boolean {
    for (let k = 0; k < text.length; k++) if (this.bytes[this.i++] !== text.charCodeAt(k)) return false;
    return true;
  }
}

function isHex(c: number | undefined): boolean {
  return c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66));
}
