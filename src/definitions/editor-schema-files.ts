import path from 'node:path';
import type { Diagnostic } from '../diagnostics.js';
import { readRegularFile } from '../state/file-io.js';
import { EDITOR_SCHEMA_NAMES, EDITOR_SCHEMAS, editorSchemaText, versionOfSchemaId } from './editor-schema.js';

/**
 * The editor schema files committed at the project root, checked against the ones this version
 * writes: a stale schema makes the editor flag valid files (a field added since) or miss errors,
 * with nothing else to say so. A missing file is no problem: not every team uses the editor schemas.
 */

/** Far above any schema this tool writes (~10 kB): a bigger file is not ours, and is not read whole. */
const MAX_SCHEMA_BYTES = 1_000_000;
const REWRITE_HINT = 'run `micro1 schema --write` to rewrite it, then commit it';

export function staleEditorSchemas(projectRoot: string, version: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const name of EDITOR_SCHEMA_NAMES) {
    const file = EDITOR_SCHEMAS[name].file;
    let bytes: Buffer | undefined;
    try {
      bytes = readRegularFile(path.join(projectRoot, file), { maxBytes: MAX_SCHEMA_BYTES, root: projectRoot, display: file, what: 'editor schema' });
    } catch {
      bytes = Buffer.alloc(0);
    }
    if (bytes === undefined || bytes.toString('utf8') === editorSchemaText(name, version)) continue;
    const written = versionOfSchemaId(idOf(bytes));
    const why = written !== undefined && written !== version ? `was written by micro1-sync ${written}, not by this ${version}` : 'differs from the one this micro1-sync writes';
    out.push({ severity: 'warning', file, line: 1, column: 1, path: '', message: `this editor schema ${why}: editors may flag valid files or miss errors`, hint: REWRITE_HINT });
  }
  return out;
}

function idOf(bytes: Buffer): unknown {
  try {
    const parsed = JSON.parse(bytes.toString('utf8')) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as { $id?: unknown }).$id : undefined;
  } catch {
    return undefined;
  }
}
