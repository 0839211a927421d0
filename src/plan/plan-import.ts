import path from 'node:path';
import { bodyFrom } from '../definitions/body-model.js';
import { BODY_DEFAULTS, BODY_FIELDS, jsonEqual, type CanonicalBody } from '../definitions/canonical.js';
import { definitionYaml } from '../definitions/canonical-yaml.js';
import { definitionSchema, ID_PATTERN } from '../definitions/interview-schema.js';
import type { Definition } from '../definitions/load-definitions.js';
import { combinedHash, sha256 } from '../definitions/source-hash.js';
import { fromListItem, inviteUrlOf, isListHidden, LIST_HIDDEN_FIELDS, listComparable } from '../api/list-shape.js';
import type { State, StateEntry } from '../state/state-model.js';
import { parseYamlSource } from '../definitions/yaml-file.js';

/** An interview micro1 has and this project will manage after the import. */
export interface ImportedInterview {
  key: string;
  /** Project-relative path of its definition file. */
  file: string;
  id: string;
  name: string;
  /**
   * The file's new text; undefined when an existing file that pins the id already says what
   * micro1 has (an import cut short after writing it, or a hand-written adoption): only state is recorded.
   */
  text?: string;
  /** The file existed and is replaced (`--force`). */
  overwrites: boolean;
  /** The state entry to record, less `appliedAt` (the command's clock). */
  entry: Omit<StateEntry, 'appliedAt'>;
  /** Values that could not be mapped back to a definition, and what was written instead. */
  warnings: string[];
}

export interface SkippedInterview {
  id: string;
  name: string;
  reason: string;
}

export interface ImportPlan {
  imported: ImportedInterview[];
  skipped: SkippedInterview[];
  /** Listed interviews the state already manages: left alone, only counted. */
  managed: number;
}

export interface ImportInput {
  /** GET /interviews items, as listed. */
  live: readonly unknown[];
  state: State;
  /** The project's (valid) definitions: some may pin ids already. */
  definitions: readonly Definition[];
  /** Key of every .yaml/.yml file under the interviews root, fragments included. */
  existingKeys: readonly string[];
  /** Project-relative interviews folder ("interviews", or "." for the project root), for file paths. */
  interviewsFolder: string;
  /** `--dir`: the folder under the interviews folder new files go in ('' for the interviews folder itself), forward slashes. */
  subfolder?: string;
  force: boolean;
}

/** Longest slug written; long names make unwieldy paths. */
const MAX_SLUG = 60;

/**
 * What `micro1 import` writes: one canonical file per live interview not yet managed, with its id
 * pinned, under a slug of its name (`-2`, `-3`… on collision with any file, state key or other
 * import, case-insensitively), and the state entry that makes the next plan a no-op. Pure.
 *
 * coding_exercise_details: the list shape does not have it, so the file leaves it out and the state
 * records what the file means, "" (a no-op next plan, as for every other field), and that micro1
 * never showed it (`unseen`). Apply sends the whole body, so an update of such a file would clear
 * details micro1 holds but never showed us: the plan marks it and apply refuses until the file sets
 * the field. Interviews with a coding round, the only ones where details matter, get a comment
 * saying so at the top of their file, and a warning.
 */
export function planImport(input: ImportInput): ImportPlan {
  const imported: ImportedInterview[] = [];
  const skipped: SkippedInterview[] = [];
  const managedKey = new Map(Object.entries(input.state.interviews).map(([key, e]) => [e.id, key]));
  const pinnedBy = new Map(input.definitions.filter((d) => d.id !== undefined).map((d) => [d.id!, d]));
  const pendingNames = new Map(input.state.pending.map((p) => [p.interview_name, p.key]));
  const taken = new Set([...input.existingKeys, ...Object.keys(input.state.interviews), ...input.state.pending.map((p) => p.key)].map((k) => k.toLowerCase()));

  const items = input.live.map((item) => fromListItem(item)).sort((a, b) => compare(slugOf(a.body.interview_name), slugOf(b.body.interview_name)) || compare(a.id ?? '', b.id ?? ''));
  const seen = new Set<string>();
  let managed = 0;
  for (const { id, body, meta, warnings } of items) {
    const name = body.interview_name;
    const skip = (reason: string) => void skipped.push({ id: id ?? '', name, reason });
    if (id === undefined || !ID_PATTERN.test(id)) {
      skip(`its interview_id ${JSON.stringify(id ?? null)} is not a usable id`);
      continue;
    }
    if (name.trim() === '') {
      skip('it has no name, which a definition needs');
      continue;
    }
    if (seen.has(id)) {
      skip('micro1 listed it twice');
      continue;
    }
    seen.add(id);
    if (managedKey.has(id)) {
      managed++;
      continue;
    }
    const pendingKey = pendingNames.get(name);
    if (pendingKey !== undefined) {
      skip(`it may be the unconfirmed create of ${pendingKey}: run \`micro1 apply\` first, which adopts it`);
      continue;
    }
    // What micro1 has, as a request body; the fields the list hides are unknown, so defaulted like the file (see above).
    const spec: CanonicalBody = bodyFrom(BODY_FIELDS, (f) => (isListHidden(f) ? BODY_DEFAULTS[f] : body[f]));
    const codingRound = body.is_coding_round_required || body.only_coding_round;
    const notes = codingRound ? [...warnings, CODING_DETAILS_WARNING] : warnings;

    const link = inviteUrlOf(meta.invite_url);
    const withLink = (entry: ImportedInterview['entry']): ImportedInterview['entry'] => (link === undefined ? entry : { ...entry, invite_url: link });
    const pinned = pinnedBy.get(id);
    if (pinned !== undefined) {
      if (jsonEqual(listComparable(pinned.body), listComparable(spec))) {
        imported.push({ key: pinned.key, file: pinned.file, id, name, overwrites: false, entry: withLink({ id, spec, sourceHash: pinned.sourceHash, sources: pinned.sources, unseen: [...LIST_HIDDEN_FIELDS] }), warnings });
      } else if (!input.force) {
        skip(`${pinned.file} already pins it and differs from micro1: \`micro1 import --force\` replaces the file with micro1's version, \`micro1 apply\` sends the file's`);
      } else {
        const file = written(pinned.key, pinned.file, id, name, spec, codingRound, notes, true);
        if (typeof file === 'string') skip(file);
        else imported.push({ ...file, entry: withLink(file.entry) });
      }
      continue;
    }
    const key = freeKey(input.subfolder ?? '', portableSlug(slugOf(name) || `interview-${slugOf(id)}`), taken);
    const file = written(key, path.posix.join(input.interviewsFolder, `${key}.yaml`), id, name, spec, codingRound, notes, false);
    if (typeof file === 'string') {
      skip(file);
      continue;
    }
    taken.add(key.toLowerCase());
    imported.push({ ...file, entry: withLink(file.entry) });
  }
  return { imported: imported.sort((a, b) => compare(a.key, b.key)), skipped, managed };
}

export const CODING_DETAILS_WARNING =
  'coding_exercise_details is not in the GET /interviews list, so it was left out: if micro1 has any, add them to the file before its next apply, which would clear them';

/** The header comment of an imported interview that has a coding round. */
const CODING_DETAILS_COMMENT = [
  'GET /interviews does not return coding_exercise_details, so it is not here.',
  'If this interview has coding exercise details on micro1, add them to this file',
  'before changing it: apply sends the whole body and would clear them.',
].join('\n');

/** "Senior Backend Engineer (Go)" → "senior-backend-engineer-go"; accents dropped; "" when nothing is left. */
export function slugOf(name: string): string {
  const ascii = name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
  return ascii.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+/, '').slice(0, MAX_SLUG).replace(/-+$/, '');
}

/**
 * The text of an imported file that reads back, through the reader `plan` uses, as exactly
 * `fields`: the canonical style when it does (the yaml package writes some text, a spaces-only line
 * in a block scalar, that reads back otherwise), else every string double-quoted, else a reason.
 */
export function importedFileText(fields: Record<string, unknown>, header: string | undefined): { ok: true; text: string } | { ok: false; reason: string } {
  for (const quoted of [false, true]) {
    const text = definitionYaml(fields, header, quoted);
    const back = parseYamlSource('import.yaml', new TextEncoder().encode(text));
    if (back.source !== undefined && jsonEqual(back.source.value, fields)) return { ok: true, text };
  }
  return { ok: false, reason: 'no file micro1-sync can write reads back as the text micro1 holds for it, so none was written: create its file by hand' };
}

/** The interview as imported, or why no file can say what micro1 holds. */
function written(key: string, file: string, id: string, name: string, spec: CanonicalBody, codingRound: boolean, warnings: string[], overwrites: boolean): ImportedInterview | string {
  const fields = { id, ...withoutDefaults(spec) };
  const readBack = importedFileText(fields, codingRound ? CODING_DETAILS_COMMENT : undefined);
  if (!readBack.ok) return readBack.reason;
  const { text } = readBack;
  // A file written as micro1 reports it but outside the documented limits (a 5-minute question) is
  // not a valid source of that body: no source hash, so nothing may take the file as already applied.
  const unseen = [...LIST_HIDDEN_FIELDS];
  if (!definitionSchema.safeParse(fields).success) return { key, file, id, name, text, overwrites, entry: { id, spec, sourceHash: '', unseen }, warnings };
  const sources = { [file]: sha256(text) };
  return { key, file, id, name, text, overwrites, entry: { id, spec, sourceHash: combinedHash([file], sources), sources, unseen }, warnings };
}

/** The body less every field equal to its documented default: the file says only what is particular. */
function withoutDefaults(spec: CanonicalBody): Record<string, unknown> {
  const defaults = BODY_DEFAULTS as Record<string, unknown>;
  return Object.fromEntries(Object.entries(spec).filter(([field, value]) => field === 'interview_name' || !jsonEqual(value, defaults[field])));
}

/** `base`, or `base-2`, `base-3`… : the first not taken (case-insensitively). */
export function freeSlug(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base.toLowerCase())) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`.toLowerCase())) return `${base}-${n}`;
}

/**
 * A key under `folder` not taken by any file, state key or earlier import, compared without case:
 * on Windows and macOS `Backend.yaml` and `backend.yaml` are one file.
 */
function freeKey(folder: string, base: string, taken: ReadonlySet<string>): string {
  const keyOf = (slug: string) => (folder === '' ? slug : `${folder}/${slug}`);
  if (!taken.has(keyOf(base).toLowerCase())) return keyOf(base);
  for (let n = 2; ; n++) if (!taken.has(keyOf(`${base}-${n}`).toLowerCase())) return keyOf(`${base}-${n}`);
}

/**
 * A folder that differs only in case from one that holds files already (`Imported/` and `imported/`)
 * is one folder on Windows and macOS and two on Linux: new files must go in the existing one. The
 * existing folder's spelling, if `folder` clashes with it.
 */
export function folderCaseClash(folder: string, existingKeys: readonly string[]): string | undefined {
  if (folder === '') return undefined;
  const depth = folder.split('/').length;
  const lower = folder.toLowerCase();
  for (const key of existingKeys) {
    const prefix = key.split('/').slice(0, depth).join('/');
    if (key.split('/').length > depth && prefix !== folder && prefix.toLowerCase() === lower) {
      return prefix;
    }
  }
  return undefined;
}

/** Names Windows reserves for devices, with any extension (`con.yaml` cannot be created there). */
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[1-9]|lpt[1-9])$/i;

/** Why a file or folder name cannot be used on Windows, if it cannot. */
export function windowsNameProblem(segment: string): string | undefined {
  if (WINDOWS_RESERVED.test(segment.split('.')[0]!)) return `"${segment}" is a device name Windows reserves`;
  if (/[. ]$/.test(segment)) return `"${segment}" ends with a dot or a space, which Windows drops`;
  if (/[<>:"|?*\\]/.test(segment)) return `"${segment}" holds a character Windows refuses in file names`;
  return undefined;
}

/** A slug that is a usable file name everywhere: a reserved device name gets a suffix ("con" → "con-interview"). */
function portableSlug(slug: string): string {
  return windowsNameProblem(slug) === undefined ? slug : `${slug}-interview`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
