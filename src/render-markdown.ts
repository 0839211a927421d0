import type { ApplyResult } from './applier.js';
import { countLine, formatDiagnostic, plural, type Diagnostic } from './diagnostics.js';
import type { Drift } from './drift.js';
import { diffLines, formatValue, UNSEEN_BEFORE, UNSEEN_REFUSED, type DiffLine } from './field-diff.js';
import { isActionable, type Change, type Plan, type PlanWarning } from './planner.js';
import { applyHeadline } from './render-apply.js';
import { driftMarkdownItems, driftSummary } from './render-drift.js';
import { summaryLine } from './render-text.js';

/**
 * The plan as GitHub-flavoured Markdown, for a pull-request comment and the workflow run's step
 * summary: a summary line, warnings, then one collapsed section per change with its field diff.
 * Whatever the plan's size, the output stays within the given limit: the summary always, then as
 * many warnings and changes as fit, and a line saying how many were left out and where to see them.
 */

/** The first line of every plan comment: the example workflow finds its own comment by it and updates it. */
export const PLAN_COMMENT_MARKER = '<!-- micro1-sync-plan -->';

export interface MarkdownLimit {
  max: number;
  /** Comments are measured in characters, step summaries in bytes. */
  unit: 'characters' | 'bytes';
}

/** GitHub refuses a comment body over 65,536 characters ("Body is too long"); one under, to be safe. */
export const COMMENT_LIMIT: MarkdownLimit = { max: 65_535, unit: 'characters' };

export interface MarkdownOptions {
  limit: MarkdownLimit;
  /** Where the whole plan can be read when some of it is cut (the workflow run, whose summary holds more). */
  fullPlanUrl?: string;
  /** `plan --refresh`: what changed on micro1 outside git, shown before the changes that put it back. */
  drift?: Drift;
}

export function renderPlanMarkdown(plan: Plan, diagnostics: readonly Diagnostic[], options: MarkdownOptions): string {
  const drift = options.drift === undefined ? '' : `\n${driftSummary(options.drift)}\n`;
  const head = `${PLAN_COMMENT_MARKER}\n### micro1 plan\n\n**${summaryLine(plan)}**\n${drift}`;
  const seeAll = seeAllHint(options);
  const within = `to fit GitHub's limit of ${options.limit.max} ${options.limit.unit}`;
  const changes = plan.changes.filter(isActionable);
  return fit(head, options.limit, [
    {
      open: '\n#### Warnings\n\n',
      items: plan.warnings.map((w) => ({ text: warningItem(w), label: w.key })),
      close: '',
      cutNote: (cut) => `\n_${plural(cut, 'more warning')} not shown ${within}. ${seeAll}_\n`,
      // Thousands of warnings must not crowd out every change.
      share: 0.5,
    },
    {
      open: '\n#### Changed outside git\n\n',
      items: options.drift === undefined ? [] : driftMarkdownItems(options.drift, plan),
      close: '',
      cutNote: (cut) => `\n_${plural(cut, 'more interview')} changed outside git not shown ${within}. ${seeAll}_\n`,
      share: 0.5,
    },
    {
      open: '\n#### Changes\n',
      items: changes.map((c) => ({ text: changeSection(c), label: c.key })),
      close: '',
      cutNote: (cut, first) => `\n**${plural(cut, 'more change')} not shown** (from ${codeSpan(first)} on) ${within}. ${seeAll}\n`,
      share: 1,
    },
    {
      open: '\n#### Diagnostics\n\n```text\n',
      items: diagnostics.map((d) => ({ text: `${formatDiagnostic(d)}\n`, label: d.file })),
      close: '```\n',
      cutNote: (cut) => `\n_${plural(cut, 'more diagnostic')} not shown ${within}. ${seeAll}_\n`,
      share: 1,
    },
  ]);
}

/** Invalid definitions: nothing was planned or sent, and the comment says why instead of showing a stale plan. */
export function renderInvalidMarkdown(command: 'plan' | 'apply', diagnostics: readonly Diagnostic[], options: MarkdownOptions): string {
  const marker = command === 'plan' ? `${PLAN_COMMENT_MARKER}\n` : '';
  const head = `${marker}### micro1 ${command}\n\n**${countLine(diagnostics)}: nothing was ${command === 'plan' ? 'planned' : 'sent'}.**\n`;
  return fit(head, options.limit, [
    {
      open: '\n```text\n',
      items: diagnostics.map((d) => ({ text: `${formatDiagnostic(d)}\n`, label: d.file })),
      close: '```\n',
      cutNote: (cut) => `\n_${plural(cut, 'more problem')} not shown. Run \`micro1 validate\` to see them all._\n`,
      share: 1,
    },
  ]);
}

/** The apply's outcome for the step summary: how it ended, each failure beside its file. */
export function renderApplyMarkdown(result: ApplyResult, plan: Plan, statePath: string, options: MarkdownOptions): string {
  const head = `### micro1 apply\n\n**${inline(applyHeadline(result))}**\n\n${summaryLine(plan)}\n`;
  const skipped = result.skipped > 0 ? `\n${plural(result.skipped, 'change')} not started. Run \`micro1 apply\` again to finish.\n` : '';
  const tail = `${skipped}\nState saved to ${codeSpan(statePath)} (${plural(result.requests, 'request')} sent).\n`;
  const body = fit(head, { ...options.limit, max: options.limit.max - measure(tail, options.limit) }, [
    {
      open: '\n#### Failures\n\n',
      items: result.failures.map((f) => ({
        text: `- ${codeSpan(f.file)} ${f.action} ${codeSpan(f.key)}: ${inline(f.message)}${f.hint ? `<br>${inline(f.hint)}` : ''}\n`,
        label: f.key,
      })),
      close: '',
      cutNote: (cut) => `\n_${plural(cut, 'more failure')} not shown: the run's log lists them all._\n`,
      share: 1,
    },
  ]);
  return `${body}${tail}`;
}

/** An apply with nothing to do. */
export function renderNoChangesMarkdown(plan: Plan): string {
  return `### micro1 apply\n\n**${summaryLine(plan)}** Nothing was sent.\n`;
}

/** A plan or apply that stopped with an error, for the step summary. */
export function renderErrorMarkdown(command: string, message: string, hint: string | undefined): string {
  return `### micro1 ${command}\n\n**Error:** ${inline(message)}${hint ? `\n\n${inline(hint)}` : ''}\n`;
}

export function measure(text: string, limit: MarkdownLimit): number {
  return limit.unit === 'bytes' ? Buffer.byteLength(text, 'utf8') : text.length;
}

interface Block {
  open: string;
  items: { text: string; label: string }[];
  close: string;
  /** What was left out: `cut` items, from the one labelled `first`. */
  cutNote(cut: number, first: string): string;
  /** The largest share of the limit this block may take. */
  share: number;
}

/**
 * Keeps `head`, then each block's items in order while they fit, leaving room for every cut note
 * that might still be needed, so the result never exceeds the limit. Blocks keep a prefix of their
 * items: "from `key` on" names exactly what is missing.
 */
function fit(head: string, limit: MarkdownLimit, blocks: Block[]): string {
  const size = (s: string) => measure(s, limit);
  const present = blocks.filter((b) => b.items.length > 0);
  // The longest note a block could need: every item cut, named by its longest label.
  const worst = present.map((b) => size(b.open) + size(b.close) + size(b.cutNote(b.items.length, longest(b.items.map((i) => i.label)))));
  let out = head;
  let used = size(head);
  present.forEach((block, index) => {
    const reserveAfter = worst.slice(index + 1).reduce((a, b) => a + b, 0);
    const cap = Math.min(limit.max - reserveAfter, used + Math.floor(limit.max * block.share));
    const noteRoom = size(block.cutNote(block.items.length, longest(block.items.map((i) => i.label))));
    let text = block.open;
    let blockUsed = size(block.open) + size(block.close);
    let shown = 0;
    for (const item of block.items) {
      const cost = size(item.text);
      const room = shown + 1 === block.items.length ? 0 : noteRoom;
      if (used + blockUsed + cost + room > cap) break;
      text += item.text;
      blockUsed += cost;
      shown++;
    }
    text += block.close;
    if (shown < block.items.length) text += block.cutNote(block.items.length - shown, block.items[shown]!.label);
    out += text;
    used = size(out);
  });
  return out;
}

function warningItem(w: PlanWarning): string {
  return `- ${codeSpan(w.key)}: ${inline(w.message)}${w.hint ? `<br>${inline(w.hint)}` : ''}\n`;
}

const SYMBOL = { create: '+', update: '~', delete: '-', 'no-op': ' ' } as const;
const VERB = { create: 'create', update: 'update', delete: 'delete', 'no-op': 'no change' } as const;

/**
 * One collapsed section. The diff block uses the text plan's lines, except that `~` becomes `!`:
 * GitHub's diff highlighting colours `+`, `-` and `!` lines, and leaves `~` plain. Every line starts
 * with one of those, `#`, or four spaces, so nothing inside can close the fence.
 */
function changeSection(change: Change): string {
  const details: string[] = [VERB[change.action]];
  if (change.id !== undefined) details.push(`id ${change.id}`);
  if (change.movedFrom !== undefined) details.push(`moved from ${change.movedFrom}`);
  const summary = `<code>${SYMBOL[change.action]}</code> <b>${html(change.key)}</b> (${html(details.join(', '))}) <code>${html(change.file)}</code>`;
  const body: string[] = [];
  if (change.note) body.push(`# ${change.note}`);
  if (change.via.length > 0) body.push(`# only because a fragment changed: via ${change.via.join(', ')}`);
  if (change.action === 'delete' && change.before) body.push(`- interview_name: ${formatValue(change.before.interview_name)}`);
  for (const line of diffLines(change)) body.push(diffLineMarkdown(line));
  const block = body.length === 0 ? '' : `\n\`\`\`diff\n${body.join('\n')}\n\`\`\`\n`;
  return `\n<details><summary>${summary}</summary>\n${block}\n</details>\n`;
}

function diffLineMarkdown(line: DiffLine): string {
  if (line.op !== '~') return `${line.op} ${line.path}: ${formatValue(line.value)}`;
  if ('unseen' in line) return `! ${line.path}: ${UNSEEN_BEFORE} -> ${formatValue(line.after)}${line.reset ? `  # ${UNSEEN_REFUSED}` : ''}`;
  const reset = line.reset ? '  # not in the file: reset to the default' : '';
  if ('words' in line) {
    const text = line.words.map((w) => (w.added ? `{+${w.text}+}` : w.removed ? `[-${w.text}-]` : w.text)).join('');
    return `! ${line.path}:${reset}\n    ${text.replace(/\r?\n/g, '\n    ')}`;
  }
  return `! ${line.path}: ${formatValue(line.before)} -> ${formatValue(line.after)}${reset}`;
}

function seeAllHint(options: MarkdownOptions): string {
  return options.fullPlanUrl === undefined
    ? 'Run `micro1 plan` on this branch to see them all.'
    : `See them all in the [summary of this workflow run](${options.fullPlanUrl}), or run \`micro1 plan\` on this branch.`;
}

/** Text outside code spans with Markdown's active characters escaped; `code spans` in messages are kept. */
function inline(text: string): string {
  return text
    .split(/(`[^`\n]+`)/)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/[\\`*_[\]<>&|~]/g, '\\$&')))
    .join('');
}

/** A code span that survives backticks in its content (CommonMark: a longer fence, padded). */
function codeSpan(text: string): string {
  const runs = text.match(/`+/g) ?? [];
  const fence = '`'.repeat(Math.max(0, ...runs.map((r) => r.length)) + 1);
  const pad = runs.length > 0 ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

function html(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function longest(labels: string[]): string {
  return labels.reduce((a, b) => (b.length > a.length ? b : a), '');
}
