import { appendFileSync, existsSync, statSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { countLine, type Diagnostic } from './diagnostics.js';
import { isMicro1Error, Micro1Error } from './errors.js';
import { STEP_SUMMARY_MAX_BYTES, type GithubContext } from './github.js';
import { guardOutput, guardOwnAnnotations, guardWorkflowCommands, visible, visibleLines } from './neutralise.js';
import { redact, secretsOf } from './redact.js';
import type { MarkdownLimit } from './render-markdown.js';

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

/** 0 success; 1 error; 2 changes present (plan --detailed-exitcode only); 128 + signal when interrupted. */
export const EXIT = { ok: 0, error: 1, changes: 2, SIGINT: 130, SIGTERM: 143 } as const;

/** After Ctrl-C, requests already in flight get this long to finish before they are abandoned. */
const GRACE_MS = 10_000;
/** Without a terminal, a progress line this often. */
const PROGRESS_LINE_MS = 5_000;

type Options = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, string | boolean | string[] | undefined>;

export interface Command {
  summary: string;
  usage: string;
  options: Options;
  /** Lines of help under the usage line: one per flag, then notes. */
  help: string[];
  positionals?: boolean;
  run(values: Values, positionals: string[], io: CliIo): Promise<number>;
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

export const COMMANDS: Record<string, Command> = {
  plan: {
    summary: 'Show what apply would change on micro1',
    usage: 'micro1 plan [--json | --format text|json|markdown] [--out FILE] [--detailed-exitcode] [--prune] [--refresh] [--target KEY]... [--exclude KEY]...',
    options: {
      ...common,
      ...selection,
      json: { type: 'boolean' },
      format: { type: 'string' },
      out: { type: 'string', short: 'o' },
      'detailed-exitcode': { type: 'boolean' },
      prune: { type: 'boolean' },
      refresh: { type: 'boolean' },
    },
    help: [
      '      --format FORMAT    text (default), json, or markdown (a pull-request comment, at most 65,535 characters)',
      '      --json             same as --format json',
      '  -o, --out FILE         save the plan for `micro1 apply FILE`',
      '      --detailed-exitcode  exit 0 with no changes, 2 with changes, 1 on error',
      '      --prune            plan deletes for interviews whose file is gone (overrides the config)',
      '      --refresh          read micro1 first: report drift (changed or deleted outside git) and plan from it',
      ...selectionHelp,
      ...commonHelp,
      '',
      'Reads no API key and makes no network call.',
      '--refresh is the exception: it reads GET /interviews first, with the API key, as apply does.',
      'In GitHub Actions: appends the plan to $GITHUB_STEP_SUMMARY and annotates problems on their lines.',
    ],
    async run(values, _positionals, io) {
      const format = values.json ? 'json' : ((values.format as string | undefined) ?? 'text');
      if (format !== 'text' && format !== 'json' && format !== 'markdown') throw usageError(`--format must be text, json or markdown, not "${format}"`, 'plan');
      const { planCommand } = await import('./commands/plan.js');
      const outcome = await planCommand({
        cwd: io.cwd,
        env: io.env,
        targets: list(values.target),
        excludes: list(values.exclude),
        ...(values.config ? { configPath: values.config as string } : {}),
        ...(values.out ? { out: values.out as string } : {}),
        ...(values.prune ? { prune: true } : {}),
        ...(values.refresh ? { refresh: true } : {}),
      });
      const { renderPlanText } = await import('./render-text.js');
      const { renderDriftText } = await import('./render-drift.js');
      const { planToJson } = await import('./render-json.js');
      const { hasChanges } = await import('./planner.js');
      const md = await import('./render-markdown.js');
      const gh = await import('./github.js');
      const github = gh.githubContext(io.env);
      const style = { color: useColor(io) };
      const diagnostics = outcome.project.diagnostics;
      const where = (file: string) => gh.repoPath(outcome.project.config.projectRoot, file, github.workspace);
      if (github.annotations) io.annotate(gh.diagnosticAnnotations(diagnostics, where));
      if (outcome.kind === 'invalid') {
        if (format === 'json') io.stdout(`${JSON.stringify({ format_version: '1.0', valid: false, diagnostics }, null, 2)}\n`);
        if (format === 'markdown') io.stdout(md.renderInvalidMarkdown('plan', diagnostics, { limit: md.COMMENT_LIMIT }));
        await printDiagnostics(io, diagnostics, 'nothing was planned.');
        appendStepSummary(io, github, (limit) => md.renderInvalidMarkdown('plan', diagnostics, { limit }));
        return EXIT.error;
      }
      if (github.annotations) io.annotate(gh.planWarningAnnotations(outcome.plan.warnings));
      await printDiagnostics(io, diagnostics);
      // The comment points at the run's summary for the rest, when there is one to point at.
      const fullPlanUrl = github.stepSummary !== undefined ? github.runUrl : undefined;
      for (const warning of outcome.liveWarnings ?? []) io.stderr(`warning: ${visible(warning)}\n`);
      const refreshed = outcome.drift === undefined ? {} : { drift: outcome.drift };
      if (format === 'json') io.stdout(`${JSON.stringify(planToJson(outcome.plan, diagnostics, outcome.drift), null, 2)}\n`);
      else if (format === 'markdown') io.stdout(md.renderPlanMarkdown(outcome.plan, diagnostics, { limit: md.COMMENT_LIMIT, ...(fullPlanUrl ? { fullPlanUrl } : {}), ...refreshed }));
      else io.stdout(`${outcome.drift ? renderDriftText(outcome.drift, outcome.plan, style) : ''}${renderPlanText(outcome.plan, style)}`);
      appendStepSummary(io, github, (limit) => md.renderPlanMarkdown(outcome.plan, diagnostics, { limit, ...refreshed }));
      if (outcome.savedTo !== undefined) {
        const out = visible(values.out as string);
        io.stderr(`Saved the plan to ${out}. Apply exactly this plan with: micro1 apply ${out}\n`);
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
      'In GitHub Actions: appends its summary to $GITHUB_STEP_SUMMARY and annotates each failure on its file.',
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
      const { renderPlanText, summaryLine } = await import('./render-text.js');
      const { renderApplySummary, renderProgress } = await import('./render-apply.js');
      const md = await import('./render-markdown.js');
      const gh = await import('./github.js');
      const github = gh.githubContext(io.env);
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
      let promptClosed: 'ctrl-c' | 'ctrl-d' | undefined;
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
            if (typeof answer !== 'string') promptClosed = answer.closed;
            return typeof answer === 'string' && answer.trim() === 'yes';
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
          const where = (file: string) => gh.repoPath(outcome.project.config.projectRoot, file, github.workspace);
          if (github.annotations) io.annotate(gh.diagnosticAnnotations(diagnostics, where));
          await printDiagnostics(io, diagnostics, 'nothing was sent.');
          appendStepSummary(io, github, (limit) => md.renderInvalidMarkdown('apply', diagnostics, { limit }));
          return EXIT.error;
        }
        if (outcome.kind === 'no-changes') {
          io.stdout(`${summaryLine(outcome.plan)}\n`);
          appendStepSummary(io, github, () => md.renderNoChangesMarkdown(outcome.plan));
          return EXIT.ok;
        }
        if (outcome.kind === 'declined') {
          // Ctrl-C at the prompt is an interrupt like any other (130); Ctrl-D is an answer that is not "yes".
          if (promptClosed !== undefined) {
            io.stdout(`\nApply cancelled (${promptClosed === 'ctrl-c' ? 'Ctrl-C' : 'end of input'}): nothing was sent.\n`);
            return promptClosed === 'ctrl-c' ? EXIT.SIGINT : EXIT.error;
          }
          io.stdout('Apply cancelled: nothing was sent.\n');
          return EXIT.error;
        }
        if (io.stderrIsTTY) io.stderr('\n');
        const summary = renderApplySummary(outcome.result, outcome.statePath);
        (outcome.result.failures.length > 0 ? io.stderr : io.stdout)(summary);
        const where = (file: string) => gh.repoPath(outcome.projectRoot, file, github.workspace);
        if (github.annotations) io.annotate(gh.applyFailureAnnotations(outcome.result.failures, where));
        appendStepSummary(io, github, (limit) => md.renderApplyMarkdown(outcome.result, outcome.plan, outcome.statePath, { limit }));
        if (signal !== undefined) return EXIT[signal];
        const stoppedEarly = ['auth', 'deadline', 'unreachable'].includes(outcome.result.stoppedBecause ?? '');
        return outcome.result.failures.length > 0 || stoppedEarly ? EXIT.error : EXIT.ok;
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
      const project = await loadProject({ cwd: io.cwd, env: io.env, ...(values.config ? { configPath: values.config as string } : {}) });
      const { diagnostics, definitions } = project;
      const valid = !hasErrors(diagnostics);
      const gh = await import('./github.js');
      const github = gh.githubContext(io.env);
      if (github.annotations) io.annotate(gh.diagnosticAnnotations(diagnostics, (file) => gh.repoPath(project.config.projectRoot, file, github.workspace)));
      if (values.json) io.stdout(`${JSON.stringify({ format_version: '1.0', valid, interviews: definitions.length, diagnostics }, null, 2)}\n`);
      await printDiagnostics(io, diagnostics);
      const summary = `${definitions.length} valid interview${definitions.length === 1 ? '' : 's'}; ${countLine(diagnostics)}.`;
      (values.json ? io.stderr : io.stdout)(`${summary}\n`);
      return valid ? EXIT.ok : EXIT.error;
    },
  },
  forget: {
    summary: 'Stop managing interviews whose file is gone, leaving them on micro1',
    usage: 'micro1 forget KEY...',
    positionals: true,
    options: { ...common },
    help: [
      '  KEY                    a key recorded in the state (path under the interviews folder, no extension)',
      ...commonHelp,
      '',
      'Drops each key from the state file under the state lock; micro1 is not touched and no API key is needed.',
      'Refuses a key whose file still exists (the next apply would create it again).',
    ],
    async run(values, positionals, io) {
      if (positionals.length === 0) throw usageError('forget needs at least one key', 'forget');
      const { forgetCommand } = await import('./commands/forget.js');
      const outcome = await forgetCommand({
        cwd: io.cwd,
        env: io.env,
        keys: positionals,
        ...(values.config ? { configPath: values.config as string } : {}),
        notice: (message) => io.stderr(`${message}\n`),
      });
      for (const f of outcome.forgotten) {
        io.stdout(`Forgot ${visible(f.key)}${f.id === undefined ? '' : ` (${visible(f.id)})`}: it stays on micro1, no longer managed.\n`);
      }
      io.stdout(`State saved to ${outcome.statePath}.\n`);
      return EXIT.ok;
    },
  },
  import: {
    summary: 'Write a definition for each interview on micro1 not managed yet, and record it in state',
    usage: 'micro1 import [--keyword TEXT] [--force]',
    options: { ...common, keyword: { type: 'string' }, force: { type: 'boolean' } },
    help: [
      '      --keyword TEXT     only interviews whose name contains TEXT',
      '      --force            replace a file that pins a listed id but says something else',
      ...commonHelp,
      '',
      'Needs the API key in MICRO1_API_KEY. Writes interviews/<name>.yaml with the id pinned, never',
      'over an existing file (-2, -3… instead), skips interviews already in state, and records the rest.',
    ],
    async run(values, _positionals, io) {
      const { importCommand } = await import('./commands/import.js');
      const { renderImportSummary } = await import('./render-import.js');
      const outcome = await importCommand({
        cwd: io.cwd,
        env: io.env,
        force: values.force === true,
        notice: (message) => io.stderr(`${message}\n`),
        ...(values.config ? { configPath: values.config as string } : {}),
        ...(typeof values.keyword === 'string' ? { keyword: values.keyword } : {}),
      });
      if (outcome.kind === 'invalid') {
        const diagnostics = outcome.project.diagnostics;
        await printDiagnostics(io, diagnostics, 'nothing was imported.');
        return EXIT.error;
      }
      for (const warning of outcome.listWarnings) io.stderr(`warning: ${visible(warning)}\n`);
      io.stdout(renderImportSummary(outcome.result, outcome.listed, outcome.statePath));
      return EXIT.ok;
    },
  },
  fmt: {
    summary: 'Rewrite definitions and fragments in canonical key order and style, keeping comments',
    usage: 'micro1 fmt [--check]',
    options: { ...common, check: { type: 'boolean' } },
    help: ['      --check            write nothing; exit 1 listing the files that would change (for CI)', ...commonHelp, '', 'Files with errors are reported and left as they are.'],
    async run(values, _positionals, io) {
      const { fmtCommand } = await import('./commands/fmt.js');
      const { renderFmtSummary } = await import('./render-fmt.js');
      const check = values.check === true;
      const outcome = await fmtCommand({ cwd: io.cwd, env: io.env, check, ...(values.config ? { configPath: values.config as string } : {}) });
      await printDiagnostics(io, outcome.diagnostics);
      io.stdout(renderFmtSummary(outcome, check));
      return outcome.diagnostics.length > 0 || (check && outcome.changed.length > 0) ? EXIT.error : EXIT.ok;
    },
  },
  state: {
    summary: 'List, show, remove or rename entries of the state file (sends nothing to micro1)',
    usage: 'micro1 state list | show KEY | rm KEY... | mv OLD NEW',
    positionals: true,
    options: { ...common, json: { type: 'boolean' } },
    help: [
      '  list                   every managed interview: key, id, when it was applied',
      '  show KEY               one entry: id, files, and the body last applied',
      '  rm KEY...              stop managing these interviews; they stay on micro1',
      '  mv OLD NEW             record an interview under a new key (its file was renamed without a pinned id)',
      '      --json             list and show as JSON',
      ...commonHelp,
      '',
      'rm and mv take the state lock and write the state atomically.',
    ],
    async run(values, positionals, io) {
      const [sub, ...args] = positionals;
      const commands = await import('./commands/state.js');
      const render = await import('./render-state.js');
      const base = { cwd: io.cwd, env: io.env, notice: (message: string) => io.stderr(`${message}\n`), ...(values.config ? { configPath: values.config as string } : {}) };
      const expect = (ok: boolean, usage: string) => {
        if (!ok) throw usageError(`usage: micro1 state ${usage}`, 'state');
      };
      const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
      if (sub === 'list') {
        expect(args.length === 0, 'list');
        const { state, statePath } = await commands.stateListCommand(base);
        io.stdout(values.json ? json(render.stateListToJson(state)) : render.renderStateList(state, statePath));
      } else if (sub === 'show') {
        expect(args.length === 1, 'show KEY');
        const shown = await commands.stateShowCommand({ ...base, key: args[0]! });
        io.stdout(values.json ? json({ key: shown.key, ...shown.entry }) : render.renderStateEntry(shown.key, shown.entry, shown.file));
      } else if (sub === 'rm') {
        expect(args.length > 0, 'rm KEY...');
        const { removed, statePath } = await commands.stateRmCommand({ ...base, keys: args });
        io.stdout(render.renderStateRm(removed, statePath));
      } else if (sub === 'mv') {
        expect(args.length === 2, 'mv OLD NEW');
        const moved = await commands.stateMvCommand({ ...base, from: args[0]!, to: args[1]! });
        io.stdout(render.renderStateMv(moved, moved.statePath));
      } else {
        throw usageError(sub === undefined ? 'state needs a subcommand: list, show, rm or mv' : `Unknown state subcommand "${sub}": use list, show, rm or mv`, 'state');
      }
      return EXIT.ok;
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

/** Colour for text written to `stream`: only when that stream is a terminal (`2> log` must stay plain). */
export function useColor(io: Io, stream: 'stdout' | 'stderr' = 'stdout'): boolean {
  const noColor = io.env.NO_COLOR;
  const tty = stream === 'stdout' ? io.stdoutIsTTY : io.stderrIsTTY;
  return tty && (noColor === undefined || noColor === '') && io.env.TERM !== 'dumb';
}

export type { Diagnostic };

/**
 * The output edge. Renderers make every untrusted value safe for its medium (neutralise.ts); here,
 * whatever is printed is also scrubbed of secrets in any echoed form (redact.ts), anything unsafe
 * still left is shown as an escape, and no line can be a GitHub workflow command. Only the tool's
 * own annotations, built and escaped by github.ts, go out through `annotate`.
 */
function guarded(io: Io): CliIo {
  const secrets = secretsOf(io.env);
  const safe = (text: string) => guardWorkflowCommands(guardOutput(redact(text, secrets)));
  return { ...io, stdout: (text) => io.stdout(safe(text)), stderr: (text) => io.stderr(safe(text)), annotate: (text) => io.stderr(guardOwnAnnotations(guardOutput(redact(text, secrets)))) };
}

/** Appends to $GITHUB_STEP_SUMMARY (never overwrites: other steps' tools write there too), within the space left. */
/** Diagnostics on stderr, coloured only if stderr is a terminal; with `refused`, a count and what was not done. */
async function printDiagnostics(io: Io, diagnostics: readonly Diagnostic[], refused?: string): Promise<void> {
  if (diagnostics.length === 0 && refused === undefined) return;
  const { renderDiagnosticsText } = await import('./render-text.js');
  const text = renderDiagnosticsText(diagnostics, { color: useColor(io, 'stderr') });
  io.stderr(refused === undefined ? `${text}\n` : `${text}\n${countLine(diagnostics)}: ${refused}\n`);
}

function appendStepSummary(io: Io, github: GithubContext, render: (limit: MarkdownLimit) => string): void {
  if (github.stepSummary === undefined) return;
  try {
    const left = STEP_SUMMARY_MAX_BYTES - (existsSync(github.stepSummary) ? statSync(github.stepSummary).size : 0);
    // Guarded like stdout, so the summary reads as `plan --format markdown` printed it.
    const markdown = guardWorkflowCommands(render({ max: left, unit: 'bytes' }));
    // Past the limit GitHub drops the step's whole summary: better to add nothing.
    if (Buffer.byteLength(markdown) > left) throw new Error(`only ${Math.max(0, left)} of its ${STEP_SUMMARY_MAX_BYTES} bytes are left`);
    appendFileSync(github.stepSummary, redact(markdown, secretsOf(io.env)));
  } catch (error) {
    io.stderr(`Warning: could not append to the step summary ${github.stepSummary}: ${(error as Error).message}\n`);
  }
}

/** Under GitHub Actions, an error that stopped plan or apply also shows as an annotation and in the step summary. */
async function reportErrorToGithub(io: CliIo, command: string, error: unknown): Promise<void> {
  const { githubContext, errorAnnotation } = await import('./github.js');
  const github = githubContext(io.env);
  const message = isMicro1Error(error) ? error.message : 'micro1-sync hit a bug and stopped; see the log';
  const hint = isMicro1Error(error) ? error.hint : undefined;
  if (github.annotations) io.annotate(errorAnnotation(command, message, hint));
  if (command === 'plan' || command === 'apply') {
    const { renderErrorMarkdown } = await import('./render-markdown.js');
    appendStepSummary(io, github, () => renderErrorMarkdown(command, message, hint));
  }
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
