import type { Answer, Io } from './io.js';

/** The real terminal: process streams, environment and signals. */
export function processIo(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Io {
  const stdout = robustWriter(process.stdout);
  const stderr = robustWriter(process.stderr);
  return {
    stdout: stdout.write,
    stderr: stderr.write,
    async outputLost() {
      await Promise.all([stdout.settled(), stderr.settled()]);
      return stdout.broken() ? 'stdout' : stderr.broken() ? 'stderr' : undefined;
    },
    env,
    cwd,
    stdoutIsTTY: process.stdout.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    ...(process.stdin.isTTY ? { ask } : {}),
    onSignal(handler) {
      const onInt = () => handler('SIGINT');
      const onTerm = () => handler('SIGTERM');
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
      return () => {
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
      };
    },
  };
}

/**
 * Writes that cannot stop the run. When the reader goes away (`apply | head -1`, a killed `| tee`)
 * the stream emits EPIPE as an 'error' event, which unhandled would crash apply mid-run and leave
 * its lock, journal and half its changes behind. Handled, the stream is marked broken, later writes
 * to it are dropped, and the CLI turns the loss into a non-zero exit once the command has ended.
 */
function robustWriter(stream: NodeJS.WriteStream): { write: (text: string) => void; broken: () => boolean; settled: () => Promise<void> } {
  let broken = false;
  stream.on('error', () => {
    broken = true;
  });
  return {
    write(text) {
      if (broken || stream.destroyed) {
        broken = true;
        return;
      }
      try {
        stream.write(text);
      } catch {
        broken = true;
      }
    },
    broken: () => broken,
    // A pipe reports EPIPE after the write returned: an empty write's callback comes after it.
    settled: () =>
      new Promise<void>((resolve) => {
        if (broken || stream.destroyed) return resolve();
        stream.write('', (error) => {
          if (error) broken = true;
          resolve();
        });
      }),
  };
}

/**
 * Asks on the terminal. Ctrl-C and Ctrl-D (end of input) close the prompt rather than answer it:
 * readline then rejects the question with an AbortError, which is a refusal, not a bug.
 */
async function ask(question: string): Promise<Answer> {
  // Loaded when a question is asked: every other run would pay for readline and streams at start.
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  let interrupted = false;
  // In raw mode Ctrl-C reaches readline as a key, not the process as a signal.
  rl.on('SIGINT', () => {
    interrupted = true;
    rl.close();
  });
  const closed = new Promise<Answer>((resolve) => rl.once('close', () => resolve({ closed: interrupted ? 'ctrl-c' : 'ctrl-d' })));
  try {
    return await Promise.race([rl.question(question), closed]);
  } catch (error) {
    if (error instanceof Error && error.name === 'AbortError') return { closed: interrupted ? 'ctrl-c' : 'ctrl-d' };
    throw error;
  } finally {
    rl.close();
  }
}
