import path from 'node:path';
import type { ApplyFailure } from '../apply/applier.js';
import type { Diagnostic } from '../diagnostics.js';
import { visible, visibleLines } from './neutralise.js';
import type { PlanWarning } from '../plan/planner.js';

/**
 * GitHub Actions, as pure formatting: workflow-command annotations and what the step summary
 * needs. The CLI reads the environment once (githubContext) and does the printing and appending.
 */

/** What the CLI needs to know about the workflow run it is in. */
export interface GithubContext {
  /** `GITHUB_ACTIONS=true`: also print diagnostics and failures as `::error …::` workflow commands. */
  annotations: boolean;
  /** `GITHUB_STEP_SUMMARY`: the file plan and apply append their Markdown summary to. */
  stepSummary: string | undefined;
  /** The workflow run's page (its summary holds the full plan when a PR comment cannot). */
  runUrl: string | undefined;
  /** `GITHUB_WORKSPACE`: annotation paths are relative to the repository root, not to the project. */
  workspace: string | undefined;
}

/**
 * GitHub refuses a step summary over 1 MiB ("$GITHUB_STEP_SUMMARY upload aborted, supports content
 * up to a size of 1024k") and then shows none of it.
 */
export const STEP_SUMMARY_MAX_BYTES = 1024 * 1024;

export function githubContext(env: NodeJS.ProcessEnv): GithubContext {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo, GITHUB_RUN_ID: run } = env;
  return {
    annotations: env.GITHUB_ACTIONS === 'true',
    stepSummary: nonEmpty(env.GITHUB_STEP_SUMMARY),
    runUrl: server && repo && run ? `${server}/${repo}/actions/runs/${run}` : undefined,
    workspace: nonEmpty(env.GITHUB_WORKSPACE),
  };
}

export type AnnotationLevel = 'error' | 'warning' | 'notice';

export interface Annotation {
  level: AnnotationLevel;
  message: string;
  /** Relative to the repository root, forward slashes. */
  file?: string;
  line?: number;
  col?: number;
  title?: string;
}

/** `::error file=…,line=…,col=…,title=…::message`, escaped so that no value can end or forge the command. */
export function workflowCommand(a: Annotation): string {
  const props: [string, string | number | undefined][] = [
    ['file', a.file],
    ['line', a.line],
    ['col', a.col],
    ['title', a.title],
  ];
  const list = props.filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${escapeProperty(visible(String(v)))}`);
  return `::${a.level}${list.length > 0 ? ` ${list.join(',')}` : ''}::${escapeData(a.message)}`;
}

/** As @actions/core's toCommandValue: `%`, CR and LF are percent-encoded in the message. */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** In a property, also `:` and `,`, which would otherwise end the value. */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/**
 * A project-relative file as GitHub wants it: relative to the repository root, so the annotation
 * lands on the changed line even when the project lives in a subfolder of the repository.
 */
export function repoPath(projectRoot: string, file: string, workspace: string | undefined): string {
  if (workspace === undefined) return file;
  const relative = path.relative(workspace, path.resolve(projectRoot, file));
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) return file;
  return relative.split(path.sep).join('/');
}

/** One annotation per diagnostic, on its line and column. `where` maps a project path to a repository path. */
export function diagnosticAnnotations(diagnostics: readonly Diagnostic[], where: (file: string) => string): string {
  return lines(
    diagnostics.map((d) =>
      workflowCommand({
        level: d.severity,
        file: where(d.file),
        line: d.line,
        col: d.column,
        title: d.path === '' ? 'micro1-sync' : `micro1-sync: ${visible(d.path)}`,
        message: withHint(d.message, d.hint),
      }),
    ),
  );
}

/** Plan warnings (an interview no longer managed, deletes beyond the safety thresholds) as job warnings. */
export function planWarningAnnotations(warnings: readonly PlanWarning[]): string {
  return lines(warnings.map((w) => workflowCommand({ level: 'warning', title: `micro1 plan: ${visible(w.key)}`, message: withHint(w.message, w.hint) })));
}

/** Apply failures on their file: the API gives no line, so the annotation is on the file. */
export function applyFailureAnnotations(failures: readonly ApplyFailure[], where: (file: string) => string): string {
  return lines(
    failures.map((f) =>
      f.outcomeUnknown
        ? workflowCommand({ level: 'warning', file: where(f.file), title: `micro1 apply: ${f.action} ${visible(f.key)}: outcome unknown`, message: withHint(f.message, f.hint) })
        : workflowCommand({ level: 'error', file: where(f.file), title: `micro1 apply: ${f.action} ${visible(f.key)} failed`, message: withHint(f.message, f.hint) }),
    ),
  );
}

/** A command that stopped with an error (refused deletes, a locked state, a missing key). */
export function errorAnnotation(command: string, message: string, hint: string | undefined): string {
  return lines([workflowCommand({ level: 'error', title: `micro1 ${command} failed`, message: withHint(message, hint) })]);
}

/** The message and its hint on lines of their own: the line breaks the tool wrote are kept, any other is shown. */
function withHint(message: string, hint: string | undefined): string {
  return [message, ...(hint === undefined ? [] : [hint])].flatMap(visibleLines).join('\n');
}

function lines(commands: string[]): string {
  return commands.map((c) => `${c}\n`).join('');
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
