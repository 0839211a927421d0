import { existsSync } from 'node:fs';
import path from 'node:path';
import { configToEdit, loadConfig, resourceFolder, type ResolvedConfig } from './config.js';
import { loadResources, type ResourceDefinition } from './definitions/load-resources.js';
import { KINDS } from './kinds/kinds.js';
import { sortDiagnostics, type Diagnostic } from './diagnostics.js';
import { Micro1Error } from './errors.js';
import { loadDefinitions, scanFiles, type Definition } from './definitions/load-definitions.js';
import type { State } from './state/state.js';
import { loadState } from './state/state-store.js';
import { posixRelative } from './paths.js';

export interface ProjectOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  configPath?: string;
}

/** Config, definitions and state: what every command reads first. */
export interface Project {
  config: ResolvedConfig;
  definitions: Definition[];
  /** The other kinds' definitions (webhooks/…), by kind then key; empty when their folders do not exist. */
  resources: ResourceDefinition[];
  diagnostics: Diagnostic[];
  state: State;
  /** A path as the user should see it: relative to the project root. */
  display(absolute: string): string;
}

export async function loadProject(options: ProjectOptions): Promise<Project> {
  const config = await loadConfig(options);
  const display = (absolute: string) => posixRelative(config.projectRoot, absolute);
  // A project may hold only webhooks; with neither folder, the interviews one is what is missing.
  const interviewsFolder = existsSync(config.interviewsDir);
  if (!interviewsFolder && !KINDS.some((kind) => existsSync(resourceFolder(config, kind)))) {
    throw new Micro1Error('NO_INTERVIEWS_DIR', `The interviews folder ${display(config.interviewsDir)} does not exist`, {
      hint: `create it, or set \`interviews\` in ${configToEdit(config, options.cwd)} to the folder that holds your definitions`,
    });
  }
  const folders = { projectRoot: config.projectRoot, interviewsRoot: config.interviewsDir };
  // The files are hashed before the state is read: its objects live through the whole plan, and
  // a collection while they are young copies them (a 10,000-file no-op plan went from 1.59-1.79x
  // its read+hash+parse floor to 1.39-1.54x, paired runs).
  const scanned = interviewsFolder && existsSync(config.stateFile) ? scanFiles(folders) : undefined;
  // Includes what a crashed apply journaled but never folded in: plan sees every confirmed change.
  const { state } = loadState(config.stateFile, display(config.stateFile), config.projectRoot);
  const { definitions, diagnostics } = interviewsFolder ? loadDefinitions({ ...folders, previous: state, ...(scanned ? { scanned } : {}) }) : { definitions: [], diagnostics: [] };
  const resources: ResourceDefinition[] = [];
  for (const kind of KINDS) {
    const loaded = loadResources(kind, resourceFolder(config, kind), config.projectRoot);
    resources.push(...loaded.definitions);
    diagnostics.push(...loaded.diagnostics);
  }
  return { config, definitions, resources, diagnostics: sortDiagnostics(diagnostics), state, display };
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}
