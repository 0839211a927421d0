import type { InitOutcome } from '../commands/init.js';
import { visible, visibleLines } from './neutralise.js';

/** What `micro1 init` did, a line per file, and what to run next. File names come from the config: shown `visible`. */
export function renderInitSummary(outcome: InitOutcome, next: string): string {
  const changed = outcome.steps.some((s) => s.action === 'wrote' || s.action === 'updated');
  const lines = [changed ? 'micro1 init: wrote what this folder was missing.' : 'micro1 init: nothing to write; this folder is set up.'];
  for (const step of outcome.steps) lines.push(`  ${step.action.padEnd(8)}  ${visible(step.file)}${step.why === undefined ? '' : ` (${visible(step.why)})`}`);
  for (const step of outcome.steps) {
    if (step.snippet !== undefined) lines.push('', `Add to ${visible(step.file)}:`, ...visibleLines(step.snippet));
  }
  lines.push(
    '',
    'Register the state merge driver once in each clone (git keeps it outside the repository, so init cannot):',
    `  ${visible(outcome.driverCommand)}`,
    '',
    next,
    '',
  );
  return lines.join('\n');
}
