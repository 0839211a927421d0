import { plural } from '../diagnostics.js';
import { visible } from './neutralise.js';
import type { FmtOutcome } from '../commands/fmt.js';

/** `micro1 fmt`: each file rewritten (or, with --check, that would be), then a count. Diagnostics are printed apart. */
export function renderFmtSummary(outcome: FmtOutcome, check: boolean): string {
  const lines = outcome.changed.map((file) => `${check ? 'would reformat' : 'formatted'} ${visible(file)}`);
  const broken = new Set(outcome.diagnostics.map((d) => d.file)).size;
  const skipped = broken === 0 ? '' : ` ${plural(broken, 'file')} with errors left as ${broken === 1 ? 'it is' : 'they are'}.`;
  if (outcome.changed.length === 0) lines.push(`${plural(outcome.unchanged, 'file')} already formatted.${skipped}`);
  else if (check) lines.push(`${plural(outcome.changed.length, 'file')} would be reformatted (run \`micro1 fmt\`); ${outcome.unchanged} already formatted.${skipped}`);
  else lines.push(`Formatted ${plural(outcome.changed.length, 'file')}; ${outcome.unchanged} already formatted.${skipped}`);
  return `${lines.join('\n')}\n`;
}
