import dns from 'node:dns';
import { channel } from 'node:diagnostics_channel';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { COMMANDS } from '../src/cli.js';
import { isLoopback } from '../src/api/client.js';
import { startSandbox, type Fault, type Sandbox, type SeedInterview } from '../src/sandbox/sandbox.js';
import { runBin } from './chaos-harness.js';
import { closedPort, fixture, runCli } from './helpers.js';

/**
 * Issue 7, secrets: the API key never appears in any output or file, whatever the command and
 * however it ends. The commands come from the CLI's own COMMANDS table, so a command added later
 * is covered without touching this file; so are its boolean flags.
 */
const KEY = 'sk-live-SECRETMARKER-1234567890';
/** What is searched for: the middle of the key, so that a truncated or partly masked key is found too. */
const MARKER = 'SECRETMARKER';

const PROJECT = {
  'micro1.config.json': JSON.stringify({ prune: true, apply: { requestsPerSecond: 1000, maxRetries: 0 }, api: { timeoutMs: 2000 } }),
  'interviews/sales/ae.yaml': 'interview_name: Account Executive\nextends: ../_shared/base.yaml\n',
  'interviews/eng/fe.yaml': 'interview_name: Frontend Engineer\nskills:\n  - name: React\n',
  'interviews/_shared/base.yaml': 'interview_language: fr\n',
  'webhooks/ats.yaml': 'url: https://ats.example.com/micro1\nevent: interview_report.created\n',
};

interface World {
  dir: string;
  env: NodeJS.ProcessEnv;
  box?: Sandbox;
  /** Where the key was seen while a command ran (lock, journal, any file), as `file: excerpt`. */
  leaks: string[];
  /** Every file that existed while a request was in flight. */
  seen: Set<string>;
}

interface Scenario {
  /** How the sandbox answers once the scenario is set up. */
  fault?: (r: { method: string }) => Fault | undefined;
  /** Files and state to start from, made once per scenario (with a well-behaved sandbox) and copied for each run. */
  setup?: (world: World) => Promise<void> | void;
  /** Environment for every run (a variable set to undefined is removed). */
  env?: () => Promise<NodeJS.ProcessEnv> | NodeJS.ProcessEnv;
  /** Files the user put the key in themselves: not searched, but nothing may echo them. */
  planted?: string[];
}

/** Every way a run can go that the issue names. */
const SCENARIOS: Record<string, Scenario> = {
  'first apply': {},
  'already applied': { setup: (w) => applyOnce(w) },
  'bad config': { setup: (w) => writeFileSync(path.join(w.dir, 'micro1.config.json'), '{ "apply": { "concurency": 4 } }') },
  'key pasted into a config that is not JSON': {
    setup: (w) => writeFileSync(path.join(w.dir, 'micro1.config.json'), `{ "api": { "apiKeyEnv": "${KEY}" } oops`),
    planted: ['micro1.config.json'],
  },
  'bad files': { setup: (w) => writeFileSync(path.join(w.dir, 'interviews/eng/fe.yaml'), 'interview_name: [\nskils: 3\n') },
  'missing state': {
    setup: async (w) => {
      await applyOnce(w);
      rmSync(path.join(w.dir, '.micro1/state.json'));
    },
  },
  'lock held': {
    setup: (w) => {
      const lock = { holder: 'ci@runner', pid: process.pid, host: os.hostname(), operation: 'apply', time: '2026-11-29T09:00:00.000Z', token: 't' };
      writeFileSync(path.join(w.dir, '.micro1/state.json.lock'), JSON.stringify(lock));
    },
  },
  '401': { setup: (w) => applyOnce(w), fault: () => ({ kind: 'status', status: 401, body: { status: false, message: `Invalid API key ${KEY}` } }) },
  'server echoes the key': { setup: (w) => applyOnce(w), fault: echo },
  'server echoes a key named by api.apiKeyEnv': {
    fault: echo,
    setup: (w) => {
      const config = JSON.parse(PROJECT['micro1.config.json']) as Record<string, unknown>;
      writeFileSync(path.join(w.dir, 'micro1.config.json'), JSON.stringify({ ...config, api: { apiKeyEnv: 'MICRO1_CREDENTIAL', timeoutMs: 2000 } }));
    },
    env: () => ({ MICRO1_CREDENTIAL: KEY, MICRO1_API_KEY: undefined }),
  },
  'network failure': { setup: (w) => applyOnce(w), env: async () => ({ MICRO1_API_URL: `http://127.0.0.1:${await closedPort()}` }) },
  'key put in MICRO1_API_URL by mistake': { env: () => ({ MICRO1_API_URL: KEY }) },
  'saved plan edited by hand': {
    setup: async (w) => {
      await applyOnce(w);
      writeFileSync(path.join(w.dir, 'interviews/eng/fe.yaml'), 'interview_name: Frontend Engineer\n');
      await runCli(['plan', '--out', 'saved-plan.json'], w.dir, { env: w.env });
      const file = path.join(w.dir, 'saved-plan.json');
      writeFileSync(file, readFileSync(file, 'utf8').replace('"Frontend Engineer"', '"Frontend Engineer!"'));
    },
  },
};

/** Positionals tried on commands that take them: a saved plan, a key, and the shapes of `state` subcommands. */
const POSITIONALS = [['saved-plan.json'], ['sales/ae'], ['list'], ['show', 'sales/ae'], ['rm', 'sales/ae'], ['rm', 'webhook:ats'], ['mv', 'sales/ae', 'sales/moved']];
/** Values for string flags whose meaning is known; other string flags are left out. */
const STRING_VALUES: Record<string, string[]> = { out: ['out-plan.json'], format: ['json', 'markdown'], target: ['sales/*', 'webhook:ats'], keyword: ['Engineer'], kind: ['webhook'] };

/** Each command, bare and with each of its flags (and its positionals), as argv lists. */
function variants(): string[][] {
  const out: string[][] = [];
  for (const [name, command] of Object.entries(COMMANDS)) {
    const always = 'auto-approve' in command.options ? ['--auto-approve'] : [];
    out.push([name, ...always]);
    for (const [flag, option] of Object.entries(command.options)) {
      if (flag === 'help' || flag === 'auto-approve' || flag === 'config') continue;
      if (option.type === 'boolean') out.push([name, ...always, `--${flag}`]);
      else for (const value of STRING_VALUES[flag] ?? []) out.push([name, ...always, `--${flag}`, value]);
    }
    if (command.positionals) for (const positional of POSITIONALS) out.push([name, ...always, ...positional]);
  }
  return out;
}

describe('the API key never leaks', () => {
  it('lists the commands it covers', () => {
    // A guard against an empty table: the loop below would then prove nothing.
    expect(Object.keys(COMMANDS)).toEqual(expect.arrayContaining(['plan', 'apply', 'validate', 'schema', 'sandbox']));
    const runs = variants();
    const perCommand = Object.fromEntries(Object.keys(COMMANDS).map((name) => [name, runs.filter((argv) => argv[0] === name).length]));
    console.log(`secrets figures ${JSON.stringify({ commands: Object.keys(COMMANDS).length, argvVariants: runs.length, perCommand, scenarios: Object.keys(SCENARIOS).length, runs: runs.length * Object.keys(SCENARIOS).length })}`);
  });

  it.each(Object.keys(SCENARIOS))('in any output or file of any command: %s', async (scenario) => {
    const start = await template(scenario);
    let echoed = 0;
    const seen = new Set<string>();
    for (const argv of variants()) {
      const world = await makeWorld(scenario, start);
      world.seen = seen;
      const result = await runCli(argv, world.dir, { env: world.env });
      const where = `${scenario}: micro1 ${argv.join(' ')}`;
      expect(result.stdout, `${where} (stdout)`).not.toContain(MARKER);
      expect(result.stderr, `${where} (stderr)`).not.toContain(MARKER);
      const planted = SCENARIOS[scenario]!.planted ?? [];
      const unplanted = (found: string[]) => found.filter((leak) => !planted.some((f) => leak.startsWith(`${f}:`)));
      expect(unplanted(world.leaks), `${where} (files while running)`).toEqual([]);
      expect(unplanted(leaksIn(world.dir)), `${where} (files after)`).toEqual([]);
      if (world.box) expect(JSON.stringify(world.box.requests), `${where} (anything sent but the header)`).not.toContain(MARKER);
      if (result.stderr.includes('***')) echoed++;
      await world.box?.close();
    }
    // The key was put in front of the redaction somewhere, so not finding it means something.
    if (SCENARIOS[scenario]!.fault === echo || scenario.startsWith('key put')) expect(echoed).toBeGreaterThan(0);
    // The lock and the journal were searched while they existed, in the middle of an apply.
    if (scenario === 'first apply') expect([...seen]).toEqual(expect.arrayContaining(['.micro1/state.json.lock', '.micro1/state.json.journal']));
  });

  it('in the real process output either (dist/bin.js)', async () => {
    for (const scenario of ['server echoes the key', 'server echoes a key named by api.apiKeyEnv', '401', 'network failure']) {
      const world = await makeWorld(scenario, await template(scenario));
      writeFileSync(path.join(world.dir, 'interviews/new.yaml'), 'interview_name: New\n');
      const run = await runBin(['apply', '--auto-approve'], { cwd: world.dir, env: world.env });
      expect(run.code, scenario).toBe(1);
      expect(run.stdout + run.stderr, scenario).not.toContain(MARKER);
      expect(leaksIn(world.dir), scenario).toEqual([]);
      await world.box?.close();
    }
  }, 120_000);
});

describe('redirects', () => {
  it.each([301, 302, 303, 307, 308])('are never followed (%i): the second server never hears from any command', async (status) => {
    const second = await recordingServer((_req, res) => res.end('{"status":true,"data":[]}'));
    const first = await recordingServer((req, res) => {
      res.writeHead(status, { location: `${second.url}${req.url ?? '/'}` });
      res.end();
    });
    let sawRefusal = false;
    for (const argv of variants()) {
      const dir = fixture(PROJECT);
      const result = await runCli(argv, dir, { env: { MICRO1_API_URL: first.url, MICRO1_API_KEY: KEY } });
      if (result.stderr.includes('redirects are not followed because the API key would go with them')) sawRefusal = true;
      expect(second.requests, `micro1 ${argv.join(' ')}`).toEqual([]);
    }
    expect(first.requests.length).toBeGreaterThan(0);
    expect(first.requests.every((r) => r.headers['x-api-key'] === KEY)).toBe(true);
    expect(sawRefusal).toBe(true);
  });
});

describe('plain http to another host', () => {
  it.each(['http://interviews.example.com', 'http://localhost.example.com', 'http://127.0.0.1.nip.io', 'http://[::ffff:7f00:1]'])(
    'is refused before any DNS lookup or connection, by every command: %s',
    async (url) => {
      const lookups: string[] = [];
      const events: string[] = [];
      const originalLookup = dns.lookup;
      const originalPromise = dns.promises.lookup;
      // Stubbed, so that even a broken build stays on this machine: a lookup is recorded and fails.
      const fail = (host: string) => {
        lookups.push(host);
        return Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
      };
      (dns as { lookup: unknown }).lookup = (host: string, ...rest: unknown[]) => (rest.at(-1) as (e: Error) => void)(fail(host));
      (dns.promises as { lookup: unknown }).lookup = async (host: string) => Promise.reject(fail(host));
      const subscriptions = ['undici:request:create', 'undici:client:beforeConnect', 'net.client.socket'].map((name) => {
        const onMessage = () => events.push(name);
        channel(name).subscribe(onMessage);
        return () => channel(name).unsubscribe(onMessage);
      });
      try {
        // The instruments work: a request to an unknown host is seen by all of them.
        await fetch('http://control.invalid/').catch(() => undefined);
        expect(lookups).toEqual(['control.invalid']);
        expect(events).toContain('undici:request:create');
        lookups.length = 0;
        events.length = 0;

        for (const argv of variants()) {
          const dir = fixture(PROJECT);
          const result = await runCli(argv, dir, { env: { MICRO1_API_URL: url, MICRO1_API_KEY: KEY } });
          // `micro1 sandbox` looks up 127.0.0.1 to listen on it: only other names count.
          const away = lookups.filter((host) => !isLoopback(host));
          expect({ argv, away, events }).toEqual({ argv, away: [], events: [] });
          lookups.length = 0;
          if (argv[0] === 'apply' && argv.length === 2) {
            expect(result.code).toBe(1);
            expect(result.stderr).toContain(`Refusing to send the API key to http://${new URL(url).host}`);
            expect(existsSync(path.join(dir, '.micro1/state.json.lock'))).toBe(false);
          }
        }
      } finally {
        (dns as { lookup: unknown }).lookup = originalLookup;
        (dns.promises as { lookup: unknown }).lookup = originalPromise;
        for (const unsubscribe of subscriptions) unsubscribe();
      }
    },
  );
});

interface Template {
  dir: string;
  seed: SeedInterview[];
  env: NodeJS.ProcessEnv;
}

/** The scenario's starting point: its files (state, saved plan, lock…) and what micro1 holds. */
async function template(scenario: string): Promise<Template> {
  const { setup, env } = SCENARIOS[scenario]!;
  const dir = fixture({ ...PROJECT, '.micro1/.keep': '' });
  rmSync(path.join(dir, '.micro1/.keep'));
  const box = await startSandbox({ apiKey: KEY });
  try {
    await setup?.({ dir, env: baseEnv(dir, box.url), leaks: [], seen: new Set() });
    return { dir, seed: box.interviews(), env: (await env?.()) ?? {} };
  } finally {
    await box.close();
  }
}

/** A copy of the template with a sandbox holding its interviews, answering as the scenario says. */
async function makeWorld(scenario: string, start: Template): Promise<World> {
  const { fault } = SCENARIOS[scenario]!;
  const dir = fixture({});
  cpSync(start.dir, dir, { recursive: true });
  const world: World = { dir, env: {}, leaks: [], seen: new Set() };
  // Every request is a moment in the middle of a command: look at the lock, the journal, every file.
  world.box = await startSandbox({
    apiKey: KEY,
    seed: start.seed,
    fault: (r) => {
      world.leaks.push(...leaksIn(dir, world.seen));
      return fault?.(r);
    },
  });
  onTestFinished(() => world.box?.close());
  const env: NodeJS.ProcessEnv = { ...baseEnv(dir, world.box.url), ...start.env };
  world.env = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined));
  return world;
}

function baseEnv(dir: string, url: string): NodeJS.ProcessEnv {
  return { MICRO1_API_URL: url, MICRO1_API_KEY: KEY, GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: path.join(dir, 'step-summary.md'), NO_COLOR: '1' };
}

async function applyOnce(world: World): Promise<void> {
  const result = await runCli(['apply', '--auto-approve'], world.dir, { env: world.env });
  expect(result.code, result.stderr).toBe(0);
}

/** The sandbox answers each method with a failure whose message holds the key. */
function echo(r: { method: string }): Fault {
  const status = { POST: 400, PUT: 404, DELETE: 500, GET: 502 }[r.method] ?? 400;
  return { kind: 'status', status, body: { status: false, message: `key ${KEY} is not valid for this request` } };
}

/** `file: excerpt` for each file under `dir` holding the marker; adds every file looked at to `seen`. */
function leaksIn(dir: string, seen?: Set<string>): string[] {
  const found: string[] = [];
  const walk = (at: string) => {
    for (const name of readdirSync(at)) {
      const file = path.join(at, name);
      let stats;
      try {
        stats = statSync(file);
      } catch {
        continue; // removed while we looked (a journal folded, a lock released)
      }
      if (stats.isDirectory()) walk(file);
      else {
        seen?.add(path.relative(dir, file));
        let text: string;
        try {
          text = readFileSync(file, 'latin1');
        } catch {
          continue;
        }
        const i = text.indexOf(MARKER);
        if (i !== -1) found.push(`${path.relative(dir, file)}: …${text.slice(Math.max(0, i - 40), i + 40)}…`);
      }
    }
  };
  walk(dir);
  return found;
}


interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
}

async function recordingServer(handler: (req: IncomingMessage, res: import('node:http').ServerResponse) => void): Promise<{ url: string; requests: Recorded[] }> {
  const requests: Recorded[] = [];
  const server: Server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    req.resume();
    req.on('end', () => handler(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}
