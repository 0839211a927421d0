/** The terminal as the CLI sees it: the one seam between micro1-sync and the process (process-io.ts is the real one, tests pass their own). */

export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  /** Asks a question on the terminal; absent when there is no terminal to ask on. */
  ask?(question: string): Promise<Answer>;
  /** Which stream, if any, failed to take output (EPIPE: its reader went away); what followed was dropped. */
  outputLost?(): Promise<'stdout' | 'stderr' | undefined>;
  /** Calls `handler` on SIGINT/SIGTERM until the returned function is called. */
  onSignal?(handler: (signal: 'SIGINT' | 'SIGTERM') => void): () => void;
}

/** What was typed, or how the prompt was closed without an answer. */
export type Answer = string | { closed: 'ctrl-c' | 'ctrl-d' };

/** What commands print through: `stdout` and `stderr` guarded (see `guarded`), `annotate` for the tool's own workflow commands. */
export interface CliIo extends Io {
  annotate(text: string): void;
}
