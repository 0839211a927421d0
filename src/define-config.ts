import type { Micro1Config } from './config.js';

export type { Micro1Config } from './config.js';

/**
 * What a config file imports (`micro1-sync/config`, and `micro1-sync` itself inside a config, see
 * config.ts): it only returns its argument, for the editor's types. Kept in a module of its own
 * that imports nothing at run time, so loading a config does not load the library a second time.
 */
export function defineConfig(config: Micro1Config): Micro1Config {
  return config;
}
