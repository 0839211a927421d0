import { formatDiagnostic, plural, type Diagnostic } from '../diagnostics.js';
import { diffLines, formatValue, UNSEEN_BEFORE, UNSEEN_REFUSED, type DiffLine } from '../plan/field-diff.js';
import { fragmentImpact } from '../plan/fragment-impact.js';
import { visible, visibleLines } from './neutralise.js';
import { countActions, hostChanged, isActionable, type Change, type Plan } from '../plan/planner.js';
import type { ResourceChange } from '../plan/resource-planner.js';
import { actionableResources, allCounts, kindsNoun, RESOURCE_SYMBOL, resourceHead, resourceLines } from './render-resources.js';

export interface TextStyle {
  color: boolean;
}

/** How each action is marked and named in every plan view (text, Markdown). */
export const SYMBOL = { create: '+', update: '~', delete: '-', 'no-op': ' ' } as const;
export const VERB = { create: 'create', update: 'update', delete: 'delete', 'no-op': 'no change' } as const;

/**
 * The human plan, Terraform style: one block per change, field by field, then a one-line summary.
 * Every key, file name, value and message is `visible`: nothing in a definition can move the
 * cursor, hide a line or start one.
 */
export function renderPlanText(plan: Plan, style: TextStyle): string {
  let text = '';
  for (const piece of renderPlanTextChunks(plan, style)) text += piece;
  return text;
}

/** About how long each piece of `renderPlanTextChunks` is: small enough to hold, large enough to write cheaply. */
const PIECE = 16 * 1024;

/**
 * `renderPlanText` in pieces of whole lines, made as they are taken: the CLI writes each piece
 * before the next is rendered, so a plan of 50,000 creates is never held as one string. The
 * pieces, joined, are exactly `renderPlanText`.
 */
export function* renderPlanTextChunks(plan: Plan, style: TextStyle): Generator<string> {
  const paint = painter(style.color);
  let out: string[] = [...targetLines(plan, paint)];
  let size = 0;
  const take = (lines: readonly string[]) => {
    for (const line of lines) {
      out.push(line);
      size += line.length + 1;
    }
  };
  const full = () => size >= PIECE;
  const flush = () => {
    const piece = out.length === 0 ? '' : `${out.join('\n')}\n`;
    out = [];
    size = 0;
    return piece;
  };
  const actionable = plan.changes.filter(isActionable);
  const impact = fragmentImpact(actionable);
  if (impact.length > 0) {
    out.push('Fragments changed since the last apply:');
    for (const f of impact) out.push(`  ${paint.bold(visible(f.fragment))}  ${plural(f.interviews, 'interview')} ${f.interviews === 1 ? 'changes' : 'change'} only because of it`);
    out.push('');
  }
  const resources = actionableResources(plan);
  if (actionable.length + resources.length > 0) {
    out.push('micro1 will perform the following actions:', '');
    for (const change of actionable) {
      take(changeBlock(change, paint));
      take(['']);
      if (full()) yield flush();
    }
    for (const change of resources) {
      take(resourceBlock(change, paint));
      take(['']);
      if (full()) yield flush();
    }
  }
  if (plan.warnings.length > 0) {
    out.push('Warnings:');
    for (const w of plan.warnings) {
      out.push(`  ${paint.yellow('!')} ${visible(w.key)}: ${visible(w.message)}`);
      if (w.hint) out.push(`      ${visible(w.hint)}`);
    }
    out.push('');
  }
  out.push(summaryLine(plan));
  yield flush();
}

/**
 * Where the plan goes, first: the host decides which account the key and every body reach, and the
 * state's ids belong to the host it was applied to. A change of host is the loudest line of the plan.
 */
export function targetLines(plan: Plan, paint: Painter = painter(false)): string[] {
  if (plan.target === undefined) return [];
  const lines = [`Target: ${paint.bold(visible(plan.target.host))}`];
  if (hostChanged(plan)) {
    lines.push(
      `${paint.red('!')} ${paint.bold(paint.red('The target host changed:'))} the state was applied to ${visible(plan.target.stateHost!)}, and the ids it records belong there.`,
      `  \`micro1 apply\` refuses this plan unless run with --retarget-host (only if these interviews really are on ${visible(plan.target.host)}).`,
    );
  }
  lines.push('');
  return lines;
}

export function summaryLine(plan: Plan): string {
  const n = allCounts(plan);
  if (plan.unchanged !== undefined) n['no-op'] += plan.unchanged;
  const moved = plan.changes.filter((c) => c.movedFrom !== undefined).length;
  if (n.create + n.update + n.delete + moved === 0) {
    return `No changes. ${kindsNoun(plan)} micro1.`;
  }
  const movedNote = moved === 0 ? '' : `; ${plural(moved, 'file')} moved`;
  return `Plan: ${n.create} to create, ${n.update} to update, ${n.delete} to delete, ${n['no-op']} unchanged${movedNote}.`;
}

export function renderDiagnosticsText(diagnostics: readonly Diagnostic[], style: TextStyle): string {
  const paint = painter(style.color);
  return diagnostics
    .map((d) => {
      const line = formatDiagnostic(d);
      return d.severity === 'error' ? paint.red(line) : paint.yellow(line);
    })
    .join('\n');
}

function changeBlock(change: Change, paint: Painter): string[] {
  const colour = change.action === 'create' ? paint.green : change.action === 'delete' ? paint.red : paint.yellow;
  const details: string[] = [VERB[change.action]];
  if (change.id !== undefined) details.push(`id ${change.id}`);
  if (change.movedFrom !== undefined) details.push(`moved from ${change.movedFrom}`);
  const lines = [`  ${colour(SYMBOL[change.action])} ${paint.bold(visible(change.key))}  (${visible(details.join(', '))})  ${paint.dim(visible(change.file))}`];
  if (change.note) lines.push(`      ${paint.dim(`# ${visible(change.note)}`)}`);
  if (change.via.length > 0) lines.push(`      ${paint.dim(`# only because a fragment changed: via ${visible(change.via.join(', '))}`)}`);
  if (change.action === 'delete' && change.before) {
    lines.push(`      ${paint.red('-')} interview_name: ${formatValue(change.before.interview_name)}`);
  }
  for (const line of diffLines(change)) lines.push(`      ${diffLineText(line, paint)}`);
  return lines;
}

/** A webhook (or other kind) change: as an interview's, with `!` in red for a field that redirects data. */
function resourceBlock(change: ResourceChange, paint: Painter): string[] {
  const colour = change.action === 'create' ? paint.green : change.action === 'delete' ? paint.red : paint.yellow;
  const head = resourceHead(change);
  const lines = [`  ${colour(RESOURCE_SYMBOL[change.action])} ${paint.bold(visible(head.label))}  (${visible(head.details)})  ${paint.dim(visible(head.file))}`];
  for (const line of resourceLines(change)) {
    if (line.text.startsWith('# ')) lines.push(`      ${paint.dim(visible(line.text))}`);
    else {
      const sign = line.op === '+' ? paint.green('+') : line.op === '-' ? paint.red('-') : line.op === '!' ? paint.bold(paint.red('!')) : paint.yellow('~');
      lines.push(`      ${sign} ${line.text}`);
    }
  }
  return lines;
}

export function diffLineText(line: DiffLine, paint: Painter): string {
  if (line.op !== '~') {
    const sign = line.op === '+' ? paint.green('+') : paint.red('-');
    return `${sign} ${line.path}: ${formatValue(line.value)}`;
  }
  if ('unseen' in line) {
    const refused = line.reset ? paint.dim(`  # ${UNSEEN_REFUSED}`) : '';
    return `${paint.yellow('~')} ${line.path}: ${UNSEEN_BEFORE} -> ${formatValue(line.after)}${refused}`;
  }
  const reset = line.reset ? paint.dim('  # not in the file: reset to the default') : '';
  if ('words' in line) {
    // Each word made visible line by line: a word's own line breaks stay (indented), nothing else does.
    const shown = (text: string, style: Paint) => visibleLines(text).map(style).join('\n');
    const text = line.words
      .map((w) => (w.added ? shown(`{+${w.text}+}`, paint.green) : w.removed ? shown(`[-${w.text}-]`, paint.red) : shown(w.text, (s) => s)))
      .join('');
    return `${paint.yellow('~')} ${line.path}:${reset}\n          ${text.replace(/\n/g, '\n          ')}`;
  }
  return `${paint.yellow('~')} ${line.path}: ${formatValue(line.before)} -> ${formatValue(line.after)}${reset}`;
}

type Paint = (s: string) => string;
export interface Painter {
  red: Paint;
  green: Paint;
  yellow: Paint;
  bold: Paint;
  dim: Paint;
}

export function painter(color: boolean): Painter {
  const sgr = (open: number, close: number): Paint => (color ? (s) => `\x1b[${open}m${s}\x1b[${close}m` : (s) => s);
  return { red: sgr(31, 39), green: sgr(32, 39), yellow: sgr(33, 39), bold: sgr(1, 22), dim: sgr(2, 22) };
}
