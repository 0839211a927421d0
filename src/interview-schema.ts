import { z } from 'zod';

/**
 * What an interview definition is: the micro1 UpdateInterviewRequest / CreateInterviewRequest body
 * (openapi.json, components 9126af2f… and 1c4bf13b…) plus our two keys, `id` and `extends`.
 * The document's schema leaves several limits to prose; each is enforced here and cites it.
 */

/** `interview_language` enum, identical in the create and update request bodies. */
export const INTERVIEW_LANGUAGES = [
  'en', 'fr', 'de', 'he', 'hi', 'pt', 'es', 'es-la', 'tr', 'ja', 'sv', 'ar', 'pl', 'dk', 'kr', 'it', 'nl', 'cz',
  'ua', 'ur', 'id', 'en-GB', 'es-MX', 'cn', 'zh-CN', 'zh-TW', 'zh-HK', 'ru', 'bn', 'ms', 'pt-BR', 'vi', 'tl', 'th',
  'afb', 'pt-PT',
] as const;

/** `selected_coding_language` enum of CreateInterviewRequest (the update body documents no enum). */
export const CODING_LANGUAGES = [
  'user_choice', 'javascript', 'cpp', 'c', 'csharp', 'go', 'java', 'kotlin', 'php', 'python', 'ruby', 'rust',
  'swift', 'typescript',
] as const;

export const QUESTION_TYPES = ['audio', 'text'] as const;

/** "Required skills for the interview (max 10)". */
export const MAX_SKILLS = 10;
/** "Custom questions for the interview (max 20)". */
export const MAX_QUESTIONS = 20;
/** "The time limit for the question in minutes (min 1, max 4)". */
export const QUESTION_MINUTES = { min: 1, max: 4 } as const;

/** micro1 ids are opaque strings (UUIDs in the examples); anything that could leave the path segment is refused. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,127}$/;

const text = (what: string) =>
  z.string({ error: (issue) => (issue.input === undefined ? `${what} is required` : `${what} must be text`) });
const nonEmpty = (what: string) => text(what).refine((s) => s.trim() !== '', { error: `${what} must not be empty` });
const bool = (what: string) => z.boolean({ error: `${what} must be true or false` });

const skill = z
  .strictObject(
    {
      name: nonEmpty('skill name').meta({ description: 'Name of the skill, e.g. React' }),
      description: text('skill description').optional().meta({ description: 'More information about the skill' }),
    },
    { error: 'each skill must be a mapping with a name, e.g. "- name: Go"' },
  )
  .meta({ description: 'A skill the interview assesses' });

const question = z
  .strictObject(
    {
      question: nonEmpty('question').meta({ description: 'The question to ask the candidate' }),
      time: z
        .number({ error: 'time must be a number of minutes' })
        .min(QUESTION_MINUTES.min, { error: `time must be at least ${QUESTION_MINUTES.min} minute` })
        .max(QUESTION_MINUTES.max, { error: `time must be at most ${QUESTION_MINUTES.max} minutes` })
        .meta({ description: 'Time limit in minutes (min 1, max 4)' }),
      type: z.enum(QUESTION_TYPES, { error: 'type must be audio or text' }).meta({ description: 'audio or text' }),
    },
    { error: 'each custom question must be a mapping of question, time and type' },
  )
  .meta({ description: 'A custom question' });

/** Every body field, all optional: the shape a fragment may hold. */
const bodyFields = {
  interview_name: nonEmpty('interview_name').meta({ description: 'Name of the interview' }),
  skills: z
    .array(skill, { error: 'skills must be a list' })
    .max(MAX_SKILLS, { error: (i) => `has ${String((i.input as unknown[]).length)} skills; micro1 allows at most ${MAX_SKILLS}` })
    .meta({ description: 'Required skills (max 10)' }),
  custom_question_list: z
    .array(question, { error: 'custom_question_list must be a list' })
    .max(MAX_QUESTIONS, {
      error: (i) => `has ${String((i.input as unknown[]).length)} questions; micro1 allows at most ${MAX_QUESTIONS}`,
    })
    .meta({ description: 'Custom questions (max 20)' }),
  interview_language: z
    .enum(INTERVIEW_LANGUAGES)
    .meta({ description: 'Language the AI interview is conducted in (default en)' }),
  can_change_interview_language: bool('can_change_interview_language').meta({ description: 'Default false' }),
  only_coding_round: bool('only_coding_round').meta({ description: 'Default false' }),
  is_coding_round_required: bool('is_coding_round_required').meta({ description: 'Default false' }),
  selected_coding_language: z
    .enum(CODING_LANGUAGES)
    .meta({ description: 'Coding language for the coding round (default user_choice)' }),
  coding_exercise_details: text('coding_exercise_details').meta({
    description: 'Details to tailor the coding exercise; removing it clears it',
  }),
  is_proctoring_required: bool('is_proctoring_required').meta({ description: 'Default true' }),
};

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
export const fragmentSchema = z.strictObject({ extends: extendsField.optional(), ...optionalBody });

export type DefinitionInput = z.infer<typeof definitionSchema>;
export type FieldName = keyof typeof bodyFields;
export const KNOWN_KEYS: readonly string[] = ['id', 'extends', ...Object.keys(bodyFields)];

/** The JSON Schema of a definition file, for editors (yaml-language-server). */
export function definitionJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(definitionSchema, { target: 'draft-7', io: 'input' }) as Record<string, unknown>;
}
