import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONFIG_DEFAULTS, loadConfig, type ResolvedConfig } from '../src/config.js';
import { Micro1Error } from '../src/errors.js';
import { fixture } from './helpers.js';

const SRC_CONFIG = fileURLToPath(new URL('../src/config.ts', import.meta.url));

async function rejection(promise: Promise<unknown>): Promise<Micro1Error> {
  const error = await promise.then(
    () => {
      throw new Error('expected a Micro1Error, but the config loaded');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Micro1Error);
  return error as Micro1Error;
}

function defaultsFor(root: string, configFile: string | undefined): ResolvedConfig {
  return {
    projectRoot: root,
    configFile,
    interviewsDir: path.join(root, 'interviews'),
    stateFile: path.join(root, '.micro1', 'state.json'),
    api: { baseUrl: 'https://public.api.micro1.ai', apiKeyEnv: 'MICRO1_API_KEY', timeoutMs: 30_000 },
    apply: { concurrency: 4, requestsPerSecond: 5, maxRetries: 5 },
    prune: false,
    safety: { maxDeletes: 10, maxDeletePercent: 30 },
  };
}

describe('loadConfig', () => {
  it('uses the documented defaults when there is no config file', async () => {
    const root = fixture({});
    expect(await loadConfig({ cwd: root, env: {} })).toEqual(defaultsFor(root, undefined));
    expect(CONFIG_DEFAULTS.apply).toEqual({ concurrency: 4, requestsPerSecond: 5, maxRetries: 5 });
  });

  it('loads micro1.config.ts through jiti, types, defineConfig and all', async () => {
    const root = fixture({
      'micro1.config.ts': [
        `import { defineConfig } from ${JSON.stringify(SRC_CONFIG)};`,
        'const folder: string = "defs";',
        'export default defineConfig({ interviews: folder, apply: { concurrency: 2 } satisfies { concurrency: number }, prune: true });',
        '',
      ].join('\n'),
    });
    expect(await loadConfig({ cwd: root, env: {} })).toEqual({
      ...defaultsFor(root, path.join(root, 'micro1.config.ts')),
      interviewsDir: path.join(root, 'defs'),
      apply: { concurrency: 2, requestsPerSecond: 5, maxRetries: 5 },
      prune: true,
    });
  });

  it('loads micro1.config.json', async () => {
    const root = fixture({ 'micro1.config.json': '{ "state": "state/micro1.json", "api": { "timeoutMs": 5000 } }' });
    expect(await loadConfig({ cwd: root, env: {} })).toEqual({
      ...defaultsFor(root, path.join(root, 'micro1.config.json')),
      stateFile: path.join(root, 'state', 'micro1.json'),
      api: { ...defaultsFor(root, undefined).api, timeoutMs: 5000 },
    });
  });

  it('loads micro1.config.mjs', async () => {
    const root = fixture({ 'micro1.config.mjs': 'export default { safety: { maxDeletes: 0 } };\n' });
    expect((await loadConfig({ cwd: root, env: {} })).safety).toEqual({ maxDeletes: 0, maxDeletePercent: 30 });
  });

  it('loads micro1.config.js in an ESM package', async () => {
    const root = fixture({ 'package.json': '{ "type": "module" }', 'micro1.config.js': 'export default { apply: { maxRetries: 0 } };\n' });
    expect((await loadConfig({ cwd: root, env: {} })).apply.maxRetries).toBe(0);
  });

  it('prefers micro1.config.ts over the other names', async () => {
    const root = fixture({ 'micro1.config.ts': 'export default { prune: true };\n', 'micro1.config.json': '{ "prune": false }' });
    const config = await loadConfig({ cwd: root, env: {} });
    expect([config.configFile, config.prune]).toEqual([path.join(root, 'micro1.config.ts'), true]);
  });

  it('reads --config relative to the working folder, and makes its folder the project root', async () => {
    const root = fixture({ 'ci/micro1.json': '{ "interviews": "../defs" }' });
    const config = await loadConfig({ cwd: root, configPath: 'ci/micro1.json', env: {} });
    expect(config.projectRoot).toBe(path.join(root, 'ci'));
    expect(config.interviewsDir).toBe(path.join(root, 'defs'));
    expect(config.stateFile).toBe(path.join(root, 'ci', '.micro1', 'state.json'));
  });

  it('refuses a --config path that does not exist', async () => {
    const root = fixture({});
    const error = await rejection(loadConfig({ cwd: root, configPath: 'nope.ts', env: {} }));
    expect([error.code, error.message, error.hint]).toEqual(['CONFIG_NOT_FOUND', 'The config file nope.ts does not exist', 'check the --config path']);
  });

  it('refuses an unknown setting with "did you mean"', async () => {
    const top = await rejection(loadConfig({ cwd: fixture({ 'micro1.config.json': '{ "interview": "x" }' }), env: {} }));
    expect([top.code, top.message, top.hint]).toEqual(['CONFIG_INVALID', 'micro1.config.json: unknown setting "interview"', 'did you mean "interviews"?']);
    const nested = await rejection(loadConfig({ cwd: fixture({ 'micro1.config.json': '{ "api": { "baseURL": "https://x.test" } }' }), env: {} }));
    expect([nested.message, nested.hint]).toEqual(['micro1.config.json: unknown setting "api.baseURL"', 'did you mean "baseUrl"?']);
    const far = await rejection(loadConfig({ cwd: fixture({ 'micro1.config.json': '{ "apiKey": "secret" }' }), env: {} }));
    expect([far.message, far.hint]).toEqual(['micro1.config.json: unknown setting "apiKey"', undefined]);
  });

  it.each([
    ['{ "apply": { "concurrency": 0 } }', 'apply.concurrency: must be a whole number from 1 to 64'],
    ['{ "apply": { "concurrency": 1.5 } }', 'apply.concurrency: must be a whole number from 1 to 64'],
    ['{ "apply": { "requestsPerSecond": 5000 } }', 'apply.requestsPerSecond: must be a number from 0.2 to 1000'],
    ['{ "prune": "yes" }', 'prune: must be true or false'],
    ['{ "api": { "baseUrl": "ftp://example.com" } }', 'api.baseUrl: must be an http(s) URL such as https://public.api.micro1.ai'],
    ['{ "api": { "apiKeyEnv": "MY-KEY" } }', 'api.apiKeyEnv: must be an environment variable name'],
    ['[]', 'the default export: Invalid input: expected object, received array'],
  ])('refuses a bad value: %s', async (json, detail) => {
    const error = await rejection(loadConfig({ cwd: fixture({ 'micro1.config.json': json }), env: {} }));
    expect([error.code, error.message, error.hint]).toEqual(['CONFIG_INVALID', `micro1.config.json: ${detail}`, 'every setting and its range: docs/configuration.md in micro1-sync (node_modules/micro1-sync/docs/configuration.md)']);
  });

  it('reports a config that cannot be loaded', async () => {
    const root = fixture({ 'micro1.config.json': '{ prune: true' });
    const error = await rejection(loadConfig({ cwd: root, env: {} }));
    expect(error.code).toBe('CONFIG_LOAD_FAILED');
    expect(error.message).toMatch(new RegExp(`^Cannot load the config file ${root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/micro1\\.config\\.json: `));
    expect(error.hint).toBe('it must default-export defineConfig({...}) (or be JSON)');
  });

  it('lets MICRO1_API_URL override api.baseUrl, and ignores it when empty', async () => {
    const root = fixture({ 'micro1.config.json': '{ "api": { "baseUrl": "https://from-config.test" } }' });
    expect((await loadConfig({ cwd: root, env: { MICRO1_API_URL: 'http://127.0.0.1:4010' } })).api.baseUrl).toBe('http://127.0.0.1:4010');
    expect((await loadConfig({ cwd: root, env: { MICRO1_API_URL: '' } })).api.baseUrl).toBe('https://from-config.test');
    expect((await loadConfig({ cwd: root, env: {} })).api.baseUrl).toBe('https://from-config.test');
  });

  it('refuses a MICRO1_API_URL that is not an http(s) URL', async () => {
    const error = await rejection(loadConfig({ cwd: fixture({}), env: { MICRO1_API_URL: 'public.api.micro1.ai' } }));
    expect([error.code, error.message, error.hint]).toEqual([
      'CONFIG_INVALID',
      'MICRO1_API_URL is not an http(s) URL: "public.api.micro1.ai"',
      'set it to the API base URL, e.g. https://public.api.micro1.ai, or unset it',
    ]);
  });
});
