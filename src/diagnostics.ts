import { visible } from './render/neutralise.js';

export type Severity = 'error' | 'warning';

/** One problem found in a file, pointing at the line and column where it is. */
export interface Diagnostic {
  severity: Severity;
  /** Path relative to the project root, with forward slashes. */
  file: string;
  line: number;
  column: number;
  /** Dotted field path inside the definition (`skills[2].name`), or '' for the whole file. */
  path: string;
  message: string;
  hint?: string;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) =>
      compare(a.file, b.file) ||
      a.line - b.line ||
      a.column - b.column ||
      compare(a.path, b.path) ||
      compare(a.message, b.message),
  );
}

/**
 * `file:line:col  field.path  message (hint)` — the format every diagnostic is printed in. File
 * names, YAML keys and messages quote the file, so each part is made `visible`: one line, always.
 */
export function formatDiagnostic(d: Diagnostic): string {
  const where = `${visible(d.file)}:${d.line}:${d.column}`;
  const field = d.path === '' ? '' : `  ${visible(d.path)}`;
  const hint = d.hint === undefined ? '' : ` (${visible(d.hint)})`;
  const label = d.severity === 'warning' ? 'warning: ' : '';
  return `${where}${field}  ${label}${visible(d.message)}${hint}`;
}

export function countLine(diagnostics: readonly Diagnostic[]): string {
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  return `${plural(errors, 'error')}, ${plural(warnings, 'warning')}`;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
