import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, resourceFolder, type ResolvedConfig } from '../config.js';
import { Micro1Error } from '../errors.js';
import { discoverFiles } from '../definitions/load-definitions.js';
import { KINDS } from '../kinds/kinds.js';
import { entryOf, resourceEntries, type State } from '../state/state.js';
import { removeFromState } from '../state/state-edits.js';
import { openForWriting } from '../state/state-store.js';
import { didYouMean } from '../suggest.js';
import { posixRelative } from '../paths.js';

export interface ForgetCommandOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  configPath?: string;
  keys: string[];
  /** Things worth telling the user (lock taken over, journal replayed). */
  notice(message: string): void;
}

export interface ForgetOutcome {
  /** Each forgotten key and the micro1 id it pointed at (none for a create never confirmed). */
  forgotten: { key: string; id?: string }[];
  statePath: string;
}

/**
 * config → lock → state (journal folded) → check every key → state without them → unlock.
 * micro1 is not touched and no API key is read: the interviews stay there, unmanaged.
 * `webhook:KEY` names a webhook, with the same checks against the webhooks folder.
 */
export async function forgetCommand(options: ForgetCommandOptions): Promise<ForgetOutcome> {
  const config = await loadConfig(options);
  const display = (absolute: string) => posixRelative(config.projectRoot, absolute);
  const statePath = display(config.stateFile);
  if (!existsSync(config.stateFile)) {
    throw new Micro1Error('FORGET_NO_STATE', `There is no state file ${statePath}, so there is nothing to forget`, {
      hint: 'forget drops interviews recorded by an earlier apply; check the `state` setting or the --config path',
    });
  }
  const { store, close } = openForWriting(config.stateFile, 'forget', display, options.notice);
  try {
    const keys = unique(options.keys.map((k) => k.replace(/\.ya?ml$/, '')));
    checkKeys(keys, store.state, existingFiles(config, display), statePath);
    const removed = removeFromState(store.state, keys);
    // checkKeys found every key in the state, so the edit cannot refuse.
    if (!removed.ok) throw new Micro1Error('FORGET_REFUSED', `Nothing was forgotten: ${removed.problem.message}`, removed.problem.hint === undefined ? {} : { hint: removed.problem.hint });
    const ids = new Map(removed.value.map((r) => [r.key, r.id]));
    const forgotten = keys.map((key) => {
      const id = ids.get(key) ?? entryOf(store.state, key)?.id;
      return id === undefined ? { key } : { key, id };
    });
    store.replace(removed.state);
    return { forgotten, statePath };
  } finally {
    close();
  }
}

/** Every key must be in the state and have no file left: forgetting a managed file would create it again. */
function checkKeys(keys: string[], state: State, files: Map<string, string>, statePath: string): void {
  const known = knownKeys(state);
  const problems: string[] = [];
  const hints: string[] = [];
  for (const key of keys) {
    const file = files.get(key);
    const kind = KINDS.find((k) => key.startsWith(`${k.name}:`));
    if (!known.includes(key)) {
      // Suggest among the same kind's keys: a webhook key for a webhook, an interview key otherwise.
      const guess = didYouMean(key, known.filter((k) => (kind === undefined ? !isOtherKind(k) : k.startsWith(`${kind.name}:`))));
      problems.push(`${key} is not in ${statePath}`);
      const form = kind === undefined ? 'path under the interviews folder, no extension' : `${kind.name}:KEY, KEY the path under the ${kind.defaultFolder} folder, no extension`;
      hints.push(guess === undefined ? `\`micro1 forget\` takes keys as recorded in ${statePath} (${form})` : `did you mean ${guess}?`);
    } else if (file !== undefined) {
      problems.push(`${key} still has its file ${file}`);
      hints.push(`forget is for ${kind === undefined ? 'interviews' : kind.labels.many} whose file is gone: delete ${file} first, or keep it managed`);
    }
  }
  if (problems.length === 0) return;
  throw new Micro1Error('FORGET_REFUSED', `Nothing was forgotten: ${problems.join('; ')}`, { hint: unique(hints).join('; ') });
}

/** Every key the state holds or has an unconfirmed create for; other kinds as `webhook:KEY`. */
function knownKeys(state: State): string[] {
  const others = KINDS.flatMap((kind) => [...Object.keys(resourceEntries(state, kind.name)), ...(state.resourcePending ?? []).filter((p) => p.kind === kind.name).map((p) => p.key)].map((key) => `${kind.name}:${key}`));
  return [...new Set([...Object.keys(state.interviews), ...state.pending.map((p) => p.key), ...others])].sort();
}

function isOtherKind(key: string): boolean {
  return KINDS.some((k) => key.startsWith(`${k.name}:`));
}

/** Key → project-relative file, for every definition file on disk (valid or not), webhooks as `webhook:KEY`. */
function existingFiles(config: ResolvedConfig, display: (absolute: string) => string): Map<string, string> {
  const files = new Map<string, string>();
  const add = (folder: string, prefix: string) => {
    if (!existsSync(folder)) return;
    for (const rel of discoverFiles(folder).interviews) files.set(`${prefix}${rel.replace(/\.ya?ml$/, '')}`, display(path.join(folder, rel)));
  };
  add(config.interviewsDir, '');
  for (const kind of KINDS) add(resourceFolder(config, kind), `${kind.name}:`);
  return files;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

