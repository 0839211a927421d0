import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, resourceFolder, type ResolvedConfig } from '../config.js';
import { KINDS } from '../kinds/kinds.js';
import { Micro1Error } from '../errors.js';
import type { ProjectOptions } from '../project.js';
import { emptyState, entryOf, readState, resourceEntries, writeState, type ResourceEntry, type State, type StateEntry } from '../state/state.js';
import { mergeStates } from '../state/state-merge.js';
import { statSync } from 'node:fs';
import { moveInState, removeFromState, unknownKey, type EditResult } from '../state/state-edits.js';
import { loadState, openForWriting } from '../state/state-store.js';
import { parseYamlSource } from '../definitions/yaml-file.js';

export interface StateCommandOptions extends ProjectOptions {
  notice(message: string): void;
}

/** What the state holds; read without the lock, like plan (a journal left by a crashed apply included). */
export async function stateListCommand(options: ProjectOptions): Promise<{ state: State; statePath: string }> {
  const { config, state } = await read(options);
  return { state, statePath: display(config, config.stateFile) };
}

export async function stateShowCommand(options: ProjectOptions & { key: string }): Promise<{ key: string; entry: StateEntry; file: string | undefined }> {
  const { config, state } = await read(options);
  const entry = entryOf(state, options.key);
  if (entry === undefined) {
    const problem = state.pending.some((p) => p.key === options.key)
      ? { message: `${options.key} is only an unconfirmed create in the state`, hint: '`micro1 apply` looks it up on micro1 and records it' }
      : unknownKey(state, options.key);
    throw new Micro1Error('STATE_NO_KEY', problem.message, hintOf(problem));
  }
  return { key: options.key, entry, file: definitionFile(config, options.key) };
}

/**
 * `state show webhook:KEY`: another kind's entry, or undefined when the label names no kind (an
 * interview key may hold a colon); an unknown key of a known kind is an error.
 */
export async function stateShowResourceCommand(options: ProjectOptions & { label: string }): Promise<{ label: string; entry: ResourceEntry; file: string | undefined } | undefined> {
  const kind = KINDS.find((k) => options.label.startsWith(`${k.name}:`));
  if (kind === undefined) return undefined;
  const { config, state } = await read(options);
  const key = options.label.slice(kind.name.length + 1);
  const entries = resourceEntries(state, kind.name);
  if (!Object.hasOwn(entries, key)) {
    const pending = (state.resourcePending ?? []).some((p) => p.kind === kind.name && p.key === key);
    throw new Micro1Error('STATE_NO_KEY', pending ? `${options.label} is only an unconfirmed create in the state` : `${options.label} is not in the state`, {
      hint: pending ? '`micro1 apply` looks it up on micro1 and records it' : '`micro1 state list` shows the keys it holds',
    });
  }
  return { label: options.label, entry: entries[key]!, file: definitionFile(config, options.label) };
}

/** lock → state (journal folded) → drop the keys (pure) → one atomic write → unlock. Sends nothing. */
export async function stateRmCommand(options: StateCommandOptions & { keys: string[] }) {
  return edit(options, `state rm ${options.keys.join(' ')}`, (state) => removeFromState(state, options.keys), (config, removed) => ({
    removed: removed.map((r) => {
      const file = definitionFile(config, r.key);
      const kind = KINDS.find((k) => r.key.startsWith(`${k.name}:`));
      return { ...r, file, pins: file === undefined || kind !== undefined ? undefined : pinnedId(path.resolve(config.projectRoot, file)), ...(kind ? { kind: kind.name } : {}) };
    }),
  }));
}

/** lock → state (journal folded) → rename the key (pure) → one atomic write → unlock. Sends nothing. */
export async function stateMvCommand(options: StateCommandOptions & { from: string; to: string }) {
  return edit(options, `state mv ${options.from} ${options.to}`, (state) => moveInState(state, options.from, options.to), (config, entry) => {
    const kind = KINDS.find((k) => options.from.startsWith(`${k.name}:`));
    const oldFile = definitionFile(config, options.from);
    return {
      id: entry.id,
      from: options.from,
      to: options.to,
      oldFile,
      // A file that pins the id is followed by plan wherever it is: the prediction differs.
      oldPins: kind === undefined && oldFile !== undefined && pinnedId(path.resolve(config.projectRoot, oldFile)) === entry.id,
      newFile: definitionFile(config, options.to),
      expectedFile: expectedFile(config, options.to),
      ...(kind !== undefined ? { kind: kind.name } : {}),
    };
  });
}

/**
 * `micro1 state merge BASE OURS THEIRS`, git's merge driver for the state (%O %A %B, registered by
 * .gitattributes): the three-way merge by key, written over OURS as git expects. A conflict writes
 * nothing and says which keys, so git stops with the file as it was, never a half-merged one.
 */
export function stateMergeCommand(options: { cwd: string; base: string; ours: string; theirs: string }): { serial: number; interviews: number } {
  const read = (file: string) => {
    const absolute = path.resolve(options.cwd, file);
    // git passes an empty base when the two sides have no common ancestor (both added the file).
    if (statSync(absolute, { throwIfNoEntry: false })?.size === 0) return emptyState();
    return readState(absolute, file, options.cwd);
  };
  const merged = mergeStates(read(options.base), read(options.ours), read(options.theirs));
  if (!merged.ok) {
    throw new Micro1Error('STATE_MERGE_CONFLICT', `The two states cannot be merged by key, so the state was left as it was:\n${merged.conflicts.map((c) => `  - ${c}`).join('\n')}`, {
      hint: "resolve it by hand: keep the side whose change micro1 confirmed (the apply's) and redo the other side's edit on top of it (docs/ci.md, 'A failed state push')",
    });
  }
  const written = writeState(path.resolve(options.cwd, options.ours), merged.state, undefined, options.ours);
  return { serial: written.serial, interviews: Object.keys(written.interviews).length };
}

async function edit<T, R>(options: StateCommandOptions, operation: string, change: (state: State) => EditResult<T>, report: (config: ResolvedConfig, value: T) => R): Promise<R & { statePath: string; serial: number }> {
  const config = await loadConfig(options);
  const { store, close } = openForWriting(config.stateFile, operation, (absolute: string) => display(config, absolute), options.notice);
  try {
    const result = change(store.state);
    if (!result.ok) throw new Micro1Error('STATE_EDIT', result.problem.message, hintOf(result.problem));
    store.replace(result.state);
    return { ...report(config, result.value), statePath: display(config, config.stateFile), serial: store.state.serial };
  } finally {
    close();
  }
}

async function read(options: ProjectOptions): Promise<{ config: ResolvedConfig; state: State }> {
  const config = await loadConfig(options);
  return { config, state: loadState(config.stateFile, display(config, config.stateFile)).state };
}

/** The key's definition file if it exists, project-relative. */
function definitionFile(config: ResolvedConfig, key: string): string | undefined {
  // `webhook:KEY` is a file under the kind's folder.
  const kind = KINDS.find((k) => key.startsWith(`${k.name}:`));
  const folder = kind === undefined ? config.interviewsDir : resourceFolder(config, kind);
  const rel = kind === undefined ? key : key.slice(kind.name.length + 1);
  for (const ext of ['.yaml', '.yml']) {
    const absolute = path.join(folder, `${rel}${ext}`);
    if (existsSync(absolute)) return display(config, absolute);
  }
  return undefined;
}

/** Where the file for `key` (`webhook:KEY` included) would be, project-relative. */
function expectedFile(config: ResolvedConfig, key: string): string {
  const kind = KINDS.find((k) => key.startsWith(`${k.name}:`));
  if (kind === undefined) return display(config, path.join(config.interviewsDir, `${key}.yaml`));
  return display(config, path.join(resourceFolder(config, kind), `${key.slice(kind.name.length + 1)}.yaml`));
}

/** The id a definition file pins, if it can be read and pins one. */
function pinnedId(absolute: string): string | undefined {
  const { source } = parseYamlSource(absolute, readFileSync(absolute));
  return typeof source?.value.id === 'string' ? source.value.id : undefined;
}

function display(config: ResolvedConfig, absolute: string): string {
  return path.relative(config.projectRoot, absolute).split(path.sep).join('/');
}

function hintOf(problem: { hint?: string }): { hint?: string } {
  return problem.hint === undefined ? {} : { hint: problem.hint };
}
