import { appendFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import type { Io } from '../io.js';
import { countLine, type Diagnostic } from '../diagnostics.js';
import { STEP_SUMMARY_MAX_BYTES, type GithubContext } from '../render/github.js';
import { guardWorkflowCommands } from '../render/neutralise.js';
import { redactAfter, secretsOf } from '../render/redact.js';
import type { MarkdownLimit } from '../render/render-markdown.js';

/** What the command modules share for printing: colour, diagnostics and the GitHub step summary. */

/** Colour for text written to `stream`: only when that stream is a terminal (`2> log` must stay plain). */
export function useColor(io: Io, stream: 'stdout' | 'stderr' = 'stdout'): boolean {
  const noColor = io.env.NO_COLOR;
  const tty = stream === 'stdout' ? io.stdoutIsTTY : io.stderrIsTTY;
  return tty && (noColor === undefined || noColor === '') && io.env.TERM !== 'dumb';
}

/** Diagnostics on stderr, coloured only if stderr is a terminal; with `refused`, a count and what was not done. */
export async function printDiagnostics(io: Io, diagnostics: readonly Diagnostic[], refused?: string): Promise<void> {
  if (diagnostics.length === 0 && refused === undefined) return;
  const { renderDiagnosticsText } = await import('../render/render-text.js');
  const text = renderDiagnosticsText(diagnostics, { color: useColor(io, 'stderr') });
  io.stderr(refused === undefined ? `${text}\n` : `${text}\n${countLine(diagnostics)}: ${refused}\n`);
}

/** Appends to $GITHUB_STEP_SUMMARY (never overwrites: other steps' tools write there too), within the space left. */
export function appendStepSummary(io: Io, github: GithubContext, render: (limit: MarkdownLimit) => string): void {
  if (github.stepSummary === undefined) return;
  try {
    const size = existsSync(github.stepSummary) ? statSync(github.stepSummary).size : 0;
    const left = STEP_SUMMARY_MAX_BYTES - size;
    // Guarded like stdout, so the summary reads as `plan --format markdown` printed it; redacted as
    // the file will read, so that a key cut between what is there (an earlier run in this step) and
    // what is added is masked too. What is there is within the limit (else nothing fits), so small.
    const markdown = guardWorkflowCommands(render({ max: left, unit: 'bytes' }));
    const added = left <= 0 ? markdown : redactAfter(size === 0 ? '' : readFileSync(github.stepSummary, 'utf8'), markdown, secretsOf(io.env));
    // Past the limit GitHub drops the step's whole summary: better to add nothing.
    if (Buffer.byteLength(added) > left) throw new Error(`only ${Math.max(0, left)} of its ${STEP_SUMMARY_MAX_BYTES} bytes are left`);
    appendFileSync(github.stepSummary, added);
  } catch (error) {
    io.stderr(`Warning: could not append to the step summary ${github.stepSummary}: ${(error as Error).message}\n`);
  }
}
