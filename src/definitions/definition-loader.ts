import { lstatSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { ITEM_KEYS } from './body-model.js';
import { canonicalBody, type BodyField, type CanonicalBody } from './canonical.js';
import { formatPath, type Diagnostic } from '../diagnostics.js';
import { definitionSchema, fragmentSchema, KNOWN_KEYS, type DefinitionInput } from './interview-schema.js';
import type { Definition, InterviewFile, LoadOptions, ParsedFiles } from './load-definitions.js';
import { didYouMean } from '../suggest.js';
import { parseYamlSource, type YamlSource } from './yaml-file.js';
import { MAX_FILE_BYTES, readBounded, tooLarge, type FileProblem } from './source-files.js';
import { combinedHash, DEFINITION_FORMAT, sha256 } from './source-hash.js';
import { isFragmentPath, posixRelative } from '../paths.js';

/**
 * One interview file at a time: read (bounded, regular files only), parse the YAML with positions,
 * resolve `extends` through its fragments, merge, validate against the body model, and report each
 * problem at its file, line and field. load-definitions.ts decides which files get here.
 */

const FIELD_KEYS: Readonly<Record<string, readonly string[] | undefined>> = { ...ITEM_KEYS, '': KNOWN_KEYS };

interface Layer {
  source: YamlSource;
  /** Absolute path. */
  absolute: string;
}

export class Loader {
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
      body: detached(canonicalBody(input)),
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

/**
 * The body with strings of its own. The YAML parser cuts values out of the file's text, and V8
 * keeps a cut string's whole text alive: 50,000 bodies would hold 50,000 files. A JSON copy (the
 * body is plain JSON: no undefined, keys in canonical order) makes every string its own.
 */
function detached(body: CanonicalBody): CanonicalBody {
  return JSON.parse(JSON.stringify(body)) as CanonicalBody;
}
