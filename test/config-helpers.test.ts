import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { fixture } from './helpers.js';

/**
 * A config file that imports from `micro1-sync` gets the config helpers (define-config.ts), not the
 * whole library: loading it through jiti would otherwise load and transpile the library and zod a
 * second time on every run. As a consequence the import resolves even where the project has not
 * installed micro1-sync (a global install, npx), which used to fail to load the config.
 */

const CLI = fileURLToPath(new URL('../dist/cli/micro1.js', import.meta.url));

const INTERVIEW = { 'interviews/a.yaml': 'interview_name: A\n' };

describe('what a config file gets from micro1-sync', () => {
  it('defineConfig from "micro1-sync", with no micro1-sync installed in the project', async () => {
    const root = fixture({ 'micro1.config.ts': "import { defineConfig } from 'micro1-sync';\nexport default defineConfig({ interviews: 'defs', prune: true });\n" });
    const config = await loadConfig({ cwd: root, env: {} });
    expect(config.interviewsDir).toBe(path.join(root, 'defs'));
    expect(config.prune).toBe(true);
  });

  it('defineConfig from "micro1-sync/config", the helpers\' own entry', async () => {
    const root = fixture({ 'micro1.config.ts': "import { defineConfig } from 'micro1-sync/config';\nexport default defineConfig({ state: 's.json' });\n" });
    expect((await loadConfig({ cwd: root, env: {} })).stateFile).toBe(path.join(root, 's.json'));
  });

  it('is the helpers alone: the library is not loaded into the config', async () => {
    const root = fixture({ 'micro1.config.ts': "import * as m from 'micro1-sync';\nexport default { interviews: Object.keys(m).filter((k) => k !== 'default').sort().join('+') };\n" });
    expect((await loadConfig({ cwd: root, env: {} })).interviewsDir).toBe(path.join(root, 'defineConfig'));
  });

  it('works the same from the bundled CLI', () => {
    const root = fixture({ ...INTERVIEW, 'micro1.config.ts': "import { defineConfig } from 'micro1-sync';\nimport type { Micro1Config } from 'micro1-sync';\nconst c: Micro1Config = { interviews: 'interviews' };\nexport default defineConfig(c);\n" });
    const run = spawnSync(process.execPath, [CLI, 'plan', '--format', 'json'], { cwd: root, encoding: 'utf8', env: { PATH: process.env.PATH, NO_COLOR: '1' } });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout).changes.map((c: { key: string; action: string }) => `${c.action} ${c.key}`)).toEqual(['create a']);
    expect(run.status).toBe(0);
  });
});
