import path from 'node:path';
import type { BodyField, CanonicalBody } from './canonical.js';
import type { Diagnostic } from '../diagnostics.js';
import { Loader } from './definition-loader.js';
import { entryOf, type State, type StateEntry } from '../state/state.js';
import { parseYamlSource } from './yaml-file.js';
import { discoverFiles, fileHasher, readBounded, type FoundFiles } from './source-files.js';
import { isCombinedHash } from './source-hash.js';
import { posixRelative } from '../paths.js';

/**
 * The interviews folder → definitions: finds the files, takes unchanged ones from the state (the
 * shortcut), has definition-loader.ts parse the rest, and checks what spans files (keys, pinned ids).
 */
export { discoverFiles } from './source-files.js';
export { combinedHash, DEFINITION_FORMAT, sha256 } from './source-hash.js';

/** One interview as the files describe it, ready for the planner. */
export interface Definition {
  /** Path under the interviews root without extension: `engineering/frontend-senior`. */
  key: string;
  /** Project-relative path of the file, forward slashes. */
  file: string;
  /** The pinned micro1 id, when the file has one. */
  id?: string;
  body: CanonicalBody;
  /** Fields the file or a fragment sets; every other field takes its documented default. */
  explicit: BodyField[];
  /** Project-relative fragment files merged beneath this one, in merge order. */
  fragments: string[];
  /** sha256 of each source file's bytes: the file itself and every fragment. */
  sources: Record<string, string>;
  /** sha256 over the tool's schema version and every source: changes when any input changes. */
  sourceHash: string;
}

export interface LoadResult {
  definitions: Definition[];
  diagnostics: Diagnostic[];
}

export interface LoadOptions {
  /** Absolute project root; diagnostics name files relative to it. */
  projectRoot: string;
  /** Absolute interviews root. */
  interviewsRoot: string;
  /**
   * The last-applied state. A file whose bytes, and every fragment's, hash to what the state
   * recorded is not parsed again: its body is the one last applied. The hash covers
   * DEFINITION_FORMAT, so a change in what files mean can never be hidden by this shortcut.
   */
  previous?: State;
  /**
   * The files found and hashed before the state was read (`scanFiles`), so that the state's
   * objects, kept for the whole plan, are not copied by every collection this reading causes.
   */
  scanned?: ScannedFiles;
}

/** The interview files and fragments under a root, each file's hash taken once. */
export interface ScannedFiles {
  found: FoundFiles;
  /** Project-relative path → sha256 of its bytes, or '' when it cannot be read. */
  hashes: Map<string, string>;
}

/** An interview file found under the root. */
export interface InterviewFile {
  key: string;
  /** Absolute path. */
  absolute: string;
  /** A link or not a regular file: checked in full before it is read. */
  verify: boolean;
}

/** What parsing the new and changed interview files gave. */
export interface ParsedFiles {
  definitions: Definition[];
  diagnostics: Diagnostic[];
}


export function loadDefinitions(options: LoadOptions): LoadResult {
  const work = prepare(options);
  return finish(options, work, new Loader(options).parse(work.toParse));
}

interface Prepared {
  toParse: InterviewFile[];
  /** Unchanged since the last apply: taken from the state, not parsed. */
  reused: Definition[];
  diagnostics: Diagnostic[];
}

/**
 * Finds every file under the interviews root and hashes each interview file and fragment: what a
 * plan of unchanged files needs from the files, done before the state is read (see `scanned`).
 */
export function scanFiles(options: Pick<LoadOptions, 'projectRoot' | 'interviewsRoot'>): ScannedFiles {
  const found = discoverFiles(options.interviewsRoot);
  const hashes = new Map<string, string>();
  const hashFile = fileHasher();
  const prefix = interviewsPrefix(options);
  for (const rel of found.interviews) if (!found.unusual.has(rel)) hashes.set(prefix + rel, hashFile(`${options.projectRoot}${path.sep}${prefix}${rel}`) ?? '');
  for (const rel of found.fragments) hashes.set(prefix + rel, hashFile(`${options.projectRoot}${path.sep}${prefix}${rel}`) ?? '');
  return { found, hashes };
}

/** Found paths are relative to the interviews root, with forward slashes: this prefix makes them project-relative. */
function interviewsPrefix(options: Pick<LoadOptions, 'projectRoot' | 'interviewsRoot'>): string {
  const under = posixRelative(options.projectRoot, options.interviewsRoot);
  return under === '' ? '' : `${under}/`;
}

/** Finds the files, refuses key clashes and linked folders, and sets aside the unchanged ones. */
function prepare(options: LoadOptions): Prepared {
  const { interviewsRoot, projectRoot } = options;
  const relative = (absolute: string) => posixRelative(projectRoot, absolute);
  const diagnostics: Diagnostic[] = [];
  const error = (file: string, message: string, hint: string) => diagnostics.push({ severity: 'error', file, line: 1, column: 1, path: '', message, hint });
  const found = options.scanned?.found ?? discoverFiles(interviewsRoot);
  for (const rel of found.linkedFolders) {
    error(relative(path.join(interviewsRoot, rel)), 'is a symbolic link to a folder, which micro1-sync does not follow', 'move or copy the folder into the interviews folder');
  }
  const toParse: InterviewFile[] = [];
  const reused: Definition[] = [];
  const byKey = new Map<string, string>();
  // Fragments are shared by many files: each is hashed once. '' stands for a file that cannot be read.
  const hashes = options.scanned?.hashes ?? new Map<string, string>();
  const hashFile = fileHasher();
  const hashOf = (file: string) => {
    let hash = hashes.get(file);
    if (hash === undefined) hashes.set(file, (hash = hashFile(`${projectRoot}${path.sep}${file}`) ?? ''));
    return hash === '' ? undefined : hash;
  };
  const prefix = interviewsPrefix(options);
  for (const rel of found.interviews) {
    const file = prefix + rel;
    const key = rel.slice(0, rel.lastIndexOf('.'));
    const clash = byKey.get(key);
    if (clash !== undefined) {
      error(file, `defines the same key "${key}" as ${clash}`, 'keep one of the two files');
      continue;
    }
    byKey.set(key, file);
    const entry = options.previous === undefined ? undefined : entryOf(options.previous, key);
    // An entry with unseen fields needs the file's own `explicit` (does it set them?), so it is parsed.
    const fragments = entry === undefined || entry.unseen !== undefined || found.unusual.has(rel) ? undefined : unchangedFragments(entry, file, hashOf);
    if (fragments !== undefined) {
      // The entry's own sources object: nothing changes a definition's or an entry's sources.
      reused.push({ key, file, body: entry!.spec, explicit: [], fragments, sources: entry!.sources!, sourceHash: entry!.sourceHash });
    } else {
      toParse.push({ key, absolute: path.join(interviewsRoot, rel), verify: found.unusual.has(rel) });
    }
  }
  return { toParse, reused, diagnostics };
}

/**
 * The fragments `file` extended when `entry` was applied, if every source still hashes to what the
 * entry recorded under this definition format (so the file need not be parsed again); else undefined.
 */
function unchangedFragments(entry: StateEntry, file: string, hashOf: (file: string) => string | undefined): string[] | undefined {
  const { sources } = entry;
  if (sources === undefined || sources[file] === undefined) return undefined;
  const fragments: string[] = [];
  for (const source in sources) {
    if (hashOf(source) !== sources[source]) return undefined;
    if (source !== file) fragments.push(source);
  }
  return isCombinedHash(entry.sourceHash, file, fragments, sources) ? fragments : undefined;
}

/** Cross-file checks on everything loaded, then one sorted result. */
function finish(options: LoadOptions, work: Prepared, parsedFiles: ParsedFiles): LoadResult {
  const diagnostics = [...work.diagnostics, ...parsedFiles.diagnostics];
  const parsed = parsedFiles.definitions;
  const refused = checkPinnedIds(parsed, work.reused, options.previous, (d) => locateId(options, d), diagnostics);
  const definitions = [...work.reused, ...parsed.filter((d) => !refused.has(d))].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { definitions, diagnostics: dedupe(diagnostics) };
}

/**
 * One micro1 interview is managed by one file. Two files pinning one id are both errors; so is a
 * file pinning the id that the state records for another file that still exists (unless that
 * file now pins a different one), since both would then send to the same interview.
 */
function checkPinnedIds(
  parsed: readonly Definition[],
  reused: readonly Definition[],
  previous: State | undefined,
  locate: (d: Definition) => { line: number; column: number },
  diagnostics: Diagnostic[],
): Set<Definition> {
  const refused = new Set<Definition>();
  const refuse = (d: Definition, message: string) => {
    refused.add(d);
    const at = locate(d);
    diagnostics.push({ severity: 'error', file: d.file, ...at, path: 'id', message, hint: 'one micro1 interview can be managed by one file only' });
  };
  const byId = new Map<string, Definition[]>();
  for (const d of parsed) if (d.id !== undefined) byId.set(d.id, [...(byId.get(d.id) ?? []), d]);
  for (const [id, owners] of byId) {
    if (owners.length < 2) continue;
    for (const d of owners) refuse(d, `id "${id}" is also pinned by ${owners.filter((o) => o !== d).map((o) => o.file).join(', ')}`);
  }
  // Only a parsed file can pin an id (an unchanged one is taken from the state without its id).
  if (previous === undefined || byId.size === 0) return refused;
  const present = new Map<string, Definition>([...reused, ...parsed].map((d) => [d.key, d]));
  for (const [key, entry] of Object.entries(previous.interviews)) {
    const holder = present.get(key);
    if (holder === undefined || (holder.id !== undefined && holder.id !== entry.id)) continue;
    for (const d of byId.get(entry.id) ?? []) {
      if (d.key !== key && !refused.has(d)) refuse(d, `id "${entry.id}" is already managed by ${holder.file}`);
    }
  }
  return refused;
}

/**
 * Where a file pins its id, for the rare error about it: read again and parsed with positions then,
 * rather than kept for every file in case.
 */
function locateId(options: LoadOptions, d: Definition): { line: number; column: number } {
  const read = readBounded(path.join(options.projectRoot, d.file));
  const source = 'bytes' in read ? parseYamlSource(d.file, read.bytes).source : undefined;
  return source?.locate(['id']) ?? { line: 1, column: 1 };
}

function dedupe(diagnostics: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const id = `${d.file}:${d.line}:${d.column}:${d.path}:${d.message}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}
