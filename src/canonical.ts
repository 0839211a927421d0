import type { DefinitionInput } from './interview-schema.js';

/**
 * The exact request body micro1-sync sends for an interview: every field present, documented
 * defaults filled (openapi.json: interview_language "en", is_proctoring_required true, the other
 * booleans false, selected_coding_language "user_choice"), keys in a fixed order. Because the
 * body is complete, deleting a field from a file resets it on micro1 instead of leaving it behind.
 */
export interface CanonicalBody {
  interview_name: string;
  skills: { name: string; description?: string }[];
  custom_question_list: { question: string; time: number; type: 'audio' | 'text' }[];
  interview_language: string;
  can_change_interview_language: boolean;
  only_coding_round: boolean;
  is_coding_round_required: boolean;
  selected_coding_language: string;
  /** Not in the list response and without a default: sent as '' so that removing it clears it. */
  coding_exercise_details: string;
  is_proctoring_required: boolean;
}

export type BodyField = keyof CanonicalBody;

export const BODY_FIELDS: readonly BodyField[] = [
  'interview_name',
  'skills',
  'custom_question_list',
  'interview_language',
  'can_change_interview_language',
  'only_coding_round',
  'is_coding_round_required',
  'selected_coding_language',
  'coding_exercise_details',
  'is_proctoring_required',
];

export const BODY_DEFAULTS: Omit<CanonicalBody, 'interview_name'> = {
  skills: [],
  custom_question_list: [],
  interview_language: 'en',
  can_change_interview_language: false,
  only_coding_round: false,
  is_coding_round_required: false,
  selected_coding_language: 'user_choice',
  coding_exercise_details: '',
  is_proctoring_required: true,
};

export function canonicalBody(input: DefinitionInput): CanonicalBody {
  return {
    interview_name: input.interview_name,
    skills: (input.skills ?? BODY_DEFAULTS.skills).map((s) =>
      s.description === undefined ? { name: s.name } : { name: s.name, description: s.description },
    ),
    custom_question_list: (input.custom_question_list ?? BODY_DEFAULTS.custom_question_list).map((q) => ({
      question: q.question,
      time: q.time,
      type: q.type,
    })),
    interview_language: input.interview_language ?? BODY_DEFAULTS.interview_language,
    can_change_interview_language: input.can_change_interview_language ?? BODY_DEFAULTS.can_change_interview_language,
    only_coding_round: input.only_coding_round ?? BODY_DEFAULTS.only_coding_round,
    is_coding_round_required: input.is_coding_round_required ?? BODY_DEFAULTS.is_coding_round_required,
    selected_coding_language: input.selected_coding_language ?? BODY_DEFAULTS.selected_coding_language,
    coding_exercise_details: input.coding_exercise_details ?? BODY_DEFAULTS.coding_exercise_details,
    is_proctoring_required: input.is_proctoring_required ?? BODY_DEFAULTS.is_proctoring_required,
  };
}

/** Deep equality of two JSON values (bodies are plain JSON: no dates, no undefined in arrays). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => jsonEqual(v, bb[i]));
  }
  const ak = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const bk = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  return (
    ak.length === bk.length &&
    ak.every((k) => jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  );
}
