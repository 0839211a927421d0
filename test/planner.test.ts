import { describe, expect, it } from 'vitest';
import type { Definition } from '../src/definitions/load-definitions.js';
import { countActions, hasChanges, plan, type Change, type Plan, type PlanOptions } from '../src/plan/planner.js';
import { emptyState, type State } from '../src/state/state.js';
import { appliedEntry, body, definition, stateOf } from './helpers.js';

/** The planner as a pure function: definitions and state in, a plan out, nothing read or written. */

const ALL: PlanOptions = { prune: false, targets: [], excludes: [] };

function only(p: Plan): Change {
  expect(p.changes).toHaveLength(1);
  return p.changes[0]!;
}

describe('actions', () => {
  it('creates an interview with no state entry and no pinned id', () => {
    const def = definition('eng/go', { interview_name: 'Go', skills: [{ name: 'Go' }], only_coding_round: true });
    const p = plan([def], emptyState(), ALL);
    expect(p).toEqual({
      lineage: '',
      serial: 0,
      warnings: [],
      changes: [
        {
          key: 'eng/go',
          file: 'interviews/eng/go.yaml',
          action: 'create',
          before: null,
          after: def.body,
          sourceHash: 'sha256:eng/go',
          sources: { 'interviews/eng/go.yaml': 'hash-of-eng/go' },
          via: [],
          // Untouched defaults are sent but not listed: only what the file says.
          fields: [
            { field: 'interview_name', before: undefined, after: 'Go', reset: false },
            { field: 'skills', before: undefined, after: [{ name: 'Go' }], reset: false },
            { field: 'only_coding_round', before: undefined, after: true, reset: false },
          ],
        },
      ],
    });
    expect(only(p).id).toBeUndefined();
  });

  it('lists a default on a create when the file spells it out', () => {
    const def = definition('a', { interview_name: 'A', interview_language: 'en' });
    expect(only(plan([def], emptyState(), ALL)).fields.map((f) => f.field)).toEqual(['interview_name', 'interview_language']);
  });

  it('updates an interview whose canonical body differs from the last-applied spec', () => {
    const def = definition('a', { interview_name: 'A', interview_language: 'fr', skills: [{ name: 'Go' }] });
    const state = stateOf({ a: appliedEntry(def, 'id-a', body({ interview_name: 'Old A', interview_language: 'fr' })) });
    const change = only(plan([def], state, ALL));
    expect(change).toMatchObject({ key: 'a', action: 'update', id: 'id-a', before: state.interviews.a!.spec, after: def.body, via: [] });
    expect(change.fields).toEqual([
      { field: 'interview_name', before: 'Old A', after: 'A', reset: false },
      { field: 'skills', before: [], after: [{ name: 'Go' }], reset: false },
    ]);
  });

  it('is a no-op when the body equals the last-applied spec', () => {
    const def = definition('a', { interview_name: 'A', skills: [{ name: 'Go', description: 'x' }] });
    const state = stateOf({ a: appliedEntry(def, 'id-a') });
    const p = plan([def], state, ALL);
    expect(only(p)).toMatchObject({ key: 'a', action: 'no-op', id: 'id-a', fields: [] });
    expect(hasChanges(p)).toBe(false);
    expect(p).toMatchObject({ lineage: state.lineage, serial: 7, warnings: [] });
  });

  it('compares bodies by value, not by key order or an absent optional description', () => {
    const def = definition('a', { interview_name: 'A', skills: [{ name: 'Go' }] });
    const spec = { ...def.body, skills: [{ name: 'Go', description: undefined }] };
    const reordered = Object.fromEntries(Object.entries(spec).reverse()) as unknown as typeof def.body;
    expect(only(plan([def], stateOf({ a: appliedEntry(def, 'id-a', reordered) }), ALL)).action).toBe('no-op');
  });

  it('deletes an interview whose file is gone when prune is on', () => {
    const gone = definition('old/gone', { interview_name: 'Gone' });
    const state = stateOf({ 'old/gone': appliedEntry(gone, 'id-gone') });
    const p = plan([], state, { ...ALL, prune: true });
    expect(p.changes).toEqual([
      { key: 'old/gone', file: 'interviews/old/gone.yaml', action: 'delete', id: 'id-gone', before: state.interviews['old/gone']!.spec, after: null, fields: [], via: [] },
    ]);
    expect(p.warnings).toEqual([]);
  });

  it('names the file a deleted interview came from, not its fragment', () => {
    const gone = definition('gone', { interview_name: 'Gone' }, {
      sources: { 'interviews/_shared/base.yaml': 'f', 'interviews/gone.yml': 'g' },
    });
    expect(only(plan([], stateOf({ gone: appliedEntry(gone, 'id') }), { ...ALL, prune: true })).file).toBe('interviews/gone.yml');
  });

  it('only warns "no longer managed" when prune is off', () => {
    const gone = definition('old/gone', { interview_name: 'Gone' });
    const p = plan([], stateOf({ 'old/gone': appliedEntry(gone, 'id-gone') }), ALL);
    expect(p.changes).toEqual([]);
    expect(p.warnings).toEqual([
      {
        key: 'old/gone',
        message: 'no longer managed: its file is gone, but id-gone stays on micro1',
        hint: 'enable prune to delete it, or run `micro1 forget old/gone` to drop it from state',
      },
    ]);
    expect(hasChanges(p)).toBe(false);
  });

  it('resets a field removed from the file to its default, and flags it', () => {
    const before = body({ interview_name: 'A', interview_language: 'fr', is_proctoring_required: false, coding_exercise_details: 'Build X' });
    const def = definition('a', { interview_name: 'A' });
    const change = only(plan([def], stateOf({ a: appliedEntry(def, 'id-a', before) }), ALL));
    expect(change.action).toBe('update');
    expect(change.fields).toEqual([
      { field: 'interview_language', before: 'fr', after: 'en', reset: true },
      { field: 'coding_exercise_details', before: 'Build X', after: '', reset: true },
      { field: 'is_proctoring_required', before: false, after: true, reset: true },
    ]);
  });

  it('does not flag a field set explicitly to its default as a reset', () => {
    const def = definition('a', { interview_name: 'A', interview_language: 'en' });
    const change = only(plan([def], stateOf({ a: appliedEntry(def, 'id-a', body({ interview_name: 'A', interview_language: 'fr' })) }), ALL));
    expect(change.fields).toEqual([{ field: 'interview_language', before: 'fr', after: 'en', reset: false }]);
  });

  it('adopts a pinned id that was never applied: an update with no before', () => {
    const def = definition('design/pd', { interview_name: 'PD', skills: [{ name: 'UX' }] }, { id: 'live-1' });
    const change = only(plan([def], emptyState(), ALL));
    expect(change).toMatchObject({
      key: 'design/pd',
      action: 'update',
      id: 'live-1',
      before: null,
      after: def.body,
      note: 'adopts an existing micro1 interview: its fields are replaced by this file',
    });
    expect(change.fields.map((f) => [f.field, f.before, f.reset])).toEqual([
      ['interview_name', undefined, false],
      ['skills', undefined, false],
      // Not listed by GET /interviews, so micro1's value is unknown (see the unseen-fields tests).
      ['coding_exercise_details', undefined, true],
    ]);
  });

  it('adopts the new id when the pinned id changes, and warns that the old one is left alone', () => {
    const def = definition('a', { interview_name: 'A' }, { id: 'new-id' });
    const state = stateOf({ a: appliedEntry(def, 'old-id') });
    const p = plan([def], state, ALL);
    expect(only(p)).toMatchObject({ key: 'a', action: 'update', id: 'new-id', before: null, note: 'adopts new-id (was old-id)' });
    expect(only(p).fields.map((f) => f.field)).toEqual(['interview_name', 'coding_exercise_details']);
    expect(p.warnings).toEqual([
      {
        key: 'a',
        message: 'the pinned id changed from old-id to new-id: old-id will no longer be managed',
        hint: 'if that was not intended, restore the previous id',
      },
    ]);
  });

  it('keeps the state id when a file pins the same id it was applied under', () => {
    const def = definition('a', { interview_name: 'A' }, { id: 'id-a' });
    expect(only(plan([def], stateOf({ a: appliedEntry(def, 'id-a') }), ALL))).toMatchObject({ action: 'no-op', id: 'id-a' });
  });

  it('treats a moved file that pins the same id as a move, not a delete and a create', () => {
    const old = definition('eng/go', { interview_name: 'Go' }, { id: 'id-go' });
    const moved = definition('backend/go', { interview_name: 'Go' }, { id: 'id-go' });
    const p = plan([moved], stateOf({ 'eng/go': appliedEntry(old, 'id-go') }), { ...ALL, prune: true });
    expect(only(p)).toMatchObject({ key: 'backend/go', file: 'interviews/backend/go.yaml', action: 'no-op', id: 'id-go', movedFrom: 'eng/go' });
    expect(p.warnings).toEqual([]);
    // Apply must re-key the state, so the plan has something to do.
    expect(hasChanges(p)).toBe(true);
  });

  it('updates a moved file whose content also changed', () => {
    const old = definition('eng/go', { interview_name: 'Go' }, { id: 'id-go' });
    const moved = definition('backend/go', { interview_name: 'Go (backend)' }, { id: 'id-go' });
    const change = only(plan([moved], stateOf({ 'eng/go': appliedEntry(old, 'id-go') }), ALL));
    expect(change).toMatchObject({ key: 'backend/go', action: 'update', id: 'id-go', movedFrom: 'eng/go' });
    expect(change.fields).toEqual([{ field: 'interview_name', before: 'Go', after: 'Go (backend)', reset: false }]);
  });

  it('does not move an id away from a key that is still defined', () => {
    const stays = definition('a', { interview_name: 'A' });
    const copy = definition('b', { interview_name: 'B' }, { id: 'id-a' });
    const p = plan([stays, copy], stateOf({ a: appliedEntry(stays, 'id-a') }), ALL);
    expect(p.changes.map((c) => [c.key, c.action, c.movedFrom])).toEqual([
      ['a', 'no-op', undefined],
      ['b', 'update', undefined],
    ]);
  });

  it('notes a create whose earlier attempt was never confirmed', () => {
    const def = definition('a', { interview_name: 'A' });
    const state = stateOf({}, { pending: [{ key: 'a', interview_name: 'A', spec: def.body, sourceHash: def.sourceHash, startedAt: '2024-05-01T12:00:00.000Z' }] });
    expect(only(plan([def], state, ALL))).toMatchObject({
      action: 'create',
      note: 'an earlier create was not confirmed: apply first looks it up by name on micro1 and adopts it if found',
    });
    expect(only(plan([def], emptyState(), ALL)).note).toBeUndefined();
  });

  it('says when only a fragment changed', () => {
    const shared = 'interviews/_shared/eng.yaml';
    const before = definition('a', { interview_name: 'A', interview_language: 'fr' }, {
      fragments: [shared],
      sources: { 'interviews/a.yaml': 'same', [shared]: 'v1' },
    });
    const after = definition('a', { interview_name: 'A', interview_language: 'de' }, {
      fragments: [shared],
      sources: { 'interviews/a.yaml': 'same', [shared]: 'v2' },
    });
    expect(only(plan([after], stateOf({ a: appliedEntry(before, 'id-a') }), ALL)).via).toEqual([shared]);
    const ownEdit = { ...after, sources: { 'interviews/a.yaml': 'edited', [shared]: 'v2' } };
    expect(only(plan([ownEdit], stateOf({ a: appliedEntry(before, 'id-a') }), ALL)).via).toEqual([]);
  });

  it('sorts changes by key and counts them', () => {
    const defs = [definition('z', { interview_name: 'Z' }), definition('a/b', { interview_name: 'AB' }), definition('a', { interview_name: 'A' })];
    const state = stateOf({ a: appliedEntry(defs[2]!, 'id-a'), gone: appliedEntry(definition('gone', { interview_name: 'G' }), 'id-g') });
    const p = plan(defs, state, { ...ALL, prune: true });
    expect(p.changes.map((c) => `${c.action} ${c.key}`)).toEqual(['no-op a', 'create a/b', 'delete gone', 'create z']);
    expect(countActions(p.changes)).toEqual({ create: 2, update: 0, 'no-op': 1, delete: 1 });
  });
});

describe('--target and --exclude', () => {
  const defs = [
    definition('engineering/frontend-senior', { interview_name: 'F' }),
    definition('engineering/backend-go', { interview_name: 'B' }),
    definition('engineering/ml/researcher', { interview_name: 'R' }),
    definition('sales/ae', { interview_name: 'S' }),
    definition('engineering-old', { interview_name: 'O' }),
  ];
  const keys = (options: Partial<PlanOptions>) => plan(defs, emptyState(), { ...ALL, ...options }).changes.map((c) => c.key);

  it('selects an exact key, with or without its extension', () => {
    expect(keys({ targets: ['sales/ae'] })).toEqual(['sales/ae']);
    expect(keys({ targets: ['sales/ae.yaml'] })).toEqual(['sales/ae']);
  });

  it('selects a folder and everything under it, but not a sibling sharing its prefix', () => {
    expect(keys({ targets: ['engineering'] })).toEqual(['engineering/backend-go', 'engineering/frontend-senior', 'engineering/ml/researcher']);
    expect(keys({ targets: ['engineering/'] })).toEqual(['engineering/backend-go', 'engineering/frontend-senior', 'engineering/ml/researcher']);
  });

  it('selects with globs: * within one folder, ** across folders', () => {
    expect(keys({ targets: ['engineering/*'] })).toEqual(['engineering/backend-go', 'engineering/frontend-senior']);
    expect(keys({ targets: ['**/researcher'] })).toEqual(['engineering/ml/researcher']);
    expect(keys({ targets: ['*/*-go'] })).toEqual(['engineering/backend-go']);
    expect(keys({ targets: ['engineering*'] })).toEqual(['engineering-old']);
  });

  it('unions several targets', () => {
    expect(keys({ targets: ['sales', 'engineering/backend-go'] })).toEqual(['engineering/backend-go', 'sales/ae']);
  });

  it('excludes keys, folders and globs, also from within the targets', () => {
    expect(keys({ excludes: ['engineering'] })).toEqual(['engineering-old', 'sales/ae']);
    expect(keys({ excludes: ['**/*-go', 'sales/ae'] })).toEqual(['engineering-old', 'engineering/frontend-senior', 'engineering/ml/researcher']);
    expect(keys({ targets: ['engineering'], excludes: ['engineering/ml'] })).toEqual(['engineering/backend-go', 'engineering/frontend-senior']);
  });

  it('narrows deletes and warnings too', () => {
    const state = stateOf({
      'sales/gone': appliedEntry(definition('sales/gone', { interview_name: 'G' }), 'id-g'),
      'hr/gone': appliedEntry(definition('hr/gone', { interview_name: 'H' }), 'id-h'),
    });
    expect(plan([], state, { prune: true, targets: ['sales'], excludes: [] }).changes.map((c) => c.key)).toEqual(['sales/gone']);
    expect(plan([], state, { prune: false, targets: [], excludes: ['sales'] }).warnings.map((w) => w.key)).toEqual(['hr/gone']);
  });

  it('warns about a target that matches nothing', () => {
    const p = plan(defs, emptyState(), { ...ALL, targets: ['marketing', 'sales/ae'] });
    expect(p.changes.map((c) => c.key)).toEqual(['sales/ae']);
    expect(p.warnings).toEqual([
      {
        key: 'marketing',
        message: '--target marketing matches no interview',
        hint: 'a target is a key (path under the interviews folder, no extension), a folder or a glob',
      },
    ]);
  });
});

describe('purity', () => {
  function deepFreeze<T>(value: T): T {
    if (typeof value === 'object' && value !== null) {
      Object.values(value).forEach(deepFreeze);
      Object.freeze(value);
    }
    return value;
  }

  function scenario(): { defs: Definition[]; state: State; options: PlanOptions } {
    const a = definition('a', { interview_name: 'A', skills: [{ name: 'Go' }] });
    const moved = definition('new/b', { interview_name: 'B' }, { id: 'id-b' });
    const adopt = definition('c', { interview_name: 'C' }, { id: 'live-c' });
    const state = stateOf(
      {
        a: appliedEntry(a, 'id-a', body({ interview_name: 'A', interview_language: 'fr' })),
        'old/b': appliedEntry(definition('old/b', { interview_name: 'B' }), 'id-b'),
        gone: appliedEntry(definition('gone', { interview_name: 'G' }), 'id-g'),
      },
      { pending: [{ key: 'd', interview_name: 'D', spec: body({ interview_name: 'D' }), sourceHash: 'h', startedAt: 't' }] },
    );
    return { defs: [a, moved, adopt, definition('d', { interview_name: 'D' })], state, options: { prune: true, targets: ['*', 'new/*'], excludes: ['zzz'] } };
  }

  it('does not mutate its inputs (frozen inputs, same contents afterwards)', () => {
    const { defs, state, options } = scenario();
    const copies = structuredClone({ defs, state, options });
    deepFreeze(defs);
    deepFreeze(state);
    deepFreeze(options);
    const p = plan(defs, state, options);
    expect(p.changes.map((c) => `${c.action} ${c.key}`)).toEqual(['update a', 'update c', 'create d', 'delete gone', 'no-op new/b']);
    expect({ defs, state, options }).toEqual(copies);
  });

  it('gives the same plan for the same inputs', () => {
    const first = scenario();
    const second = scenario();
    expect(plan(first.defs, first.state, first.options)).toEqual(plan(second.defs, second.state, second.options));
  });
});

describe('fields micro1 has never shown (coding_exercise_details, absent from GET /interviews)', () => {
  const UNKNOWN = { field: 'coding_exercise_details', before: undefined, after: '', reset: true, unseen: true };
  const imported = (def: Definition, spec = def.body) => ({ ...appliedEntry(def, 'id-a', spec), unseen: ['coding_exercise_details' as const] });

  it('marks an unseen field the file leaves out on an update: it would be cleared', () => {
    const def = definition('a', { interview_name: 'A', interview_language: 'fr' });
    const change = only(plan([def], stateOf({ a: imported(def, body({ interview_name: 'A' })) }), ALL));
    expect(change.action).toBe('update');
    expect(change.unknown).toEqual(['coding_exercise_details']);
    expect(change.fields).toEqual([{ field: 'interview_language', before: 'en', after: 'fr', reset: false }, UNKNOWN]);
  });

  it('marks nothing when nothing else changes: no update, nothing cleared', () => {
    const def = definition('a', { interview_name: 'A' });
    const change = only(plan([def], stateOf({ a: imported(def) }), ALL));
    expect(change.action).toBe('no-op');
    expect(change.unknown).toBeUndefined();
    expect(change.fields).toEqual([]);
  });

  it('does not mark a field the file sets, even to "", and plans it as a change from an unknown value', () => {
    for (const details of ['', 'Build a cache.']) {
      const def = definition('a', { interview_name: 'A', coding_exercise_details: details });
      const change = only(plan([def], stateOf({ a: imported(def, body({ interview_name: 'A' })) }), ALL));
      expect(change.action).toBe('update');
      expect(change.unknown).toBeUndefined();
      expect(change.fields).toEqual([{ field: 'coding_exercise_details', before: undefined, after: details, reset: false, unseen: true }]);
    }
  });

  it('does not mark a field of an entry without unseen (applied by us: we sent it)', () => {
    const def = definition('a', { interview_name: 'A', interview_language: 'fr' });
    const change = only(plan([def], stateOf({ a: appliedEntry(def, 'id-a', body({ interview_name: 'A' })) }), ALL));
    expect(change.unknown).toBeUndefined();
    expect(change.fields.map((f) => f.field)).toEqual(['interview_language']);
  });

  it('marks every list-hidden field the file leaves out on an adoption by pinned id', () => {
    const def = definition('a', { interview_name: 'A' }, { id: 'live-1' });
    const change = only(plan([def], emptyState(), ALL));
    expect(change).toMatchObject({ action: 'update', before: null, unknown: ['coding_exercise_details'] });
    expect(change.fields).toEqual([{ field: 'interview_name', before: undefined, after: 'A', reset: false }, UNKNOWN]);
  });

  it('marks them when the pinned id changes (the new id is an adoption), not when the file sets them', () => {
    const def = definition('a', { interview_name: 'A' }, { id: 'new-id' });
    expect(only(plan([def], stateOf({ a: appliedEntry(def, 'old-id') }), ALL)).unknown).toEqual(['coding_exercise_details']);
    const explicit = definition('a', { interview_name: 'A', coding_exercise_details: '' }, { id: 'live-1' });
    const change = only(plan([explicit], emptyState(), ALL));
    expect(change.unknown).toBeUndefined();
    expect(change.fields.at(-1)).toEqual({ field: 'coding_exercise_details', before: undefined, after: '', reset: false, unseen: true });
  });

  it('never marks a create', () => {
    const change = only(plan([definition('a', { interview_name: 'A' })], emptyState(), ALL));
    expect(change.unknown).toBeUndefined();
    expect(change.fields.map((f) => f.field)).toEqual(['interview_name']);
  });
});
