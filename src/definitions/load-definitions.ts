import { lstatSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { ITEM_KEYS } from './body-model.js';
import { canonicalBody, type BodyField, type CanonicalBody } from './canonical.js';
import { formatPath, type Diagnostic } from '../diagnostics.js';
import { definitionSchema, fragmentSchema, KNOWN_KEYS, type DefinitionInput } from './interview-schema.js';
import { entryOf, type State, type StateEntry } from '../state/state.js';
import { didYouMean } from '../suggest.js';
import { parseYamlSource, type YamlSource } from './yaml-file.js';
import { discoverFiles, fileHasher, MAX_FILE_BYTES, readBounded, tooLarge, type FileProblem } from './source-files.js';
import { combinedHash, DEFINITION_FORMAT, sha256 } from './source-hash.js';
import { isFragmentPath, posixRelative } from '../paths.js';
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
}

/** An interview file found under the root. */
interface InterviewFile {
  key: string;
  /** Absolute path. */
  absolute: string;
  /** A link or not a regular file: checked in full before it is read. */
  verify: boolean;
}

/** What parsing the new and changed interview files gave. */
interface ParsedFiles {
  definitions: Definition[];
  diagnostics: Diagnostic[];
}


const FIELD_KEYS: Readonly<Record<string, readonly string[] | undefined>> = { ...ITEM_KEYS, '': KNOWN_KEYS };

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

/** Finds the files, refuses key clashes and linked folders, and sets aside the unchanged ones. */
function prepare(options: LoadOptions): Prepared {
  const { interviewsRoot, projectRoot } = options;
  const relative = (absolute: string) => posixRelative(projectRoot, absolute);
  const diagnostics: Diagnostic[] = [];
  const error = (file: string, message: string, hint: string) => diagnostics.push({ severity: 'error', file, line: 1, column: 1, path: '', message, hint });
  const found = discoverFiles(interviewsRoot);
  for (const rel of found.linkedFolders) {
    error(relative(path.join(interviewsRoot, rel)), 'is a symbolic link to a folder, which micro1-sync does not follow', 'move or copy the folder into the interviews folder');
  }
  const toParse: InterviewFile[] = [];
  const reused: Definition[] = [];
  const byKey = new Map<string, string>();
  // Fragments are shared by many files: each is hashed once. '' stands for a file that cannot be read.
  const hashes = new Map<string, string>();
  const hashFile = fileHasher();
  const hashOf = (file: string) => {
    let hash = hashes.get(file);
    if (hash === undefined) hashes.set(file, (hash = hashFile(`${projectRoot}${path.sep}${file}`) ?? ''));
    return hash === '' ? undefined : hash;
  };
  // Found paths are relative to the interviews root, with forward slashes: one prefix makes them project-relative.
  const under = relative(interviewsRoot);
  const prefix = under === '' ? '' : `${under}/`;
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
  for (const source of Object.keys(sources)) {
    if (hashOf(source) !== sources[source]) return undefined;
    if (source !== file) fragments.push(source);
  }
  return combinedHash([file, ...fragments], sources) === entry.sourceHash ? fragments : undefined;
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

interface Layer {
  source: YamlSource;
  /** Absolute path. */
  absolute: string;
}

class Loader {
  private readonly diagnostics: Diagnostic[] = [];
  private readonly files = new Map<string, { bytes?: Uint8Array; source?: YamlSource; hash?: string; problem?: FileProblem }>();

  constructor(private readonly options: LoadOptions) {}

  parse(files: readonly InterviewFile[]): ParsedFiles {
    const definitions: Definition[] = [];
    for (const { key, absolute, verify } of files) {
      const definition = this.loadInterview(key, absolute, verify);
      // Only fragments are needed again; an interview's parsed document is let go at once.
      this.files.delete(absolute);
      if (definition !== undefined) definitions.push(definition);
    }
    return { definitions, diagnostics: this.diagnostics };
  }

  private loadInterview(key: string, absolute: string, verify: boolean): Definition | undefined {
    const own = this.read(absolute, undefined, verify);
    if (own === undefined) return undefined;
    const layers = this.resolveExtends(own, absolute, [absolute]);
    if (layers === undefined) {
      // A broken fragment must not hide the file's own mistakes: check what the file says by itself.
      const { extends: _extends, ...alone } = own.value;
      const checked = definitionSchema.partial().safeParse(alone);
      if (!checked.success) this.reportIssues(checked.error.issues, () => own);
      return undefined;
    }

    // No prototype: a `__proto__` key is then a field like any other, which the schema refuses as
    // unknown, rather than the prototype the schema would read the nested fields through.
    const merged = Object.create(null) as Record<string, unknown>;
    const provenance = new Map<string, YamlSource>();
    for (const layer of [...layers, { source: own, absolute }]) {
      for (const [field, value] of Object.entries(layer.source.value)) {
        if (field === 'extends') continue;
        merged[field] = deepMerge(merged[field], value);
        provenance.set(field, layer.source);
      }
    }
    const file = own.file;
    const result = definitionSchema.safeParse(merged);
    if (!result.success) {
      this.reportIssues(result.error.issues, (field) => provenance.get(field) ?? own);
      return undefined;
    }
    const input: DefinitionInput = result.data;
    const fragments = layers.map((l) => l.source.file);
    const sources: Record<string, string> = { [file]: this.hashOf(absolute) };
    for (const layer of layers) sources[layer.source.file] = this.hashOf(layer.absolute);
    return {
      key,
      file,
      ...(input.id === undefined ? {} : { id: input.id }),
      body: canonicalBody(input),
      explicit: Object.keys(merged).filter((k) => k !== 'id') as BodyField[],
      fragments,
      sources,
      sourceHash: combinedHash([file, ...fragments], sources),
    };
  }

  /** The fragments beneath `source`, deepest first, each once, in merge order. */
  private resolveExtends(source: YamlSource, absolute: string, chain: string[]): Layer[] | undefined {
    const raw = source.value.extends;
    if (raw === undefined) return [];
    const entries = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw : undefined;
    if (entries === undefined || entries.length === 0) {
      const at = source.locate(['extends']);
      const message = entries?.length === 0 ? 'extends must not be an empty list' : 'extends must be a fragment path or a list of them';
      this.error(source.file, at.line, at.column, 'extends', message);
      return undefined;
    }
    const bad = entries.flatMap((e: unknown, i) => (typeof e === 'string' && e.trim() !== '' ? [] : [i]));
    if (bad.length > 0) {
      for (const i of bad) {
        const at = source.locate(typeof raw === 'string' ? ['extends'] : ['extends', i]);
        this.error(source.file, at.line, at.column, typeof raw === 'string' ? 'extends' : `extends[${i}]`, 'must be the path of a fragment file, e.g. _shared/backend.yaml');
      }
      return undefined;
    }
    const layers: Layer[] = [];
    let ok = true;
    entries.forEach((entry: string, index) => {
      // Located only for an error: a file without one is never parsed with positions.
      const where = typeof raw === 'string' ? ['extends'] : ['extends', index];
      const field = typeof raw === 'string' ? 'extends' : `extends[${index}]`;
      const refer = (message: string, hint?: string) => {
        const at = source.locate(where);
        this.error(source.file, at.line, at.column, field, message, hint);
      };
      const target = path.resolve(path.dirname(absolute), entry);
      const underRoot = path.relative(this.options.interviewsRoot, target);
      if (underRoot.startsWith('..') || path.isAbsolute(underRoot)) {
        refer(`"${entry}" points outside the interviews folder`, 'fragments must live under the interviews root');
        ok = false;
        return;
      }
      if (!isFragmentPath(underRoot)) {
        refer(`"${entry}" is an interview, not a fragment`, 'fragments are files or folders whose name starts with "_"');
        ok = false;
        return;
      }
      if (chain.includes(target)) {
        const cycle = [...chain.slice(chain.indexOf(target)), target].map((p) => this.relative(p)).join(' → ');
        refer(`extends cycle: ${cycle}`, 'remove one of the extends entries');
        ok = false;
        return;
      }
      const fragment = this.read(target, { entry, refer });
      if (fragment === undefined) {
        ok = false;
        return;
      }
      const checked = fragmentSchema.safeParse(fragment.value);
      if (!checked.success) {
        this.reportIssues(checked.error.issues, () => fragment);
        ok = false;
        return;
      }
      const below = this.resolveExtends(fragment, target, [...chain, target]);
      if (below === undefined) {
        ok = false;
        return;
      }
      // A fragment reached twice (a diamond: _x and _y both extend _base) stays where it was first
      // merged, beneath everything that extends it: moving it up would let _base override _x.
      for (const layer of [...below, { source: fragment, absolute: target }]) {
        if (!layers.some((l) => l.absolute === layer.absolute)) layers.push(layer);
      }
    });
    return ok ? layers : undefined;
  }

  /** `verify: false` is for a regular file just listed under the root, which needs no lstat. */
  private read(
    absolute: string,
    reference?: { entry: string; refer: (message: string, hint?: string) => void },
    verify = true,
  ): YamlSource | undefined {
    let entry = this.files.get(absolute);
    if (entry === undefined) {
      entry = {};
      this.files.set(absolute, entry);
      const problem = verify ? this.checkFile(absolute, reference !== undefined) : undefined;
      if (problem !== undefined) entry.problem = problem;
    } else if (entry.problem === undefined) {
      return entry.source;
    }
    const file = this.relative(absolute);
    const problem = entry.problem;
    if (problem !== undefined) {
      // Reported at every reference: each file that names a missing fragment is itself broken.
      if (reference !== undefined) {
        reference.refer(`fragment "${reference.entry}" ${problem.message}`, problem.hint);
      } else {
        this.error(file, 1, 1, '', problem.message, problem.hint);
      }
      return undefined;
    }
    const read = readBounded(absolute);
    if ('problem' in read) {
      this.error(file, 1, 1, '', read.problem.message, read.problem.hint);
      return undefined;
    }
    entry.bytes = read.bytes;
    const parsed = parseYamlSource(file, entry.bytes);
    this.diagnostics.push(...parsed.diagnostics);
    if (parsed.source !== undefined) entry.source = parsed.source;
    return parsed.source;
  }

  private checkFile(absolute: string, isFragment: boolean): FileProblem | undefined {
    let info;
    try {
      info = lstatSync(absolute);
    } catch {
      return { message: 'does not exist', hint: 'paths in extends are relative to the file that names them' };
    }
    if (info.isSymbolicLink() || isFragment) {
      // A fragment is also checked through its folders: `_shared` may itself be a link to elsewhere.
      let real: string;
      try {
        real = realpathSync(absolute);
      } catch {
        return { message: 'is a symbolic link to nothing', hint: 'remove the link or restore its target' };
      }
      const rootReal = realpathSync(this.options.interviewsRoot);
      const inside = path.relative(rootReal, real);
      if (inside.startsWith('..') || path.isAbsolute(inside)) {
        const what = info.isSymbolicLink() ? 'is a symbolic link that points' : 'is reached through a symbolic link to a folder';
        return { message: `${what} outside the interviews folder`, hint: 'copy the file into the interviews folder instead' };
      }
      info = statSync(absolute);
    }
    if (info.isDirectory()) return { message: 'is a folder, not a file', hint: 'name one fragment file in it, e.g. _shared/backend.yaml' };
    if (!info.isFile()) return { message: 'is not a regular file' };
    // Only .yaml/.yml files are fragments: `micro1 fmt` and the editor schema see no other.
    if (isFragment && !/\.ya?ml$/.test(absolute)) return { message: 'is not a .yaml or .yml file', hint: 'fragments are YAML files, like interviews' };
    if (info.size > MAX_FILE_BYTES) return tooLarge(info.size);
    return undefined;
  }

  private hashOf(absolute: string): string {
    const entry = this.files.get(absolute);
    if (entry?.bytes === undefined) throw new Error(`bug: ${absolute} hashed before it was read`);
    entry.hash ??= sha256(entry.bytes);
    return entry.hash;
  }

  private reportIssues(issues: readonly z.core.$ZodIssue[], sourceOf: (field: string) => YamlSource): void {
    for (const issue of issues) {
      const field = String(issue.path[0] ?? '');
      const source = sourceOf(field);
      if (issue.code === 'unrecognized_keys') {
        const candidates = FIELD_KEYS[String(issue.path[0] ?? '')] ?? [];
        for (const key of issue.keys) {
          const keyPath = [...issue.path, key];
          const keySource = issue.path.length === 0 ? sourceOf(key) : source;
          const at = keySource.locate(keyPath, { key: true });
          if (issue.path.length === 0 && key === 'id') {
            // Only a fragment refuses a known key: one id belongs to one interview file.
            this.error(keySource.file, at.line, at.column, 'id', 'a fragment cannot pin an id', 'put id in the interview file that extends this fragment');
            continue;
          }
          const suggestion = didYouMean(key, candidates);
          this.error(keySource.file, at.line, at.column, formatPath(keyPath), `unknown field "${key}"`, suggestion && `did you mean "${suggestion}"?`);
        }
        continue;
      }
      const at = source.locate(issue.path);
      const value = valueAt(source.value, issue.path);
      if (issue.code === 'invalid_value' && value !== undefined) {
        const allowed = issue.values.map(String);
        const suggestion = typeof value === 'string' ? didYouMean(value, allowed) : undefined;
        const list = allowed.length <= 14 ? `: one of ${allowed.join(', ')}` : ` (${allowed.length} codes; see \`micro1 schema\`)`;
        // A number or null (`selected_coding_language: 3`) gets the same sentence as a misspelt word.
        const shown = typeof value === 'string' ? `"${value}"` : String(JSON.stringify(value));
        this.error(source.file, at.line, at.column, formatPath(issue.path), `${shown} is not a valid ${String(issue.path.at(-1))}${list}`, suggestion && `did you mean "${suggestion}"?`);
        continue;
      }
      this.error(source.file, at.line, at.column, formatPath(issue.path), issue.message, yamlBooleanHint(issue, value));
    }
  }

  private error(file: string, line: number, column: number, fieldPath: string, message: string, hint?: string): void {
    this.diagnostics.push({ severity: 'error', file, line, column, path: fieldPath, message, ...(hint ? { hint } : {}) });
  }

  private relative(absolute: string): string {
    return posixRelative(this.options.projectRoot, absolute);
  }
}

/** Mappings merge key by key; anything else (lists included) replaces. Inputs are never mutated. */
function deepMerge(below: unknown, above: unknown): unknown {
  if (!isPlainObject(below) || !isPlainObject(above)) return above;
  const out = Object.assign(Object.create(null) as Record<string, unknown>, below);
  for (const [k, v] of Object.entries(above)) out[k] = deepMerge(out[k], v);
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function valueAt(root: unknown, at: readonly PropertyKey[]): unknown {
  let node = root;
  for (const segment of at) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[segment];
  }
  return node;
}

/** YAML 1.2 reads yes/no/on/off as text, a classic surprise for YAML 1.1 users. */
function yamlBooleanHint(issue: z.core.$ZodIssue, value: unknown): string | undefined {
  if (issue.code !== 'invalid_type' || issue.expected !== 'boolean' || typeof value !== 'string') return undefined;
  return /^(yes|no|on|off|y|n)$/i.test(value) ? `write true or false; YAML 1.2 reads "${value}" as text` : undefined;
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
