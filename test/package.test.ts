import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { API_KEY } from './apply-harness.js';
import { fixture } from './helpers.js';

/**
 * What `npm publish` would ship, and the release workflow that ships it. `npm pack --dry-run
 * --json` lists the tarball; a real `npm pack` is installed into an empty project with
 * `--offline`, beside tarballs of its runtime dependencies packed from this repository's own
 * node_modules at the versions package-lock.json pins (npm's cache may not hold them, and the
 * tests reach no registry), and its `micro1` runs there. `--ignore-scripts` everywhere: `prepare`
 * would rebuild dist/ under the feet of the other suites.
 */

const REPO = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);
const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { name: string; version: string; license: string; files: string[]; bin: Record<string, string> };

/** npm's own environment (npm_config_* from `npm test`) would steer these npm runs: left out. */
function npmEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
}

interface PackedFile {
  path: string;
  size: number;
}

let packed: PackedFile[] = [];

beforeAll(async () => {
  expect(existsSync(path.join(REPO, pkg.bin.micro1!)), 'dist/ is missing: run `npm run build` (npm test does)').toBe(true);
  const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: REPO, env: npmEnv(), maxBuffer: 64 * 1024 * 1024 });
  packed = (JSON.parse(stdout) as { files: PackedFile[] }[])[0]!.files;
}, 120_000);

describe('the npm package', () => {
  it('ships the CLI, the README and the docs pages, the LICENSE, and the workflow template', () => {
    const paths = packed.map((f) => f.path);
    for (const required of ['package.json', 'README.md', 'LICENSE', pkg.bin.micro1!, 'dist/index.js', 'dist/index.d.ts', '.github/workflows/micro1.yml', 'docs/commands.md', 'docs/configuration.md']) {
      expect(paths, required).toContain(required);
    }
    // Every docs page of the repository, and every workflow template.
    for (const page of readdirMarkdown('docs')) expect(paths).toContain(page);
    expect(paths.filter((p) => /^\.github\/workflows\/micro1[^/]*\.yml$/.test(p)).length).toBeGreaterThan(0);
  });

  it('ships every JSON Schema file the repository commits for editors', async () => {
    const { stdout } = await run('git', ['ls-files', '--', '*.schema.json', 'schemas/'], { cwd: REPO });
    const committed = stdout.split('\n').filter((p) => p !== '' && !p.startsWith('test/'));
    const paths = packed.map((f) => f.path);
    expect(committed.filter((p) => !paths.includes(p))).toEqual([]);
  });

  it('ships no tests, sources, source maps, release workflow or anything secret-looking', () => {
    const wrong = packed.map((f) => f.path).filter((p) => /^(test|src|\.ci|interviews|node_modules)\//.test(p) || /\.map$|\.tsbuildinfo$|(^|\/)\.env|(^|\/)\.npmrc$|\.pem$|\.key$|\.tgz$/.test(p) || p === '.github/workflows/release.yml');
    expect(wrong).toEqual([]);
  });

  it('holds no path of the machine it was packed on and no key-like string', () => {
    const leaks: string[] = [];
    for (const file of packed) {
      const text = readFileSync(path.join(REPO, file.path), 'utf8');
      for (const needle of [REPO, REPO.replace(/\/$/, ''), homedir()].filter((n) => n.length > 1)) if (text.includes(needle)) leaks.push(`${file.path}: ${needle}`);
      // Real key shapes (npm, GitHub, AWS, PEM) and the tests' own API key; the docs' documented fake key is fine.
      if (/-----BEGIN [A-Z ]*PRIVATE KEY-----|\bnpm_[A-Za-z0-9]{36}\b|\bgh[pousr]_[A-Za-z0-9]{36}\b|\bAKIA[0-9A-Z]{16}\b/.test(text) || text.includes(API_KEY)) leaks.push(`${file.path}: key-like text`);
    }
    expect(leaks).toEqual([]);
  });

  it('says MIT in package.json and in a LICENSE file, for micro1-sync contributors', () => {
    expect(pkg.license).toBe('MIT');
    const license = readFileSync(path.join(REPO, 'LICENSE'), 'utf8');
    expect(license.split('\n')[0]).toBe('MIT License');
    expect(license).toMatch(/^Copyright \(c\) \d{4} micro1-sync contributors$/m);
  });

  it('installs from its tarball into an empty project offline, and its micro1 runs: --version, validate', async () => {
    const root = fixture({});
    const tarballs = path.join(root, 'tarballs');
    mkdirSync(tarballs);
    const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', tarballs], { cwd: REPO, env: npmEnv(), maxBuffer: 64 * 1024 * 1024 });
    const tarball = path.join(tarballs, (JSON.parse(stdout) as { filename: string }[])[0]!.filename);
    // The README's install lines name this very tarball and tag.
    const readme = readFileSync(path.join(REPO, 'README.md'), 'utf8');
    expect(readme).toContain(`npm install --save-dev ../micro1-sync/${path.basename(tarball)}`);
    expect(readme).toContain(`micro1-sync.git#v${pkg.version}`);
    const lock = JSON.parse(readFileSync(path.join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; devOptional?: boolean }> };
    const runtime = Object.entries(lock.packages).filter(([where, p]) => where !== '' && p.dev !== true && p.devOptional !== true).map(([where]) => where);
    expect(runtime.map((where) => where.replace(/^.*node_modules\//, ''))).toEqual(expect.arrayContaining(Object.keys(JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')).dependencies)));
    const dependencies: string[] = [];
    for (const where of runtime) {
      const out = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', tarballs, `./${where}`], { cwd: REPO, env: npmEnv() });
      dependencies.push(path.join(tarballs, (JSON.parse(out.stdout) as { filename: string }[])[0]!.filename));
    }
    const project = path.join(root, 'project');
    mkdirSync(path.join(project, 'interviews'), { recursive: true });
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'hiring', version: '1.0.0', private: true }));
    writeFileSync(path.join(project, 'interviews', 'backend.yaml'), 'interview_name: Backend Engineer\nskills:\n  - name: Go\n');
    await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--save-dev', tarball, ...dependencies], { cwd: project, env: npmEnv() });
    const bin = path.join(project, 'node_modules', '.bin', 'micro1');
    expect((await run(bin, ['--version'], { cwd: project })).stdout).toBe(`micro1-sync ${pkg.version}\n`);
    expect((await run(bin, ['validate'], { cwd: project })).stdout).toBe('1 valid interview; 0 errors, 0 warnings.\n');
    // The docs and the workflow template are there to copy from.
    expect(existsSync(path.join(project, 'node_modules', pkg.name, '.github', 'workflows', 'micro1.yml'))).toBe(true);
    expect(existsSync(path.join(project, 'node_modules', pkg.name, 'docs', 'commands.md'))).toBe(true);
  }, 180_000);
});

// ---------------------------------------------------------------------------------------------

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, string | number>;
}
interface ReleaseWorkflow {
  on: { push: { tags: string[] } };
  permissions: Record<string, string>;
  jobs: Record<string, { permissions: Record<string, string>; steps: Step[] }>;
}

describe('the release workflow', () => {
  const file = path.join(REPO, '.github', 'workflows', 'release.yml');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const workflow = (parse(text) ?? {}) as ReleaseWorkflow;
  const steps = Object.values(workflow.jobs ?? {}).flatMap((j) => j.steps);

  it('runs on a version tag only, with no permission but reading the code and an OIDC token for provenance', () => {
    expect(workflow.on).toEqual({ push: { tags: ['v*'] } });
    expect(workflow.permissions).toEqual({});
    expect(Object.values(workflow.jobs).map((j) => j.permissions)).toEqual([{ contents: 'read', 'id-token': 'write' }]);
  });

  it('pins every action to a full commit SHA, with the version it is in a comment', () => {
    const uses = text.split('\n').filter((l) => /^\s*-?\s*uses:/.test(l));
    expect(uses.length).toBeGreaterThan(0);
    for (const line of uses) expect(line).toMatch(/uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+(\.\d+)*$/);
  });

  it('checks the tag against package.json, installs, tests, then publishes with provenance', () => {
    const runs = steps.flatMap((s) => (s.run === undefined ? [] : [s.run.trim()]));
    const at = (re: RegExp) => runs.findIndex((r) => re.test(r));
    expect(at(/^npm ci$/)).toBeGreaterThan(at(/package\.json/));
    expect(at(/^npm test$/)).toBeGreaterThan(at(/^npm ci$/));
    expect(at(/^npm publish --provenance --access public$/)).toBeGreaterThan(at(/^npm test$/));
    expect(steps.find((s) => s.uses?.startsWith('actions/setup-node@'))?.with).toMatchObject({ 'node-version': 20, 'registry-url': 'https://registry.npmjs.org' });
  });

  it('gives the npm token to the publish step alone, and keeps expressions out of scripts', () => {
    expect(text.match(/secrets\./g)).toHaveLength(1);
    expect(steps.filter((s) => s.env?.NODE_AUTH_TOKEN !== undefined).map((s) => s.run?.trim())).toEqual(['npm publish --provenance --access public']);
    for (const s of steps) if (s.run !== undefined) expect(s.run).not.toContain('${{');
  });

  it('refuses a tag that is not v + the version in package.json, or a package.json naming another repository, saying what to do', async () => {
    const check = steps.find((s) => s.run?.includes('package.json'))!.run!;
    const manifest = (url?: string) => JSON.stringify({ name: 'micro1-sync', version: '1.2.3', ...(url === undefined ? {} : { repository: { type: 'git', url } }) });
    const root = fixture({ 'package.json': manifest('git+https://github.com/acme/micro1-sync.git'), 'check.sh': check });
    const runCheck = (tag: string) =>
      run('bash', ['--noprofile', '--norc', '-eo', 'pipefail', 'check.sh'], { cwd: root, env: { PATH: process.env.PATH, GITHUB_REF_NAME: tag, GITHUB_REPOSITORY: 'acme/micro1-sync' } }).then(
        (r) => ({ code: 0, stdout: r.stdout }),
        (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
      );
    expect(await runCheck('v1.2.3')).toEqual({ code: 0, stdout: '' });
    expect(await runCheck('v1.2.4')).toEqual({
      code: 1,
      stdout: '::error title=release::The tag v1.2.4 does not match the version in package.json (1.2.3), so nothing was published. Tag the commit v1.2.3, or set the version in package.json to 1.2.4 and tag again.\n',
    });
    for (const url of [undefined, 'git+https://github.com/someone-else/micro1-sync.git']) {
      writeFileSync(path.join(root, 'package.json'), manifest(url));
      expect(await runCheck('v1.2.3')).toEqual({
        code: 1,
        stdout: `::error title=release::package.json names the repository "${url ?? ''}", not github.com/acme/micro1-sync, so npm would refuse the provenance. Set repository.url in package.json to git+https://github.com/acme/micro1-sync.git and tag again.\n`,
      });
    }
    writeFileSync(path.join(root, 'package.json'), manifest('https://github.com/acme/micro1-sync'));
    expect(await runCheck('v1.2.3')).toEqual({ code: 0, stdout: '' });
  });
});

/** The Markdown pages of a folder of the repository, as package paths. */
function readdirMarkdown(dir: string): string[] {
  const abs = path.join(REPO, dir);
  return existsSync(abs) ? readdirSync(abs).filter((f) => f.endsWith('.md')).map((f) => `${dir}/${f}`) : [];
}
