import { plural } from '../diagnostics.js';
import type { Drift } from '../plan/drift.js';
import type { ResourceDrift, ResourceDriftItem } from '../plan/resource-drift.js';
import { kindNamed } from '../kinds/kinds.js';
import { diffLines, formatValue } from '../plan/field-diff.js';
import { mdCode, mdText, visible } from './neutralise.js';
import type { Change, Plan } from '../plan/planner.js';
import { diffLineText, painter, type TextStyle } from './render-text.js';

/** `plan --refresh`: what changed on micro1 outside git, printed before the plan that puts it back. */
export function renderDriftText(drift: Drift, plan: Plan, style: TextStyle): string {
  const paint = painter(style.color);
  const out: string[] = [];
  const others = (drift.resources ?? []).flatMap((d) => d.items);
  if (drift.changed.length + drift.deleted.length + others.length > 0) {
    out.push('Changed outside git since the last apply (micro1 differs from the state):', '');
    const blocks = [
      ...drift.changed.map((c) => ({ key: c.key, lines: changedBlock(c, paint) })),
      ...drift.deleted.map((d) => ({ key: d.key, lines: deletedBlock(d, plan, paint) })),
    ].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const block of blocks) out.push(...block.lines);
    for (const item of others) out.push(...resourceDriftBlock(item, paint));
    out.push('');
  }
  if (drift.warnings.length > 0) {
    out.push('Live values that could not be read (compared as their default):');
    for (const w of drift.warnings) out.push(`  ${paint.yellow('!')} ${visible(w.key)}: ${visible(w.message)}`);
    out.push('');
  }
  out.push(driftSummary(drift), '');
  return `${out.join('\n')}\n`;
}

/** One line: how many managed interviews were compared, what drifted, and what micro1 has besides. */
export function driftSummary(drift: Drift): string {
  const found =
    drift.changed.length + drift.deleted.length === 0
      ? `No drift: ${plural(drift.checked, 'managed interview')} ${drift.checked === 1 ? 'matches' : 'match'} micro1.`
      : `Drift: ${drift.changed.length} changed and ${drift.deleted.length} deleted outside git, of ${plural(drift.checked, 'managed interview')}.`;
  const unmanaged = drift.unmanaged === 0 ? '' : ` ${plural(drift.unmanaged, 'interview')} on micro1 ${drift.unmanaged === 1 ? 'is' : 'are'} not managed here (\`micro1 import\` writes files for them).`;
  return `${found}${unmanaged}${(drift.resources ?? []).map(resourceDriftSummary).join('')}`;
}

/** " Webhooks: no drift, 2 managed." and what micro1 has besides. */
function resourceDriftSummary(d: ResourceDrift): string {
  const kind = kindNamed(d.kind)!;
  const deleted = d.items.filter((i) => i.live === undefined).length;
  const changed = d.items.length - deleted;
  const many = kind.labels.many[0]!.toUpperCase() + kind.labels.many.slice(1);
  const found = d.items.length === 0 ? `no drift, ${d.checked} managed` : `${changed} changed and ${deleted} deleted outside git, of ${d.checked} managed`;
  const unmanaged = d.unmanaged === 0 ? '' : `; ${d.unmanaged} on micro1 not managed here (\`micro1 import --kind ${kind.name}\` writes files for them)`;
  return ` ${many}: ${found}${unmanaged}.`;
}

function resourceDriftBlock(item: ResourceDriftItem, paint: ReturnType<typeof painter>): string[] {
  const label = visible(`${item.kind}:${item.key}`);
  if (item.live === undefined) {
    return [`  ${paint.red('-')} ${paint.bold(label)}  (deleted on micro1, id ${visible(item.id)})  ${paint.dim(visible(item.file))}`, `      ${paint.dim('# apply creates it again from its file, if the file is still there')}`];
  }
  return [
    `  ${paint.yellow('~')} ${paint.bold(label)}  (changed on micro1, id ${visible(item.id)})  ${paint.dim(visible(item.file))}`,
    ...item.fields.map((f) => `      ${paint.yellow('~')} ${f.field}: ${formatValue(f.applied)} -> ${formatValue(f.live)}`),
  ];
}

export interface JsonDrift {
  checked: number;
  unmanaged: number;
  changed: { key: string; file: string; id: string; fields: { field: string; applied: unknown; live: unknown }[] }[];
  deleted: { key: string; file: string; id: string }[];
  warnings: { key: string; message: string }[];
  /** The other kinds' drift, each item with its `kind`; absent when the project has none of them. */
  resources?: { kind: string; checked: number; unmanaged: number; changed: { key: string; file: string; id: string; fields: { field: string; applied: unknown; live: unknown }[] }[]; deleted: { key: string; file: string; id: string }[] }[];
}

export function driftToJson(drift: Drift): JsonDrift {
  return {
    checked: drift.checked,
    unmanaged: drift.unmanaged,
    changed: drift.changed.map((c) => ({ key: c.key, file: c.file, id: c.id, fields: c.fields.map((f) => ({ field: f.field, applied: f.applied, live: f.live })) })),
    deleted: drift.deleted.map((d) => ({ key: d.key, file: d.file, id: d.id })),
    warnings: drift.warnings.map((w) => ({ ...w })),
    ...(drift.resources === undefined
      ? {}
      : {
          resources: drift.resources.map((d) => ({
            kind: d.kind,
            checked: d.checked,
            unmanaged: d.unmanaged,
            changed: d.items.filter((i) => i.live !== undefined).map((i) => ({ key: i.key, file: i.file, id: i.id, fields: i.fields.map((f) => ({ ...f })) })),
            deleted: d.items.filter((i) => i.live === undefined).map((i) => ({ key: i.key, file: i.file, id: i.id })),
          })),
        }),
  };
}

function changedBlock(c: Drift['changed'][number], paint: ReturnType<typeof painter>): string[] {
  const lines = [`  ${paint.yellow('~')} ${paint.bold(visible(c.key))}  (changed on micro1, id ${visible(c.id)})  ${paint.dim(visible(c.file))}`];
  // The same per-field and per-list-item view as the plan, from the applied value to the live one.
  const asChange: Change = {
    key: c.key,
    file: c.file,
    action: 'update',
    before: null,
    after: null,
    fields: c.fields.map((f) => ({ field: f.field, before: f.applied, after: f.live, reset: false })),
    via: [],
  };
  for (const line of diffLines(asChange)) lines.push(`      ${diffLineText(line, paint)}`);
  return lines;
}

function deletedBlock(d: Drift['deleted'][number], plan: Plan, paint: ReturnType<typeof painter>): string[] {
  return [`  ${paint.red('-')} ${paint.bold(visible(d.key))}  (deleted on micro1, id ${visible(d.id)})  ${paint.dim(visible(d.file))}`, `      ${paint.dim(`# ${visible(deletedNote(d, plan))}`)}`];
}

/** What the plan does about an interview deleted outside git. */
function deletedNote(d: Drift['deleted'][number], plan: Plan): string {
  const planned = plan.changes.find((c) => c.key === d.key);
  // A plain `micro1 apply` plans from the state, which still records the interview: only a plan
  // saved with --refresh --out, or a state without the entry, creates it.
  if (planned?.action === 'create') return `a plain \`micro1 apply\` still takes it as there (the state records it): run \`micro1 state rm ${d.key}\` first, or apply this plan saved with \`--out FILE\`, to create it again from its file`;
  if (planned?.action === 'update') return `${planned.file} pins this id, which micro1 no longer has: remove its \`id:\` line and run \`micro1 state rm ${d.key}\`, then \`micro1 apply\` creates it anew`;
  return `no file manages it any more: \`micro1 state rm ${d.key}\` drops it from the state`;
}

/** One Markdown list item per drifted interview, for the pull-request comment (`render-markdown.ts`). */
export function driftMarkdownItems(drift: Drift, plan: Plan): { text: string; label: string }[] {
  const changed = drift.changed.map((c) => ({
    key: c.key,
    text: `- ${mdCode(c.key)} changed on micro1 (id ${mdCode(c.id)}): ${c.fields.map((f) => `${mdCode(f.field)} ${mdCode(formatValue(f.applied))} → ${mdCode(formatValue(f.live))}`).join('; ')}\n`,
  }));
  const deleted = drift.deleted.map((d) => ({ key: d.key, text: `- ${mdCode(d.key)} deleted on micro1 (id ${mdCode(d.id)}): ${mdText(deletedNote(d, plan))}\n` }));
  const others = (drift.resources ?? []).flatMap((d) => d.items).map((i) => {
    const label = `${i.kind}:${i.key}`;
    const what = i.live === undefined ? 'deleted on micro1' : 'changed on micro1';
    const fields = i.fields.map((f) => `${mdCode(f.field)} ${mdCode(formatValue(f.applied))} → ${mdCode(formatValue(f.live))}`).join('; ');
    return { text: `- ${mdCode(label)} ${what} (id ${mdCode(i.id)})${fields === '' ? '' : `: ${fields}`}\n`, label };
  });
  return [...[...changed, ...deleted].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((i) => ({ text: i.text, label: i.key })), ...others];
}
