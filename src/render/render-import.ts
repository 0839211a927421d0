import { plural } from '../diagnostics.js';
import { formatValue } from '../plan/field-diff.js';
import { visible } from './neutralise.js';
import type { ImportPlan } from '../plan/plan-import.js';
import type { ResourceKind } from '../kinds/kinds.js';
import type { ResourceImportPlan } from '../plan/resource-import.js';

/** The end of `micro1 import`: every file written or adopted, every interview skipped and why, every value not mapped. */
export function renderImportSummary(result: ImportPlan, listed: number, statePath: string): string {
  const lines: string[] = [];
  const managed = result.managed === 0 ? '' : ` ${result.managed} ${result.managed === 1 ? 'is' : 'are'} already managed here.`;
  if (result.imported.length === 0) {
    lines.push(`Nothing imported: micro1 listed ${plural(listed, 'interview')}.${managed}`);
  } else {
    lines.push(`Imported ${plural(result.imported.length, 'interview')} of the ${listed} micro1 listed.${managed}`);
    for (const i of result.imported) {
      const how = i.text === undefined ? '  (the file already matched micro1: state recorded)' : i.overwrites ? '  (file replaced: --force)' : '';
      lines.push(`  ${i.text === undefined ? '=' : i.overwrites ? '~' : '+'} ${visible(i.file)}  id ${visible(i.id)}  ${formatValue(i.name)}${how}`);
    }
  }
  if (result.skipped.length > 0) {
    lines.push(`Skipped ${result.skipped.length}:`);
    for (const s of result.skipped) lines.push(`  - ${formatValue(s.name)} (id ${visible(s.id) || 'none'}): ${visible(s.reason)}`);
  }
  const warned = result.imported.filter((i) => i.warnings.length > 0);
  if (warned.length > 0) {
    lines.push('Check these files:');
    for (const i of warned) for (const w of i.warnings) lines.push(`  ! ${visible(i.file)}: ${visible(w)}`);
  }
  if (result.imported.length > 0) lines.push(`State saved to ${visible(statePath)}.`);
  return `${lines.join('\n')}\n`;
}

/** The end of `micro1 import --kind webhook`: every file written or adopted, every one skipped and why. */
export function renderResourceImportSummary(kind: ResourceKind, result: ResourceImportPlan, listed: number, statePath: string): string {
  const lines: string[] = [];
  const noun = (n: number) => `${n} ${n === 1 ? kind.labels.one : kind.labels.many}`;
  const managed = result.managed === 0 ? '' : ` ${result.managed} ${result.managed === 1 ? 'is' : 'are'} already managed here.`;
  if (result.imported.length === 0) lines.push(`Nothing imported: micro1 listed ${noun(listed)}.${managed}`);
  else {
    lines.push(`Imported ${noun(result.imported.length)} of the ${listed} micro1 listed.${managed}`);
    for (const i of result.imported) {
      const how = i.text === undefined ? '  (its file already defines it: state recorded)' : '';
      lines.push(`  ${i.text === undefined ? '=' : '+'} ${visible(i.file)}  id ${visible(i.id)}  ${visible(kind.summary(i.entry.spec))}${how}`);
    }
  }
  if (result.skipped.length > 0) {
    lines.push(`Skipped ${result.skipped.length}:`);
    for (const s of result.skipped) lines.push(`  - ${visible(s.summary)} (id ${visible(s.id)}): ${visible(s.reason)}`);
  }
  if (result.imported.length > 0) lines.push(`State saved to ${visible(statePath)}.`);
  return `${lines.join('\n')}\n`;
}
