import { plural } from '../diagnostics.js';
import { formatValue } from '../plan/field-diff.js';
import { visible } from './neutralise.js';
import type { ImportPlan } from '../plan/plan-import.js';
import type { ResourceKind } from '../kinds/kinds.js';
import type { ResourceImportPlan } from '../plan/resource-import.js';

/**
 * The end of `micro1 import`: every file written or adopted, every interview skipped and why, and
 * each kind of value not mapped said once, with the files it concerns. `dryRun`: nothing was written.
 */
export function renderImportSummary(result: ImportPlan, listed: number, statePath: string, dryRun = false): string {
  const lines: string[] = [];
  const managed = result.managed === 0 ? '' : ` ${result.managed} ${result.managed === 1 ? 'is' : 'are'} already managed here.`;
  if (result.imported.length === 0) {
    lines.push(`Nothing ${dryRun ? 'to import' : 'imported'}: micro1 listed ${plural(listed, 'interview')}.${managed}`);
  } else {
    lines.push(`${dryRun ? 'Would import' : 'Imported'} ${plural(result.imported.length, 'interview')} of the ${listed} micro1 listed.${managed}`);
    for (const i of result.imported) {
      const how = i.text === undefined ? `  (the file already matched micro1: state ${dryRun ? 'would be ' : ''}recorded)` : i.overwrites ? `  (file ${dryRun ? 'would be ' : ''}replaced: --force)` : '';
      lines.push(`  ${i.text === undefined ? '=' : i.overwrites ? '~' : '+'} ${visible(i.file)}  id ${visible(i.id)}  ${formatValue(i.name)}${how}`);
    }
  }
  if (result.skipped.length > 0) {
    lines.push(`Skipped ${result.skipped.length}:`);
    for (const s of result.skipped) lines.push(`  - ${formatValue(s.name)} (id ${visible(s.id) || 'none'}): ${visible(s.reason)}`);
  }
  const byWarning = new Map<string, string[]>();
  for (const i of result.imported) for (const w of i.warnings) byWarning.set(w, [...(byWarning.get(w) ?? []), i.file]);
  if (byWarning.size > 0) {
    lines.push('Check these files:');
    for (const [warning, files] of byWarning) {
      if (files.length === 1) lines.push(`  ! ${visible(files[0]!)}: ${visible(warning)}`);
      else lines.push(`  ! ${files.length} files: ${visible(warning)}`, ...files.map((f) => `      ${visible(f)}`));
    }
  }
  if (dryRun) lines.push(`Dry run: no file was written and ${visible(statePath)} was not changed. Run it again without --dry-run to import.`);
  else if (result.imported.length > 0) lines.push(`State saved to ${visible(statePath)}.`);
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
