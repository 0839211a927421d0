import { BODY_FIELDS, ITEM_KEYS as BODY_ITEM_KEYS } from '../definitions/body-model.js';
import { plural } from '../diagnostics.js';
import { formatValue } from '../plan/field-diff.js';
import { visible } from './neutralise.js';
import { hasResources, resourceEntries, type ResourceEntry, type State, type StateEntry } from '../state/state-model.js';
import { KINDS, kindNamed } from '../kinds/kinds.js';

/** `state list`: one line per managed interview (key, id, when applied), then unconfirmed creates. */
export function renderStateList(state: State, statePath: string): string {
  const keys = Object.keys(state.interviews).sort();
  const shownKeys = keys.map(visible);
  const lines: string[] = [];
  let width = 0;
  let idWidth = 0;
  // Not Math.max(...keys): a spread of 100,000+ arguments overflows the stack.
  for (const [i, key] of keys.entries()) {
    width = Math.max(width, shownKeys[i]!.length);
    idWidth = Math.max(idWidth, state.interviews[key]!.id.length);
  }
  for (const [i, key] of keys.entries()) {
    const entry = state.interviews[key]!;
    lines.push(`${shownKeys[i]!.padEnd(width)}  ${visible(entry.id).padEnd(idWidth)}  applied ${visible(entry.appliedAt)}`);
  }
  if (state.pending.length > 0) {
    lines.push(`Unconfirmed creates (the next apply looks them up on micro1 by name):`);
    for (const p of state.pending) lines.push(`  ${visible(p.key)}  ${formatValue(p.interview_name)}  sent ${visible(p.startedAt)}`);
  }
  // The other kinds (webhooks), each as KIND:KEY, the form `state rm` and `--target` take.
  const others: string[] = [];
  for (const kind of KINDS) {
    const entries = resourceEntries(state, kind.name);
    const resourceKeys = Object.keys(entries).sort();
    for (const key of resourceKeys) lines.push(`${visible(`${kind.name}:${key}`)}  ${visible(entries[key]!.id)}  ${visible(kind.summary(entries[key]!.spec))}  applied ${visible(entries[key]!.appliedAt)}`);
    const pending = (state.resourcePending ?? []).filter((p) => p.kind === kind.name);
    if (pending.length > 0) lines.push(`Unconfirmed ${kind.labels.one} creates (the next apply looks them up on micro1 by ${kind.identityLabel}):`);
    for (const p of pending) lines.push(`  ${visible(`${kind.name}:${p.key}`)}  ${visible(kind.summary(p.spec))}  sent ${visible(p.startedAt)}`);
    if (resourceKeys.length > 0) others.push(` and ${resourceKeys.length} ${resourceKeys.length === 1 ? kind.labels.one : kind.labels.many}`);
  }
  const serial = state.lineage === '' ? 'never written' : `serial ${state.serial}`;
  lines.push(`${plural(keys.length, 'interview')}${others.join('')} in ${visible(statePath)} (${serial}).`);
  return `${lines.join('\n')}\n`;
}

export function stateListToJson(state: State): unknown {
  return {
    lineage: state.lineage,
    serial: state.serial,
    interviews: Object.keys(state.interviews)
      .sort()
      .map((key) => {
        const entry = state.interviews[key]!;
        // The link when one is recorded (a state written before links were kept has none: `micro1 links --refresh`).
        return { key, id: entry.id, applied_at: entry.appliedAt, ...(entry.invite_url !== undefined ? { invite_url: entry.invite_url } : {}) };
      }),
    pending: state.pending.map((p) => ({ key: p.key, interview_name: p.interview_name, started_at: p.startedAt })),
    ...(hasResources(state)
      ? {
          resources: KINDS.flatMap((kind) => {
            const entries = resourceEntries(state, kind.name);
            return Object.keys(entries).sort().map((key) => ({ kind: kind.name, key, id: entries[key]!.id, spec: entries[key]!.spec, applied_at: entries[key]!.appliedAt }));
          }),
          resource_pending: (state.resourcePending ?? []).map((p) => ({ kind: p.kind, key: p.key, spec: p.spec, started_at: p.startedAt })),
        }
      : {}),
  };
}

/** `state show KEY`: the entry, its sources and the body last sent, field by field. */
export function renderStateEntry(key: string, entry: StateEntry, file: string | undefined): string {
  const sources = Object.keys(entry.sources ?? {});
  const lines = [
    visible(key),
    `  id:          ${visible(entry.id)}`,
    `  file:        ${file === undefined ? '(none: no file has this key now)' : visible(file)}`,
    ...(sources.length > 0 ? [`  sources:     ${visible(sources.join(', '))}`] : []),
    `  applied at:  ${visible(entry.appliedAt)}`,
    `  invite link: ${entry.invite_url === undefined ? '(none recorded: `micro1 links --refresh` reads it from micro1)' : visible(entry.invite_url)}`,
    `  source hash: ${visible(entry.sourceHash) || '(none)'}`,
    ...(entry.unseen?.length ? [`  never shown: ${visible(entry.unseen.join(', '))} (GET /interviews does not return ${entry.unseen.length === 1 ? 'it' : 'them'}: set ${entry.unseen.length === 1 ? 'it' : 'them'} in the file before the next apply)`] : []),
    '  last applied body:',
  ];
  const spec = entry.spec as unknown as Record<string, unknown>;
  const fields = [...BODY_FIELDS.filter((f) => f in spec), ...Object.keys(spec).filter((f) => !(BODY_FIELDS as readonly string[]).includes(f))];
  for (const field of fields) lines.push(`    ${visible(field)}: ${formatValue(inItemOrder(field, spec[field]))}`);
  return `${lines.join('\n')}\n`;
}

/** `state show webhook:KEY`: the entry and the body last applied, in the kind's field order. */
export function renderResourceEntry(label: string, entry: ResourceEntry, file: string | undefined): string {
  const lines = [
    visible(label),
    `  id:          ${visible(entry.id)}`,
    `  file:        ${file === undefined ? '(none: no file has this key now)' : visible(file)}`,
    `  applied at:  ${visible(entry.appliedAt)}`,
    `  source hash: ${visible(entry.sourceHash) || '(none)'}`,
    '  last applied body:',
    // The state file sorts keys; the body is shown in the kind's own field order.
    ...(kindNamed(entry.kind)?.fields ?? Object.keys(entry.spec)).map((field) => `    ${visible(field)}: ${formatValue(entry.spec[field])}`),
  ];
  return `${lines.join('\n')}\n`;
}

export function renderStateRm(removed: { key: string; id: string | undefined; file: string | undefined; pins: string | undefined; kind?: string }[], statePath: string): string {
  const lines: string[] = [];
  for (const r of removed) {
    lines.push(r.id === undefined ? `Removed the unconfirmed create of ${r.key} from ${statePath}.` : `Removed ${r.key} (id ${r.id}) from ${statePath}; it stays on micro1, no longer managed.`);
    if (r.file === undefined || r.id === undefined) continue;
    if (r.kind !== undefined) {
      lines.push(`  ${r.file} still exists: the next apply creates a second ${r.kind} from it; delete the file, or run \`micro1 import --kind ${r.kind}\` to manage this one again.`);
      continue;
    }
    if (r.pins === r.id) lines.push(`  ${r.file} still pins it: the next plan adopts it again; delete the file to stop managing it.`);
    else lines.push(`  ${r.file} still exists: the next plan creates a second interview from it; pin \`id: ${r.id}\` in it to manage this one again, or delete the file.`);
  }
  return `${lines.map(visible).join('\n')}\n`;
}

export function renderStateMv(
  moved: { id: string; from: string; to: string; oldFile: string | undefined; oldPins: boolean; newFile: string | undefined; expectedFile: string; kind?: string },
  statePath: string,
): string {
  const lines = [`Moved ${moved.from} to ${moved.to} (id ${moved.id}) in ${statePath}.`];
  if (moved.oldFile !== undefined && moved.oldPins) {
    // plan follows a pinned id to its file: the entry goes back to wherever that file is.
    lines.push(
      moved.newFile === undefined
        ? `  ${moved.oldFile} pins ${moved.id}, so the next plan moves the entry back to ${moved.from} (nothing is sent); with a pinned id, renaming the file to ${moved.expectedFile} is enough.`
        : `  ${moved.oldFile} still pins ${moved.id} too: the next plan has it adopt ${moved.id} as well; delete ${moved.oldFile} or remove its \`id:\` line.`,
    );
    return `${lines.map(visible).join('\n')}\n`;
  }
  if (moved.newFile === undefined) lines.push(`  No file ${moved.expectedFile} yet: rename the definition file too, or the next plan sees it as gone.`);
  if (moved.oldFile !== undefined) lines.push(`  ${moved.oldFile} still exists: the next plan creates it as a new ${moved.kind ?? 'interview'}.`);
  return `${lines.map(visible).join('\n')}\n`;
}

/** The state file sorts keys; list items read better in the request body's order (name before description). */
function inItemOrder(field: string, value: unknown): unknown {
  const order = ITEM_KEYS[field];
  if (order === undefined || !Array.isArray(value)) return value;
  return value.map((item: unknown) => {
    if (typeof item !== 'object' || item === null) return item;
    const record = item as Record<string, unknown>;
    const keys = [...order.filter((k) => k in record), ...Object.keys(record).filter((k) => !order.includes(k))];
    return Object.fromEntries(keys.map((k) => [k, record[k]]));
  });
}

const ITEM_KEYS: Readonly<Record<string, readonly string[] | undefined>> = BODY_ITEM_KEYS;
