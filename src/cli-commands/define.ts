import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { CliIo } from '../io.js';
import { Micro1Error } from '../errors.js';
import { didYouMean } from '../suggest.js';

/**
 * One declaration per flag (citty's `defineCommand` args): the parser options, the help lines and
 * the typed, defaulted values a command receives all come from it, so a flag cannot be parsed
 * without being documented, or documented without being parsed.
 */

/** 0 success; 1 error; 2 changes present (plan --detailed-exitcode only); 128 + signal when interrupted. */
export const EXIT = { ok: 0, error: 1, changes: 2, SIGINT: 130, SIGTERM: 143 } as const;

export interface Flag {
  /** `strings` is a string flag that may be repeated. */
  type: 'boolean' | 'string' | 'strings';
  short?: string;
  /** The value's name in the help, e.g. FILE. */
  value?: string;
  help: string;
}
export type Flags = Record<string, Flag>;

/** What a command receives: booleans default to false, repeatable flags to [], a string is absent when not given. */
export type Values<F extends Flags> = { [K in keyof F]: F[K]['type'] extends 'boolean' ? boolean : F[K]['type'] extends 'strings' ? string[] : string | undefined };

export interface CommandSpec<F extends Flags> {
  summary: string;
  usage: string;
  /** In help order; `--help` is added last. */
  flags: F;
  /** Positionals and subcommands, shown before the flags. */
  args?: Record<string, string>;
  /** Lines after the flags. */
  notes?: string[];
  positionals?: boolean;
  run(values: Values<F>, positionals: string[], io: CliIo): Promise<number>;
}

/** A command as the dispatcher sees it. */
export interface Command {
  summary: string;
  usage: string;
  flags: Flags;
  options: NonNullable<ParseArgsConfig['options']>;
  /** Lines of help under the usage line: one per positional and flag, then notes. */
  help: string[];
  positionals: boolean;
  /** Parses `argv`; a usage error for anything not declared. */
  parse(argv: readonly string[]): { help: boolean; run: (io: CliIo) => Promise<number> };
}

export const HELP_FLAG = { type: 'boolean', short: 'h', help: 'this help' } as const satisfies Flag;
export const CONFIG_FLAG = { type: 'string', short: 'c', value: 'PATH', help: 'config file (default: the nearest micro1.config.{ts,mjs,js,json} from here up to the repo root)' } as const satisfies Flag;
export const SELECTION_FLAGS = {
  target: { type: 'strings', value: 'KEY', help: 'only this interview key, folder or glob, or webhook:KEY for a webhook (repeatable)' },
  exclude: { type: 'strings', value: 'KEY', help: 'leave this key, folder or glob out; webhook:KEY for a webhook (repeatable)' },
} as const satisfies Flags;

export function defineCommand<const F extends Flags>(name: string, spec: CommandSpec<F>): Command {
  const flags: Flags = { ...spec.flags, help: HELP_FLAG };
  const options = Object.fromEntries(
    Object.entries(flags).map(([flag, f]) => [flag, { type: f.type === 'boolean' ? ('boolean' as const) : ('string' as const), ...(f.type === 'strings' ? { multiple: true } : {}), ...(f.short ? { short: f.short } : {}) }]),
  );
  const help = [
    ...Object.entries(spec.args ?? {}).map(([arg, text]) => `  ${arg.padEnd(21)}  ${text}`),
    ...Object.entries(flags).map(([flag, f]) => `  ${f.short ? `-${f.short}, ` : '    '}${`--${flag}${f.value ? ` ${f.value}` : ''}`.padEnd(17)}  ${f.help}`),
    ...(spec.notes ? ['', ...spec.notes] : []),
  ];
  const positionals = spec.positionals === true;
  return {
    summary: spec.summary,
    usage: spec.usage,
    flags,
    options,
    help,
    positionals,
    parse(argv) {
      refuseUndeclared(name, flags, options, argv);
      let parsed;
      try {
        parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
      } catch (error) {
        throw usageError((error as Error).message.replace(/\. To specify a positional.*$/s, ''), name);
      }
      const raw = parsed.values as Record<string, string | boolean | string[] | undefined>;
      const values = Object.fromEntries(Object.entries(flags).map(([flag, f]) => [flag, raw[flag] ?? (f.type === 'boolean' ? false : f.type === 'strings' ? [] : undefined)])) as Values<F>;
      const rest = parsed.positionals;
      return {
        help: raw.help === true,
        run: (io) => {
          if (!positionals && rest.length > 0) throw usageError(`Unexpected argument "${rest[0]!}"`, name);
          return spec.run(values, rest, io);
        },
      };
    },
  };
}

export function usageError(message: string, command: string, suggestion?: string): Micro1Error {
  const usage = `run \`micro1 ${command} --help\` for usage`;
  return new Micro1Error('USAGE', message, { hint: suggestion === undefined ? usage : `did you mean \`${suggestion}\`? ${usage}` });
}

/**
 * Catches, before parseArgs reads them, an unknown long flag (with a "did you mean") and a long flag
 * written with one dash, Terraform's habit: parseArgs would read `-out=x.plan` as `-o ut=x.plan`.
 */
function refuseUndeclared(name: string, flags: Flags, options: Command['options'], argv: readonly string[]): void {
  const { tokens } = parseArgs({ args: [...argv], options, allowPositionals: true, strict: false, tokens: true });
  const longNames = Object.keys(flags);
  const seen = new Set<number>();
  for (const token of tokens) {
    if (token.kind !== 'option' || seen.has(token.index)) continue;
    seen.add(token.index);
    const raw = argv[token.index]!;
    if (token.rawName.startsWith('--')) {
      if (!(token.name in flags)) {
        const guess = didYouMean(token.name, longNames);
        throw usageError(`Unknown option '${token.rawName}'`, name, guess === undefined ? undefined : `--${guess}`);
      }
    } else if (raw.length > 2 && !isShortGroup(raw.slice(1), flags)) {
      const [typed = '', ...inline] = raw.slice(1).split('=');
      const meant = didYouMean(typed, longNames) ?? typed;
      throw usageError(`"${raw}" has one dash: long flags take two`, name, `--${[meant, ...inline].join('=')}`);
    }
  }
}

/** `-h`, `-oFILE`, `-hoFILE`: declared short flags, any string one taking the rest as its value; `-out=x` names a long flag and is not. */
function isShortGroup(body: string, flags: Flags): boolean {
  if (body.split('=')[0]! in flags) return false;
  const shorts = new Map(Object.values(flags).flatMap((f) => (f.short ? [[f.short, f] as const] : [])));
  for (const char of body) {
    const flag = shorts.get(char);
    if (flag === undefined) return false;
    if (flag.type !== 'boolean') return true;
  }
  return true;
}
