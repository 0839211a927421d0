import path from 'node:path';
import type { ResourceDefinition } from '../definitions/load-resources.js';
import { combinedHash, sha256 } from '../definitions/source-hash.js';
import type { ResourceBody, ResourceKind } from '../kinds/kinds.js';
import { resourceEntries, type ResourceEntry, type State } from '../state/state-model.js';
import { freeSlug, importedFileText, slugOf } from './plan-import.js';

/**
 * What `micro1 import --kind webhook` writes: one canonical file per listed webhook no state
 * entry manages, under a slug of its event and host, and the state entry that makes the next plan
 * a no-op. A listed webhook with the url + event of an existing file is that file's: only the
 * state is recorded (the next plan shows any other difference). Pure.
 */

export interface ImportedResource {
  kind: string;
  key: string;
  file: string;
  id: string;
  /** The file's text; undefined when an existing file already defines it (state recorded only). */
  text?: string;
  entry: Omit<ResourceEntry, 'appliedAt'>;
}

export interface ResourceImportPlan {
  imported: ImportedResource[];
  skipped: { id: string; summary: string; reason: string }[];
  managed: number;
}

export function planResourceImport(input: {
  kind: ResourceKind;
  live: readonly { id: string; body: ResourceBody }[];
  state: State;
  definitions: readonly ResourceDefinition[];
  /** Keys of every file under the kind's folder. */
  existingKeys: readonly string[];
  /** Project-relative folder of the kind ("webhooks"). */
  folder: string;
}): ResourceImportPlan {
  const { kind } = input;
  const entries = resourceEntries(input.state, kind.name);
  const managed = new Set(Object.values(entries).map((e) => e.id));
  const managedKeys = new Set(Object.keys(entries));
  const pending = new Map((input.state.resourcePending ?? []).filter((p) => p.kind === kind.name).map((p) => [kind.identity(p.spec), p.key]));
  const byIdentity = new Map(input.definitions.filter((d) => d.kind === kind.name && !managedKeys.has(d.key)).map((d) => [kind.identity(d.body), d]));
  const taken = new Set([...input.existingKeys, ...Object.keys(entries)].map((k) => k.toLowerCase()));
  const plan: ResourceImportPlan = { imported: [], skipped: [], managed: 0 };
  const seen = new Set<string>();
  for (const { id, body } of [...input.live].sort((a, b) => compare(kind.identity(a.body), kind.identity(b.body)) || compare(a.id, b.id))) {
    const skip = (reason: string) => void plan.skipped.push({ id, summary: kind.summary(body), reason });
    if (seen.has(id)) {
      skip('micro1 listed it twice');
      continue;
    }
    seen.add(id);
    if (managed.has(id)) {
      plan.managed++;
      continue;
    }
    const pendingKey = pending.get(kind.identity(body));
    if (pendingKey !== undefined) {
      skip(`it may be the unconfirmed create of ${kind.name}:${pendingKey}: run \`micro1 apply\` first, which adopts it`);
      continue;
    }
    const own = byIdentity.get(kind.identity(body));
    if (own !== undefined) {
      byIdentity.delete(kind.identity(body));
      plan.imported.push({ kind: kind.name, key: own.key, file: own.file, id, entry: { kind: kind.name, id, spec: body, sourceHash: own.sourceHash, sources: own.sources } });
      continue;
    }
    // A webhook micro1 holds that no file could say (plain http to another host): written by hand, or changed on micro1.
    const fields = Object.fromEntries(kind.fields.filter((f) => body[f] !== '').map((f) => [f, body[f]]));
    const problem = kind.parse(fields).issues[0];
    if (problem !== undefined) {
      skip(`no valid file can say what micro1 holds (${problem.message}): change it on micro1, or write its file by hand`);
      continue;
    }
    const host = URL.canParse(body.url ?? '') ? new URL(body.url!).hostname : '';
    const slug = freeSlug(slugOf(`${body.event ?? ''} ${host}`) || `${kind.name}-${slugOf(id)}`, taken);
    const file = path.posix.join(input.folder, `${slug}.yaml`);
    const text = importedFileText(fields, undefined);
    if (!text.ok) {
      skip(text.reason);
      continue;
    }
    taken.add(slug.toLowerCase());
    const sources = { [file]: sha256(text.text) };
    plan.imported.push({ kind: kind.name, key: slug, file, id, text: text.text, entry: { kind: kind.name, id, spec: body, sourceHash: combinedHash([file], sources), sources } });
  }
  plan.imported.sort((a, b) => compare(a.key, b.key));
  return plan;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
