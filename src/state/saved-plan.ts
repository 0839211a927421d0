import { createHash } from 'node:crypto';
import path from 'node:path';
import { jsonEqual } from '../definitions/canonical.js';
import type { Definition } from '../definitions/load-definitions.js';
import type { ResourceDefinition } from '../definitions/load-resources.js';
import type { Plan } from '../plan/planner.js';
import { PLAN_FORMAT_VERSION, planToJson, type JsonPlan } from '../render/render-json.js';
import { Micro1Error, errnoCode } from '../errors.js';
import { readRegularFile, writeFileAtomic } from './file-io.js';
import { entryOf, MAX_STATE_BYTES, type State } from './state.js';

/** A plan written by `plan --out`: the JSON plan plus what it was computed from, sealed by a checksum. */
export interface SavedPlan extends JsonPlan {
  inputs: {
    prune: boolean;
    targets: string[];
    excludes: string[];
    /** Source hash of every definition the plan saw: any edit since makes the plan stale. */
    sources: Record<string, string>;
    /** The same for the other kinds, keyed `KIND:KEY`; absent when the project has none. */
    resource_sources?: Record<string, string>;
  };
  checksum: string;
}

export function writeSavedPlan(
  file: string,
  plan: Plan,
  definitions: readonly Definition[],
  inputs: { prune: boolean; targets: string[]; excludes: string[] },
  display = file,
  resources: readonly ResourceDefinition[] = [],
): void {
  const sources = Object.fromEntries(definitions.map((d) => [d.key, d.sourceHash]).sort(([a], [b]) => (a! < b! ? -1 : 1)));
  const others = Object.fromEntries(resources.map((d) => [`${d.kind}:${d.key}`, d.sourceHash]).sort(([a], [b]) => (a! < b! ? -1 : 1)));
  const body = { ...planToJson(plan, []), inputs: { ...inputs, sources, ...(resources.length > 0 ? { resource_sources: others } : {}) } };
  const saved: SavedPlan = { ...body, checksum: checksumOf(body) };
  writeFileAtomic(file, `${JSON.stringify(saved, null, 2)}\n`, { display });
}

/**
 * Reads a saved plan and refuses one that is not exactly what `plan --out` wrote. Errors name it
 * as `file` (the path the user typed), not the absolute path read.
 */
export function readSavedPlan(absolute: string, file = absolute, root = process.cwd()): SavedPlan {
  // A plan holds every body in the state at most twice over; only a regular file is read, and a
  // link only if it points inside the project (a plan the user names outside it is a plain file).
  const bytes = readRegularFile(absolute, { maxBytes: MAX_STATE_BYTES, root: path.resolve(root), display: file, what: 'saved plan', code: 'PLAN_UNREADABLE' });
  let raw: unknown;
  try {
    if (bytes === undefined) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    raw = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    const why = errnoCode(error) === 'ENOENT' ? 'does not exist' : 'is not a valid JSON plan';
    throw new Micro1Error('PLAN_UNREADABLE', `The saved plan ${file} ${why}`, { hint: 'create it with `micro1 plan --out FILE`', cause: error });
  }
  const plan = raw as Partial<SavedPlan>;
  if (typeof plan !== 'object' || plan === null || plan.format_version !== PLAN_FORMAT_VERSION || typeof plan.checksum !== 'string' || typeof plan.inputs !== 'object') {
    throw new Micro1Error('PLAN_INVALID', `${file} is not a saved plan of this micro1-sync (format ${PLAN_FORMAT_VERSION})`, { hint: 'run `micro1 plan --out FILE` again' });
  }
  const target = plan.target as unknown;
  const targetOk = target === undefined || (typeof target === 'object' && target !== null && typeof (target as { host?: unknown }).host === 'string');
  if (!Array.isArray(plan.changes) || !targetOk) {
    throw new Micro1Error('PLAN_INVALID', `${file} is not a saved plan of this micro1-sync (format ${PLAN_FORMAT_VERSION})`, { hint: 'run `micro1 plan --out FILE` again' });
  }
  const { checksum, ...body } = plan;
  if (checksumOf(body) !== checksum) {
    throw new Micro1Error('PLAN_TAMPERED', `The saved plan ${file} was modified after it was written (checksum mismatch)`, {
      hint: 'a saved plan is applied exactly as planned; run `micro1 plan --out FILE` again instead of editing it',
    });
  }
  // Keyed by interview keys, which are user text: `constructor` must not be found on Object.prototype.
  const sources = plan.inputs!.sources as unknown;
  if (typeof sources !== 'object' || sources === null || Array.isArray(sources)) {
    throw new Micro1Error('PLAN_INVALID', `${file} is not a saved plan of this micro1-sync (format ${PLAN_FORMAT_VERSION})`, { hint: 'run `micro1 plan --out FILE` again' });
  }
  Object.setPrototypeOf(sources, null);
  const others = plan.inputs!.resource_sources as unknown;
  if (others !== undefined && (typeof others !== 'object' || others === null || Array.isArray(others))) {
    throw new Micro1Error('PLAN_INVALID', `${file} is not a saved plan of this micro1-sync (format ${PLAN_FORMAT_VERSION})`, { hint: 'run `micro1 plan --out FILE` again' });
  }
  if (others !== undefined) Object.setPrototypeOf(others, null);
  return plan as SavedPlan;
}

/**
 * Why `saved` asks for something its files and state do not, if it does. The checksum only catches
 * an accidental edit (anyone can recompute it): this is what stops an edited plan from sending a
 * body no file holds, or from touching an interview that neither the files nor the state name.
 */
export function savedPlanMismatch(saved: SavedPlan, definitions: readonly Definition[], state: State): string | undefined {
  const byKey = new Map(definitions.map((d) => [d.key, d]));
  for (const c of saved.changes) {
    const def = byKey.get(c.key);
    const entry = entryOf(state, c.moved_from ?? c.key);
    const what = `its ${c.action} of ${JSON.stringify(c.key)}`;
    if (c.action === 'delete') {
      if (!saved.inputs.prune || def !== undefined || entry === undefined || entry.id !== c.id) return `${what} is not one the files and state call for`;
      continue;
    }
    if (def === undefined) return `${what} names no file`;
    if (!jsonEqual(c.after, def.body)) return `${what} sends a body that ${def.file} does not define`;
    const id = c.action === 'create' ? undefined : (def.id ?? entry?.id);
    if ((c.id ?? undefined) !== id || (c.action === 'create' && def.id !== undefined)) return `${what} names id ${JSON.stringify(c.id)}, not the one the files and state give`;
  }
  return undefined;
}

function checksumOf(body: unknown): string {
  return `sha256:${createHash('sha256').update(JSON.stringify(body)).digest('hex')}`;
}
