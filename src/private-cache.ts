import { lstatSync, mkdirSync } from 'node:fs';
import module from 'node:module';
import os from 'node:os';
import path from 'node:path';

/**
 * Caches of code that micro1 runs, kept only in folders this account alone can change. The usual
 * defaults are in the shared temporary folder (Node's compile cache: `os.tmpdir()/node-compile-cache`;
 * jiti's transpiled configs: `os.tmpdir()/jiti`), which on a shared machine another account can
 * create first and fill: the caches are checked against each source, but whoever can write them
 * can forge entries that pass, and so run code as whoever runs micro1.
 */

/**
 * `$XDG_CACHE_HOME/micro1-sync/NAME` (`~/.cache`, `~/Library/Caches`, `%LOCALAPPDATA%`), created
 * owner-only; undefined when it, or a folder above it up to the cache root, is a link, another
 * account's or writable by others, or cannot be made.
 */
export function privateCacheFolder(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const found = userCacheRoot(env);
  if (found === undefined) return undefined;
  // Resolved, so that `XDG_CACHE_HOME=/x/` is checked as /x and the walk up ends at it.
  const root = path.resolve(found);
  const folder = path.join(root, 'micro1-sync', name);
  try {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    for (let at = folder; ; at = path.dirname(at)) {
      if (!isPrivateFolder(at)) return undefined;
      if (at === root || path.dirname(at) === at) break;
    }
  } catch {
    return undefined;
  }
  return folder;
}

/**
 * Node's compile cache (22.1 and later: V8's compiled code of each module kept on disk, as tsc
 * does) in the private `node-compile-cache` folder, else off. NODE_COMPILE_CACHE (Node enables that
 * folder itself, as asked) and NODE_DISABLE_COMPILE_CACHE=1 are left to Node. `enable` is Node's
 * `module.enableCompileCache`, null where Node has none. Returns the folder used, if any.
 */
export function enablePrivateCompileCache(
  enable: ((directory: string) => unknown) | null = (module as { enableCompileCache?: (directory: string) => unknown }).enableCompileCache ?? null,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (enable === null || env.NODE_COMPILE_CACHE || env.NODE_DISABLE_COMPILE_CACHE) return undefined;
  const folder = privateCacheFolder('node-compile-cache', env);
  if (folder !== undefined) enable(folder);
  return folder;
}

/** The per-user cache folder: XDG_CACHE_HOME, ~/Library/Caches, %LOCALAPPDATA%, or ~/.cache. */
function userCacheRoot(env: NodeJS.ProcessEnv): string | undefined {
  if (env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME)) return env.XDG_CACHE_HOME;
  if (process.platform === 'win32') return env.LOCALAPPDATA && path.isAbsolute(env.LOCALAPPDATA) ? env.LOCALAPPDATA : undefined;
  const home = os.homedir();
  if (home === '' || !path.isAbsolute(home)) return undefined;
  return process.platform === 'darwin' ? path.join(home, 'Library', 'Caches') : path.join(home, '.cache');
}

function isPrivateFolder(folder: string): boolean {
  const info = lstatSync(folder);
  if (!info.isDirectory()) return false;
  // Windows: the per-user folder is protected by its ACL, which modes and owners do not show.
  if (process.platform === 'win32') return true;
  return info.uid === process.getuid?.() && (info.mode & 0o022) === 0;
}
