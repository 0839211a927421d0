import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BODY_DEFAULTS, canonicalBody, type CanonicalBody } from '../src/definitions/canonical.js';
import { CODING_LANGUAGES, INTERVIEW_LANGUAGES } from '../src/definitions/interview-schema.js';
import { CODING_LANGUAGE_NAMES, codingLanguageCode, LANGUAGE_NAMES, languageCode } from '../src/api/language-names.js';
import {
  formatListDate,
  fromListItem,
  listComparable,
  minutesToSeconds,
  secondsToMinutes,
  toListItem,
} from '../src/api/list-shape.js';

const META = { invite_url: 'https://interview.micro1.ai/intro/micro1?uid=abc', date_created: '2021-01-01 00:00:00', date_modified: '2021-01-02 00:00:00' };

/** The GetAllInterviewsResponse item schema and example, from the vendor's document. */
function documentedItem(): { properties: string[]; example: Record<string, unknown> } {
  const doc = JSON.parse(readFileSync(new URL('./contract/openapi.json', import.meta.url), 'utf8'));
  const items = doc.components.schemas['8b24a4dd-e959-4345-8e0e-7551d63da6e8'].properties.data.items;
  const example = Object.fromEntries(
    Object.entries(items.properties as Record<string, { example: unknown }>).map(([k, v]) => [k, v.example]),
  );
  return { properties: Object.keys(items.properties), example };
}

function body(overrides: Partial<CanonicalBody> = {}): CanonicalBody {
  return { interview_name: 'Full Stack', ...BODY_DEFAULTS, ...overrides };
}

describe('language tables', () => {
  it('names all 36 interview_language codes, each with a different name', () => {
    expect(Object.keys(LANGUAGE_NAMES).sort()).toEqual([...INTERVIEW_LANGUAGES].sort());
    expect(new Set(Object.values(LANGUAGE_NAMES).map((n) => n.toLowerCase())).size).toBe(INTERVIEW_LANGUAGES.length);
    expect(LANGUAGE_NAMES).toMatchObject({
      en: 'English',
      'es-MX': 'Spanish (Mexico)',
      'es-la': 'Spanish (Latin America)',
      dk: 'Danish',
      kr: 'Korean',
      cz: 'Czech',
      ua: 'Ukrainian',
      afb: 'Arabic (Gulf)',
      cn: 'Chinese',
    });
  });

  it('names all 14 selected_coding_language values, each with a different name', () => {
    expect(Object.keys(CODING_LANGUAGE_NAMES).sort()).toEqual([...CODING_LANGUAGES].sort());
    expect(new Set(Object.values(CODING_LANGUAGE_NAMES).map((n) => n.toLowerCase())).size).toBe(CODING_LANGUAGES.length);
    expect(CODING_LANGUAGE_NAMES).toMatchObject({ python: 'Python', cpp: 'C++', csharp: 'C#', user_choice: 'User choice' });
  });

  it.each(INTERVIEW_LANGUAGES)('maps interview_language %s to its name and back, by name or code, in any case', (code) => {
    const name = LANGUAGE_NAMES[code];
    expect(toListItem('id', body({ interview_language: code }), META).interview_language).toBe(name);
    for (const spelling of [name, name.toUpperCase(), name.toLowerCase(), ` ${name} `, code, code.toUpperCase()]) {
      expect(languageCode(spelling), spelling).toBe(code);
    }
  });

  it.each(CODING_LANGUAGES)('maps selected_coding_language %s to its name and back, by name or code, in any case', (code) => {
    const name = CODING_LANGUAGE_NAMES[code];
    expect(toListItem('id', body({ selected_coding_language: code }), META).selected_coding_language).toBe(name);
    for (const spelling of [name, name.toUpperCase(), name.toLowerCase(), code, code.toUpperCase()]) {
      expect(codingLanguageCode(spelling), spelling).toBe(code);
    }
  });

  it('knows nothing it was not told', () => {
    for (const unknown of ['Klingon', 'english-ish', '', 'zh']) expect(languageCode(unknown), unknown).toBeUndefined();
    for (const unknown of ['COBOL', 'C--', '', 'py']) expect(codingLanguageCode(unknown), unknown).toBeUndefined();
  });
});

describe('toListItem', () => {
  it('has exactly the fields of the documented list item, in its order, and no coding_exercise_details', () => {
    const item = toListItem('id-1', body({ coding_exercise_details: 'secret sauce' }), META);
    expect(Object.keys(item)).toEqual(documentedItem().properties);
    expect(JSON.stringify(item)).not.toContain('secret sauce');
  });

  it('renames the question list and gives its times in seconds', () => {
    const item = toListItem('id-1', body({ custom_question_list: [{ question: 'Why?', time: 2, type: 'audio' }, { question: 'How?', time: 1.5, type: 'text' }] }), { ...META, status: 'archived' });
    expect(item.custom_questions).toEqual([
      { question: 'Why?', time: 120, type: 'audio' },
      { question: 'How?', time: 90, type: 'text' },
    ]);
    expect(item).toMatchObject({ interview_id: 'id-1', ...META, status: 'archived' });
    expect(toListItem('id-1', body(), META).status).toBe('active');
  });

  it('formats dates as the document does', () => {
    expect(formatListDate(new Date(Date.UTC(2021, 0, 1, 0, 0, 0, 999)))).toBe('2021-01-01 00:00:00');
  });
});

describe('seconds ↔ minutes', () => {
  it('converts the document example: 120 seconds are 2 minutes', () => {
    expect(minutesToSeconds(2)).toBe(120);
    expect(secondsToMinutes(120)).toBe(2);
    expect(secondsToMinutes(90)).toBe(1.5);
    expect(minutesToSeconds(1.1)).toBe(66);
  });

  it('round-trips any time of 1–4 minutes given to the millisecond... of a minute', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1000, max: 4000 }), (thousandths) => {
        const minutes = thousandths / 1000;
        expect(secondsToMinutes(minutesToSeconds(minutes))).toBe(minutes);
      }),
      { numRuns: 3001 },
    );
  });
});

describe('fromListItem', () => {
  it('reads the document example item without a warning', () => {
    const result = fromListItem(documentedItem().example);
    expect(result).toEqual({
      id: '123e4567-e89b-12d3-a456-426614174000',
      body: {
        interview_name: 'Full Stack Engineer Interview',
        skills: [{ name: 'React', description: 'Must be proficient in React Context API' }],
        custom_question_list: [{ question: 'Where do you see yourself in 5 years?', time: 2, type: 'audio' }],
        interview_language: 'en',
        can_change_interview_language: false,
        only_coding_round: true,
        is_coding_round_required: true,
        selected_coding_language: 'python',
        is_proctoring_required: true,
      },
      meta: {
        invite_url: 'https://interview.micro1.ai/intro/micro1?uid=123e4567-e89b-12d3-a456-426614174000',
        date_created: '2021-01-01 00:00:00',
        date_modified: '2021-01-01 00:00:00',
        status: 'active',
      },
      warnings: [],
    });
  });

  it('round-trips every language and coding language through the list shape', () => {
    for (const interview_language of INTERVIEW_LANGUAGES) {
      for (const selected_coding_language of CODING_LANGUAGES) {
        const original = body({ interview_language, selected_coding_language });
        const result = fromListItem(toListItem('id', original, META));
        expect(result.warnings).toEqual([]);
        expect(result.body).toEqual(listComparable(original));
      }
    }
  });

  it('round-trips any valid definition: list-comparable fields are equal, canonicalBody of the result is valid', () => {
    const skill = fc.record({ name: fc.string({ minLength: 1 }).filter((s) => s.trim() !== ''), description: fc.option(fc.string({ minLength: 1 }), { nil: undefined }) });
    const question = fc.record({
      question: fc.string({ minLength: 1 }).filter((s) => s.trim() !== ''),
      time: fc.integer({ min: 100, max: 400 }).map((n) => n / 100),
      type: fc.constantFrom('audio' as const, 'text' as const),
    });
    const definition = fc.record(
      {
        interview_name: fc.string({ minLength: 1 }).filter((s) => s.trim() !== ''),
        skills: fc.array(skill, { maxLength: 10 }),
        custom_question_list: fc.array(question, { maxLength: 20 }),
        interview_language: fc.constantFrom(...INTERVIEW_LANGUAGES),
        can_change_interview_language: fc.boolean(),
        only_coding_round: fc.boolean(),
        is_coding_round_required: fc.boolean(),
        selected_coding_language: fc.constantFrom(...CODING_LANGUAGES),
        coding_exercise_details: fc.string(),
        is_proctoring_required: fc.boolean(),
      },
      { requiredKeys: ['interview_name'] },
    );
    fc.assert(
      fc.property(definition, (input) => {
        const canonical = canonicalBody(input);
        const result = fromListItem(JSON.parse(JSON.stringify(toListItem('id', canonical, META))));
        expect(result.warnings).toEqual([]);
        expect(result.body).toEqual(listComparable(canonical));
        expect(listComparable(canonicalBody(result.body))).toEqual(listComparable(canonical));
      }),
    );
  });

  it('gives a warning naming the field and value it cannot map, and the default instead', () => {
    const item = {
      ...toListItem('id-1', body(), META),
      interview_language: 'Klingon',
      selected_coding_language: 'COBOL',
      can_change_interview_language: 'yes',
      is_proctoring_required: null,
    };
    const result = fromListItem(item);
    expect(result.warnings).toEqual([
      'interview_language is "Klingon", not a value micro1 documents; left out, so the default "en" applies',
      'can_change_interview_language is "yes", not true or false; left out, so the default false applies',
      'selected_coding_language is "COBOL", not a value micro1 documents; left out, so the default "user_choice" applies',
      'is_proctoring_required is null, not true or false; left out, so the default true applies',
    ]);
    expect(result.body).toMatchObject({ interview_language: 'en', selected_coding_language: 'user_choice', can_change_interview_language: false, is_proctoring_required: true });
  });

  it('warns about every missing field and the things an item cannot do without', () => {
    const result = fromListItem({});
    expect(result.id).toBeUndefined();
    expect(result.body).toEqual(listComparable({ interview_name: '', ...BODY_DEFAULTS }));
    expect(result.warnings).toEqual([
      'interview_id is missing; the interview cannot be pinned',
      'interview_name is missing; an interview needs one',
      'skills is missing; left out, so it is empty',
      'custom_questions is missing; left out, so it is empty',
      'interview_language is missing; left out, so the default "en" applies',
      'can_change_interview_language is missing; left out, so the default false applies',
      'only_coding_round is missing; left out, so the default false applies',
      'is_coding_round_required is missing; left out, so the default false applies',
      'selected_coding_language is missing; left out, so the default "user_choice" applies',
      'is_proctoring_required is missing; left out, so the default true applies',
    ]);
    expect(fromListItem('nonsense').warnings[0]).toBe('list item is "nonsense", not an object; nothing could be read from it');
  });

  it('drops a skill or question it cannot read, keeps the rest, and warns with its index', () => {
    const item = {
      ...toListItem('id-1', body(), META),
      skills: [{ name: 'Go', description: null }, { description: 'no name' }, 'Rust', { name: 'SQL', description: '' }, { name: 'K8s', description: 5 }],
      custom_questions: [
        { question: 'Kept', time: 60, type: 'Audio' },
        { question: 'Bad time', time: 'soon', type: 'audio' },
        { question: 'Bad type', time: 60, type: 'video' },
        { time: 60, type: 'text' },
        { question: 'Text seconds', time: '150', type: 'text' },
      ],
    };
    const result = fromListItem(item);
    expect(result.body.skills).toEqual([{ name: 'Go' }, { name: 'SQL' }, { name: 'K8s' }]);
    expect(result.body.custom_question_list).toEqual([
      { question: 'Kept', time: 1, type: 'audio' },
      { question: 'Text seconds', time: 2.5, type: 'text' },
    ]);
    expect(result.warnings).toEqual([
      'skills[1].name is missing; the skill is left out',
      'skills[2] is "Rust", not a skill; the skill is left out',
      'skills[4].description is 5, not text; the description is left out',
      'custom_questions[1].time is "soon", not a number of seconds; the question is left out',
      'custom_questions[2].type is "video", neither audio nor text; the question is left out',
      'custom_questions[3].question is missing; the question is left out',
    ]);
  });

  it('keeps a question time outside 1–4 minutes as micro1 reports it, with a warning', () => {
    const result = fromListItem({ ...toListItem('id-1', body(), META), custom_questions: [{ question: 'Long', time: 300, type: 'audio' }] });
    expect(result.body.custom_question_list).toEqual([{ question: 'Long', time: 5, type: 'audio' }]);
    expect(result.warnings).toEqual(['custom_questions[0].time is 300 seconds (5 minutes), outside the documented 1–4 minutes; kept as micro1 reports it']);
  });

  it('accepts a code where a display name is expected, and the string spelling of a boolean', () => {
    const result = fromListItem({ ...toListItem('id-1', body(), META), interview_language: 'pt-br', selected_coding_language: 'csharp', only_coding_round: 'true' });
    expect(result.warnings).toEqual([]);
    expect(result.body).toMatchObject({ interview_language: 'pt-BR', selected_coding_language: 'csharp', only_coding_round: true });
  });
});

describe('listComparable', () => {
  it('is the body without coding_exercise_details, an empty skill description counting as none', () => {
    const full = body({ coding_exercise_details: 'x', skills: [{ name: 'a', description: '' }, { name: 'b', description: 'd' }] });
    const comparable = listComparable(full);
    expect(comparable).not.toHaveProperty('coding_exercise_details');
    expect(comparable.skills).toEqual([{ name: 'a' }, { name: 'b', description: 'd' }]);
    const { coding_exercise_details: _dropped, skills: _skills, ...rest } = full;
    expect(comparable).toMatchObject(rest);
  });

  it('sees no drift between a body and the same body read back from the list', () => {
    const full = body({ skills: [{ name: 'a', description: '' }], custom_question_list: [{ question: 'q', time: 3.5, type: 'text' }], coding_exercise_details: 'only in the request' });
    expect(listComparable(fromListItem(toListItem('id', full, META)).body)).toEqual(listComparable(full));
  });
});
