import type { ResourceDefinition } from '../definitions/load-resources.js';
import { KINDS } from '../kinds/kinds.js';
import { sortDiagnostics } from '../diagnostics.js';
import { staleEditorSchemas } from '../definitions/editor-schema-files.js';
import { hasErrors, loadProject, type Project, type ProjectOptions } from '../project.js';
import { TOOL_VERSION } from '../version.js';

export interface ValidateOutcome {
  project: Project;
  /** No diagnostic is an error (warnings allowed). */
  valid: boolean;
}

/**
 * load config → load definitions and state → their diagnostics, and the committed editor schemas'
 * (out of date is a warning). Sends nothing and writes nothing.
 */
export async function validateCommand(options: ProjectOptions): Promise<ValidateOutcome> {
  const loaded = await loadProject(options);
  const project = { ...loaded, diagnostics: sortDiagnostics([...loaded.diagnostics, ...staleEditorSchemas(loaded.config.projectRoot, TOOL_VERSION)]) };
  return { project, valid: !hasErrors(project.diagnostics) };
}

/** The JSON printed by `validate --json`: its `format_version` changes only with its shape. */
export function validationToJson(outcome: ValidateOutcome): unknown {
  const { diagnostics, definitions, resources } = outcome.project;
  return { format_version: '1.0', valid: outcome.valid, interviews: definitions.length, ...resourceCounts(resources), diagnostics };
}

/** How many valid definitions of each other kind (`webhooks: 2`); none of a kind, no key. */
export function resourceCounts(resources: readonly ResourceDefinition[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of KINDS) {
    const n = resources.filter((r) => r.kind === kind.name).length;
    if (n > 0) counts[kind.labels.many] = n;
  }
  return counts;
}
