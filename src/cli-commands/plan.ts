import { visible } from '../render/neutralise.js';
import { CONFIG_FLAG, defineCommand, EXIT, SELECTION_FLAGS, usageError } from './define.js';
import { appendStepSummary, printDiagnostics, useColor } from './output.js';

export const plan = defineCommand('plan', {
  summary: 'Show what apply would change on micro1',
  usage: 'micro1 plan [--json | --format text|json|markdown] [--out FILE] [--detailed-exitcode] [--prune] [--refresh] [--target KEY]... [--exclude KEY]...',
  flags: {
    format: { type: 'string', value: 'FORMAT', help: 'text (default), json, or markdown (a pull-request comment, at most 65,535 characters)' },
    json: { type: 'boolean', help: 'same as --format json' },
    out: { type: 'string', short: 'o', value: 'FILE', help: 'save the plan for `micro1 apply FILE`' },
    'detailed-exitcode': { type: 'boolean', help: 'exit 0 with no changes, 2 with changes, 1 on error' },
    prune: { type: 'boolean', help: 'plan deletes for interviews whose file is gone (overrides the config)' },
    refresh: { type: 'boolean', help: 'read micro1 first: report drift (changed or deleted outside git) and plan from it' },
    ...SELECTION_FLAGS,
    config: CONFIG_FLAG,
  },
  notes: [
    'Reads no API key and makes no network call.',
    '--refresh is the exception: it reads GET /interviews first, with the API key, as apply does.',
    'In GitHub Actions: appends the plan to $GITHUB_STEP_SUMMARY and annotates problems on their lines.',
  ],
  async run(values, _positionals, io) {
    const format = values.json ? 'json' : (values.format ?? 'text');
    if (format !== 'text' && format !== 'json' && format !== 'markdown') throw usageError(`--format must be text, json or markdown, not "${format}"`, 'plan');
    const { planCommand } = await import('../commands/plan.js');
    const outcome = await planCommand({
      cwd: io.cwd,
      env: io.env,
      targets: values.target,
      excludes: values.exclude,
      ...(values.config ? { configPath: values.config } : {}),
      ...(values.out ? { out: values.out } : {}),
      ...(values.prune ? { prune: true } : {}),
      ...(values.refresh ? { refresh: true } : {}),
    });
    const { renderPlanTextChunks } = await import('../render/render-text.js');
    const { renderDriftText } = await import('../render/render-drift.js');
    const { planToJson } = await import('../render/render-json.js');
    const { hasChanges } = await import('../plan/planner.js');
    const md = await import('../render/render-markdown.js');
    const gh = await import('../render/github.js');
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
    else {
      // In pieces, each written before the next is rendered: a large plan is never one string.
      // The output edge guards each stream across writes (workflowCommandStream), so this is as safe.
      if (outcome.drift) io.stdout(renderDriftText(outcome.drift, outcome.plan, style));
      for (const piece of renderPlanTextChunks(outcome.plan, style)) io.stdout(piece);
    }
    appendStepSummary(io, github, (limit) => md.renderPlanMarkdown(outcome.plan, diagnostics, { limit, ...refreshed }));
    if (outcome.savedTo !== undefined && values.out !== undefined) {
      const out = visible(values.out);
      io.stderr(`Saved the plan to ${out}. Apply exactly this plan with: micro1 apply ${out}\n`);
    }
    return values['detailed-exitcode'] && hasChanges(outcome.plan) ? EXIT.changes : EXIT.ok;
  },
});
