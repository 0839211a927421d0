import { CONFIG_DEFAULTS } from '../config.js';

/**
 * What `micro1 init` writes into a new repository, as text. The settings are CONFIG_DEFAULTS',
 * spelled out; the example and the fragment are checked by `validate` in test/init.test.ts and by
 * a real editor in test/editor-lsp.test.ts. (The CI workflow is not here: init copies the
 * package's own .github/workflows/micro1*.yml, so there is one copy of it.)
 */

export const CONFIG_FILE = 'micro1.config.ts';

/** A type-only import: it vanishes when the config is loaded, so it works before micro1-sync is installed, and types it after. */
export const CONFIG_TEXT = `import type { Micro1Config } from 'micro1-sync';

// Every setting is optional; these are the defaults. The API key is read from the environment
// (${CONFIG_DEFAULTS.api.apiKeyEnv}), never from this file.
export default {
  interviews: '${CONFIG_DEFAULTS.interviews}',
  state: '${CONFIG_DEFAULTS.state}',
  apply: { concurrency: ${CONFIG_DEFAULTS.apply.concurrency}, requestsPerSecond: ${CONFIG_DEFAULTS.apply.requestsPerSecond}, maxRetries: ${CONFIG_DEFAULTS.apply.maxRetries} },
  prune: ${String(CONFIG_DEFAULTS.prune)},
  safety: { maxDeletes: ${CONFIG_DEFAULTS.safety.maxDeletes}, maxDeletePercent: ${CONFIG_DEFAULTS.safety.maxDeletePercent} },
} satisfies Micro1Config;
`;

/** Relative to the interviews folder. */
export const FRAGMENT_FILE = '_shared/defaults.yaml';
export const FRAGMENT_TEXT = `# A fragment: files and folders whose name starts with "_" are not interviews. An interview
# takes these fields with \`extends: _shared/defaults.yaml\` and can override any of them.
interview_language: en
is_proctoring_required: true
`;

export const EXAMPLE_FILE = 'example.yaml';
export const EXAMPLE_TEXT = `# An example: \`micro1 plan\` shows it as a create and \`micro1 apply\` creates it on micro1.
# Rename it or replace it with your own; your editor completes and checks every field.
extends: _shared/defaults.yaml
interview_name: Example Interview
skills:
  - name: Communication
    description: Explains their reasoning clearly
custom_question_list:
  - question: Tell us about a project you are proud of, and what you would do differently.
    time: 3
    type: audio
`;

export const GITIGNORE_HEADER = '# micro1-sync: what an apply leaves beside the state while it runs (the state file itself is committed)';

/** The journal, the lock and their temporaries (state-store.ts, lock.ts, file-io.ts), in the state's folder. */
export function gitignoreLines(stateFolder: string): string[] {
  // Anchored with a leading / when the state sits at the root, so they match nothing deeper.
  const dir = stateFolder === '' || stateFolder === '.' ? '/' : `${stateFolder}/`;
  return [`${dir}*.journal`, `${dir}*.lock`, `${dir}*.lock.new-*`, `${dir}*.lock.stale-*`, `${dir}.*.tmp-*`];
}

export const GITATTRIBUTES_HEADER = '# micro1-sync: merge the state file by key (`micro1 state merge`), not by line';

/** Names the merge driver for the state file; git runs it only once `MERGE_DRIVER_COMMAND` registered it. */
export function gitattributesLine(stateFile: string): string {
  return `${stateFile} merge=micro1-state`;
}

/** git keeps drivers in .git/config, outside the repository: each clone runs this once (the CI apply job does). */
export const MERGE_DRIVER_COMMAND = 'git config merge.micro1-state.driver "npx micro1 state merge %O %A %B"';
