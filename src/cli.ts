import type { Diagnostic } from './diagnostics.js';
import { isMicro1Error, Micro1Error } from './errors.js';
import { guardOutput, guardOwnAnnotations, visibleLines, workflowCommandStream } from './render/neutralise.js';
import { redactStream, secretsOf } from './render/redact.js';
import { COMMANDS, EXIT, type Command } from './cli-commands/index.js';
import { appendStepSummary } from './cli-commands/output.js';

/**
 * The command line: dispatches to a command of cli-commands/ (each declares its flags once and
 * calls src/commands/), prints what it returns and picks the exit code. Nothing else in
 * micro1-sync prints to the terminal or decides an exit code; everything printed goes through
 * `guarded`.
 */

export type { Answer, CliIo, Io } from './io.js';
import type { CliIo, Io } from './io.js';

export async function main(argv: readonly string[], rawIo: Io): Promise<number> {
  const io = guarded(rawIo);
  const code = await runMain(argv, io);
  const lost = await io.outputLost?.();
  if (lost === undefined) return code;
  // The command ran to its end (apply saved its state); only what it printed was cut short.
  const other = lost === 'stdout' ? io.stderr : io.stdout;
  other(`micro1-sync: ${lost} was closed before all output was written (e.g. by \`| head\`); the rest was dropped.\n`);
  return code === EXIT.ok || code === EXIT.changes ? EXIT.error : code;
}

async function runMain(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  // `help CMD` reads as `CMD --help`; `help` alone and `version` as their flags.
  if (name === 'help' && rest.length > 0) return runMain([rest[0]!, '--help'], io);
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(topHelp());
    return name === undefined ? EXIT.error : EXIT.ok;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    const { TOOL_VERSION } = await import('./version.js');
    io.stdout(`micro1-sync ${TOOL_VERSION}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS[name];
  try {
    if (command === undefined) {
      const { didYouMean } = await import('./suggest.js');
      const guess = didYouMean(name, Object.keys(COMMANDS));
      throw new Micro1Error('USAGE', `Unknown command "${name}"`, { hint: guess ? `did you mean \`micro1 ${guess}\`?` : 'run `micro1 --help` for the list' });
    }
    const parsed = command.parse(rest);
    if (parsed.help) {
      io.stdout(commandHelp(command));
      return EXIT.ok;
    }
    return await parsed.run(io);
  } catch (error) {
    io.stderr(formatError(error));
    if (command !== undefined) await reportErrorToGithub(io, name, error);
    return isMicro1Error(error) ? error.exitCode : EXIT.error;
  }
}

/** An error for the terminal. Messages quote files and servers: each line is made `visible`, the line breaks the tool wrote kept. */
export function formatError(error: unknown): string {
  const shown = (text: string) => visibleLines(text).join('\n');
  if (isMicro1Error(error)) {
    return `Error: ${shown(error.message)}${error.hint ? `\n  ${shown(error.hint)}` : ''}\n`;
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return `Error: micro1-sync hit a bug and stopped; nothing more was sent.\n${shown(detail)}\nPlease report it with the command you ran.\n`;
}

export type { Diagnostic };
export { COMMANDS, EXIT, type Command } from './cli-commands/index.js';
export { useColor } from './cli-commands/output.js';

/**
 * The output edge. Renderers make every untrusted value safe for its medium (neutralise.ts); here,
 * whatever is printed is also scrubbed of secrets in any echoed form (redact.ts), anything unsafe
 * still left is shown as an escape, and no line can be a GitHub workflow command. Only the tool's
 * own annotations, built and escaped by github.ts, go out through `annotate`.
 */
function guarded(io: Io): CliIo {
  const secrets = secretsOf(io.env);
  // Each stream is guarded as its reader sees it, its writes joined: a secret cut between two
  // writes is still masked, and so is a workflow command. Annotations are written to stderr, so
  // they share its redaction; a line after one starts afresh for the runner.
  const redactOut = redactStream(secrets);
  const redactErr = redactStream(secrets);
  const out = workflowCommandStream();
  let err = workflowCommandStream();
  return {
    ...io,
    stdout: (text) => io.stdout(out(guardOutput(redactOut(text)))),
    stderr: (text) => io.stderr(err(guardOutput(redactErr(text)))),
    annotate: (text) => {
      // An annotation is whole lines that start where a line starts; what follows it starts a new line.
      io.stderr(guardOwnAnnotations(guardOutput(redactErr(text))));
      err = workflowCommandStream();
    },
  };
}

/** Under GitHub Actions, an error that stopped plan or apply also shows as an annotation and in the step summary. */
async function reportErrorToGithub(io: CliIo, command: string, error: unknown): Promise<void> {
  const { githubContext, errorAnnotation } = await import('./render/github.js');
  const github = githubContext(io.env);
  const message = isMicro1Error(error) ? error.message : 'micro1-sync hit a bug and stopped; see the log';
  const hint = isMicro1Error(error) ? error.hint : undefined;
  if (github.annotations) io.annotate(errorAnnotation(command, message, hint));
  if (command === 'plan' || command === 'apply') {
    const { renderErrorMarkdown } = await import('./render/render-markdown.js');
    appendStepSummary(io, github, () => renderErrorMarkdown(command, message, hint));
  }
}

function topHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(width)}  ${c.summary}`);
  return [
    'micro1 — micro1 AI interviews as code',
    '',
    'Usage: micro1 <command> [flags]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run `micro1 <command> --help` for its flags. `micro1 --version` prints the version.',
    'Exit codes: 0 success, 1 error, 2 changes present (plan --detailed-exitcode).',
    '',
  ].join('\n');
}

function commandHelp(command: Command): string {
  return [`${command.summary}.`, '', `Usage: ${command.usage}`, '', 'Flags:', ...command.help, ''].join('\n');
}
