import { describe, expect, it } from 'vitest';
import {
  BODY,
  BODY_DEFAULTS,
  BODY_FIELDS,
  declarationFingerprint,
  definitionFormat,
  ITEM_KEYS,
  LIST_HIDDEN_FIELDS,
  type BodyDeclaration,
  type BodyField,
} from '../src/definitions/body-model.js';
import { canonicalBody } from '../src/definitions/canonical.js';
import { formatDefinitionText, TOP_LEVEL_ORDER } from '../src/definitions/canonical-yaml.js';
import { editorSchema } from '../src/definitions/editor-schema.js';
import { definitionSchema, KNOWN_KEYS } from '../src/definitions/interview-schema.js';
import { DEFINITION_FORMAT } from '../src/definitions/load-definitions.js';
import { fromListItem, listComparable, toListItem } from '../src/api/list-shape.js';
import { plan } from '../src/plan/planner.js';
import { appliedEntry, body, definition, stateOf } from './helpers.js';

/**
 * The body is declared once (src/body-model.ts); everything else derives from it. These tests prove
 * each derivation covers every declared field, so a field added to the declaration alone is either
 * handled everywhere or fails here, and one added anywhere else alone fails tsc or these.
 */

const FIELDS = Object.keys(BODY) as BodyField[];
const META = { invite_url: 'https://example.test/i', date_created: '2024-01-01 00:00:00', date_modified: '2024-01-01 00:00:00' };

/** A body with every field at its declared example, i.e. away from its default. */
function exampleBody() {
  return body(Object.fromEntries(FIELDS.map((f) => [f, structuredClone(BODY[f].example)])) as unknown as Parameters<typeof body>[0]);
}

describe('the body declaration', () => {
  it('gives BODY_FIELDS every field, in its order', () => {
    expect(BODY_FIELDS).toEqual(FIELDS);
  });

  it('gives each field but interview_name its declared default, and the canonical body fills them', () => {
    const declared = Object.fromEntries(FIELDS.filter((f) => 'default' in BODY[f]).map((f) => [f, (BODY[f] as { default: unknown }).default]));
    expect(BODY_DEFAULTS).toEqual(declared);
    expect(Object.keys(BODY_DEFAULTS)).toEqual(FIELDS.filter((f) => f !== 'interview_name'));
    expect(canonicalBody({ interview_name: 'X' })).toEqual({ interview_name: 'X', ...declared });
    expect(Object.keys(canonicalBody({ interview_name: 'X' }))).toEqual(FIELDS);
  });

  it('has an example per field that is valid and differs from the default', () => {
    for (const f of FIELDS) {
      expect(BODY[f].schema.safeParse(BODY[f].example).success, f).toBe(true);
      expect(BODY[f].example, f).not.toEqual((BODY_DEFAULTS as Record<string, unknown>)[f]);
    }
  });

  it('puts every field in the zod schema, the JSON Schema and the known keys, in order', () => {
    expect(Object.keys(definitionSchema.shape)).toEqual(['id', 'extends', ...FIELDS]);
    const json = editorSchema('interview', 'test') as { properties: Record<string, unknown>; else: { required: string[] } };
    expect(Object.keys(json.properties)).toEqual(['id', 'extends', ...FIELDS]);
    expect(json.else.required).toEqual(['interview_name']);
    expect(KNOWN_KEYS).toEqual(['id', 'extends', ...FIELDS]);
    for (const f of FIELDS) expect(definitionSchema.safeParse({ interview_name: 'X', [f]: BODY[f].example }).success, f).toBe(true);
  });

  it('gives item keys their declared order in the schema, the canonical body and fmt', () => {
    expect(Object.keys(ITEM_KEYS).sort()).toEqual(FIELDS.filter((f) => 'item' in BODY[f]).sort());
    const json = editorSchema('interview', 'test') as { properties: Record<string, { items: { properties: Record<string, unknown> } }> };
    const canonical = exampleBody() as unknown as Record<string, Record<string, unknown>[]>;
    for (const [field, keys] of Object.entries(ITEM_KEYS)) {
      expect(Object.keys(json.properties[field]!.items.properties), field).toEqual(keys);
      expect(Object.keys(canonical[field]![0]!), field).toEqual(keys!.filter((k) => k in canonical[field]![0]!));
    }
  });

  it('gives fmt every field in the declared order', () => {
    expect(TOP_LEVEL_ORDER).toEqual(['id', 'extends', ...FIELDS]);
    // Written in reverse, every field and item key included: fmt puts them back in the declared order.
    const reversed = [...FIELDS].reverse().map((f) => `${f}: ${JSON.stringify(reverseItems(f, BODY[f].example))}`).join('\n');
    const formatted = formatDefinitionText(`${reversed}\n`);
    expect(formatted.ok).toBe(true);
    const topKeys = (formatted as { text: string }).text.split('\n').filter((l) => /^\w/.test(l)).map((l) => l.slice(0, l.indexOf(':')));
    expect(topKeys).toEqual(FIELDS);
  });

  it('maps every field to the list shape and back, except those marked hidden', () => {
    expect(LIST_HIDDEN_FIELDS).toEqual(FIELDS.filter((f) => BODY[f].list === 'hidden'));
    expect(LIST_HIDDEN_FIELDS).toEqual(['coding_exercise_details']);
    const full = exampleBody();
    const item = toListItem('id-1', full, META) as unknown as Record<string, unknown>;
    for (const f of FIELDS) {
      const list = BODY[f].list;
      if (list === 'hidden') expect(Object.values(item)).not.toContain(full[f]);
      else expect(item, f).toHaveProperty(list.name);
    }
    const read = fromListItem(JSON.parse(JSON.stringify(item)));
    expect(read.warnings).toEqual([]);
    expect(read.body).toEqual(listComparable(full));
    expect(Object.keys(read.body)).toEqual(FIELDS.filter((f) => BODY[f].list !== 'hidden'));
  });

  it('lets the planner see a change in every field', () => {
    const before = body({ interview_name: 'Old' });
    for (const f of FIELDS) {
      const def = definition('a', { interview_name: 'Old', [f]: BODY[f].example });
      const p = plan([def], stateOf({ a: appliedEntry(def, 'id-a', before) }), { prune: false, targets: [], excludes: [] });
      expect(p.changes.map((c) => [c.action, c.fields.map((x) => x.field)]), f).toEqual([['update', [f]]]);
    }
  });
});

describe('the definition-format fingerprint', () => {
  it('names the current declaration micro1-sync/definition@1, the name source hashes were written with', () => {
    expect(DEFINITION_FORMAT).toBe('micro1-sync/definition@1');
    expect(definitionFormat(BODY)).toBe(DEFINITION_FORMAT);
  });

  it('changes when a field is added, a default, a list mapping, an item key, a limit or the order changes', () => {
    const base = declarationFingerprint(BODY);
    const variants: BodyDeclaration[] = [
      { ...BODY, added_by_this_test: { schema: BODY.only_coding_round.schema, default: false, example: true, list: { name: 'added_by_this_test', as: 'boolean' }, addedLater: true } },
      { ...BODY, is_proctoring_required: { ...BODY.is_proctoring_required, default: false } },
      { ...BODY, custom_question_list: { ...BODY.custom_question_list, list: { name: 'custom_question_list', as: 'questions-in-seconds' } } },
      { ...BODY, skills: { ...BODY.skills, item: BODY.skills.item.extend({ level: BODY.interview_name.schema.optional() }) } },
      { ...BODY, skills: { ...BODY.skills, schema: BODY.skills.schema.max(5) } },
      Object.fromEntries(Object.entries(BODY).reverse()),
    ];
    const prints = variants.map((v) => declarationFingerprint(v));
    for (const p of prints) expect(p).not.toBe(base);
    expect(new Set(prints).size).toBe(prints.length);
    expect(definitionFormat(variants[0])).toMatch(/^micro1-sync\/definition@[0-9a-f]{64}$/);
    // Prose is not meaning: a new description keeps every shortcut.
    expect(declarationFingerprint({ ...BODY, interview_name: { ...BODY.interview_name, schema: BODY.interview_name.schema.meta({ description: 'The name' }) } })).toBe(base);
  });
});

/** An example with each item's keys reversed, so fmt has something to reorder. */
function reverseItems(field: BodyField, value: unknown): unknown {
  if (ITEM_KEYS[field] === undefined || !Array.isArray(value)) return value;
  return value.map((item: Record<string, unknown>) => Object.fromEntries(Object.entries(item).reverse()));
}
