import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { onTestFinished } from 'vitest';
import { canonicalBody, type BodyField, type CanonicalBody } from '../src/definitions/canonical.js';
import type { DefinitionInput } from '../src/definitions/interview-schema.js';
import { main, type Io } from '../src/cli.js';
import type { Definition } from '../src/definitions/load-definitions.js';
import { emptyState, type State, type StateEntry } from '../src/state/state.js';

/**
 * Writes a small project tree to a fresh temp folder and returns its absolute path; the folder is
 * removed when the current test finishes. Keys are paths relative to the project root.
 */
export function fixture(files: Record<string, string | Buffer>): string {
  // realpath: macOS's /var → /private/var would otherwise leak into relative paths.
  const root = realpathSync(mkdtempSync(path.join(tmpdir(), 'micro1-test-')));
  onTestFinished(() => rmSync(root, { recursive: true, force: true }));
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(root, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  return root;
}

/** An Io that records everything `main` prints. */
export interface MemoryIo extends Io {
  readonly out: string;
  readonly err: string;
}

/** `tty` makes both streams terminals; `stderrTty` overrides it for stderr alone. */
export interface IoOptions {
  env?: NodeJS.ProcessEnv;
  tty?: boolean;
  stderrTty?: boolean;
}

export function memoryIo(cwd: string, options: IoOptions = {}): MemoryIo {
  let out = '';
  let err = '';
  return {
    stdout: (text) => void (out += text),
    stderr: (text) => void (err += text),
    env: options.env ?? {},
    cwd,
    stdoutIsTTY: options.tty ?? false,
    stderrIsTTY: options.stderrTty ?? options.tty ?? false,
    get out() {
      return out;
    },
    get err() {
      return err;
    },
  };
}

/** Runs the CLI in-process: exit code and everything printed. */
export async function runCli(
  argv: string[],
  cwd: string,
  options: IoOptions = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = memoryIo(cwd, options);
  const code = await main(argv, io);
  return { code, stdout: io.out, stderr: io.err };
}

// eslint-disable-next-line no-control-regex
const SGR = /\x1b\[[0-9;]*m/g;

export function stripAnsi(text: string): string {
  return text.replace(SGR, '');
}

/** A canonical body, as the loader builds it: the documented defaults plus `fields`, keys in the fixed order. */
export function body(fields: Partial<CanonicalBody> & { interview_name: string }): CanonicalBody {
  return canonicalBody(structuredClone(fields) as DefinitionInput);
}

/**
 * A definition as loadDefinitions would return it, for planner and renderer unit tests.
 * `explicit` defaults to the fields given; the file is `interviews/<key>.yaml`.
 */
export function definition(
  key: string,
  fields: Partial<CanonicalBody> & { interview_name: string },
  options: { id?: string; explicit?: BodyField[]; fragments?: string[]; sources?: Record<string, string>; sourceHash?: string } = {},
): Definition {
  const file = `interviews/${key}.yaml`;
  return {
    key,
    file,
    ...(options.id === undefined ? {} : { id: options.id }),
    body: body(fields),
    explicit: options.explicit ?? (Object.keys(fields) as BodyField[]),
    fragments: options.fragments ?? [],
    sources: options.sources ?? { [file]: `hash-of-${key}` },
    sourceHash: options.sourceHash ?? `sha256:${key}`,
  };
}

/** A state entry that records `def` as applied under `id`. */
export function appliedEntry(def: Definition, id: string, spec: CanonicalBody = def.body): StateEntry {
  return { id, spec: structuredClone(spec), sourceHash: def.sourceHash, sources: { ...def.sources }, appliedAt: '2024-05-01T12:00:00.000Z' };
}

export function stateOf(interviews: Record<string, StateEntry>, extra: Partial<State> = {}): State {
  return { ...emptyState(), lineage: '6d3c1f0e-1111-4222-8333-944455556666', serial: 7, interviews, ...extra };
}

/** A port nothing listens on: bound, then released. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
