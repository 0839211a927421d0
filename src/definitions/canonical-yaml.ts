import { isDeepStrictEqual } from 'node:util';
import { Document, isMap, isScalar, isSeq, parseDocument, visit, type Pair, type YAMLMap } from 'yaml';
import { BODY_FIELDS, ITEM_KEYS } from './body-model.js';

/**
 * The canonical form of a definition or fragment file, shared by `micro1 fmt` (which rewrites files
 * and keeps their comments) and `micro1 import` (which writes new ones), so an imported file is
 * already formatted. Keys: `id`, `extends`, then the request body's fields in openapi.json's order,
 * then any key we do not know, in its original order. Style: block collections, 2-space indent,
 * list items indented under their key, no line folding.
 */
export const TOP_LEVEL_ORDER: readonly string[] = ['id', 'extends', ...BODY_FIELDS];

/** Key order inside list items, as in the request body. */
const ITEM_ORDER: Readonly<Record<string, readonly string[] | undefined>> = ITEM_KEYS;

/**
 * `lineWidth: 0` never folds a line: a long question stays on one line rather than being wrapped
 * into a multi-line plain scalar, which reads as a different value to most people.
 */
const STYLE = { indent: 2, indentSeq: true, lineWidth: 0 } as const;

export type FormatResult = { ok: true; text: string } | { ok: false; reason: string };

/**
 * Every string double-quoted, with escapes: the one style that can say any text (a spaces-only
 * line, a trailing space, a tab, CR, U+2028) exactly. Only for text the plain style would not.
 */
const QUOTED = { ...STYLE, blockQuote: false, defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN' } as const;

/**
 * Writes `fields` (any key order) as a canonical file, with an optional comment block on top;
 * `quoted` writes every string value double-quoted (see QUOTED).
 */
export function definitionYaml(fields: Record<string, unknown>, header?: string, quoted = false): string {
  const doc = new Document(orderKeys(fields, TOP_LEVEL_ORDER));
  if (header !== undefined) doc.commentBefore = header.split('\n').map((line) => (line === '' ? '' : ` ${line}`)).join('\n');
  return doc.toString(quoted ? QUOTED : STYLE);
}

/**
 * The canonical text of a file, comments kept: the top-level pairs (and those of skill and question
 * items) are put in canonical order, collections in block style. Idempotent. Refuses (never
 * rewrites) a file that is not one YAML mapping, and one whose meaning the rewrite would change
 * (an alias moved above its anchor, say): the result is parsed back and compared with the original.
 * `order` is another kind's field order (a webhook's url, event, description).
 */
export function formatDefinitionText(text: string, order: readonly string[] = TOP_LEVEL_ORDER): FormatResult {
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const doc = parseDocument(source, { uniqueKeys: true });
  if (doc.errors.length > 0) return { ok: false, reason: `YAML syntax: ${doc.errors[0]!.message.split('\n')[0]!}` };
  if (!isMap(doc.contents)) return { ok: false, reason: 'its top level is not a mapping of fields' };
  const before = doc.toJS({ maxAliasCount: 100 }) as unknown;

  const root = doc.contents;
  const first = root.items[0];
  sortPairs(root, order);
  if (first !== undefined && root.items[0] !== first) keepHeaderOnTop(doc, first);
  const newFirst = root.items[0];
  if (newFirst !== undefined && isScalar(newFirst.key)) newFirst.key.spaceBefore = false;
  for (const pair of root.items) {
    const order = isScalar(pair.key) ? ITEM_ORDER[String(pair.key.value)] : undefined;
    if (order !== undefined && isSeq(pair.value)) for (const item of pair.value.items) if (isMap(item)) sortPairs(item, order);
  }
  visit(doc, {
    Map: (_, node) => void (node.items.length > 0 && (node.flow = false)),
    Seq: (_, node) => void (node.items.length > 0 && (node.flow = false)),
  });

  const refused: FormatResult = { ok: false, reason: 'reordering it would change what it means (YAML anchors and aliases?); format it by hand' };
  let out: string;
  try {
    out = doc.toString(STYLE);
  } catch {
    return refused; // yaml refuses to print an alias above its anchor
  }
  const again = parseDocument(out, { uniqueKeys: true });
  if (again.errors.length > 0 || !isDeepStrictEqual(again.toJS({ maxAliasCount: 100 }), before)) return refused;
  return { ok: true, text: out };
}

/** Known keys in `order`, then unknown ones as they were; comments travel with their pair. */
function sortPairs(map: YAMLMap, order: readonly string[]): void {
  const rank = (pair: Pair) => {
    const i = isScalar(pair.key) ? order.indexOf(String(pair.key.value)) : -1;
    return i === -1 ? order.length : i;
  };
  // Array.prototype.sort is stable: unknown keys keep their relative order.
  map.items.sort((a, b) => rank(a) - rank(b));
}

/**
 * A comment above the first key is the file's header (a description, a yaml-language-server
 * schema line) more often than a note on that key: when the key moves down, the comment stays on top.
 */
function keepHeaderOnTop(doc: Document, pair: Pair): void {
  if (!isScalar(pair.key) || pair.key.commentBefore === undefined || pair.key.commentBefore === null) return;
  const header = pair.key.commentBefore;
  pair.key.commentBefore = undefined;
  doc.commentBefore = doc.commentBefore ? `${doc.commentBefore}\n\n${header}` : header;
}

function orderKeys(fields: Record<string, unknown>, order: readonly string[]): Record<string, unknown> {
  const known = order.filter((k) => fields[k] !== undefined).map((k) => [k, fields[k]] as const);
  const rest = Object.entries(fields).filter(([k, v]) => !order.includes(k) && v !== undefined);
  return Object.fromEntries([...known, ...rest].map(([k, v]) => [k, orderItems(k, v)]));
}

function orderItems(field: string, value: unknown): unknown {
  const order = ITEM_ORDER[field];
  if (order === undefined || !Array.isArray(value)) return value;
  return value.map((item: unknown) => (typeof item === 'object' && item !== null && !Array.isArray(item) ? orderKeys(item as Record<string, unknown>, order) : item));
}
