import { parseArgs, type ParseArgsConfig } from 'node:util';
import { countLine, type Diagnostic } from './diagnostics.js';
import { isMicro1Error, Micro1Error } from './errors.js';

/**
 * The command line: declares flags, calls a command, prints what it returns and picks the exit
 * code. Nothing else in micro1-sync prints to the terminal or decides an exit code.
 */

export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  /** Asks a question on the terminal; absent when there is no terminal to ask on. */
  ask?(question: string): Promise<string>;
  /** Calls `handler` on SIGINT/SIGTERM until the returned function is called. */
  onSignal?(handler: (signal: 'SIGINT' | 'SIGTERM') => void): () => void;
}

/** 0 success; 1 error; 2 changes present (plan --detailed-exitcode only); 128 + signal when interrupted. */
export const EXIT = { ok: 0, error: 1, changes: 2, SIGINT: 130, SIGTERM: 143 } as const;

/** After Ctrl-C, requests already in flight get this long to finish before they are abandoned. */
const GRACE_MS = 10_000;
/** Without a terminal, a progress line this often. */
const PROGRESS_LINE_MS = 5_000;

type Options = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, string | boolean | string[] | undefined>;

interface Command {
  summary: string;
  usage: string;
  options: Options;
  /** Lines of help under the usage line: one per flag, then notes. */
  help: string[];
  positionals?: boolean;
  run(values: Values, positionals: string[], io: Io): Promise<number>;
}

const common: Options = {
  config: { type: 'string', short: 'c' },
  help: { type: 'boolean', short: 'h' },
};
const selection: Options = {
  target: { type: 'string', multiple: true },
  exclude: { type: 'string', multiple: true },
};
const commonHelp = ['  -c, --config PATH      config file (default: micro1.config.{ts,mjs,js,json} in this folder)', '  -h, --help             this help'];
const selectionHelp = [
  '      --target KEY       only this interview key, folder or glob (repeatable)',
  '      --exclude KEY      leave this key, folder or glob out (repeatable)',
];

const COMMANDS: Record<string, Command> = {
  plan: {
    summary: 'Show what apply would change on micro1',
    usage: 'micro1 plan [--json | --format text|json] [--out FILE] [--detailed-exitcode] [--target KEY]... [--exclude KEY]...',
    options: {
      ...common,
      ...selection,
      json: { type: 'boolean' },
      format: { type: 'string' },
      out: { type: 'string', short: 'o' },
      'detailed-exitcode': { type: 'boolean' },
      prune: { type: 'boolean' },
    },
    help: [
      '      --format FORMAT    text (default) or json',
      '      --json             same as --format json',
      '  -o, --out FILE         save the plan for `micro1 apply FILE`',
      '      --detailed-exitcode  exit 0 with no changes, 2 with changes, 1 on error',
      '      --prune            plan deletes for interviews whose file is gone (overrides the config)',
      ...selectionHelp,
      ...commonHelp,
      '',
      'Reads no API key and makes no network call.',
    ],
    async run(values, _positionals, io) {
      const format = values.json ? 'json' : ((values.format as string | undefined) ?? 'text');
      if (format !== 'text' && format !== 'json') throw usageError(`--format must be text or json, not "${format}"`, 'plan');
      const { planCommand } = await import('./commands/plan.js');
      const outcome = await planCommand({
        cwd: io.cwd,
        env: io.env,
        targets: list(values.target),
        excludes: list(values.exclude),
        ...(values.config ? { configPath: values.config as string } : {}),
        ...(values.out ? { out: values.out as string } : {}),
        ...(values.prune ? { prune: true } : {}),
      });
      const { renderPlanText, renderDiagnosticsText } = await import('./render-text.js');
      const { planToJson } = await import('./render-json.js');
      const { hasChanges } = await import('./planner.js');
      const style = { color: useColor(io) };
      const errStyle = { color: useColor(io, 'stderr') };
      const diagnostics = outcome.project.diagnostics;
      if (outcome.kind === 'invalid') {
        if (format === 'json') io.stdout(`${JSON.stringify({ format_version: '1.0', valid: false, diagnostics }, null, 2)}\n`);
        io.stderr(`${renderDiagnosticsText(diagnostics, errStyle)}\n${countLine(diagnostics)}: nothing was planned.\n`);
        return EXIT.error;
      }
      if (diagnostics.length > 0) io.stderr(`${renderDiagnosticsText(diagnostics, errStyle)}\n`);
      if (format === 'json') io.stdout(`${JSON.stringify(planToJson(outcome.plan, diagnostics), null, 2)}\n`);
      else io.stdout(renderPlanText(outcome.plan, style));
      if (outcome.savedTo !== undefined) {
        io.stderr(`Saved the plan to ${values.out as string}. Apply exactly this plan with: micro1 apply ${values.out as string}\n`);
      }
      return values['detailed-exitcode'] && hasChanges(outcome.plan) ? EXIT.changes : EXIT.ok;
    },
  },
  apply: {
    summary: 'Make micro1 match the files (asks first unless --auto-approve)',
    usage: 'micro1 apply [PLANFILE] [--auto-approve] [--target KEY]... [--exclude KEY]... [--prune] [--fail-fast] [--force]',
    positionals: true,
    options: {
      ...common,
      ...selection,
      'auto-approve': { type: 'boolean' },
      'fail-fast': { type: 'boolean' },
      force: { type: 'boolean' },
      prune: { type: 'boolean' },
    },
    help: [
      '  PLANFILE               a plan saved by `micro1 plan --out`: applied exactly, refused if stale',
      '      --auto-approve     do not ask (required without a terminal, e.g. in CI)',
      '      --fail-fast        start nothing new after the first failure',
      '      --force            allow deletes beyond the safety thresholds',
      '      --prune            delete interviews whose file is gone (overrides the config)',
      ...selectionHelp,
      ...commonHelp,
      '',
      'Needs the API key in MICRO1_API_KEY (or the variable named by api.apiKeyEnv).',
      'Ctrl-C: starts nothing new, lets requests in flight finish (10 s at most), saves state, exits 130.',
    ],
    async run(values, positionals, io) {
      if (positionals.length > 1) throw usageError(`apply takes at most one plan file, got ${positionals.length}`, 'apply');
      const planFile = positionals[0];
      const autoApprove = values['auto-approve'] === true;
      if (planFile === undefined && !autoApprove && io.ask === undefined) {
        throw new Micro1Error('NEEDS_APPROVAL', 'There is no terminal to ask for approval, so nothing was applied', {
          hint: 'pass --auto-approve (as CI does), or apply a reviewed plan: micro1 plan --out plan.json && micro1 apply plan.json',
        });
      }
      const { applyCommand } = await import('./commands/apply.js');
      const { renderPlanText, renderDiagnosticsText, summaryLine } = await import('./render-text.js');
      const { renderApplySummary, renderProgress } = await import('./render-apply.js');
      const style = { color: useColor(io) };
      const stop = new AbortController();
      const abandon = new AbortController();
      let signal: 'SIGINT' | 'SIGTERM' | undefined;
      let grace: NodeJS.Timeout | undefined;
      const stopListening = io.onSignal?.((received) => {
        if (stop.signal.aborted) return abandon.abort();
        signal = received;
        stop.abort();
        io.stderr(`\nStopping (${received}): starting nothing new; waiting up to ${GRACE_MS / 1000} s for requests in flight. Press Ctrl-C again to abandon them.\n`);
        grace = setTimeout(() => abandon.abort(), GRACE_MS);
      });
      const started = Date.now();
      let lastLine = started;
      try {
        const outcome = await applyCommand({
          cwd: io.cwd,
          env: io.env,
          ...(values.config ? { configPath: values.config as string } : {}),
          ...(planFile !== undefined ? { planFile } : {}),
          autoApprove,
          targets: list(values.target),
          excludes: list(values.exclude),
          ...(values.prune ? { prune: true } : {}),
          failFast: values['fail-fast'] === true,
          force: values.force === true,
          stop: stop.signal,
          abandon: abandon.signal,
          notice: (message) => io.stderr(`${message}\n`),
          async review(plan, ask) {
            io.stdout(planFile === undefined ? renderPlanText(plan, style) : `${summaryLine(plan)}\n`);
            if (!ask) return true;
            const answer = await io.ask!('\nDo you want to perform these actions? Only "yes" will be accepted: ');
            return answer.trim() === 'yes';
          },
          onProgress(progress) {
            const now = Date.now();
            if (io.stderrIsTTY) io.stderr(`\r${renderProgress(progress, now - started)}`);
            else if (now - lastLine >= PROGRESS_LINE_MS) {
              lastLine = now;
              io.stderr(`${renderProgress(progress, now - started)}\n`);
            }
          },
        });
        if (outcome.kind === 'invalid') {
          const diagnostics = outcome.project.diagnostics;
          io.stderr(`${renderDiagnosticsText(diagnostics, style)}\n${countLine(diagnostics)}: nothing was sent.\n`);
          return EXIT.error;
        }
        if (outcome.kind === 'no-changes') {
          io.stdout(`${summaryLine(outcome.plan)}\n`);
          return EXIT.ok;
        }
        if (outcome.kind === 'declined') {
          io.stdout('Apply cancelled: nothing was sent.\n');
          return EXIT.error;
        }
        if (io.stderrIsTTY) io.stderr('\n');
        const summary = renderApplySummary(outcome.result, outcome.statePath);
        (outcome.result.failures.length > 0 ? io.stderr : io.stdout)(summary);
        if (signal !== undefined) return EXIT[signal];
        return outcome.result.failures.length > 0 || outcome.result.stoppedBecause === 'auth' ? EXIT.error : EXIT.ok;
      } finally {
        stopListening?.();
        clearTimeout(grace);
      }
    },
  },
  sandbox: {
    summary: 'Run a local micro1-compatible API to try plan and apply without an account',
    usage: 'micro1 sandbox [--port N] [--seed FILE] [--persist FILE] [--api-key KEY]',
    options: {
      help: common.help!,
      port: { type: 'string', short: 'p' },
      seed: { type: 'string' },
      persist: { type: 'string' },
      'api-key': { type: 'string' },
    },
    help: [
      '  -p, --port N           port on 127.0.0.1 (default: a free one)',
      '      --seed FILE        YAML/JSON list of interviews to start with ({id?, interview_name, ...})',
      '      --persist FILE     keep the interviews in this JSON file across restarts',
      '      --api-key KEY      accept only this key (default: any non-empty key)',
      '  -h, --help             this help',
      '',
      'Serves POST/PUT/DELETE /interview and GET /interviews with the API\'s validation and envelopes.',
      'Stops on Ctrl-C.',
    ],
    async run(values, _positionals, io) {
      const port = values.port === undefined ? undefined : Number(values.port);
      const { sandboxCommand } = await import('./commands/sandbox.js');
      const sandbox = await sandboxCommand({
        cwd: io.cwd,
        ...(port !== undefined ? { port } : {}),
        ...(values.seed ? { seedFile: values.seed as string } : {}),
        ...(values.persist ? { persistFile: values.persist as string } : {}),
        ...(values['api-key'] ? { apiKey: values['api-key'] as string } : {}),
      });
      io.stdout(
        `micro1 sandbox listening on ${sandbox.url} with ${sandbox.interviews().length} interview(s)\n` +
          `Point micro1-sync at it:\n  export MICRO1_API_URL=${sandbox.url}\n  export MICRO1_API_KEY=${values['api-key'] ? '<the key you gave>' : 'any-value'}\n` +
          'Press Ctrl-C to stop.\n',
      );
      await new Promise<void>((resolve) => {
        const stop = io.onSignal?.(() => {
          stop?.();
          resolve();
        });
        if (stop === undefined) resolve();
      });
      await sandbox.close();
      io.stdout('micro1 sandbox stopped.\n');
      return EXIT.ok;
    },
  },
  validate: {
    summary: 'Check every definition and the state file; send nothing',
    usage: 'micro1 validate [--json]',
    options: { ...common, json: { type: 'boolean' } },
    help: ['      --json             print the diagnostics as JSON', ...commonHelp],
    async run(values, _positionals, io) {
      const { loadProject, hasErrors } = await import('./project.js');
      const { renderDiagnosticsText } = await import('./render-text.js');
      const project = await loadProject({ cwd: io.cwd, env: io.env, ...(values.config ? { configPath: values.config as string } : {}) });
      const { diagnostics, definitions } = project;
      const valid = !hasErrors(diagnostics);
      if (values.json) io.stdout(`${JSON.stringify({ format_version: '1.0', valid, interviews: definitions.length, diagnostics }, null, 2)}\n`);
      if (diagnostics.length > 0) io.stderr(`${renderDiagnosticsText(diagnostics, { color: useColor(io, 'stderr') })}\n`);
      const summary = `${definitions.length} valid interview${definitions.length === 1 ? '' : 's'}; ${countLine(diagnostics)}.`;
      (values.json ? io.stderr : io.stdout)(`${summary}\n`);
      return valid ? EXIT.ok : EXIT.error;
    },
  },
  schema: {
    summary: 'Print the JSON Schema of an interview definition (for editors)',
    usage: 'micro1 schema',
    options: { help: common.help! },
    help: [
      '  -h, --help             this help',
      '',
      'Save it and point yaml-language-server at it, e.g. first line of a file:',
      '  # yaml-language-server: $schema=../micro1.schema.json',
    ],
    async run(_values, _positionals, io) {
      const { definitionJsonSchema } = await import('./interview-schema.js');
      io.stdout(`${JSON.stringify(definitionJsonSchema(), null, 2)}\n`);
      return EXIT.ok;
    },
  },
};

export async function main(argv: readonly string[], rawIo: Io): Promise<number> {
  const io = redacting(rawIo);
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(topHelp());
    return name === undefined ? EXIT.error : EXIT.ok;
  }
  if (name === '--version' || name === '-v') {
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
    let parsed;
    try {
      parsed = parseArgs({ args: [...rest], options: command.options, allowPositionals: true, strict: true });
    } catch (error) {
      throw usageError((error as Error).message.replace(/\. To specify a positional.*$/s, ''), name);
    }
    if (parsed.values.help) {
      io.stdout(commandHelp(name, command));
      return EXIT.ok;
    }
    if (!command.positionals && parsed.positionals.length > 0) {
      throw usageError(`Unexpected argument "${parsed.positionals[0]!}"`, name);
    }
    return await command.run(parsed.values as Values, parsed.positionals, io);
  } catch (error) {
    io.stderr(formatError(error));
    return isMicro1Error(error) ? error.exitCode : EXIT.error;
  }
}

export function formatError(error: unknown): string {
  if (isMicro1Error(error)) {
    return `Error: ${error.message}${error.hint ? `\n  ${error.hint}` : ''}\n`;
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return `Error: micro1-sync hit a bug and stopped; nothing more was sent.\n${detail}\nPlease report it with the command you ran.\n`;
}

/** Colour for text written to `stream`: only when that stream is a terminal (`2> log` must stay plain). */
export function useColor(io: Io, stream: 'stdout' | 'stderr' = 'stdout'): boolean {
  const noColor = io.env.NO_COLOR;
  const tty = stream === 'stdout' ? io.stdoutIsTTY : io.stderrIsTTY;
  return tty && (noColor === undefined || noColor === '') && io.env.TERM !== 'dumb';
}

export type { Diagnostic };

/**
 * Belt and braces: the key is never put into a message on purpose, and anything printed is still
 * scrubbed of the values of key-like environment variables in case an error echoes one back.
 */
function redacting(io: Io): Io {
  const secrets = Object.entries(io.env)
    .filter(([name, value]) => /(API_KEY|TOKEN|SECRET)$/i.test(name) && value !== undefined && value.length >= 8)
    .map(([, value]) => value!);
  if (secrets.length === 0) return io;
  const scrub = (text: string) => secrets.reduce((out, secret) => out.split(secret).join('***'), text);
  return { ...io, stdout: (text) => io.stdout(scrub(text)), stderr: (text) => io.stderr(scrub(text)) };
}

function usageError(message: string, command: string): Micro1Error {
  return new Micro1Error('USAGE', message, { hint: `run \`micro1 ${command} --help\` for usage` });
}

function list(value: string | boolean | string[] | undefined): string[] {
  return Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
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

function commandHelp(name: string, command: Command): string {
  return [`${command.summary}.`, '', `Usage: ${command.usage}`, '', 'Flags:', ...command.help, ''].join('\n');
}
