export { defineConfig, type Micro1Config, type ResolvedConfig } from './config.js';
export { plan, type Plan, type Change, type Action, type PlanOptions } from './plan/planner.js';
export { loadDefinitions, type Definition } from './definitions/load-definitions.js';
export { readState, type State, type StateEntry } from './state/state.js';
export type { CanonicalBody } from './definitions/canonical.js';
export type { Diagnostic } from './diagnostics.js';
export { Micro1Error } from './errors.js';
