import type { ApplyResult } from '../apply/applier.js';
import { countLine, formatDiagnostic, plural, type Diagnostic } from '../diagnostics.js';
import type { Drift } from '../plan/drift.js';
import { diffLines, formatValue, UNSEEN_BEFORE, UNSEEN_REFUSED, type DiffLine } from '../plan/field-diff.js';
import { mdCode, mdCodeBlock, mdFence, mdHtml, mdText } from './neutralise.js';
import { hostChanged, isActionable, type Change, type Plan, type PlanWarning } from '../plan/planner.js';
import type { ResourceChange } from '../plan/resource-planner.js';
import { applyHeadline, NO_LINK, stateLine } from './render-apply.js';
import { driftMarkdownItems, driftSummary } from './render-drift.js';
import { summaryLine, SYMBOL, VERB } from './render-text.js';
import { actionableResources, RESOURCE_SYMBOL, resourceLabel, resourceSectionMarkdown } from './render-resources.js';

/**
 * The plan as GitHub-flavoured Markdown, for a pull-request comment and the workflow run's step
 * summary: a summary line, warnings, then one collapsed section per change with its field diff.
 * Whatever the plan's size, the output stays within the given limit. A plan that does not fit
 * whole shows what a reviewer must not miss first: every delete, the warnings, then one line per
 * change, then as many detailed sections as fit (the first one cut short rather than left out),
 * each cut counted and where to see the rest said.
 *
 * Every key, file name, value and message reaches the Markdown through neutralise.ts only.
 *
 * Over 350 lines: fitting a plan into a size limit is one algorithm over all its parts (deletes,
 * warnings, the index, details, other kinds); split across files, each part would need the
 * budget's bookkeeping passed in and out.
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
  const head = `${PLAN_COMMENT_MARKER}\n### micro1 plan\n\n**${summaryLine(plan)}**\n${targetMarkdown(plan)}${drift}`;
  const seeAll = seeAllHint(options);
  const within = `to fit GitHub's limit of ${options.limit.max} ${options.limit.unit}`;
  const changes = plan.changes.filter(isActionable);
  const resources = actionableResources(plan);
  const resourceItems = resources.map((c) => ({ text: resourceSectionMarkdown(c), label: resourceLabel(c) }));
  const blocks: Record<'warnings' | 'drift' | 'changes' | 'diagnostics', Block> = {
    warnings: {
      open: '\n#### Warnings\n\n',
      items: plan.warnings.map((w) => ({ text: warningItem(w), label: w.key })),
      close: '',
      cutNote: (cut) => `\n_${plural(cut, 'more warning')} not shown ${within}. ${seeAll}_\n`,
      // Thousands of warnings must not crowd out every change.
      share: 0.5,
    },
    drift: {
      open: '\n#### Changed outside git\n\n',
      items: options.drift === undefined ? [] : driftMarkdownItems(options.drift, plan),
      close: '',
      cutNote: (cut) => `\n_${plural(cut, 'more interview')} changed outside git not shown ${within}. ${seeAll}_\n`,
      share: 0.5,
    },
    changes: {
      open: '\n#### Changes\n',
      items: [...changes.map((c) => ({ text: changeSection(c), label: c.key, shortened: (room: number) => changeSection(c, { room, limit: options.limit }) })), ...resourceItems],
      close: '',
      cutNote: (cut, first) => `\n**${plural(cut, 'more change')} not shown** (from ${mdCode(first)} on) ${within}. ${seeAll}\n`,
      share: 1,
    },
    diagnostics: {
      open: '\n#### Diagnostics\n\n',
      items: diagnostics.map((d) => ({ text: `${formatDiagnostic(d)}\n`, label: d.file })),
      close: '',
      cutNote: (cut) => `\n_${plural(cut, 'more diagnostic')} not shown ${within}. ${seeAll}_\n`,
      share: 1,
      code: 'text',
    },
  };
  const whole = fit(head, options.limit, [blocks.warnings, blocks.drift, blocks.changes, blocks.diagnostics]);
  if (whole.cut === 0) return whole.text;
  const deletes = changes.filter((c) => c.action === 'delete');
  const anyDelete = deletes.length > 0 || resources.some((c) => c.action === 'delete');
  // Deletes are listed in full above, so the one-line list has the rest.
  const others = deletes.length === 0 ? changes : changes.filter((c) => c.action !== 'delete');
  const compact = fit(head, options.limit, [
    {
      open: '\n#### Deletes\n\n',
      items: [...deletes.map((c) => ({ text: indexItem(c), label: c.key })), ...resources.filter((c) => c.action === 'delete').map((c) => ({ text: resourceIndexItem(c), label: resourceLabel(c) }))],
      close: '',
      cutNote: (cut, first) => `\n**${plural(cut, 'more delete')} not shown** (from ${mdCode(first)} on) ${within}. ${seeAll}\n`,
      share: 1,
    },
    // The safety thresholds' refusal and "no longer managed" are about deletes too.
    blocks.warnings,
    {
      open: `\n#### ${anyDelete ? 'Every other change' : 'Every change'}, one line each\n\n`,
      items: [...others.map((c) => ({ text: indexItem(c), label: c.key })), ...resources.filter((c) => c.action !== 'delete').map((c) => ({ text: resourceIndexItem(c), label: resourceLabel(c) }))],
      close: '',
      cutNote: (cut, first) => `\n**${plural(cut, 'more change')} not listed** (from ${mdCode(first)} on) ${within}. ${seeAll}\n`,
      share: 1,
    },
    blocks.drift,
    blocks.changes,
    blocks.diagnostics,
  ]);
  // A limit too small for even the notes of the compact layout keeps the plain one, which has fewer.
  return measure(compact.text, options.limit) <= options.limit.max ? compact.text : whole.text;
}

/** The target host under the summary; a change of host as a caution no reviewer can scroll past. */
export function targetMarkdown(plan: Plan): string {
  if (plan.target === undefined) return '';
  const line = `\nTarget: ${mdCode(plan.target.host)}\n`;
  if (!hostChanged(plan)) return line;
  return (
    `${line}\n> [!CAUTION]\n> **The target host changed:** the state was applied to ${mdCode(plan.target.stateHost!)}, and the ids it records belong there. ` +
    `\`micro1 apply\` refuses this plan unless run with \`--retarget-host\`.\n`
  );
}

/** Invalid definitions: nothing was planned or sent, and the comment says why instead of showing a stale plan. */
export function renderInvalidMarkdown(command: 'plan' | 'apply', diagnostics: readonly Diagnostic[], options: MarkdownOptions): string {
  const marker = command === 'plan' ? `${PLAN_COMMENT_MARKER}\n` : '';
  const head = `${marker}### micro1 ${command}\n\n**${countLine(diagnostics)}: nothing was ${command === 'plan' ? 'planned' : 'sent'}.**\n`;
  return fit(head, options.limit, [
    {
      open: '\n',
      items: diagnostics.map((d) => ({ text: `${formatDiagnostic(d)}\n`, label: d.file })),
      close: '',
      cutNote: (cut) => `\n_${plural(cut, 'more problem')} not shown. Run \`micro1 validate\` to see them all._\n`,
      share: 1,
      code: 'text',
    },
  ]).text;
}

/** The apply's outcome for the step summary: how it ended, each failure beside its file. */
export function renderApplyMarkdown(result: ApplyResult, plan: Plan, statePath: string, options: MarkdownOptions & { stateWritten?: boolean }): string {
  const why = result.stopReason === undefined ? '' : `${mdText(result.stopReason)}${result.stopHint ? `<br>${mdText(result.stopHint)}` : ''}\n\n`;
  const head = `### micro1 apply\n\n**${mdText(applyHeadline(result))}**\n\n${why}${summaryLine(plan)}\n`;
  const skipped = result.skipped > 0 ? `\n${plural(result.skipped, 'change')} not started. Run \`micro1 apply\` again to finish.\n` : '';
  const tail = `${skipped}\n${stateLine(statePath, options.stateWritten ?? true, result.requests, mdCode)}\n`;
  const body = fit(head, { ...options.limit, max: options.limit.max - measure(tail, options.limit) }, [
    {
      // The link is micro1's text: a code span, so GitHub never makes it a link (to wherever it points).
      open: '\n#### Invite links\n\n',
      items: result.createdInterviews.map((c) => ({
        text: `- ${mdCode(c.key)} (id ${mdCode(c.id)}): ${c.inviteUrl === undefined ? mdText(NO_LINK) : mdCode(c.inviteUrl)}\n`,
        label: c.key,
      })),
      close: '',
      cutNote: (cut) => `\n_${plural(cut, 'more invite link')} not shown: \`micro1 links\` lists them all._\n`,
      share: 0.5,
    },
    {
      open: '\n#### Failures\n\n',
      items: result.failures.map((f) => ({
        text: `- ${f.outcomeUnknown ? 'outcome unknown: ' : ''}${mdCode(f.file)} ${f.action} ${mdCode(f.key)}: ${mdText(f.message)}${f.hint ? `<br>${mdText(f.hint)}` : ''}\n`,
        label: f.key,
      })),
      close: '',
      cutNote: (cut) => `\n_${plural(cut, 'more failure')} not shown: the run's log lists them all._\n`,
      share: 1,
    },
  ]).text;
  return `${body}${tail}`;
}

/** An apply with nothing to do. */
export function renderNoChangesMarkdown(plan: Plan, options: MarkdownOptions): string {
  const head = `### micro1 apply\n\n**${summaryLine(plan)}** Nothing was sent.\n`;
  return fit(head, options.limit, [
    {
      open: '\n#### Warnings\n\n',
      items: plan.warnings.map((w) => ({ text: warningItem(w), label: w.key })),
      close: '',
      cutNote: (cut) => `\n_${plural(cut, 'more warning')} not shown: \`micro1 plan\` lists them all._\n`,
      share: 1,
    },
  ]).text;
}

/** A plan or apply that stopped with an error, for the step summary. */
export function renderErrorMarkdown(command: string, message: string, hint: string | undefined): string {
  const lines = (text: string) => text.split('\n').map(mdText).join('<br>\n');
  return `### micro1 ${command}\n\n**Error:** ${lines(message)}${hint ? `\n\n${lines(hint)}` : ''}\n`;
}

export function measure(text: string, limit: MarkdownLimit): number {
  return limit.unit === 'bytes' ? Buffer.byteLength(text, 'utf8') : text.length;
}

interface Item {
  text: string;
  label: string;
  /** The item cut down to at most `room` (in the limit's unit), for one too big to show whole. */
  shortened?(room: number): string;
}

interface Block {
  open: string;
  items: Item[];
  close: string;
  /** What was left out: `cut` items, from the one labelled `first`. */
  cutNote(cut: number, first: string): string;
  /** The largest share of the limit this block may take. */
  share: number;
  /** The items are lines of a code block with this info string: the fence is chosen for what is shown. */
  code?: string;
}

/** Below this, a shortened section would show little more than its heading. */
const MIN_SHORTENED = 600;

/**
 * Keeps `head`, then each block's items in order while they fit, leaving room for every cut note
 * that might still be needed, so the result never exceeds the limit. Blocks keep a prefix of their
 * items: "from `key` on" names exactly what is missing. The first item that does not fit is shown
 * shortened when it can be, and counts as shown. Returns the text and how many items were cut.
 */
function fit(head: string, limit: MarkdownLimit, blocks: Block[]): { text: string; cut: number } {
  const size = (s: string) => measure(s, limit);
  const present = blocks.filter((b) => b.items.length > 0);
  // A code block's fence grows with the backtick runs inside; its worst case is reserved.
  const fenceOf = (b: Block, items: readonly Item[]) => (b.code === undefined ? { open: '', close: '' } : codeFence(items.map((i) => i.text), b.code));
  // The longest note a block could need: every item cut, named by its longest label.
  const worst = present.map((b) => {
    const fence = fenceOf(b, b.items);
    return size(b.open) + size(fence.open) + size(fence.close) + size(b.close) + size(b.cutNote(b.items.length, longest(b.items.map((i) => i.label))));
  });
  let out = head;
  let used = size(head);
  let cut = 0;
  present.forEach((block, index) => {
    const reserveAfter = worst.slice(index + 1).reduce((a, b) => a + b, 0);
    const cap = Math.min(limit.max - reserveAfter, used + Math.floor(limit.max * block.share));
    const noteRoom = size(block.cutNote(block.items.length, longest(block.items.map((i) => i.label))));
    const fence = fenceOf(block, block.items);
    const shownItems: string[] = [];
    let blockUsed = size(block.open) + size(fence.open) + size(fence.close) + size(block.close);
    for (const item of block.items) {
      const cost = size(item.text);
      const room = shownItems.length + 1 === block.items.length ? 0 : noteRoom;
      if (used + blockUsed + cost + room <= cap) {
        shownItems.push(item.text);
        blockUsed += cost;
        continue;
      }
      const left = cap - used - blockUsed - noteRoom;
      if (item.shortened !== undefined && left >= MIN_SHORTENED) {
        const short = item.shortened(left);
        if (size(short) <= left) {
          shownItems.push(short);
          blockUsed += size(short);
        }
      }
      break;
    }
    const shown = shownItems.length;
    const body = block.code === undefined ? shownItems.join('') : codeFence(shownItems, block.code, fence).text;
    let text = `${block.open}${body}${block.close}`;
    if (shown < block.items.length) {
      text += block.cutNote(block.items.length - shown, block.items[shown]!.label);
      cut += block.items.length - shown;
    }
    out += text;
    used = size(out);
  });
  return { text: out, cut };
}

/** Lines (each ending in a newline) in a fenced block whose fence no line can close; `fence` reuses one chosen before. */
function codeFence(lines: readonly string[], info: string, fence?: { open: string; close: string }): { open: string; close: string; text: string } {
  const chosen = fence ?? fenceFor(lines, info);
  return { ...chosen, text: `${chosen.open}${lines.join('')}${chosen.close}` };
}

/** Code-block items are `formatDiagnostic` lines, already `visible`: only the fence is left to choose. */
function fenceFor(lines: readonly string[], info: string): { open: string; close: string } {
  const fence = mdFence(lines);
  return { open: `${fence}${info}\n`, close: `${fence}\n` };
}

function warningItem(w: PlanWarning): string {
  return `- ${mdCode(w.key)}: ${mdText(w.message)}${w.hint ? `<br>${mdText(w.hint)}` : ''}\n`;
}

/** One line for a change: what happens to which interview, and which fields change. */
function indexItem(c: Change): string {
  const fields = c.fields.map((f) => f.field);
  const what = c.action === 'no-op' ? `moved from ${mdCode(c.movedFrom ?? '')}` : fields.length === 0 ? VERB[c.action] : `${VERB[c.action]}: ${fields.join(', ')}`;
  const id = c.id === undefined ? '' : ` (id ${mdCode(c.id)})`;
  return `- ${mdCode(SYMBOL[c.action])} ${mdCode(c.key)}${id} ${what}\n`;
}


/** One line for a webhook (or other kind) change. */
function resourceIndexItem(c: ResourceChange): string {
  const fields = c.fields.map((f) => f.field);
  const what = fields.length === 0 ? VERB[c.action] : `${VERB[c.action]}: ${fields.join(', ')}`;
  const id = c.id === undefined ? '' : ` (id ${mdCode(c.id)})`;
  return `- ${mdCode(RESOURCE_SYMBOL[c.action])} ${mdCode(resourceLabel(c))}${id} ${what}\n`;
}

/**
 * One collapsed section. The diff block uses the text plan's lines, except that `~` becomes `!`:
 * GitHub's diff highlighting colours `+`, `-` and `!` lines, and leaves `~` plain. The summary is
 * HTML (`mdHtml`), the block a fence no line of it can close (`mdCodeBlock`). With `budget`, the
 * section is cut to fit `room`: whole lines while they fit, then part of one, then a count.
 */
function changeSection(change: Change, budget?: { room: number; limit: MarkdownLimit }): string {
  const details: string[] = [VERB[change.action]];
  if (change.id !== undefined) details.push(`id ${change.id}`);
  if (change.movedFrom !== undefined) details.push(`moved from ${change.movedFrom}`);
  const summary = `<code>${SYMBOL[change.action]}</code> <b>${mdHtml(change.key)}</b> (${mdHtml(details.join(', '))}) <code>${mdHtml(change.file)}</code>`;
  const body: string[] = [];
  if (change.note) body.push(`# ${change.note}`);
  if (change.via.length > 0) body.push(`# only because a fragment changed: via ${change.via.join(', ')}`);
  if (change.action === 'delete' && change.before) body.push(`- interview_name: ${formatValue(change.before.interview_name)}`);
  for (const line of diffLines(change)) body.push(...diffLineMarkdown(line));
  const section = (lines: readonly string[]) => `\n<details><summary>${summary}</summary>\n${lines.length === 0 ? '' : `\n${mdCodeBlock(lines, 'diff')}`}\n</details>\n`;
  if (budget === undefined) return section(body);
  const size = (text: string) => measure(text, budget.limit);
  const kept: string[] = [];
  const note = (left: number) => `# … cut short: ${plural(left, 'more line')} of this change not shown to fit GitHub's limit of ${budget.limit.max} ${budget.limit.unit}`;
  for (let i = 0; i < body.length; i++) {
    const line = body[i]!;
    const room = budget.room - size(section([...kept, note(body.length - i)]));
    if (size(line) + 1 <= room) {
      kept.push(line);
      continue;
    }
    // Part of the line, cut at a character (never inside a surrogate pair), and a note saying so.
    const characters = [...line];
    const cutAt = (chars: number) => `${characters.slice(0, chars).join('')} … (${characters.length - chars} more characters not shown)`;
    let chars = Math.max(0, room - 40);
    while (chars > 0 && size(cutAt(chars)) + 1 > room) chars = Math.floor(chars * 0.9);
    if (chars > 0) kept.push(cutAt(chars));
    return section([...kept, note(body.length - i - (chars > 0 ? 1 : 0))]);
  }
  return section(kept);
}

/** A diff line in Markdown: long text is a word diff, one indented line per line of the text. */
function diffLineMarkdown(line: DiffLine): string[] {
  if (line.op !== '~') return [`${line.op} ${line.path}: ${formatValue(line.value)}`];
  if ('unseen' in line) return [`! ${line.path}: ${UNSEEN_BEFORE} -> ${formatValue(line.after)}${line.reset ? `  # ${UNSEEN_REFUSED}` : ''}`];
  const reset = line.reset ? '  # not in the file: reset to the default' : '';
  if ('words' in line) {
    const text = line.words.map((w) => (w.added ? `{+${w.text}+}` : w.removed ? `[-${w.text}-]` : w.text)).join('');
    return [`! ${line.path}:${reset}`, ...text.split('\n').map((l) => `    ${l}`)];
  }
  return [`! ${line.path}: ${formatValue(line.before)} -> ${formatValue(line.after)}${reset}`];
}

function seeAllHint(options: MarkdownOptions): string {
  return options.fullPlanUrl === undefined
    ? 'Run `micro1 plan` on this branch to see them all.'
    : `See them all in the [summary of this workflow run](${options.fullPlanUrl}), or run \`micro1 plan\` on this branch.`;
}

function longest(labels: string[]): string {
  return labels.reduce((a, b) => (b.length > a.length ? b : a), '');
}
