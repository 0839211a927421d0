import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import module from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { enablePrivateCompileCache } from '../src/private-cache.js';
import { fixture } from './helpers.js';

/**
 * Caches of code micro1 runs (Node's compile cache, jiti's transpiled configs) are kept only in a
 * folder of this account's that no other account can change: in the shared temporary folder
 * (their defaults) another account could plant code that micro1 would run.
 */

const CLI = fileURLToPath(new URL('../dist/cli/micro1.js', import.meta.url));
const FOLDER = path.join('micro1-sync', 'node-compile-cache');

function enabling(env: NodeJS.ProcessEnv) {
  const calls: string[] = [];
  const folder = enablePrivateCompileCache((directory) => calls.push(directory), env);
  return { folder, calls };
}

describe.skipIf(process.platform === 'win32')('the caches of code micro1 runs', () => {
  it('is enabled in an owner-only folder under the user cache folder', () => {
    const cache = fixture({});
    const { folder, calls } = enabling({ XDG_CACHE_HOME: cache });
    expect(folder).toBe(path.join(cache, FOLDER));
    expect(calls).toEqual([folder]);
    expect(statSync(folder!).mode & 0o077).toBe(0);
  });

  it('stays off where another account could change the folder or a folder above it', () => {
    const cache = fixture({});
    mkdirSync(path.join(cache, FOLDER), { recursive: true });
    chmodSync(path.join(cache, 'micro1-sync'), 0o777);
    expect(enabling({ XDG_CACHE_HOME: cache })).toEqual({ folder: undefined, calls: [] });
    const open = fixture({});
    chmodSync(open, 0o775);
    expect(enabling({ XDG_CACHE_HOME: open })).toEqual({ folder: undefined, calls: [] });
  });

  it('checks the cache folder itself when it is named with a trailing slash', () => {
    const open = fixture({});
    chmodSync(open, 0o777);
    expect(enabling({ XDG_CACHE_HOME: `${open}/` })).toEqual({ folder: undefined, calls: [] });
    const cache = fixture({});
    expect(enabling({ XDG_CACHE_HOME: `${cache}/` }).folder).toBe(path.join(cache, FOLDER));
  });

  it('stays off where the folder is a link (to a folder elsewhere, perhaps another account\'s)', () => {
    const cache = fixture({});
    const elsewhere = fixture({});
    mkdirSync(path.join(cache, 'micro1-sync'));
    symlinkSync(elsewhere, path.join(cache, FOLDER));
    expect(enabling({ XDG_CACHE_HOME: cache })).toEqual({ folder: undefined, calls: [] });
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it('leaves NODE_COMPILE_CACHE and NODE_DISABLE_COMPILE_CACHE to Node, and is off where Node has none', () => {
    const cache = fixture({});
    expect(enabling({ XDG_CACHE_HOME: cache, NODE_COMPILE_CACHE: '/elsewhere' }).calls).toEqual([]);
    expect(enabling({ XDG_CACHE_HOME: cache, NODE_DISABLE_COMPILE_CACHE: '1' }).calls).toEqual([]);
    expect(enablePrivateCompileCache(null, { XDG_CACHE_HOME: cache })).toBeUndefined();
    expect(existsSync(path.join(cache, 'micro1-sync'))).toBe(false);
  });

  const hasCache = typeof (module as { enableCompileCache?: unknown }).enableCompileCache === 'function';
  it.skipIf(!hasCache)('is filled by a run of the CLI there, and nowhere in the temporary folder', () => {
    const cache = fixture({});
    const tmp = fixture({});
    const dir = fixture({ 'interviews/a.yaml': 'interview_name: A\n' });
    const run = spawnSync(process.execPath, [CLI, 'plan'], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH, XDG_CACHE_HOME: cache, TMPDIR: tmp } });
    expect(run.status).toBe(0);
    expect(readdirSync(path.join(cache, FOLDER)).length).toBeGreaterThan(0);
    expect(readdirSync(tmp)).toEqual([]);
  });

  const TS_CONFIG = "import type { Micro1Config } from 'micro1-sync';\nconst config: Micro1Config = { interviews: 'interviews' };\nexport default config;\n";

  it('has jiti transpile a TypeScript config into the private folder, and nothing into the temporary one', () => {
    const cache = fixture({});
    const tmp = fixture({});
    const dir = fixture({ 'interviews/a.yaml': 'interview_name: A\n', 'micro1.config.ts': TS_CONFIG });
    const run = spawnSync(process.execPath, [CLI, 'plan'], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH, XDG_CACHE_HOME: cache, TMPDIR: tmp, NODE_DISABLE_COMPILE_CACHE: '1' } });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(readdirSync(path.join(cache, 'micro1-sync', 'jiti')).some((f) => f.includes('micro1.config'))).toBe(true);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('still loads the config, transpiled afresh, where no private folder can be had', () => {
    const open = fixture({});
    chmodSync(open, 0o777);
    const tmp = fixture({});
    const dir = fixture({ 'interviews/a.yaml': 'interview_name: A\n', 'micro1.config.ts': TS_CONFIG });
    const run = spawnSync(process.execPath, [CLI, 'plan'], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH, XDG_CACHE_HOME: open, TMPDIR: tmp } });
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('+ a');
    // Nothing transpiled is kept anywhere: not under the refused folder, not in the temporary one.
    const jitiFolder = path.join(open, 'micro1-sync', 'jiti');
    expect(existsSync(jitiFolder) ? readdirSync(jitiFolder) : []).toEqual([]);
    expect(readdirSync(tmp)).toEqual([]);
  });
});

