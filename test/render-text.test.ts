import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../src/diagnostics.js';
import { plan, type Plan } from '../src/plan/planner.js';
import { renderDiagnosticsText, renderPlanText, summaryLine } from '../src/render/render-text.js';
import { emptyState } from '../src/state/state.js';
import { appliedEntry, body, definition, stateOf, stripAnsi } from './helpers.js';

const ALL = { prune: false, targets: [], excludes: [] };

/** One of everything: create, field and list-item updates, a reset, a word diff, adoption, a move, warnings. */
function mixedPlan(): Plan {
  const create = definition('eng/go', {
    interview_name: 'Go',
    skills: [{ name: 'Go' }],
    custom_question_list: [{ question: 'Why?', time: 2, type: 'audio' }],
    only_coding_round: true,
  });
  const update = definition('eng/fe', {
    interview_name: 'Frontend',
    skills: [{ name: 'React', description: 'Hooks' }, { name: 'CSS' }, { name: 'A11y' }],
    coding_exercise_details: 'Build a small accessible autocomplete component with debounced search and keyboard navigation.',
  });
  const updateBefore = body({
    interview_name: 'Front end',
    skills: [{ name: 'React', description: 'Hooks and context' }, { name: 'Vue' }, { name: 'A11y' }, { name: 'Old' }],
    coding_exercise_details: 'Build a small autocomplete component with search and fast keyboard navigation.',
    interview_language: 'fr',
  });
  const adopt = definition('design/pd', { interview_name: 'PD' }, { id: 'live-1' });
  const moved = definition('backend/api', { interview_name: 'API' }, { id: 'id-api' });
  const same = definition('same', { interview_name: 'Same' });
  const state = stateOf({
    'eng/fe': appliedEntry(update, 'id-fe', updateBefore),
    'old/api': appliedEntry(definition('old/api', { interview_name: 'API' }), 'id-api'),
    same: appliedEntry(same, 'id-same'),
    gone: appliedEntry(definition('gone', { interview_name: 'Gone' }), 'id-gone'),
  });
  return plan([create, update, adopt, moved, same], state, ALL);
}

describe('renderPlanText without colour', () => {
  it('renders every kind of change, Terraform style', () => {
    expect(renderPlanText(mixedPlan(), { color: false })).toBe(
      [
        'micro1 will perform the following actions:',
        '',
        '    backend/api  (no change, id id-api, moved from old/api)  interviews/backend/api.yaml',
        '',
        '  ~ design/pd  (update, id live-1)  interviews/design/pd.yaml',
        '      # adopts an existing micro1 interview: its fields are replaced by this file',
        '      + interview_name: "PD"',
        '      ~ coding_exercise_details: (unknown on micro1: never shown by the API) -> ""  # not in the file: apply refuses to clear it',
        '',
        '  ~ eng/fe  (update, id id-fe)  interviews/eng/fe.yaml',
        '      ~ interview_name: "Front end" -> "Frontend"',
        '      ~ skills[0].description: "Hooks and context" -> "Hooks"',
        '      ~ skills[1].name: "Vue" -> "CSS"',
        '      - skills[3]: {name: "Old"}',
        '      ~ interview_language: "fr" -> "en"  # not in the file: reset to the default',
        '      ~ coding_exercise_details:',
        '          Build a small {+accessible +}autocomplete component with {+debounced +}search and [-fast -]keyboard navigation.',
        '',
        '  + eng/go  (create)  interviews/eng/go.yaml',
        '      + interview_name: "Go"',
        '      + skills[0]: {name: "Go"}',
        '      + custom_question_list[0]: {question: "Why?", time: 2, type: "audio"}',
        '      + only_coding_round: true',
        '',
        'Warnings:',
        '  ! gone: no longer managed: its file is gone, but id-gone stays on micro1',
        '      enable prune to delete it, or run `micro1 forget gone` to drop it from state',
        '',
        'Plan: 1 to create, 2 to update, 0 to delete, 2 unchanged; 1 file moved.',
        '',
      ].join('\n'),
    );
  });

  it('renders a delete with the name of what goes', () => {
    const state = stateOf({ 'old/x': appliedEntry(definition('old/x', { interview_name: 'Old X' }), 'id-x') });
    expect(renderPlanText(plan([], state, { ...ALL, prune: true }), { color: false })).toBe(
      [
        'micro1 will perform the following actions:',
        '',
        '  - old/x  (delete, id id-x)  interviews/old/x.yaml',
        '      - interview_name: "Old X"',
        '',
        'Plan: 0 to create, 0 to update, 1 to delete, 0 unchanged.',
        '',
      ].join('\n'),
    );
  });

  it('says when an update comes only from a fragment, and word-diffs text over several lines', () => {
    const shared = 'interviews/_shared/eng.yaml';
    const before = definition('a', { interview_name: 'A', coding_exercise_details: 'Line one.\nLine two.' }, {
      fragments: [shared],
      sources: { 'interviews/a.yaml': 'same', [shared]: 'v1' },
    });
    const after = definition('a', { interview_name: 'A', coding_exercise_details: 'Line one.\nLine 2.' }, {
      fragments: [shared],
      sources: { 'interviews/a.yaml': 'same', [shared]: 'v2' },
    });
    expect(renderPlanText(plan([after], stateOf({ a: appliedEntry(before, 'id-a') }), ALL), { color: false })).toBe(
      [
        'Fragments changed since the last apply:',
        '  interviews/_shared/eng.yaml  1 interview changes only because of it',
        '',
        'micro1 will perform the following actions:',
        '',
        '  ~ a  (update, id id-a)  interviews/a.yaml',
        '      # only because a fragment changed: via interviews/_shared/eng.yaml',
        '      ~ coding_exercise_details:',
        '          Line one.',
        '          Line [-two-]{+2+}.',
        '',
        'Plan: 0 to create, 1 to update, 0 to delete, 0 unchanged.',
        '',
      ].join('\n'),
    );
  });

  it('renders added and removed list items and a reset list', () => {
    const def = definition('a', { interview_name: 'A', skills: [{ name: 'Go' }, { name: 'Rust' }] });
    const before = body({ interview_name: 'A', skills: [{ name: 'Go' }], custom_question_list: [{ question: 'Q?', time: 1, type: 'text' }] });
    expect(renderPlanText(plan([def], stateOf({ a: appliedEntry(def, 'id-a', before) }), ALL), { color: false })).toBe(
      [
        'micro1 will perform the following actions:',
        '',
        '  ~ a  (update, id id-a)  interviews/a.yaml',
        '      + skills[1]: {name: "Rust"}',
        '      - custom_question_list[0]: {question: "Q?", time: 1, type: "text"}',
        '',
        'Plan: 0 to create, 1 to update, 0 to delete, 0 unchanged.',
        '',
      ].join('\n'),
    );
  });

  it('says "No changes" and how many match', () => {
    const a = definition('a', { interview_name: 'A' });
    const b = definition('b', { interview_name: 'B' });
    expect(renderPlanText(plan([a], stateOf({ a: appliedEntry(a, '1') }), ALL), { color: false })).toBe('No changes. 1 interview already matches micro1.\n');
    expect(renderPlanText(plan([a, b], stateOf({ a: appliedEntry(a, '1'), b: appliedEntry(b, '2') }), ALL), { color: false })).toBe(
      'No changes. 2 interviews already match micro1.\n',
    );
    expect(renderPlanText(plan([], emptyState(), ALL), { color: false })).toBe('No changes. 0 interviews already match micro1.\n');
  });

  it('shows warnings even when nothing changes', () => {
    const a = definition('a', { interview_name: 'A' });
    expect(renderPlanText(plan([a], stateOf({ a: appliedEntry(a, '1') }), { ...ALL, targets: ['nope'] }), { color: false })).toBe(
      [
        'Warnings:',
        '  ! nope: --target nope matches no interview',
        '      a target is a key (path under the interviews folder, no extension), a folder or a glob',
        '',
        'No changes. 0 interviews already match micro1.',
        '',
      ].join('\n'),
    );
  });

  it('has no escape codes at all', () => {
    // eslint-disable-next-line no-control-regex
    expect(renderPlanText(mixedPlan(), { color: false })).not.toMatch(/\x1b/);
  });
});

describe('renderPlanText with colour', () => {
  it('paints symbols, keys and word changes, and says the same once stripped', () => {
    const text = renderPlanText(mixedPlan(), { color: true });
    expect(stripAnsi(text)).toBe(renderPlanText(mixedPlan(), { color: false }));
    expect(text).toContain('  \x1b[32m+\x1b[39m \x1b[1meng/go\x1b[22m  (create)  \x1b[2minterviews/eng/go.yaml\x1b[22m\n');
    expect(text).toContain('      \x1b[33m~\x1b[39m skills[1].name: "Vue" -> "CSS"\n');
    expect(text).toContain('      \x1b[31m-\x1b[39m skills[3]: {name: "Old"}\n');
    expect(text).toContain('\x1b[32m{+accessible +}\x1b[39m');
    expect(text).toContain('\x1b[31m[-fast -]\x1b[39m');
    expect(text).toContain('  \x1b[33m!\x1b[39m gone: no longer managed');
  });
});

describe('summaryLine', () => {
  it('counts each action', () => {
    const defs = [definition('a', { interview_name: 'A' }), definition('b', { interview_name: 'B' })];
    const state = stateOf({ b: appliedEntry(defs[1]!, '2'), c: appliedEntry(definition('c', { interview_name: 'C' }), '3') });
    expect(summaryLine(plan(defs, state, { ...ALL, prune: true }))).toBe('Plan: 1 to create, 0 to update, 1 to delete, 1 unchanged.');
  });
});

describe('renderDiagnosticsText', () => {
  const diagnostics: Diagnostic[] = [
    { severity: 'error', file: 'interviews/a.yaml', line: 2, column: 1, path: 'colour', message: 'unknown field "colour"', hint: 'did you mean "color"?' },
    { severity: 'warning', file: 'interviews/b.yaml', line: 1, column: 1, path: '', message: 'something odd' },
  ];

  it('prints one line per diagnostic without colour', () => {
    expect(renderDiagnosticsText(diagnostics, { color: false })).toBe(
      'interviews/a.yaml:2:1  colour  unknown field "colour" (did you mean "color"?)\ninterviews/b.yaml:1:1  warning: something odd',
    );
  });

  it('paints errors red and warnings yellow only when asked', () => {
    expect(renderDiagnosticsText(diagnostics, { color: true })).toBe(
      '\x1b[31minterviews/a.yaml:2:1  colour  unknown field "colour" (did you mean "color"?)\x1b[39m\n\x1b[33minterviews/b.yaml:1:1  warning: something odd\x1b[39m',
    );
  });
});
