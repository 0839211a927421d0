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
}

/** 0 success; 1 error; 2 changes present (plan --detailed-exitcode only). */
export const EXIT = { ok: 0, error: 1, changes: 2 } as const;

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
      const diagnostics = outcome.project.diagnostics;
      if (outcome.kind === 'invalid') {
        if (format === 'json') io.stdout(`${JSON.stringify({ format_version: '1.0', valid: false, diagnostics }, null, 2)}\n`);
        io.stderr(`${renderDiagnosticsText(diagnostics, style)}\n${countLine(diagnostics)}: nothing was planned.\n`);
        return EXIT.error;
      }
      if (diagnostics.length > 0) io.stderr(`${renderDiagnosticsText(diagnostics, style)}\n`);
      if (format === 'json') io.stdout(`${JSON.stringify(planToJson(outcome.plan, diagnostics), null, 2)}\n`);
      else io.stdout(renderPlanText(outcome.plan, style));
      if (outcome.savedTo !== undefined) {
        io.stderr(`Saved the plan to ${values.out as string}. Apply exactly this plan with: micro1 apply ${values.out as string}\n`);
      }
      return values['detailed-exitcode'] && hasChanges(outcome.plan) ? EXIT.changes : EXIT.ok;
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
      if (diagnostics.length > 0) io.stderr(`${renderDiagnosticsText(diagnostics, { color: useColor(io) })}\n`);
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

export async function main(argv: readonly string[], io: Io): Promise<number> {
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

export function useColor(io: Io): boolean {
  const noColor = io.env.NO_COLOR;
  return io.stdoutIsTTY && (noColor === undefined || noColor === '') && io.env.TERM !== 'dumb';
}

export type { Diagnostic };

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
