import path from 'node:path';
import { z } from 'zod';
import { loadConfig } from '../config.js';
import { EDITOR_SCHEMA_NAMES, EDITOR_SCHEMAS, editorSchemaText, type EditorSchemaName } from '../definitions/editor-schema.js';
import { Micro1Error } from '../errors.js';
import { KINDS } from '../kinds/kinds.js';
import { writeFileAtomic } from '../state/file-io.js';
import { TOOL_VERSION } from '../version.js';

/** The JSON Schema of one kind of definition file, for editors (yaml-language-server), as `micro1 schema` prints it. */
export function schemaCommand(name: EditorSchemaName = 'interview'): string {
  return editorSchemaText(name, TOOL_VERSION);
}

/** `micro1 schema --kind webhook`: the JSON Schema of another kind's files. */
export function resourceSchemaCommand(kind: string): string {
  const other = KINDS.find((k) => k.name === kind);
  if (other === undefined) throw new Micro1Error('USAGE', `--kind must be interview or ${KINDS.map((k) => k.name).join(' or ')}, not "${kind}"`, { hint: 'run `micro1 schema --help` for usage' });
  // The kind's editor schema (with its versioned $id), as `micro1 init` writes it for the kind's folder.
  if (Object.hasOwn(EDITOR_SCHEMAS, other.name)) return editorSchemaText(other.name as EditorSchemaName, TOOL_VERSION);
  return `${JSON.stringify(z.toJSONSchema(other.schema, { target: 'draft-7', io: 'input' }), null, 2)}\n`;
}

/** config (for the project root) → every editor schema file, written over what was there. Returns the files written. */
export async function writeSchemasCommand(options: { cwd: string; env: NodeJS.ProcessEnv; configPath?: string }): Promise<string[]> {
  const config = await loadConfig(options);
  return EDITOR_SCHEMA_NAMES.map((name) => {
    const file = EDITOR_SCHEMAS[name].file;
    writeFileAtomic(path.join(config.projectRoot, file), schemaCommand(name), { display: file });
    return file;
  });
}
