import type { ApplyProgress } from '../apply/applier.js';
import type { CliIo } from '../io.js';
import type { ApplyOutcome } from '../commands/apply.js';
import { Micro1Error } from '../errors.js';
import { CONFIG_FLAG, defineCommand, EXIT, SELECTION_FLAGS, usageError } from './define.js';
import { appendStepSummary, printDiagnostics, useColor } from './output.js';

/** After Ctrl-C, requests already in flight get this long to finish before they are abandoned. */
const GRACE_MS = 10_000;
/** Without a terminal, a progress line this often. */
const PROGRESS_LINE_MS = 5_000;

export const apply = defineCommand('apply', {
  summary: 'Make micro1 match the files (asks first unless --auto-approve)',
  usage: 'micro1 apply [PLANFILE | --reviewed PLANFILE] [--auto-approve] [--retarget-host] [--target KEY]... [--exclude KEY]... [--prune] [--fail-fast] [--force]',
  positionals: true,
  args: { PLANFILE: 'a plan saved by `micro1 plan --out`: applied exactly, refused if stale' },
  flags: {
    'auto-approve': { type: 'boolean', help: 'do not ask (required without a terminal, e.g. in CI)' },
    reviewed: { type: 'string', value: 'PLANFILE', help: 'plan now; apply only if it sends what this saved plan showed, else send nothing' },
    'retarget-host': { type: 'boolean', help: 'apply to a host other than the one the state records, and record it' },
    'fail-fast': { type: 'boolean', help: 'start nothing new after the first failure' },
    force: { type: 'boolean', help: 'allow deletes beyond the safety thresholds' },
    prune: { type: 'boolean', help: 'delete interviews whose file is gone (overrides the config)' },
    ...SELECTION_FLAGS,
    config: CONFIG_FLAG,
  },
  notes: [
    'Needs the API key in MICRO1_API_KEY (or the variable named by api.apiKeyEnv).',
    'Ctrl-C: starts nothing new, lets requests in flight finish (10 s at most), saves state, exits 130.',
    'In GitHub Actions: appends its summary to $GITHUB_STEP_SUMMARY and annotates each failure on its file.',
  ],
  async run(values, positionals, io) {
    if (positionals.length > 1) throw usageError(`apply takes at most one plan file, got ${positionals.length}`, 'apply');
    const planFile = positionals[0];
    const reviewedFile = values.reviewed;
    if (planFile !== undefined && reviewedFile !== undefined) throw usageError('apply takes a plan file or --reviewed PLANFILE, not both', 'apply');
    const autoApprove = values['auto-approve'];
    if (planFile === undefined && reviewedFile === undefined && !autoApprove && io.ask === undefined) {
      throw new Micro1Error('NEEDS_APPROVAL', 'There is no terminal to ask for approval, so nothing was applied', {
        hint: 'pass --auto-approve (as CI does), or apply a reviewed plan: micro1 plan --out plan.json && micro1 apply plan.json',
      });
    }
    const { applyCommand } = await import('../commands/apply.js');
    const { renderPlanText, summaryLine, targetLines } = await import('../render/render-text.js');
    const style = { color: useColor(io) };
    const interrupt = onInterrupt(io);
    let promptClosed: 'ctrl-c' | 'ctrl-d' | undefined;
    try {
      const outcome = await applyCommand({
        cwd: io.cwd,
        env: io.env,
        ...(values.config ? { configPath: values.config } : {}),
        ...(planFile !== undefined ? { planFile } : {}),
        ...(reviewedFile !== undefined ? { reviewedFile } : {}),
        retargetHost: values['retarget-host'],
        autoApprove,
        targets: values.target,
        excludes: values.exclude,
        ...(values.prune ? { prune: true } : {}),
        failFast: values['fail-fast'],
        force: values.force,
        stop: interrupt.stop,
        abandon: interrupt.abandon,
        notice: (message) => io.stderr(`${message}\n`),
        async review(plan, ask) {
          io.stdout(planFile === undefined ? renderPlanText(plan, style) : `${targetLines(plan).join('\n')}${summaryLine(plan)}\n`);
          if (!ask) return true;
          const answer = await io.ask!('\nDo you want to perform these actions? Only "yes" will be accepted: ');
          if (typeof answer !== 'string') promptClosed = answer.closed;
          return typeof answer === 'string' && answer.trim() === 'yes';
        },
        onProgress: await progressPrinter(io),
      });
      return await report(io, outcome, promptClosed, interrupt.received());
    } finally {
      interrupt.dispose();
    }
  },
});

/** Prints what apply did and picks the exit code. */
async function report(io: CliIo, outcome: ApplyOutcome, promptClosed: 'ctrl-c' | 'ctrl-d' | undefined, signal: 'SIGINT' | 'SIGTERM' | undefined): Promise<number> {
  const { summaryLine } = await import('../render/render-text.js');
  const { renderApplySummary } = await import('../render/render-apply.js');
  const md = await import('../render/render-markdown.js');
  const gh = await import('../render/github.js');
  const github = gh.githubContext(io.env);
  if (outcome.kind === 'invalid') {
    const diagnostics = outcome.project.diagnostics;
    const where = (file: string) => gh.repoPath(outcome.project.config.projectRoot, file, github.workspace);
    if (github.annotations) io.annotate(gh.diagnosticAnnotations(diagnostics, where));
    await printDiagnostics(io, diagnostics, 'nothing was sent.');
    appendStepSummary(io, github, (limit) => md.renderInvalidMarkdown('apply', diagnostics, { limit }));
    return EXIT.error;
  }
  if (outcome.kind === 'no-changes') {
    // Nothing to do, but what the plan warns of ("no longer managed", "matches no interview") still matters.
    const { renderPlanText } = await import('../render/render-text.js');
    io.stdout(renderPlanText(outcome.plan, { color: useColor(io) }));
    appendStepSummary(io, github, (limit) => md.renderNoChangesMarkdown(outcome.plan, { limit }));
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
  const summary = renderApplySummary(outcome.result, outcome.statePath, outcome.stateWritten);
  (outcome.result.failures.length > 0 ? io.stderr : io.stdout)(summary);
  const where = (file: string) => gh.repoPath(outcome.projectRoot, file, github.workspace);
  if (github.annotations) io.annotate(gh.applyFailureAnnotations(outcome.result.failures, where));
  appendStepSummary(io, github, (limit) => md.renderApplyMarkdown(outcome.result, outcome.plan, outcome.statePath, { limit, stateWritten: outcome.stateWritten }));
  if (signal !== undefined) return EXIT[signal];
  const stoppedEarly = ['auth', 'deadline', 'unreachable'].includes(outcome.result.stoppedBecause ?? '');
  return outcome.result.failures.length > 0 || stoppedEarly ? EXIT.error : EXIT.ok;
}

/** First Ctrl-C (or SIGTERM): start nothing new, give requests in flight GRACE_MS; a second one, or the end of the grace, abandons them. */
function onInterrupt(io: CliIo) {
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
  return {
    stop: stop.signal,
    abandon: abandon.signal,
    received: () => signal,
    dispose() {
      stopListening?.();
      clearTimeout(grace);
    },
  };
}

/** On a terminal, one line redrawn in place; otherwise a line every PROGRESS_LINE_MS. */
async function progressPrinter(io: CliIo): Promise<(progress: ApplyProgress) => void> {
  const { renderProgress } = await import('../render/render-apply.js');
  const started = Date.now();
  let lastLine = started;
  return (progress) => {
    const now = Date.now();
    if (io.stderrIsTTY) io.stderr(`\r${renderProgress(progress, now - started)}`);
    else if (now - lastLine >= PROGRESS_LINE_MS) {
      lastLine = now;
      io.stderr(`${renderProgress(progress, now - started)}\n`);
    }
  };
}
