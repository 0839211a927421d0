import { z } from 'zod';
import { BODY, BODY_FIELDS, nonEmpty, text, type BodyField } from './body-model.js';

export { CODING_LANGUAGES, INTERVIEW_LANGUAGES, MAX_QUESTIONS, MAX_SKILLS, QUESTION_MINUTES, QUESTION_TYPES } from './body-model.js';

/**
 * What an interview definition is: the body declared in body-model.ts (the micro1
 * UpdateInterviewRequest / CreateInterviewRequest body, with the limits the document leaves to
 * prose) plus our two keys, `id` and `extends`.
 */

/** micro1 ids are opaque strings (UUIDs in the examples); anything that could leave the path segment is refused. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,127}$/;

/** Every body field, all optional: the shape a fragment may hold. */
const bodyFields = fieldSchemas();

const extendsField = z
  .union([nonEmpty('extends'), z.array(nonEmpty('extends entry')).min(1, { error: 'extends must not be an empty list' })], {
    error: 'extends must be a fragment path or a list of them',
  })
  .meta({ description: 'Fragment file(s) relative to this file, deep-merged beneath it (later ones win)' });

const idField = text('id')
  .regex(ID_PATTERN, { error: 'id must be 1–128 letters, digits, ".", "_", "~" or "-", starting with a letter or digit' })
  .meta({ description: 'Pins an existing micro1 interview (adopt / import)' });

const optionalBody = Object.fromEntries(Object.entries(bodyFields).map(([k, v]) => [k, v.optional()])) as {
  [K in keyof typeof bodyFields]: z.ZodOptional<(typeof bodyFields)[K]>;
};

/** A whole interview after fragments are merged in: `interview_name` is the one required field. */
export const definitionSchema = z
  .strictObject({
    id: idField.optional(),
    extends: extendsField.optional(),
    ...optionalBody,
    interview_name: bodyFields.interview_name,
  })
  .meta({ title: 'micro1 interview definition', description: 'One micro1 AI interview, managed by micro1-sync' });

/** A fragment (`_`-prefixed file): any body field, and further `extends`; never an `id`. */
export const fragmentSchema = z
  .strictObject({ extends: extendsField.optional(), ...optionalBody })
  .meta({ title: 'micro1 interview fragment', description: 'Fields shared by the interviews that extend this file (any body field; never an id)' });

export type DefinitionInput = z.infer<typeof definitionSchema>;
export type FieldName = BodyField;
export const KNOWN_KEYS: readonly string[] = ['id', 'extends', ...BODY_FIELDS];

type FieldSchemas = { [K in BodyField]: (typeof BODY)[K]['schema'] };

function fieldSchemas(): FieldSchemas {
  const out: Partial<Record<BodyField, z.ZodType>> = {};
  for (const field of BODY_FIELDS) out[field] = BODY[field].schema;
  return out as FieldSchemas;
}
