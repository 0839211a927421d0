import { isAlias, isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';
import type { Diagnostic } from './diagnostics.js';

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

export function parseYamlSource(file: string, bytes: Uint8Array): { source?: YamlSource; diagnostics: Diagnostic[] } {
  const fail = (message: string, line = 1, column = 1, hint?: string) => ({
    diagnostics: [{ severity: 'error' as const, file, line, column, path: '', message, ...(hint ? { hint } : {}) }],
  });

  const nul = bytes.indexOf(0);
  if (nul !== -1) return fail('is a binary file (it contains a NUL byte), not YAML text', ...lineOf(bytes, nul));
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const loose = new TextDecoder('utf-8').decode(bytes);
    return fail('is not valid UTF-8', ...lineOfText(loose, loose.indexOf('\uFFFD')), 'save the file as UTF-8');
  }
  // A UTF-8 byte-order mark is accepted; drop it so columns on line 1 count from the first real character.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);

  const lineCounter = new LineCounter();
  let docs: Document.Parsed[];
  try {
    docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true }) as Document.Parsed[];
  } catch (error) {
    if (error instanceof RangeError) return fail('is nested too deeply to parse');
    throw error;
  }
  const pos = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };

  if (!Array.isArray(docs) || docs.length === 0) return fail('is empty', 1, 1, 'an interview needs at least interview_name');
  if (docs.length > 1) {
    const second = pos(docs[1]!.range[0]);
    return fail('holds more than one YAML document', second.line, second.column, 'keep one interview per file');
  }
  const doc = docs[0]!;
  const syntax: Diagnostic[] = doc.errors.map((e) => {
    const duplicate = e.code === 'DUPLICATE_KEY' ? text.slice(e.pos[0], e.pos[1]).trim() : undefined;
    return {
      severity: 'error',
      file,
      ...pos(e.pos[0]),
      path: duplicate ?? '',
      message: duplicate !== undefined ? `duplicate key "${duplicate}": each field may appear only once` : `YAML syntax: ${e.message}`,
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
    if (/alias/i.test(message)) return fail(`expands aliases too many times (limit ${MAX_ALIAS_COUNT}): refused as an alias bomb`);
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

function lineOf(bytes: Uint8Array, index: number): [number, number] {
  return lineOfText(new TextDecoder('utf-8').decode(bytes.subarray(0, index)), -1);
}

/** [line, column] of `index` in `text` (-1: just past its end). */
function lineOfText(text: string, index: number): [number, number] {
  const before = index === -1 ? text : text.slice(0, index);
  const lastNewline = before.lastIndexOf('\n');
  return [before.split('\n').length, before.length - lastNewline];
}
