import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../config.js';
import { Micro1Error } from '../errors.js';
import { discoverFiles } from '../definitions/load-definitions.js';
import { entryOf, interviewRecord, type State } from '../state/state.js';
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
    checkKeys(keys, store.state, existingFiles(config.interviewsDir, display), statePath);
    const forgotten = keys.map((key) => {
      const id = entryOf(store.state, key)?.id;
      return id === undefined ? { key } : { key, id };
    });
    store.replace(without(store.state, new Set(keys)));
    return { forgotten, statePath };
  } finally {
    close();
  }
}

/** Every key must be in the state and have no file left: forgetting a managed file would create it again. */
function checkKeys(keys: string[], state: State, files: Map<string, string>, statePath: string): void {
  const known = [...new Set([...Object.keys(state.interviews), ...state.pending.map((p) => p.key)])].sort();
  const problems: string[] = [];
  const hints: string[] = [];
  for (const key of keys) {
    const file = files.get(key);
    if (!known.includes(key)) {
      const guess = didYouMean(key, known);
      problems.push(`${key} is not in ${statePath}`);
      hints.push(guess === undefined ? `\`micro1 forget\` takes keys as recorded in ${statePath} (path under the interviews folder, no extension)` : `did you mean ${guess}?`);
    } else if (file !== undefined) {
      problems.push(`${key} still has its file ${file}`);
      hints.push(`forget is for interviews whose file is gone: delete ${file} first, or keep it managed`);
    }
  }
  if (problems.length === 0) return;
  throw new Micro1Error('FORGET_REFUSED', `Nothing was forgotten: ${problems.join('; ')}`, { hint: unique(hints).join('; ') });
}

function without(state: State, keys: Set<string>): State {
  return {
    ...state,
    interviews: interviewRecord(Object.fromEntries(Object.entries(state.interviews).filter(([key]) => !keys.has(key)))),
    pending: state.pending.filter((p) => !keys.has(p.key)),
  };
}

/** Key → project-relative file, for every definition file on disk (valid or not). */
function existingFiles(interviewsDir: string, display: (absolute: string) => string): Map<string, string> {
  if (!existsSync(interviewsDir)) return new Map();
  return new Map(discoverFiles(interviewsDir).interviews.map((rel) => [rel.replace(/\.ya?ml$/, ''), display(path.join(interviewsDir, rel))]));
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

