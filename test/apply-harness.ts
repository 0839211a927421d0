import { readFileSync } from 'node:fs';
import path from 'node:path';
import { onTestFinished } from 'vitest';
import { applyCommand, type ApplyCommandOptions } from '../src/commands/apply.js';
import { startSandbox, type Sandbox } from '../src/sandbox/sandbox.js';
import { fixture } from './helpers.js';
import { VirtualClock } from './virtual-clock.js';

export const API_KEY = 'test-key-7d1f3c9a2b8e4f60';

/** A sandbox closed when the test ends. */
export async function sandbox(options: Parameters<typeof startSandbox>[0] = {}): Promise<Sandbox> {
  const started = await startSandbox({ apiKey: API_KEY, ...options });
  onTestFinished(() => started.close());
  return started;
}

/** A project whose config points fast and small: high rate, short timeout, few retries. */
export function project(interviews: Record<string, string>, config: Record<string, unknown> = {}): string {
  const files: Record<string, string> = {
    'micro1.config.json': JSON.stringify({ apply: { requestsPerSecond: 1000, concurrency: 4, maxRetries: 3 }, api: { timeoutMs: 2000 }, ...config }),
  };
  for (const [key, text] of Object.entries(interviews)) files[`interviews/${key}.yaml`] = text;
  return fixture(files);
}

export function env(box: Sandbox, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { MICRO1_API_URL: box.url, MICRO1_API_KEY: API_KEY, ...extra };
}

/** applyCommand with a virtual clock, auto-approved, printing nothing. */
export async function apply(cwd: string, box: Sandbox, options: Partial<ApplyCommandOptions> = {}) {
  const clock = (options.clock as VirtualClock | undefined) ?? new VirtualClock();
  const notices: string[] = [];
  const outcome = await applyCommand({
    cwd,
    env: env(box),
    autoApprove: true,
    targets: [],
    excludes: [],
    failFast: false,
    force: false,
    review: async () => true,
    notice: (m) => notices.push(m),
    stop: new AbortController().signal,
    abandon: new AbortController().signal,
    clock,
    ...options,
  });
  return { outcome, clock, notices };
}

export function readStateFile(cwd: string): { serial: number; interviews: Record<string, { id: string; spec: Record<string, unknown> }>; pending: unknown[] } {
  return JSON.parse(readFileSync(path.join(cwd, '.micro1/state.json'), 'utf8'));
}

/** Requests that changed something or listed, without the bookkeeping fields. */
export function calls(box: Sandbox): string[] {
  return box.requests.map((r) => `${r.method} ${r.path}`);
}
