import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * The interview body, declared once: the micro1 UpdateInterviewRequest / CreateInterviewRequest
 * body (openapi.json, components 9126af2f… and 1c4bf13b…). Each field says its zod type (with the
 * limits the document states only in prose, and our messages), its documented default, how
 * GET /interviews shows it, and, by its place here, its position in the request and in files.
 * The definition schema, the canonical body, fmt's key order, the JSON Schema, the list mapping,
 * the state's body check and the definition-format fingerprint are all derived from BODY;
 * test/body-model.test.ts checks that each derivation covers every field.
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

/**
 * How GET /interviews (GetAllInterviewsResponse) shows a field: under which name, and converted how.
 * Each conversion is implemented once, in list-shape.ts, which tsc makes handle every one named here.
 * `hidden`: the list never returns the field (an imported interview may hold a value we never saw).
 */
export type ListConversion =
  /** The interview's name: text, which an interview cannot do without. */
  | 'name'
  | 'boolean'
  /** Skill items; an absent description may come back as null or ''. */
  | 'skills'
  /** Question items, `time` in seconds instead of minutes. */
  | 'questions-in-seconds'
  /** An `interview_language` code as its display name ("English"). */
  | 'language-name'
  /** A `selected_coding_language` code as its display name ("Python"). */
  | 'coding-language-name';

export type ListMapping = { name: string; as: ListConversion } | 'hidden';

interface FieldDeclaration {
  /** The file's form of the value: type, limits, messages, description for the JSON Schema. */
  schema: z.ZodType;
  /** The documented default, filled when a file leaves the field out; none for the required name. */
  default?: unknown;
  /** A valid value other than the default, for documentation and for the tests that prove each derivation covers the field. */
  example: unknown;
  list: ListMapping;
  /** For a list of items: the item's schema (its key order is the request body's). */
  item?: z.ZodObject;
  /**
   * A field added after state version 1: a state written before it may lack it (the planner then
   * shows it as a change, which it is: it was never sent). Every field of version 1 must be present.
   */
  addedLater?: true;
}

/** Text, with messages naming `what`; shared with interview-schema.ts's own keys. */
export const text = (what: string) =>
  z.string({ error: (issue) => (issue.input === undefined ? `${what} is required` : `${what} must be text`) });
/**
 * Text with something other than white space in it. A pattern rather than a refinement, so the JSON
 * Schema says it too (`/\S/` holds exactly when `trim()` leaves something: both use JavaScript's white space).
 */
export const nonEmpty = (what: string) => text(what).regex(/\S/, { error: `${what} must not be empty` });
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

/** The body, field by field, in openapi.json's order (which is the request's, the files' and fmt's). */
export const BODY = {
  interview_name: {
    schema: nonEmpty('interview_name').meta({ description: 'Name of the interview' }),
    example: 'Senior Backend Engineer (Go)',
    list: { name: 'interview_name', as: 'name' },
  },
  skills: {
    schema: z
      .array(skill, { error: 'skills must be a list' })
      .max(MAX_SKILLS, { error: (i) => `has ${String((i.input as unknown[]).length)} skills; micro1 allows at most ${MAX_SKILLS}` })
      .meta({ description: 'Required skills (max 10)' }),
    item: skill,
    default: [],
    example: [{ name: 'Go', description: 'Goroutines and channels' }, { name: 'PostgreSQL' }],
    list: { name: 'skills', as: 'skills' },
  },
  custom_question_list: {
    schema: z
      .array(question, { error: 'custom_question_list must be a list' })
      .max(MAX_QUESTIONS, {
        error: (i) => `has ${String((i.input as unknown[]).length)} questions; micro1 allows at most ${MAX_QUESTIONS}`,
      })
      .meta({ description: 'Custom questions (max 20)' }),
    item: question,
    default: [],
    // GetAllInterviewsResponse: `custom_questions`, "The time for the question in seconds".
    example: [{ question: 'Walk us through an incident you owned.', time: 3, type: 'audio' }],
    list: { name: 'custom_questions', as: 'questions-in-seconds' },
  },
  interview_language: {
    schema: z.enum(INTERVIEW_LANGUAGES).meta({ description: 'Language the AI interview is conducted in (default en)' }),
    default: 'en',
    example: 'fr',
    list: { name: 'interview_language', as: 'language-name' },
  },
  can_change_interview_language: {
    schema: bool('can_change_interview_language').meta({ description: 'Whether the candidate can change the language (default false)' }),
    default: false,
    example: true,
    list: { name: 'can_change_interview_language', as: 'boolean' },
  },
  only_coding_round: {
    schema: bool('only_coding_round').meta({ description: 'Whether the interview is a coding round only (default false)' }),
    default: false,
    example: true,
    list: { name: 'only_coding_round', as: 'boolean' },
  },
  is_coding_round_required: {
    schema: bool('is_coding_round_required').meta({ description: 'Whether the coding round is required (default false)' }),
    default: false,
    example: true,
    list: { name: 'is_coding_round_required', as: 'boolean' },
  },
  selected_coding_language: {
    schema: z.enum(CODING_LANGUAGES).meta({ description: 'Coding language for the coding round (default user_choice)' }),
    default: 'user_choice',
    example: 'go',
    list: { name: 'selected_coding_language', as: 'coding-language-name' },
  },
  coding_exercise_details: {
    schema: text('coding_exercise_details').meta({ description: 'Details to tailor the coding exercise; removing it clears it' }),
    // No documented default and not in the list response: sent as '' so that removing it clears it.
    default: '',
    example: 'Build a rate limiter with a token bucket.',
    list: 'hidden',
  },
  is_proctoring_required: {
    schema: bool('is_proctoring_required').meta({ description: 'Whether proctoring is required (default true)' }),
    default: true,
    example: false,
    list: { name: 'is_proctoring_required', as: 'boolean' },
  },
} as const satisfies Record<string, FieldDeclaration>;

export type BodyDeclaration = Readonly<Record<string, FieldDeclaration>>;
type Body = typeof BODY;
export type BodyField = keyof Body;

/** The exact request body micro1-sync sends: every field present, as the declaration types it. */
export type CanonicalBody = { [K in BodyField]: z.output<Body[K]['schema']> };

/** Body fields GET /interviews never returns. */
export type ListHiddenField = { [K in BodyField]: Body[K]['list'] extends 'hidden' ? K : never }[BodyField];
export type ListedField = Exclude<BodyField, ListHiddenField>;
/** The list conversion of each listed field. */
export type ConversionOf<K extends ListedField> = Exclude<Body[K]['list'], 'hidden'>['as'];
/** The name GET /interviews gives each listed field. */
export type ListNameOf<K extends ListedField> = Exclude<Body[K]['list'], 'hidden'>['name'];

export const BODY_FIELDS: readonly BodyField[] = Object.keys(BODY) as BodyField[];

/** Field → its documented default; every field but the required `interview_name` has one. */
export const BODY_DEFAULTS: Omit<CanonicalBody, 'interview_name'> = bodyRecord(
  BODY_FIELDS.filter((f) => f !== 'interview_name'),
  (f) => (BODY[f] as FieldDeclaration).default,
);

/** Key order inside list items, as in the request body: `skills: [name, description]`, … */
export const ITEM_KEYS: Readonly<Partial<Record<BodyField, readonly string[]>>> = itemKeys(BODY);

export const LIST_HIDDEN_FIELDS: readonly ListHiddenField[] = BODY_FIELDS.filter((f) => BODY[f].list === 'hidden') as ListHiddenField[];

/**
 * A body built field by field, in the declaration's order: the one place a record keyed by body
 * fields becomes a CanonicalBody (or a part of one), so no caller needs a cast.
 */
export function bodyFrom<K extends BodyField>(fields: readonly K[], value: (field: K) => CanonicalBody[K]): Pick<CanonicalBody, K> {
  return bodyRecord(fields, value);
}

/** A value as the canonical body holds it: list items with their keys in order, absent optional keys left out. */
export function canonicalValue<K extends BodyField>(field: K, value: CanonicalBody[K]): CanonicalBody[K] {
  const keys = ITEM_KEYS[field];
  if (keys === undefined || !Array.isArray(value)) return value;
  return value.map((item: Record<string, unknown>) => {
    const out: Record<string, unknown> = {};
    for (const key of keys) if (item[key] !== undefined) out[key] = item[key];
    return out;
  }) as CanonicalBody[K];
}

/**
 * What files mean, as a fingerprint: each field's name, position, default, list mapping, item keys
 * and type with its limits (its JSON Schema less descriptions, which change no meaning). The source
 * hash covers it, so a change to the declaration invalidates every shortcut on its own.
 * `revision` is for a change in meaning made in code rather than here.
 */
export function declarationFingerprint(declaration: BodyDeclaration, revision = 1): string {
  const fields = Object.entries(declaration).map(([name, f]) => ({
    name,
    default: f.default,
    list: f.list,
    item: f.item === undefined ? null : Object.keys(f.item.shape),
    addedLater: f.addedLater === true,
    type: withoutProse(z.toJSONSchema(f.schema, { target: 'draft-7', io: 'input', unrepresentable: 'any' })),
  }));
  return createHash('sha256').update(JSON.stringify({ revision, fields })).digest('hex');
}

/**
 * The fingerprint of BODY when the format was named by hand `micro1-sync/definition@1`. States in
 * users' repositories hold source hashes over that name: while the declaration means the same, the
 * name stays, so no state loses its shortcut (test/shortcut.test.ts pins the resulting hash).
 * Re-pinned once, when "must not be empty" became the pattern `\S` instead of a refinement: the same
 * strings pass, so files mean what they meant.
 */
const FORMAT_1_FINGERPRINT = 'e8565904ffc63081fc77ff69765b13ea9260eacc3a9eecc07a257ca093bc4310';

/** The definition format the source hash covers: `@1`, or the fingerprint once BODY means something else. */
export function definitionFormat(declaration: BodyDeclaration = BODY): string {
  const fingerprint = declarationFingerprint(declaration);
  return fingerprint === FORMAT_1_FINGERPRINT ? 'micro1-sync/definition@1' : `micro1-sync/definition@${fingerprint}`;
}

function bodyRecord<K extends BodyField, R>(fields: readonly K[], value: (field: K) => unknown): R {
  const out: Record<string, unknown> = {};
  for (const field of fields) out[field] = value(field);
  return out as R;
}

function itemKeys(declaration: BodyDeclaration): Partial<Record<BodyField, readonly string[]>> {
  // No prototype: a key read from a file (`constructor`) finds no item keys.
  const out = Object.create(null) as Partial<Record<string, readonly string[]>>;
  for (const [name, f] of Object.entries(declaration)) if (f.item !== undefined) out[name] = Object.keys(f.item.shape);
  return out;
}

function withoutProse(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutProse);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).filter(([k]) => k !== 'description' && k !== 'title' && k !== 'examples' && k !== '$schema').map(([k, v]) => [k, withoutProse(v)]));
}

/**
 * The JSON shape of a canonical value: its types, enums and item keys, without the limits (a
 * 5-minute question imported from micro1 is kept as it is, so a state may hold one). The state's
 * body check (fast and zod) is built from this, so both accept exactly what CanonicalBody types.
 */
export type ValueShape =
  | { kind: 'string' }
  | { kind: 'boolean' }
  | { kind: 'number' }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'list'; item: ValueShape }
  | { kind: 'object'; fields: Readonly<Record<string, { shape: ValueShape; optional: boolean }>> };

/** Each body field's shape, and whether a state may lack it (see `addedLater`). */
export function bodyShape(declaration: BodyDeclaration = BODY): Readonly<Record<string, { shape: ValueShape; optional: boolean }>> {
  const out: Record<string, { shape: ValueShape; optional: boolean }> = {};
  for (const [name, f] of Object.entries(declaration)) out[name] = { shape: shapeOf(f.schema), optional: f.addedLater === true };
  return out;
}

function shapeOf(schema: z.ZodType): ValueShape {
  const def = schema._zod.def as { type: string; element?: z.ZodType; shape?: Record<string, z.ZodType>; entries?: Record<string, string>; innerType?: z.ZodType };
  switch (def.type) {
    case 'string':
    case 'boolean':
    case 'number':
      return { kind: def.type };
    case 'enum':
      return { kind: 'enum', values: Object.values(def.entries!) };
    case 'array':
      return { kind: 'list', item: shapeOf(def.element!) };
    case 'object': {
      const fields: Record<string, { shape: ValueShape; optional: boolean }> = {};
      for (const [key, value] of Object.entries(def.shape!)) {
        const optional = value instanceof z.ZodOptional;
        fields[key] = { shape: shapeOf(optional ? (value.unwrap() as z.ZodType) : value), optional };
      }
      return { kind: 'object', fields };
    }
    default:
      // A new kind of field must say what a state holds for it before it can be declared.
      throw new Error(`body-model: no value shape for a zod ${def.type}`);
  }
}
