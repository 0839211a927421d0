import { formatValue } from '../plan/field-diff.js';
import { countActions, type Action, type Plan } from '../plan/planner.js';
import type { ResourceChange } from '../plan/resource-planner.js';
import { KINDS } from '../kinds/kinds.js';
import { mdCodeBlock, mdHtml } from './neutralise.js';

/**
 * The other kinds' changes (webhooks) in every plan view: text blocks, Markdown sections and
 * JSON. Each is labelled `KIND:KEY`, the form `--target` takes. A change to a prominent field (a
 * webhook's url, which decides where candidate data goes) is marked `!` in both views, and the
 * planner also warns about it. URLs and descriptions are hostile text: everything goes through
 * formatValue / neutralise.ts.
 */

export const RESOURCE_SYMBOL = { create: '+', update: '~', delete: '-', 'no-op': ' ' } as const;
const VERB = { create: 'create', update: 'update', delete: 'delete', 'no-op': 'no change' } as const;

export function actionableResources(plan: Plan): ResourceChange[] {
  return (plan.resources ?? []).filter((c) => c.action !== 'no-op');
}

/** The label a change is shown under, and may be selected by: `webhook:ats/reports`. */
export function resourceLabel(c: { kind: string; key: string }): string {
  return `${c.kind}:${c.key}`;
}

/** Counts over every kind, interviews included. */
export function allCounts(plan: Plan): Record<Action, number> {
  const n = countActions(plan.changes);
  for (const c of plan.resources ?? []) n[c.action]++;
  return n;
}

/**
 * What already matches, with its verb: "3 interviews already match", "1 webhook already matches",
 * "1 interview and 2 webhooks already match". Kinds with none are left out (interviews only when
 * there is nothing at all), so a plan without other kinds reads as it always has.
 */
export function kindsNoun(plan: Plan): string {
  const interviews = plan.changes.filter((c) => c.action === 'no-op').length + (plan.unchanged ?? 0);
  const counts: [number, string, string][] = [[interviews, 'interview', 'interviews']];
  for (const kind of KINDS) counts.push([(plan.resources ?? []).filter((c) => c.kind === kind.name && c.action === 'no-op').length, kind.labels.one, kind.labels.many]);
  const some = counts.filter(([n]) => n > 0);
  const shown = some.length === 0 ? [counts[0]!] : some;
  const noun = shown.map(([n, one, many]) => `${n} ${n === 1 ? one : many}`).join(' and ');
  return `${noun} already ${shown.length === 1 && shown[0]![0] === 1 ? 'matches' : 'match'}`;
}

/** The diff lines of one change, without colour: `+`, `-`, `~`, and `!` for a prominent field. */
export function resourceLines(c: ResourceChange): { op: '+' | '-' | '~' | '!'; text: string }[] {
  const lines: { op: '+' | '-' | '~' | '!'; text: string }[] = [];
  if (c.note) lines.push({ op: '~', text: `# ${c.note}` });
  if (c.action === 'delete' && c.before) {
    for (const [field, value] of Object.entries(c.before)) lines.push({ op: '-', text: `${field}: ${formatValue(value)}` });
    return lines;
  }
  for (const f of c.fields) {
    if (f.before === undefined) lines.push({ op: '+', text: `${f.field}: ${formatValue(f.after)}` });
    else if (f.prominent) lines.push({ op: '!', text: `${f.field}: ${formatValue(f.before)} -> ${formatValue(f.after)}  # where micro1 sends candidate data changes` });
    else lines.push({ op: '~', text: `${f.field}: ${formatValue(f.before)} -> ${formatValue(f.after)}` });
  }
  return lines;
}

/** The head of a change: label, what happens (and to which id), the file. Parts are not yet escaped. */
export function resourceHead(c: ResourceChange): { label: string; details: string; file: string } {
  return { label: resourceLabel(c), details: [VERB[c.action], ...(c.id === undefined ? [] : [`id ${c.id}`])].join(', '), file: c.file };
}

/** One collapsed Markdown section, as interviews have (render-markdown.ts). */
export function resourceSectionMarkdown(c: ResourceChange): string {
  const head = resourceHead(c);
  const summary = `<code>${RESOURCE_SYMBOL[c.action]}</code> <b>${mdHtml(head.label)}</b> (${mdHtml(head.details)}) <code>${mdHtml(head.file)}</code>`;
  const lines = resourceLines(c).map((l) => (l.op === '~' && l.text.startsWith('# ') ? l.text : `${l.op === '~' ? '!' : l.op} ${l.text}`));
  return `\n<details><summary>${summary}</summary>\n${lines.length === 0 ? '' : `\n${mdCodeBlock(lines, 'diff')}`}\n</details>\n`;
}

export interface JsonResourceChange {
  kind: string;
  key: string;
  file: string;
  id: string | null;
  action: Action;
  before: Readonly<Record<string, string>> | null;
  after: Readonly<Record<string, string>> | null;
  changed_fields: string[];
  source_hash: string | null;
  sources: Record<string, string>;
  note: string | null;
}

export function resourceToJson(c: ResourceChange): JsonResourceChange {
  return {
    kind: c.kind,
    key: c.key,
    file: c.file,
    id: c.id ?? null,
    action: c.action,
    before: c.before,
    after: c.after,
    changed_fields: c.fields.map((f) => f.field),
    source_hash: c.sourceHash ?? null,
    sources: c.sources ?? {},
    note: c.note ?? null,
  };
}
