import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../src/diagnostics.js';
import { plan } from '../src/plan/planner.js';
import { planToJson } from '../src/render/render-json.js';
import { emptyState } from '../src/state/state.js';
import { appliedEntry, body, definition, stateOf } from './helpers.js';

const ALL = { prune: false, targets: [], excludes: [] };
const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

describe('planToJson', () => {
  const create = definition('eng/go', { interview_name: 'Go', only_coding_round: true });
  const update = definition('eng/fe', { interview_name: 'Frontend', skills: [{ name: 'React' }] }, {
    fragments: ['interviews/_shared/eng.yaml'],
    sources: { 'interviews/eng/fe.yaml': 'f1', 'interviews/_shared/eng.yaml': 's1' },
  });
  const updateBefore = body({ interview_name: 'Front end', interview_language: 'fr' });
  const same = definition('same', { interview_name: 'Same' });
  const state = stateOf({
    'eng/fe': appliedEntry(update, 'id-fe', updateBefore),
    same: appliedEntry(same, 'id-same'),
    gone: appliedEntry(definition('gone', { interview_name: 'Gone' }), 'id-gone'),
  });
  const warning: Diagnostic = { severity: 'warning', file: 'interviews/x.yaml', line: 1, column: 1, path: '', message: 'odd' };

  it('has the documented shape: format_version, state, summary, changes, warnings, diagnostics', () => {
    const json = planToJson(plan([create, update, same], state, { ...ALL, prune: true }), [warning]);
    expect(json).toEqual({
      format_version: '1.0',
      tool: { name: 'micro1-sync', version: VERSION },
      state: { lineage: '6d3c1f0e-1111-4222-8333-944455556666', serial: 7 },
      summary: { create: 1, update: 1, delete: 1, no_op: 1 },
      changes: [
        {
          key: 'eng/fe',
          file: 'interviews/eng/fe.yaml',
          id: 'id-fe',
          action: 'update',
          before: updateBefore,
          after: update.body,
          changed_fields: ['interview_name', 'skills', 'interview_language'],
          reset_fields: ['interview_language'],
          unknown_fields: [],
          source_hash: 'sha256:eng/fe',
          sources: { 'interviews/eng/fe.yaml': 'f1', 'interviews/_shared/eng.yaml': 's1' },
          via: [],
          moved_from: null,
          note: null,
        },
        {
          key: 'eng/go',
          file: 'interviews/eng/go.yaml',
          id: null,
          action: 'create',
          before: null,
          after: create.body,
          changed_fields: ['interview_name', 'only_coding_round'],
          reset_fields: [],
          unknown_fields: [],
          source_hash: 'sha256:eng/go',
          sources: { 'interviews/eng/go.yaml': 'hash-of-eng/go' },
          via: [],
          moved_from: null,
          note: null,
        },
        {
          key: 'gone',
          file: 'interviews/gone.yaml',
          id: 'id-gone',
          action: 'delete',
          before: state.interviews.gone!.spec,
          after: null,
          changed_fields: [],
          reset_fields: [],
          unknown_fields: [],
          source_hash: null,
          sources: {},
          via: [],
          moved_from: null,
          note: null,
        },
      ],
      warnings: [],
      diagnostics: [warning],
    });
  });

  it('sends the full canonical body as after, every field present', () => {
    const json = planToJson(plan([create], emptyState(), ALL), []);
    expect(Object.keys(json.changes[0]!.after!)).toEqual([
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
    ]);
  });

  it('lists warnings, notes and moves', () => {
    const adopt = definition('design/pd', { interview_name: 'PD' }, { id: 'live-1' });
    const moved = definition('new/api', { interview_name: 'API' }, { id: 'id-api' });
    const movedState = stateOf({
      'old/api': appliedEntry(definition('old/api', { interview_name: 'API' }), 'id-api'),
      left: appliedEntry(definition('left', { interview_name: 'L' }), 'id-left'),
    });
    const json = planToJson(plan([adopt, moved], movedState, ALL), []);
    expect(json.summary).toEqual({ create: 0, update: 1, delete: 0, no_op: 1 });
    expect(json.changes.map((c) => [c.key, c.action, c.id, c.moved_from, c.note])).toEqual([
      ['design/pd', 'update', 'live-1', null, 'adopts an existing micro1 interview: its fields are replaced by this file'],
      ['new/api', 'no-op', 'id-api', 'old/api', null],
    ]);
    expect(json.warnings).toEqual([
      {
        key: 'left',
        message: 'no longer managed: its file is gone, but id-left stays on micro1',
        hint: 'enable prune to delete it, or run `micro1 forget left` to drop it from state',
      },
    ]);
  });

  it('counts no-ops without listing them', () => {
    const json = planToJson(plan([same], state, ALL), []);
    expect(json.summary).toEqual({ create: 0, update: 0, delete: 0, no_op: 1 });
    expect(json.changes).toEqual([]);
  });

  it('survives a JSON round trip unchanged (no undefined anywhere)', () => {
    const json = planToJson(plan([create, update, same], state, { ...ALL, prune: true }), [warning]);
    expect(JSON.parse(JSON.stringify(json))).toStrictEqual(json);
  });
});
