import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as pause } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

/**
 * Runs the locally installed Prism (@stoplight/prism-cli, a devDependency) on the vendor's
 * document: `prism mock` validates our requests against it; `prism proxy` (with `upstream`) also
 * validates the upstream's answers. Violations come back in the `sl-violations` response header.
 */

export const SPEC = fileURLToPath(new URL('./openapi.json', import.meta.url));
const REPO = fileURLToPath(new URL('../..', import.meta.url));
/** Prism parses the 200 kB document at start; a few seconds is normal, more than this is broken. */
const STARTUP_LIMIT_MS = 30_000;
const POLL_MS = 100;
const STOP_LIMIT_MS = 5_000;
const OUTPUT_KEPT = 16 * 1024;

export interface Prism {
  url: string;
  close(): Promise<void>;
  /** The tail of Prism's own log, for a failing test's message. */
  output(): string;
}

export interface Violation {
  /** ['request', 'body', 'skills'], ['response', 'body', 'status'], ['request'] … */
  location: (string | number)[];
  severity: 'Error' | 'Warning' | 'Information' | 'Hint';
  code?: string | number;
  message: string;
}

export async function startPrism(options: { upstream?: string } = {}): Promise<Prism> {
  const port = await freePort();
  const mode = options.upstream === undefined ? ['mock', SPEC] : ['proxy', SPEC, options.upstream];
  const args = [...mode, '--host', '127.0.0.1', '--port', String(port), '--errors=false'];
  // Run the package's own bin script with this Node, so neither PATH nor a shell is involved.
  const child = spawn(process.execPath, [prismBin(), ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_KEPT);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = once(child, 'exit');
  // Should the test process end without close(), the child must not outlive it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_LIMIT_MS);
    await exited;
    clearTimeout(timer);
  };

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + STARTUP_LIMIT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`Prism exited (${child.exitCode ?? child.signalCode}) before it listened:\n${output}`);
    }
    // Any HTTP answer (Prism's 404 for "/") means it is listening.
    const answered = await fetch(`${url}/`, { signal: AbortSignal.timeout(2_000) }).then(
      async (response) => (await response.arrayBuffer(), true),
      () => false,
    );
    if (answered) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Prism did not answer on ${url} within ${STARTUP_LIMIT_MS} ms:\n${output}`);
    }
    await pause(POLL_MS); // waiting for a child process to come up, not for a test condition
  }
  return { url, close: stop, output: () => output };
}

/** The violations Prism reported for a response; a header it had to truncate counts as one unreadable violation. */
export function violationsOf(response: Response): Violation[] {
  const header = response.headers.get('sl-violations');
  if (header === null) return [];
  try {
    return JSON.parse(header) as Violation[];
  } catch {
    // Over ~8 kB Prism sends "Too many violations! " and a cut-off JSON prefix.
    return [{ location: ['unreadable'], severity: 'Error', message: header }];
  }
}

function prismBin(): string {
  const manifest = createRequire(import.meta.url).resolve('@stoplight/prism-cli/package.json');
  const { bin } = JSON.parse(readFileSync(manifest, 'utf8')) as { bin: { prism: string } };
  return path.join(path.dirname(manifest), bin.prism);
}

/** A port nothing listens on: bind port 0, read what the kernel chose, release it. */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}
