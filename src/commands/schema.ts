import path from 'node:path';
import { loadConfig } from '../config.js';
import { EDITOR_SCHEMA_NAMES, EDITOR_SCHEMAS, editorSchemaText, type EditorSchemaName } from '../definitions/editor-schema.js';
import { writeFileAtomic } from '../state/file-io.js';
import { TOOL_VERSION } from '../version.js';

/** The JSON Schema of one kind of definition file, for editors (yaml-language-server), as `micro1 schema` prints it. */
export function schemaCommand(name: EditorSchemaName = 'interview'): string {
  return editorSchemaText(name, TOOL_VERSION);
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
