import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CONFIG_NAMES, loadConfig, resourceFolder } from '../config.js';
import { KINDS } from '../kinds/kinds.js';
import { Micro1Error } from '../errors.js';
import { EDITOR_SCHEMA_NAMES, EDITOR_SCHEMAS, editorAssociations, editorSchemaText } from '../definitions/editor-schema.js';
import { discoverFiles } from '../definitions/load-definitions.js';
import { posixRelative } from '../paths.js';
import { readRegularFile, writeFailure, writeFileAtomic } from '../state/file-io.js';
import { PACKAGE_ROOT, TOOL_VERSION } from '../version.js';
import {
  CONFIG_FILE, CONFIG_TEXT, EXAMPLE_FILE, EXAMPLE_TEXT, FRAGMENT_FILE, FRAGMENT_TEXT, GITATTRIBUTES_HEADER, gitattributesLine, GITIGNORE_HEADER, gitignoreLines, MERGE_DRIVER_COMMAND,
} from './init-files.js';
import { isRecord } from '../values.js';

/**
 * `micro1 init`: config → interviews → .gitignore, .gitattributes → editor schemas and settings → CI workflow,
 * each written only where missing. Nothing is ever written over: a file that exists is kept (a
 * settings file is merged into only when it parses), and every step says what it did.
 */

export interface InitOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** `--import` follows: the interviews folder gets what micro1 has instead of the example. */
  importing: boolean;
}

export interface InitStep {
  /** Project-relative, `/`-separated; a folder ends with `/`. */
  file: string;
  action: 'wrote' | 'updated' | 'kept' | 'left';
  why?: string;
  /** Text to add by hand, when a file could not be merged into. */
  snippet?: string;
}

export interface InitOutcome {
  steps: InitStep[];
  /** What init cannot do: the command that registers the state merge driver in this clone. */
  driverCommand: string;
}

export async function initCommand(options: InitOptions): Promise<InitOutcome> {
  const root = options.cwd;
  const steps: InitStep[] = [];
  const existing = CONFIG_NAMES.find((name) => existsSync(path.join(root, name)));
  steps.push(existing !== undefined ? { file: existing, action: 'kept', why: 'exists' } : create(root, CONFIG_FILE, CONFIG_TEXT));

  // Read back, so an existing config's folders are the ones used below.
  const config = await loadConfig({ cwd: root, env: options.env, configPath: existing ?? CONFIG_FILE });
  const interviews = posixRelative(root, config.interviewsDir) || '.';
  if (hasDefinitions(config.interviewsDir)) steps.push({ file: `${interviews}/`, action: 'kept', why: 'holds definitions' });
  else if (!options.importing) {
    steps.push(create(root, `${interviews}/${FRAGMENT_FILE}`, FRAGMENT_TEXT));
    steps.push(create(root, `${interviews}/${EXAMPLE_FILE}`, EXAMPLE_TEXT));
  }

  steps.push(appendLines(root, '.gitignore', GITIGNORE_HEADER, gitignoreLines(posixRelative(root, path.dirname(config.stateFile))), 'has the lines'));
  const stateRel = posixRelative(root, config.stateFile);
  // A space, quote, backslash or glob character would make git read another pattern than the path.
  if (/[\s"\\*?[\]!#]/.test(stateRel)) steps.push({ file: '.gitattributes', action: 'left', why: `the state path ${JSON.stringify(stateRel)} has characters .gitattributes reads as pattern syntax: name it there by hand (docs/state.md)` });
  else steps.push(appendLines(root, '.gitattributes', GITATTRIBUTES_HEADER, [gitattributesLine(stateRel)], 'has the line'));
  for (const name of EDITOR_SCHEMA_NAMES) {
    const text = editorSchemaText(name, TOOL_VERSION);
    const step = create(root, EDITOR_SCHEMAS[name].file, text);
    if (step.action === 'kept' && readSmall(root, step.file)?.toString('utf8') !== text) {
      step.why = "exists; differs from this version's: `micro1 schema --write` rewrites it";
    }
    steps.push(step);
  }
  const otherFolders = Object.fromEntries(KINDS.map((kind) => [kind.name, posixRelative(root, resourceFolder(config, kind)) || '.']));
  steps.push(vscodeSettings(root, editorAssociations(interviews, otherFolders)));
  steps.push(...workflows(root));
  return { steps, driverCommand: MERGE_DRIVER_COMMAND };
}

/** Writes `text` to `rel` unless something is there; created exclusively, so not even a file made meanwhile is replaced. */
function create(root: string, rel: string, text: string): InitStep {
  const file = path.join(root, rel);
  refuseLinkedFolder(root, rel);
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text, { flag: 'wx' });
    return { file: rel, action: 'wrote' };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return { file: rel, action: 'kept', why: 'exists' };
    throw writeFailure(error, rel);
  }
}

/** A folder on the way that links out of the project (`.vscode -> /elsewhere`) would have init write there. */
function refuseLinkedFolder(root: string, rel: string): void {
  let existing = path.dirname(path.join(root, rel));
  while (!existsSync(existing)) existing = path.dirname(existing);
  const real = realpathSync(existing);
  const inside = path.relative(realpathSync(root), real);
  if (inside.startsWith('..') || path.isAbsolute(inside)) {
    throw new Micro1Error('INIT_REFUSED', `Cannot write ${rel}: its folder ${posixRelative(root, existing)} is a link to ${real}, outside the project`, {
      hint: `replace the link with a folder, or write ${rel} there yourself; then run \`micro1 init\` again`,
    });
  }
}

function hasDefinitions(dir: string): boolean {
  if (!existsSync(dir)) return false;
  const found = discoverFiles(dir);
  return found.interviews.length + found.fragments.length > 0;
}

/** .gitignore, .gitattributes: the lines not already there, appended under a header; a missing file is written. */
function appendLines(root: string, rel: string, header: string, lines: readonly string[], present: string): InitStep {
  const file = path.join(root, rel);
  const bytes = readSmall(root, rel);
  if (bytes === undefined) return create(root, rel, `${[header, ...lines].join('\n')}\n`);
  const text = bytes.toString('utf8');
  const have = new Set(text.split(/\r?\n/).map((l) => l.trim()));
  const missing = lines.filter((l) => !have.has(l));
  if (missing.length === 0) return { file: rel, action: 'kept', why: present };
  const separator = text === '' || text.endsWith('\n\n') ? '' : text.endsWith('\n') ? '\n' : '\n\n';
  try {
    appendFileSync(file, `${separator}${[header, ...missing].join('\n')}\n`);
  } catch (error) {
    throw writeFailure(error, rel);
  }
  return { file: rel, action: 'updated', why: `${missing.length} line${missing.length === 1 ? '' : 's'} added` };
}

const SETTINGS = '.vscode/settings.json';

/** yaml.schemas merged into the settings: added where absent, never changing an association that is there. */
function vscodeSettings(root: string, associations: Record<string, string[]>): InitStep {
  const file = path.join(root, SETTINGS);
  const bytes = readSmall(root, SETTINGS);
  if (bytes === undefined) return create(root, SETTINGS, `${JSON.stringify({ 'yaml.schemas': associations }, null, 2)}\n`);
  // The lines inside the outer braces, indented as they go into the settings object.
  const snippet = JSON.stringify({ 'yaml.schemas': associations }, null, 2).split('\n').slice(1, -1).join('\n');
  let settings: unknown;
  try {
    settings = JSON.parse(bytes.toString('utf8'));
  } catch {
    return { file: SETTINGS, action: 'left', why: 'not plain JSON, e.g. comments: add "yaml.schemas" below by hand', snippet };
  }
  if (!isRecord(settings)) return { file: SETTINGS, action: 'left', why: 'not a JSON object: add "yaml.schemas" below by hand', snippet };
  const current = settings['yaml.schemas'];
  if (current !== undefined && !isRecord(current)) return { file: SETTINGS, action: 'left', why: '"yaml.schemas" is not an object: add these by hand', snippet };
  const missing = Object.keys(associations).filter((schema) => current?.[schema] === undefined);
  if (missing.length === 0) return { file: SETTINGS, action: 'kept', why: 'associates the schemas' };
  const merged = { ...current, ...Object.fromEntries(missing.map((schema) => [schema, associations[schema]])) };
  writeFileAtomic(file, `${JSON.stringify({ ...settings, 'yaml.schemas': merged }, null, 2)}\n`, { display: SETTINGS });
  return { file: SETTINGS, action: 'updated', why: current === undefined ? 'yaml.schemas added' : `${missing.join(', ')} added to yaml.schemas` };
}

/** The package's own workflow templates, copied as they are. */
function workflows(root: string): InitStep[] {
  const source = path.join(PACKAGE_ROOT, '.github', 'workflows');
  const names = existsSync(source) ? readdirSync(source).filter((name) => /^micro1.*\.ya?ml$/.test(name)).sort() : [];
  if (names.length === 0) return [{ file: '.github/workflows/', action: 'left', why: 'this micro1-sync package holds no workflow template to copy' }];
  return names.map((name) => create(root, `.github/workflows/${name}`, readFileSync(path.join(source, name), 'utf8')));
}

/** Files init reads are the user's: only a regular file (or a link inside the project), and never a huge one. */
function readSmall(root: string, rel: string): Buffer | undefined {
  return readRegularFile(path.join(root, rel), { maxBytes: 1_000_000, root, display: rel, what: 'file' });
}
