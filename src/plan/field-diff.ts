import { diffArrays, diffWordsWithSpace } from 'diff';
import { jsonEqual } from '../definitions/canonical.js';
import { visible } from '../render/neutralise.js';
import type { Change } from './planner.js';
import { isRecord } from '../values.js';

/** One line of a change's detail, before any styling: the renderers only decide how it looks. */
export type DiffLine =
  | { op: '+' | '-'; path: string; value: unknown }
  | { op: '~'; path: string; before: unknown; after: unknown; reset: boolean }
  | { op: '~'; path: string; words: WordPart[]; reset: boolean }
  /** micro1 never showed this field: its value there is unknown. `reset`: the file leaves it out, so apply refuses. */
  | { op: '~'; path: string; unseen: true; after: unknown; reset: boolean };

export interface WordPart {
  text: string;
  added?: boolean;
  removed?: boolean;
}

/** How a line shows a field micro1 never showed, and why apply refuses it when the file leaves it out. */
export const UNSEEN_BEFORE = '(unknown on micro1: never shown by the API)';
export const UNSEEN_REFUSED = 'not in the file: apply refuses to clear it';

/** Text longer than this (or spanning lines) is shown as a word diff instead of before -> after. */
const LONG_TEXT = 60;

export function diffLines(change: Change): DiffLine[] {
  if (change.action === 'delete' || change.action === 'no-op') return [];
  const lines: DiffLine[] = [];
  for (const f of change.fields) {
    if (f.unseen) {
      lines.push({ op: '~', path: f.field, unseen: true, after: f.after, reset: f.reset });
    } else if (f.before === undefined) {
      if (Array.isArray(f.after)) f.after.forEach((item, i) => lines.push({ op: '+', path: `${f.field}[${i}]`, value: item }));
      else lines.push({ op: '+', path: f.field, value: f.after });
    } else if (Array.isArray(f.before) && Array.isArray(f.after)) {
      lines.push(...listLines(f.field, f.before, f.after, f.reset));
    } else {
      lines.push(scalarLine(f.field, f.before, f.after, f.reset));
    }
  }
  return lines;
}

function scalarLine(path: string, before: unknown, after: unknown, reset: boolean): DiffLine {
  if (typeof before === 'string' && typeof after === 'string' && isLong(before, after)) {
    const words = diffWordsWithSpace(before, after).map((p) => ({
      text: p.value,
      ...(p.added ? { added: true } : {}),
      ...(p.removed ? { removed: true } : {}),
    }));
    return { op: '~', path, words, reset };
  }
  return { op: '~', path, before, after, reset };
}

/**
 * Lists change item by item: a run of removed items next to a run of added ones is read as the
 * same items edited (field by field); what is left over is a plain add or remove.
 */
function listLines(field: string, before: unknown[], after: unknown[], reset: boolean): DiffLine[] {
  const lines: DiffLine[] = [];
  let i = 0; // index in before
  let j = 0; // index in after
  const parts = diffArrays(before, after, { comparator: jsonEqual });
  for (let p = 0; p < parts.length; p++) {
    const part = parts[p]!;
    if (!part.added && !part.removed) {
      i += part.value.length;
      j += part.value.length;
      continue;
    }
    const next = parts[p + 1];
    if (part.removed && next?.added) {
      const paired = Math.min(part.value.length, next.value.length);
      for (let k = 0; k < paired; k++) lines.push(...itemLines(`${field}[${j + k}]`, part.value[k], next.value[k], reset));
      for (let k = paired; k < part.value.length; k++) lines.push({ op: '-', path: `${field}[${i + k}]`, value: part.value[k] });
      for (let k = paired; k < next.value.length; k++) lines.push({ op: '+', path: `${field}[${j + k}]`, value: next.value[k] });
      i += part.value.length;
      j += next.value.length;
      p++;
    } else if (part.removed) {
      part.value.forEach((v, k) => lines.push({ op: '-', path: `${field}[${i + k}]`, value: v }));
      i += part.value.length;
    } else {
      part.value.forEach((v, k) => lines.push({ op: '+', path: `${field}[${j + k}]`, value: v }));
      j += part.value.length;
    }
  }
  return lines;
}

function itemLines(path: string, before: unknown, after: unknown, reset: boolean): DiffLine[] {
  if (!isRecord(before) || !isRecord(after)) return [scalarLine(path, before, after, reset)];
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  const lines: DiffLine[] = [];
  for (const key of keys) {
    if (jsonEqual(before[key], after[key])) continue;
    if (before[key] === undefined) lines.push({ op: '+', path: `${path}.${key}`, value: after[key] });
    else if (after[key] === undefined) lines.push({ op: '-', path: `${path}.${key}`, value: before[key] });
    else lines.push(scalarLine(`${path}.${key}`, before[key], after[key], reset));
  }
  return lines;
}

/**
 * A value as it reads in a plan: strings quoted, objects as `{name: "Go"}`. One line with no
 * control, bidi or zero-width character left (`visible`), so it is safe in every medium.
 */
export function formatValue(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(formatValue).join(', ')}]`;
  if (isRecord(value)) {
    return `{${Object.entries(value)
      .map(([k, v]) => `${visible(k)}: ${formatValue(v)}`)
      .join(', ')}}`;
  }
  return visible(JSON.stringify(value) ?? 'null');
}

function isLong(a: string, b: string): boolean {
  return a.length > LONG_TEXT || b.length > LONG_TEXT || a.includes('\n') || b.includes('\n');
}
