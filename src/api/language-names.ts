import { CODING_LANGUAGES, INTERVIEW_LANGUAGES } from '../definitions/body-model.js';

/**
 * The display names GET /interviews shows for language codes ("English", "Python"), and their
 * inverse, which also accepts a few other spellings micro1 might plausibly use. Used by the list
 * mapping in list-shape.ts.
 */

export type InterviewLanguage = (typeof INTERVIEW_LANGUAGES)[number];
export type CodingLanguage = (typeof CODING_LANGUAGES)[number];

/**
 * Display names for the 36 `interview_language` codes. The document shows only "English" (the
 * GetAllInterviewsResponse example); the rest follow the same English-name pattern, with the region
 * in parentheses where one language has several codes. Names are unique, so the mapping inverts.
 */
export const LANGUAGE_NAMES: Readonly<Record<InterviewLanguage, string>> = {
  en: 'English',
  fr: 'French',
  de: 'German',
  he: 'Hebrew',
  hi: 'Hindi',
  pt: 'Portuguese',
  es: 'Spanish',
  'es-la': 'Spanish (Latin America)',
  tr: 'Turkish',
  ja: 'Japanese',
  sv: 'Swedish',
  ar: 'Arabic',
  pl: 'Polish',
  dk: 'Danish',
  kr: 'Korean',
  it: 'Italian',
  nl: 'Dutch',
  cz: 'Czech',
  ua: 'Ukrainian',
  ur: 'Urdu',
  id: 'Indonesian',
  'en-GB': 'English (United Kingdom)',
  'es-MX': 'Spanish (Mexico)',
  cn: 'Chinese',
  'zh-CN': 'Chinese (China)',
  'zh-TW': 'Chinese (Taiwan)',
  'zh-HK': 'Chinese (Hong Kong)',
  ru: 'Russian',
  bn: 'Bengali',
  ms: 'Malay',
  'pt-BR': 'Portuguese (Brazil)',
  vi: 'Vietnamese',
  tl: 'Tagalog',
  th: 'Thai',
  afb: 'Arabic (Gulf)',
  'pt-PT': 'Portuguese (Portugal)',
};

/** Other spellings micro1 might plausibly use for the same codes; read, never written. */
const LANGUAGE_ALIASES: Readonly<Record<string, InterviewLanguage>> = {
  'english (uk)': 'en-GB',
  'english (us)': 'en',
  'spanish (latam)': 'es-la',
  'chinese (simplified)': 'zh-CN',
  'chinese (traditional)': 'zh-TW',
  filipino: 'tl',
  bangla: 'bn',
};

/** Display names for `selected_coding_language`; the document's example shows "Python". */
export const CODING_LANGUAGE_NAMES: Readonly<Record<CodingLanguage, string>> = {
  user_choice: 'User choice',
  javascript: 'JavaScript',
  cpp: 'C++',
  c: 'C',
  csharp: 'C#',
  go: 'Go',
  java: 'Java',
  kotlin: 'Kotlin',
  php: 'PHP',
  python: 'Python',
  ruby: 'Ruby',
  rust: 'Rust',
  swift: 'Swift',
  typescript: 'TypeScript',
};

const CODING_LANGUAGE_ALIASES: Readonly<Record<string, CodingLanguage>> = {
  "user's choice": 'user_choice',
  'user-choice': 'user_choice',
  golang: 'go',
  'c sharp': 'csharp',
  js: 'javascript',
  ts: 'typescript',
};

const LANGUAGE_LOOKUP = lookupTable(LANGUAGE_NAMES, LANGUAGE_ALIASES);
const CODING_LANGUAGE_LOOKUP = lookupTable(CODING_LANGUAGE_NAMES, CODING_LANGUAGE_ALIASES);

/** The display name of an `interview_language` code; an unknown code passes through unchanged. */
export function languageName(code: string): string {
  return (LANGUAGE_NAMES as Record<string, string>)[code] ?? code;
}

/** The `interview_language` code for a display name or a code, case-insensitively; undefined if none. */
export function languageCode(nameOrCode: string): InterviewLanguage | undefined {
  return LANGUAGE_LOOKUP.get(normalise(nameOrCode));
}

/** The display name of a `selected_coding_language` code; an unknown code passes through unchanged. */
export function codingLanguageName(code: string): string {
  return (CODING_LANGUAGE_NAMES as Record<string, string>)[code] ?? code;
}

/** The `selected_coding_language` code for a display name or a code, case-insensitively; undefined if none. */
export function codingLanguageCode(nameOrCode: string): CodingLanguage | undefined {
  return CODING_LANGUAGE_LOOKUP.get(normalise(nameOrCode));
}

function lookupTable<T extends string>(names: Readonly<Record<T, string>>, aliases: Readonly<Record<string, T>>): ReadonlyMap<string, T> {
  const table = new Map<string, T>();
  for (const [alias, code] of Object.entries(aliases) as [string, T][]) table.set(normalise(alias), code);
  for (const [code, name] of Object.entries(names) as [T, string][]) {
    table.set(normalise(name), code);
    table.set(normalise(code), code);
  }
  return table;
}

function normalise(value: string): string {
  return value.trim().replace(/\s+/g, ' ').toLowerCase();
}
