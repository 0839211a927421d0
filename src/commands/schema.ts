import { definitionJsonSchema } from '../definitions/interview-schema.js';

/** The JSON Schema of an interview definition, for editors (yaml-language-server), as `micro1 schema` prints it. */
export function schemaCommand(): string {
  return `${JSON.stringify(definitionJsonSchema(), null, 2)}\n`;
}
