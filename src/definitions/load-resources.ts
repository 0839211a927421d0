import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from '../diagnostics.js';
import type { ResourceBody, ResourceKind } from '../kinds/kinds.js';
import { posixRelative } from '../paths.js';
import { discoverFiles, readBounded } from './source-files.js';
import { combinedHash, sha256 } from './source-hash.js';
import { parseYamlSource } from './yaml-file.js';

/**
 * Reads the definitions of one resource kind (webhooks/…): one YAML file per resource, its key
 * the path under the kind's folder without extension, as for interviews. No fragments, no pinned
 * ids: each file is the whole body. A missing folder is no resources at all, so a project without
 * `webhooks/` behaves exactly as before the kind existed.
 */

/** One resource as its file describes it, ready for the resource planner. */
export interface ResourceDefinition {
  kind: string;
  key: string;
  /** Project-relative path of the file, forward slashes. */
  file: string;
  body: ResourceBody;
  /** The file's own sha256, under its project-relative path. */
  sources: Record<string, string>;
  sourceHash: string;
}

export interface ResourceLoad {
  definitions: ResourceDefinition[];
  diagnostics: Diagnostic[];
}

export function loadResources(kind: ResourceKind, folder: string, projectRoot: string): ResourceLoad {
  const definitions: ResourceDefinition[] = [];
  const diagnostics: Diagnostic[] = [];
  if (!existsSync(folder)) return { definitions, diagnostics };
  const relative = (rel: string) => posixRelative(projectRoot, path.join(folder, rel));
  const error = (file: string, message: string, hint: string, at = { line: 1, column: 1, path: '' }) =>
    diagnostics.push({ severity: 'error', file, ...at, message, hint });
  const found = discoverFiles(folder);
  for (const rel of found.linkedFolders) error(relative(rel), 'is a symbolic link to a folder, which micro1-sync does not follow', `move or copy the folder into ${posixRelative(projectRoot, folder)}`);
  for (const rel of found.fragments) {
    error(relative(rel), `is a fragment (its name or folder starts with "_"), but ${kind.labels.many} have no fragments`, `rename it without the leading "_" to make it a ${kind.labels.one}, or move it out of ${posixRelative(projectRoot, folder)}`);
  }
  const byKey = new Map<string, string>();
  const byIdentity = new Map<string, ResourceDefinition>();
  for (const rel of found.interviews) {
    const file = relative(rel);
    const key = rel.slice(0, rel.lastIndexOf('.'));
    const clash = byKey.get(key);
    if (clash !== undefined) {
      error(file, `defines the same key "${key}" as ${clash}`, 'keep one of the two files');
      continue;
    }
    byKey.set(key, file);
    if (found.unusual.has(rel)) {
      error(file, 'is a symbolic link or not a regular file', `${kind.labels.many} are read from regular files only: copy the file here`);
      continue;
    }
    const read = readBounded(path.join(folder, rel));
    if ('problem' in read) {
      error(file, read.problem.message, read.problem.hint ?? 'check the file');
      continue;
    }
    const parsed = parseYamlSource(file, read.bytes);
    diagnostics.push(...parsed.diagnostics);
    if (parsed.source === undefined) continue;
    const source = parsed.source;
    const { body, issues } = kind.parse(source.value);
    for (const issue of issues) {
      const at = source.locate(issue.path, issue.atKey ? { key: true } : {});
      diagnostics.push({ severity: 'error', file, ...at, path: issue.path.join('.'), message: issue.message, ...(issue.hint ? { hint: issue.hint } : {}) });
    }
    if (body === undefined) continue;
    const sources = { [file]: sha256(read.bytes) };
    const definition: ResourceDefinition = { kind: kind.name, key, file, body, sources, sourceHash: combinedHash([file], sources) };
    // Two files for one webhook would fight over it: each apply would make it the other's.
    const identity = kind.identity(body);
    const twin = byIdentity.get(identity);
    if (twin !== undefined) {
      error(file, `is the same ${kind.labels.one} (${kind.identityLabel}) as ${twin.file}`, `one micro1 ${kind.labels.one} is managed by one file: remove one of the two, or change its ${kind.identityLabel}`, { ...source.locate([kind.fields[0]!]), path: kind.fields[0]! });
      continue;
    }
    byIdentity.set(identity, definition);
    definitions.push(definition);
  }
  definitions.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { definitions, diagnostics };
}
