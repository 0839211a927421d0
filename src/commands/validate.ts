import { hasErrors, loadProject, type Project, type ProjectOptions } from '../project.js';

export interface ValidateOutcome {
  project: Project;
  /** No diagnostic is an error (warnings allowed). */
  valid: boolean;
}

/** load config → load definitions and state → their diagnostics. Sends nothing and writes nothing. */
export async function validateCommand(options: ProjectOptions): Promise<ValidateOutcome> {
  const project = await loadProject(options);
  return { project, valid: !hasErrors(project.diagnostics) };
}

/** The JSON printed by `validate --json`: its `format_version` changes only with its shape. */
export function validationToJson(outcome: ValidateOutcome): unknown {
  const { diagnostics, definitions } = outcome.project;
  return { format_version: '1.0', valid: outcome.valid, interviews: definitions.length, diagnostics };
}
