import type { ApplyProgress, ApplyResult } from '../apply/applier.js';
import { plural } from '../diagnostics.js';
import { visible } from './neutralise.js';

/** The end-of-apply summary: counts, then every failure beside its file. */
export function renderApplySummary(result: ApplyResult, statePath: string): string {
  const lines: string[] = [];
  lines.push(applyHeadline(result));
  if (result.stopReason !== undefined) lines.push(`  ${visible(result.stopReason)}`, ...(result.stopHint ? [`  ${visible(result.stopHint)}`] : []));
  for (const f of result.failures) {
    lines.push(`  ✗ ${visible(f.file)}  ${f.action} ${visible(f.key)}: ${visible(f.message)}`);
    if (f.hint) lines.push(`      ${visible(f.hint)}`);
  }
  if (result.skipped > 0) lines.push(`${plural(result.skipped, 'change')} not started. Run \`micro1 apply\` again to finish.`);
  lines.push(`State saved to ${visible(statePath)} (${plural(result.requests, 'request')} sent).`);
  return `${lines.join('\n')}\n`;
}

/** The first line of the summary: how it ended, and the counts. */
export function applyHeadline(result: ApplyResult): string {
  const counts = `${result.created} created, ${result.updated} updated, ${result.deleted} deleted, ${result.failures.length} failed`;
  const head =
    result.stoppedBecause === 'interrupted'
      ? 'Apply interrupted'
      : result.stoppedBecause === 'auth'
        ? 'Apply stopped: micro1 refused the API key'
        : result.stoppedBecause === 'deadline'
          ? 'Apply stopped at its deadline'
          : result.stoppedBecause === 'unreachable'
            ? 'Apply stopped: micro1 could not be reached'
            : result.failures.length > 0
              ? 'Apply finished with failures'
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
