import { z } from 'zod';
import { definitionJsonSchema } from '../definitions/interview-schema.js';
import { Micro1Error } from '../errors.js';
import { KINDS } from '../kinds/kinds.js';

/**
 * The JSON Schema of a definition file, for editors (yaml-language-server), as `micro1 schema`
 * prints it: an interview's by default, another kind's with `--kind webhook`.
 */
export function schemaCommand(kind = 'interview'): string {
  if (kind === 'interview') return `${JSON.stringify(definitionJsonSchema(), null, 2)}\n`;
  const other = KINDS.find((k) => k.name === kind);
  if (other === undefined) throw new Micro1Error('USAGE', `--kind must be interview or ${KINDS.map((k) => k.name).join(' or ')}, not "${kind}"`, { hint: 'run `micro1 schema --help` for usage' });
  return `${JSON.stringify(z.toJSONSchema(other.schema, { target: 'draft-7', io: 'input' }), null, 2)}\n`;
}
