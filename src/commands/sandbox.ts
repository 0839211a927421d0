import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, YAMLParseError } from 'yaml';
import { errnoCode, Micro1Error } from '../errors.js';
import { startSandbox, validateInterviewBody, type Sandbox, type SeedInterview } from '../sandbox/sandbox.js';

export interface SandboxCommandOptions {
  /** 0 or absent: any free port. */
  port?: number;
  /** YAML or JSON: a list of `{ id?, ...request body }`. */
  seedFile?: string;
  /** JSON file that keeps the interviews across restarts. */
  persistFile?: string;
  /** Accept only this key; absent: any non-empty key. */
  apiKey?: string;
  /** Folder that relative paths are resolved against (default: the process's). */
  cwd?: string;
}

/**
 * read the seed file → start the sandbox. The CLI prints the URL to export and keeps the process
 * running; the returned Sandbox's `close()` stops it.
 */
export async function sandboxCommand(options: SandboxCommandOptions): Promise<Sandbox> {
  const cwd = options.cwd ?? process.cwd();
  if (options.port !== undefined && !(Number.isInteger(options.port) && options.port >= 0 && options.port <= 65535)) {
    throw new Micro1Error('USAGE', `--port must be a whole number from 0 to 65535, not ${String(options.port)}`);
  }
  const seed = options.seedFile === undefined ? undefined : readSeedFile(path.resolve(cwd, options.seedFile), options.seedFile);
  return startSandbox({
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(seed === undefined ? {} : { seed }),
    ...(options.persistFile === undefined ? {} : { persistFile: path.resolve(cwd, options.persistFile) }),
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
  });
}

/** Reads a seed file and checks every entry the way the API checks a create; all problems are reported at once. */
export function readSeedFile(file: string, displayName = file): SeedInterview[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const why = errnoCode(error) === 'ENOENT' ? 'it does not exist' : String(error);
    throw new Micro1Error('SANDBOX_SEED_UNREADABLE', `Cannot read the seed file ${displayName}: ${why}`, { cause: error });
  }
  let raw: unknown;
  try {
    // JSON is YAML, so one parser reads both.
    raw = parse(text, { uniqueKeys: true, maxAliasCount: 100 });
  } catch (error) {
    const where = error instanceof YAMLParseError && error.linePos ? `:${error.linePos[0].line}:${error.linePos[0].col}` : '';
    throw new Micro1Error('SANDBOX_SEED_INVALID', `${displayName}${where}: not valid YAML or JSON: ${(error as Error).message.split('\n')[0]!}`, { cause: error });
  }
  if (!Array.isArray(raw)) {
    throw new Micro1Error('SANDBOX_SEED_INVALID', `${displayName} must hold a list of interviews`, {
      hint: 'e.g.\n  - id: 123e4567-e89b-12d3-a456-426614174000\n    interview_name: Backend Engineer',
    });
  }
  const problems: string[] = [];
  const seed = raw.map((entry: unknown, i): SeedInterview => {
    const where = `${displayName}: interview ${i + 1}`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      problems.push(`${where}: must be a mapping of request body fields`);
      return { body: { interview_name: '' } };
    }
    const { id, ...body } = entry as Record<string, unknown>;
    if (id !== undefined && typeof id !== 'string') problems.push(`${where}: id must be text`);
    problems.push(...validateInterviewBody(body, 'create').map((issue) => `${where}: ${issue}`));
    return { ...(typeof id === 'string' ? { id } : {}), body: body as SeedInterview['body'] };
  });
  if (problems.length > 0) throw new Micro1Error('SANDBOX_SEED_INVALID', problems.join('\n'));
  return seed;
}
