import {
  BODY,
  BODY_DEFAULTS,
  BODY_FIELDS,
  LIST_HIDDEN_FIELDS,
  QUESTION_MINUTES,
  QUESTION_TYPES,
  type BodyField,
  type CanonicalBody,
  type ConversionOf,
  type ListConversion,
  type ListedField,
  type ListHiddenField,
  type ListNameOf,
} from '../definitions/body-model.js';
import { codingLanguageCode, codingLanguageName, languageCode, languageName, type CodingLanguage, type InterviewLanguage } from './language-names.js';
import { isRecord } from '../values.js';

/**
 * The shape GET /interviews returns (openapi.json GetAllInterviewsResponse, component 8b24a4dd…) and
 * its mapping to and from our canonical request body. The list differs from the request body:
 * `custom_questions` instead of `custom_question_list`, question `time` in seconds instead of
 * minutes, languages as display names ("English", "Python"), and no `coding_exercise_details`.
 */

type QuestionType = (typeof QUESTION_TYPES)[number];

/** The value each list conversion shows, as GET /interviews writes it (question `time` in seconds). */
interface ListValue {
  name: string;
  boolean: boolean;
  skills: { name: string; description?: string }[];
  'questions-in-seconds': { question: string; time: number; type: QuestionType }[];
  'language-name': string;
  'coding-language-name': string;
}

/**
 * One item of `data` in GetAllInterviewsResponse: the id, then every listed body field under its
 * list name (derived from BODY), then the meta fields. `toListItem` writes them in the document's order.
 */
export type ListItem = { interview_id: string } & { [K in ListedField as ListNameOf<K>]: ListValue[ConversionOf<K>] } & Required<ListItemMeta>;

/** What a list item carries besides the body. */
export interface ListItemMeta {
  invite_url: string;
  /** "2021-01-01 00:00:00" in the document's example; see `formatListDate`. */
  date_created: string;
  date_modified: string;
  /** "active" in the document's example; its other values are not documented. */
  status?: string;
}

/**
 * Body fields GET /interviews never returns (`list: 'hidden'` in BODY): an interview we only know
 * from the list (imported, or adopted by a pinned id) may hold values for them that we have never seen.
 */
export { LIST_HIDDEN_FIELDS, type ListHiddenField } from '../definitions/body-model.js';

export function isListHidden(field: BodyField): field is ListHiddenField {
  return (LIST_HIDDEN_FIELDS as readonly BodyField[]).includes(field);
}

/** Everything of a canonical body that the list shape can express. */
export type ListComparableBody = Omit<CanonicalBody, ListHiddenField>;

/** A list-comparable body read back from a list item. */
export type ListBody = ListComparableBody;

export interface FromListItemResult {
  /** `interview_id`, or undefined (with a warning) when the item has none. */
  id: string | undefined;
  /** Complete: a field the item lacks or holds an unmappable value for has its documented default. */
  body: ListBody;
  meta: Partial<ListItemMeta>;
  /** One line per value that could not be mapped: the field, the value, and what happens instead. */
  warnings: string[];
}

/** Minutes (request body) → seconds (list). Rounded to a micro-second so 1.1 min reads 66, not 66.00000000000001. */
export function minutesToSeconds(minutes: number): number {
  return roundTo(minutes * 60, 6);
}

/** Seconds (list) → minutes (request body); rounded so that `secondsToMinutes(minutesToSeconds(m)) === m` for sane m. */
export function secondsToMinutes(seconds: number): number {
  return roundTo(seconds / 60, 9);
}

/** The document's date format, "2021-01-01 00:00:00" (UTC, since the document names no zone). */
export function formatListDate(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * The part of a canonical body the list can express, in the canonical key order, for drift
 * comparison. An empty skill description counts as none, as `fromListItem` reads it.
 */
export function listComparable(body: ListComparableBody & Partial<Pick<CanonicalBody, ListHiddenField>>): ListComparableBody {
  const out: Record<string, unknown> = {};
  for (const field of LISTED_FIELDS) {
    const comparable = conversionOf(field).comparable;
    out[field] = comparable === undefined ? body[field] : comparable(body[field]);
  }
  return out as ListComparableBody;
}

/** A stored interview as GET /interviews shows it. */
export function toListItem(id: string, body: ListComparableBody, meta: ListItemMeta): ListItem {
  const listed: Record<string, unknown> = {};
  for (const field of LISTED_FIELDS) listed[listNameOf(field)] = conversionOf(field).toList(body[field]);
  // The document's order: id, name, invite_url, the body, then the dates and status.
  return {
    interview_id: id,
    interview_name: body.interview_name,
    invite_url: meta.invite_url,
    ...listed,
    date_created: meta.date_created,
    date_modified: meta.date_modified,
    status: meta.status ?? 'active',
  } as ListItem;
}

/**
 * Maps a list item (untrusted JSON from the network) back to a request body. Nothing throws: a
 * value that cannot be mapped is left out with a warning naming the field and the value, so the
 * documented default (openapi.json, CreateInterviewRequest) applies; a skill or question that
 * cannot be read is dropped with a warning. A question time outside 1–4 minutes is kept as micro1
 * reports it, with a warning, because changing it would silently rewrite the interview on the next apply.
 */
/**
 * An invite link as micro1 sent it (create answer `data.invite_url`, list item `invite_url`), if it
 * is one worth keeping: a non-empty string of reasonable length. Still untrusted text: printed
 * only through neutralise.ts.
 */
export function inviteUrlOf(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' && value.length <= MAX_INVITE_URL_LENGTH ? value : undefined;
}

/** The document's example link is 60 characters; one past this is not a link worth keeping. */
export const MAX_INVITE_URL_LENGTH = 2048;

export function fromListItem(item: unknown): FromListItemResult {
  const warnings: string[] = [];
  const record = isRecord(item) ? item : {};
  if (!isRecord(item)) warnings.push(problem('list item', item, 'not an object', 'nothing could be read from it'));

  const id = typeof record.interview_id === 'string' && record.interview_id !== '' ? record.interview_id : undefined;
  if (id === undefined) warnings.push(problem('interview_id', record.interview_id, 'not an id', 'the interview cannot be pinned'));
  const body: Record<string, unknown> = {};
  for (const field of LISTED_FIELDS) {
    const fallback = (BODY_DEFAULTS as Partial<Record<BodyField, unknown>>)[field];
    body[field] = conversionOf(field).fromList(record, listNameOf(field), warnings, fallback);
  }

  const meta: Partial<ListItemMeta> = {};
  for (const field of ['invite_url', 'date_created', 'date_modified', 'status'] as const) {
    const value = record[field];
    if (typeof value === 'string') meta[field] = value;
  }
  return { id, body: body as ListBody, meta, warnings };
}

/** How one list conversion reads and writes its value (untyped here; `_conversionsFit` checks the types). */
interface Conversion<V> {
  toList(value: V): unknown;
  /** Reads `record[name]`; a value it cannot map gives `fallback` (the documented default) and a warning. */
  fromList(record: Record<string, unknown>, name: string, warnings: string[], fallback: V): V;
  /** The value as a list-read body would hold it, when that differs. */
  comparable?(value: V): V;
}

/** The value each conversion carries; the body's type for the field must be this one. */
interface ConversionValue {
  name: string;
  boolean: boolean;
  skills: CanonicalBody['skills'];
  'questions-in-seconds': CanonicalBody['custom_question_list'];
  'language-name': InterviewLanguage;
  'coding-language-name': CodingLanguage;
}

/** One implementation per conversion BODY may name: tsc refuses a conversion left out. */
const CONVERSIONS: { [C in ListConversion]: Conversion<ConversionValue[C]> } = {
  name: {
    toList: (name) => name,
    fromList: (record, field, warnings) => {
      const value = record[field];
      const name = typeof value === 'string' ? value : '';
      if (name.trim() === '') warnings.push(problem(field, value, 'not a name', 'an interview needs one'));
      return name;
    },
  },
  boolean: { toList: (value) => value, fromList: (record, field, warnings, fallback) => readBoolean(record, field, warnings, fallback) },
  skills: {
    toList: (skills) => skills.map((s) => (s.description === undefined ? { name: s.name } : { name: s.name, description: s.description })),
    fromList: (record, field, warnings, fallback) => readList(record, field, warnings, readSkill) ?? fallback,
    comparable: (skills) => skills.map((s) => (s.description === undefined || s.description === '' ? { name: s.name } : { name: s.name, description: s.description })),
  },
  'questions-in-seconds': {
    toList: (questions) => questions.map((q) => ({ question: q.question, time: minutesToSeconds(q.time), type: q.type })),
    fromList: (record, field, warnings, fallback) => readList(record, field, warnings, readQuestion) ?? fallback,
  },
  'language-name': {
    toList: languageName,
    fromList: (record, field, warnings, fallback) => readMapped(record, field, languageCode, warnings, fallback),
  },
  'coding-language-name': {
    toList: codingLanguageName,
    fromList: (record, field, warnings, fallback) => readMapped(record, field, codingLanguageCode, warnings, fallback),
  },
};

/** A field whose conversion carries another type than the body holds; none, or this does not compile. */
type MisfitField = { [K in ListedField]: [ConversionValue[ConversionOf<K>]] extends [CanonicalBody[K]] ? ([CanonicalBody[K]] extends [ConversionValue[ConversionOf<K>]] ? never : K) : K }[ListedField];
const _conversionsFit: [MisfitField] extends [never] ? true : MisfitField = true;
void _conversionsFit;

const LISTED_FIELDS: readonly ListedField[] = BODY_FIELDS.filter((f): f is ListedField => BODY[f].list !== 'hidden');

function conversionOf(field: ListedField): Conversion<unknown> {
  return CONVERSIONS[(BODY[field].list as { as: ListConversion }).as] as Conversion<unknown>;
}

function listNameOf(field: ListedField): string {
  return (BODY[field].list as { name: string }).name;
}

type Reader<T> = (value: unknown, where: string, warnings: string[]) => T | undefined;

function readList<T>(record: Record<string, unknown>, field: string, warnings: string[], read: Reader<T>): T[] | undefined {
  const value = record[field];
  if (!Array.isArray(value)) {
    warnings.push(problem(field, value, 'not a list', 'left out, so it is empty'));
    return undefined;
  }
  return value.flatMap((entry, i) => {
    const mapped = read(entry, `${field}[${i}]`, warnings);
    return mapped === undefined ? [] : [mapped];
  });
}

function readSkill(value: unknown, where: string, warnings: string[]): { name: string; description?: string } | undefined {
  if (!isRecord(value)) {
    warnings.push(problem(where, value, 'not a skill', 'the skill is left out'));
    return undefined;
  }
  const { name, description } = value;
  if (typeof name !== 'string' || name.trim() === '') {
    warnings.push(problem(`${where}.name`, name, 'not a name', 'the skill is left out'));
    return undefined;
  }
  // An absent description may come back as null or ''; both mean "none".
  if (description === undefined || description === null || description === '') return { name };
  if (typeof description !== 'string') {
    warnings.push(problem(`${where}.description`, description, 'not text', 'the description is left out'));
    return { name };
  }
  return { name, description };
}

function readQuestion(value: unknown, where: string, warnings: string[]): { question: string; time: number; type: QuestionType } | undefined {
  if (!isRecord(value)) {
    warnings.push(problem(where, value, 'not a question', 'the question is left out'));
    return undefined;
  }
  const { question, time, type: rawType } = value;
  const seconds = typeof time === 'string' && time.trim() !== '' ? Number(time) : time;
  const type = typeof rawType === 'string' ? QUESTION_TYPES.find((t) => t === rawType.trim().toLowerCase()) : undefined;
  if (typeof question !== 'string' || question.trim() === '') {
    warnings.push(problem(`${where}.question`, question, 'not text', 'the question is left out'));
  } else if (typeof seconds !== 'number' || !Number.isFinite(seconds)) {
    warnings.push(problem(`${where}.time`, time, 'not a number of seconds', 'the question is left out'));
  } else if (type === undefined) {
    warnings.push(problem(`${where}.type`, rawType, 'neither audio nor text', 'the question is left out'));
  } else {
    const minutes = secondsToMinutes(seconds);
    if (minutes < QUESTION_MINUTES.min || minutes > QUESTION_MINUTES.max) {
      warnings.push(
        `${where}.time is ${seconds} seconds (${minutes} minutes), outside the documented ${QUESTION_MINUTES.min}–${QUESTION_MINUTES.max} minutes; kept as micro1 reports it`,
      );
    }
    return { question, time: minutes, type };
  }
  return undefined;
}

function readMapped<T extends string>(
  record: Record<string, unknown>,
  field: string,
  map: (value: string) => T | undefined,
  warnings: string[],
  fallback: T,
): T {
  const value = record[field];
  const mapped = typeof value === 'string' ? map(value) : undefined;
  if (mapped !== undefined) return mapped;
  warnings.push(problem(field, value, 'not a value micro1 documents', `left out, so the default "${fallback}" applies`));
  return fallback;
}

function readBoolean(record: Record<string, unknown>, field: string, warnings: string[], fallback: boolean): boolean {
  const value = record[field];
  if (typeof value === 'boolean') return value;
  // The document's own list example writes a boolean as the string "true"; accept that spelling.
  if (value === 'true' || value === 'false') return value === 'true';
  warnings.push(problem(field, value, 'not true or false', `left out, so the default ${String(fallback)} applies`));
  return fallback;
}

/** "field is VALUE, REASON; OUTCOME", or "field is missing; OUTCOME". */
function problem(field: string, value: unknown, reason: string, outcome: string): string {
  return value === undefined ? `${field} is missing; ${outcome}` : `${field} is ${describe(value)}, ${reason}; ${outcome}`;
}

function roundTo(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object' && value !== null) return 'an object';
  return String(value);
}
