import type { ApplyProgress, ApplyResult } from '../apply/applier.js';
import { plural } from '../diagnostics.js';
import { visible } from './neutralise.js';

/**
 * The end-of-apply summary: counts, each created interview with its invite link, then every failure
 * beside its file. `stateWritten`: whether this run wrote the state file at all.
 */
export function renderApplySummary(result: ApplyResult, statePath: string, stateWritten = true): string {
  const lines: string[] = [];
  lines.push(applyHeadline(result));
  if (result.stopReason !== undefined) lines.push(`  ${visible(result.stopReason)}`, ...(result.stopHint ? [`  ${visible(result.stopHint)}`] : []));
  if (result.createdInterviews.length > 0) {
    lines.push('Invite links (send them to candidates; `micro1 links` lists them again):');
    // Bounded like the step summary: ten thousand creates would bury the counts and failures.
    for (const c of result.createdInterviews.slice(0, MAX_TERMINAL_LINKS)) lines.push(`  + ${visible(c.key)}  id ${visible(c.id)}  ${c.inviteUrl === undefined ? NO_LINK : visible(c.inviteUrl)}`);
    const cut = result.createdInterviews.length - MAX_TERMINAL_LINKS;
    if (cut > 0) lines.push(`  … ${plural(cut, 'more invite link')} not shown: \`micro1 links\` lists them all.`);
  }
  for (const f of result.failures) {
    lines.push(`  ${f.outcomeUnknown ? '?' : '✗'} ${visible(f.file)}  ${f.action} ${visible(f.key)}: ${visible(f.message)}`);
    if (f.hint) lines.push(`      ${visible(f.hint)}`);
  }
  if (result.skipped > 0) lines.push(`${plural(result.skipped, 'change')} not started. Run \`micro1 apply\` again to finish.`);
  lines.push(stateLine(statePath, stateWritten, result.requests, visible));
  return `${lines.join('\n')}\n`;
}

/** Invite links the terminal summary shows at most; `micro1 links` lists every one. */
export const MAX_TERMINAL_LINKS = 50;

/** Where a created interview's link would be, when micro1 answered without one. */
export const NO_LINK = '(micro1 gave no invite link)';

/** The last line: where the state went, or that it was left as it was (an apply that confirmed nothing writes nothing). */
export function stateLine(statePath: string, written: boolean, requests: number, quote: (text: string) => string): string {
  const sent = `${plural(requests, 'request')} sent`;
  return written ? `State saved to ${quote(statePath)} (${sent}).` : `State file ${quote(statePath)} left unchanged: nothing was confirmed (${sent}).`;
}

/** The first line of the summary: how it ended, and the counts. */
export function applyHeadline(result: ApplyResult): string {
  const unknown = result.failures.filter((f) => f.outcomeUnknown).length;
  const failed = result.failures.length - unknown;
  const counts = `${result.created} created, ${result.updated} updated, ${result.deleted} deleted, ${failed} failed${unknown > 0 ? `, ${unknown} outcome unknown` : ''}`;
  const head =
    result.stoppedBecause === 'interrupted'
      ? 'Apply interrupted'
      : result.stoppedBecause === 'auth'
        ? 'Apply stopped: micro1 refused the API key'
        : result.stoppedBecause === 'deadline'
          ? 'Apply stopped at its deadline'
          : result.stoppedBecause === 'unreachable'
            ? 'Apply stopped: micro1 could not be reached'
            : failed > 0
              ? 'Apply finished with failures'
              : unknown > 0
                ? 'Apply finished, some outcomes unknown'
              : 'Apply complete';
  return `${head}: ${counts}.${result.reconciled > 0 ? ` ${result.reconciled} unconfirmed create(s) found on micro1 and adopted.` : ''}`;
}

/** One progress line: counts, rate and ETA. `elapsedMs` is the time since apply started. */
export function renderProgress(p: ApplyProgress, elapsedMs: number, width = 24): string {
  const finished = p.done + p.failed;
  const fraction = p.total === 0 ? 1 : finished / p.total;
  const filled = Math.round(fraction * width);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  const rate = elapsedMs > 0 ? (finished / elapsedMs) * 1000 : 0;
  const eta = rate > 0 ? formatDuration(((p.total - finished) / rate) * 1000) : '?';
  return `${bar} ${finished}/${p.total} (${p.failed} failed) ${rate.toFixed(1)}/s ETA ${eta}`;
}

function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}
