import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { Micro1Error } from './errors.js';
import { privateCacheFolder } from './private-cache.js';
import { didYouMean } from './suggest.js';

/**
 * Defaults are conservative because micro1 documents no rate limit: 4 workers at 5 requests/s,
 * 5 retries, 30 s per request (auth0-deploy-cli runs 3 workers at 8 requests/s, "80% of capacity").
 */
export const CONFIG_DEFAULTS = {
  interviews: 'interviews',
  /** One YAML file per micro1 webhook (docs/webhooks.md); a missing folder is no webhooks. */
  webhooks: 'webhooks',
  state: '.micro1/state.json',
  api: { baseUrl: 'https://public.api.micro1.ai', apiKeyEnv: 'MICRO1_API_KEY', timeoutMs: 30_000 },
  apply: { concurrency: 4, requestsPerSecond: 5, maxRetries: 5 },
  prune: false,
  /** octoDNS-style guard: more deletes than this (count and share of managed interviews) needs --force. */
  safety: { maxDeletes: 10, maxDeletePercent: 30 },
} as const;

/**
 * apply.maxDurationMs when unset. It bounds a whole apply: micro1 documents no rate limit, so a
 * server answering 429 with Retry-After: 300 to every request would otherwise keep a 20-change
 * apply waiting for ~50 hours. Two hours, not less: 10,000 changes at the default 5 requests/s take
 * ~34 minutes with no throttling at all, and a run paused often by 429s can take as long again.
 * It stays out of CONFIG_DEFAULTS.apply and is filled in where the apply settings are made, so the
 * resolved config of an existing project keeps its exact shape.
 */
export const DEFAULT_APPLY_MAX_DURATION_MS = 2 * 3_600_000;

/** A number setting in [min, max] whose error says the range, not zod's wording. */
const number = (min: number, max: number, options: { integer?: boolean } = {}) => {
  const what = options.integer ? 'a whole number' : 'a number';
  const error = `must be ${what} from ${min} to ${max}`;
  const base = z.number({ error });
  return (options.integer ? base.int({ error }) : base).min(min, { error }).max(max, { error });
};
const text = (what: string) => z.string({ error: `must be ${what}` }).min(1, { error: `must be ${what}` });
const baseUrlSchema = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://public.api.micro1.ai' });
/** The one declaration of every setting (docs/configuration.md is checked against it). */
export const CONFIG_SCHEMA = z.strictObject({
  interviews: text('a folder path').optional(),
  webhooks: text('a folder path').optional(),
  state: text('a file path').optional(),
  api: z
    .strictObject({
      baseUrl: baseUrlSchema.optional(),
      apiKeyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'must be an environment variable name' }).optional(),
      timeoutMs: number(1, 600_000, { integer: true }).optional(),
    })
    .optional(),
  apply: z
    .strictObject({
      concurrency: number(1, 64, { integer: true }).optional(),
      requestsPerSecond: number(0.2, 1000).optional(),
      maxRetries: number(0, 20, { integer: true }).optional(),
      // One second to one day: shorter cannot finish a request, longer is no bound.
      maxDurationMs: number(1_000, 24 * 3_600_000, { integer: true }).optional(),
    })
    .optional(),
  prune: z.boolean({ error: 'must be true or false' }).optional(),
  safety: z
    .strictObject({
      maxDeletes: number(0, 1_000_000, { integer: true }).optional(),
      maxDeletePercent: number(0, 100).optional(),
    })
    .optional(),
});

export type Micro1Config = z.input<typeof CONFIG_SCHEMA>;

export { defineConfig } from './define-config.js';

/** Every setting decided, every path absolute: nothing below this re-checks for undefined. */
export interface ResolvedConfig {
  projectRoot: string;
  /** The config file read, if any (absolute). */
  configFile: string | undefined;
  interviewsDir: string;
  /**
   * Folders of the other resource kinds (kinds/), by setting name, when the config names one;
   * `resourceFolder` gives the default otherwise (kept optional so an existing config resolves as before).
   */
  resourceFolders?: Readonly<Record<string, string>>;
  stateFile: string;
  api: { baseUrl: string; apiKeyEnv: string; timeoutMs: number };
  apply: { concurrency: number; requestsPerSecond: number; maxRetries: number; maxDurationMs?: number };
  prune: boolean;
  safety: { maxDeletes: number; maxDeletePercent: number };
}

export const CONFIG_NAMES = ['micro1.config.ts', 'micro1.config.mjs', 'micro1.config.js', 'micro1.config.json'];

export async function loadConfig(options: { cwd: string; configPath?: string; env: NodeJS.ProcessEnv }): Promise<ResolvedConfig> {
  const file = options.configPath !== undefined ? path.resolve(options.cwd, options.configPath) : findConfig(options.cwd);
  if (options.configPath !== undefined && !existsSync(file!)) {
    throw new Micro1Error('CONFIG_NOT_FOUND', `The config file ${options.configPath} does not exist`, { hint: 'check the --config path' });
  }
  const raw = file === undefined ? {} : await importConfig(file);
  const display = file === undefined ? '' : path.relative(options.cwd, file).split(path.sep).join('/') || file;
  const parsed = CONFIG_SCHEMA.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    if (issue.code === 'unrecognized_keys') {
      const key = issue.keys[0]!;
      const known = issue.path.length === 0 ? Object.keys(CONFIG_DEFAULTS) : Object.keys((CONFIG_DEFAULTS as unknown as Record<string, object>)[String(issue.path[0])] ?? {});
      const suggestion = didYouMean(key, known);
      throw new Micro1Error('CONFIG_INVALID', `${display}: unknown setting "${[...issue.path, key].join('.')}"`, suggestion ? { hint: `did you mean "${suggestion}"?` } : {});
    }
    throw new Micro1Error('CONFIG_INVALID', `${display}: ${issue.path.join('.') || 'the default export'}: ${issue.message}`, {
      hint: 'every setting and its range: docs/configuration.md in micro1-sync (node_modules/micro1-sync/docs/configuration.md)',
    });
  }
  const c = parsed.data;
  const projectRoot = file === undefined ? options.cwd : path.dirname(file);
  const envUrl = options.env.MICRO1_API_URL;
  // The override is checked like the setting it replaces: a typo here must not reach the client.
  if (envUrl !== undefined && envUrl !== '' && !baseUrlSchema.safeParse(envUrl).success) {
    throw new Micro1Error('CONFIG_INVALID', `MICRO1_API_URL is not an http(s) URL: "${envUrl}"`, {
      hint: 'set it to the API base URL, e.g. https://public.api.micro1.ai, or unset it',
    });
  }
  return {
    projectRoot,
    configFile: file,
    interviewsDir: path.resolve(projectRoot, c.interviews ?? CONFIG_DEFAULTS.interviews),
    ...(c.webhooks !== undefined ? { resourceFolders: { webhooks: path.resolve(projectRoot, c.webhooks) } } : {}),
    stateFile: path.resolve(projectRoot, c.state ?? CONFIG_DEFAULTS.state),
    api: {
      baseUrl: envUrl !== undefined && envUrl !== '' ? envUrl : (c.api?.baseUrl ?? CONFIG_DEFAULTS.api.baseUrl),
      apiKeyEnv: c.api?.apiKeyEnv ?? CONFIG_DEFAULTS.api.apiKeyEnv,
      timeoutMs: c.api?.timeoutMs ?? CONFIG_DEFAULTS.api.timeoutMs,
    },
    apply: { ...CONFIG_DEFAULTS.apply, ...c.apply },
    prune: c.prune ?? CONFIG_DEFAULTS.prune,
    safety: { ...CONFIG_DEFAULTS.safety, ...c.safety },
  };
}

/** The absolute folder of a resource kind: the configured one, else its default under the project root. */
export function resourceFolder(config: Pick<ResolvedConfig, 'projectRoot' | 'resourceFolders'>, kind: { folderSetting: string; defaultFolder: string }): string {
  return config.resourceFolders?.[kind.folderSetting] ?? path.resolve(config.projectRoot, kind.defaultFolder);
}

/**
 * The config of the project the folder `cwd` is in: the first micro1.config.* found in it or a
 * folder above, as git and eslint look for theirs, stopping at the repository root (a folder
 * holding `.git`) so a config outside the repository is never picked up.
 */
export function findConfig(cwd: string): string | undefined {
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    const found = CONFIG_NAMES.map((name) => path.join(dir, name)).find((candidate) => existsSync(candidate));
    if (found !== undefined) return found;
    if (existsSync(path.join(dir, '.git')) || path.dirname(dir) === dir) return undefined;
  }
}

/**
 * Where a setting is changed, for a hint: the config file read (as a path from `cwd`), or, when
 * none was found, where one would be read from.
 */
export function configToEdit(config: Pick<ResolvedConfig, 'configFile'>, cwd: string): string {
  if (config.configFile !== undefined) return path.relative(cwd, config.configFile).split(path.sep).join('/') || config.configFile;
  return 'a micro1.config.ts (none found here or in a folder above)';
}

/**
 * In a config file, `micro1-sync` means its config helpers (define-config.ts): a config that
 * imports defineConfig from the package would otherwise have jiti load and transpile the whole
 * library and zod a second time, beside the bundled CLI already running: 77 ms of a 255 ms
 * `plan`. Resolved through the package's own exports; where that fails (no build yet), none.
 */
function configHelpersAlias(require: NodeJS.Require): Record<string, string> {
  try {
    const helpers = require.resolve('micro1-sync/config');
    return { 'micro1-sync/config': helpers, 'micro1-sync': helpers };
  } catch {
    return {};
  }
}

async function importConfig(file: string): Promise<unknown> {
  try {
    if (file.endsWith('.json')) return JSON.parse(readFileSync(file, 'utf8'));
    if (file.endsWith('.ts') || file.endsWith('.mts') || file.endsWith('.cts')) {
      // jiti is loaded only for TypeScript configs: Node 20 cannot import .ts files by itself. It is
      // required, not imported: importing its CommonJS build from ESM makes Node scan all 190 kB of
      // it for export names first, a sixth of a 300 ms start.
      const require = createRequire(import.meta.url);
      const { createJiti } = require('jiti') as typeof import('jiti');
      // Its transpiled configs are cached in the private folder, not jiti's default in the shared
      // temporary folder (private-cache.ts says why); with none, the config is transpiled afresh.
      const jiti = createJiti(import.meta.url, { moduleCache: false, fsCache: privateCacheFolder('jiti') ?? false, alias: configHelpersAlias(require) });
      return await jiti.import(file, { default: true });
    }
    const mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
    return mod.default;
  } catch (error) {
    throw new Micro1Error('CONFIG_LOAD_FAILED', `Cannot load the config file ${file}: ${error instanceof Error ? error.message : String(error)}`, {
      hint: 'it must default-export defineConfig({...}) (or be JSON)',
      cause: error,
    });
  }
}
