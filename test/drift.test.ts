import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectDrift, refreshedState } from '../src/plan/drift.js';
import { toListItem } from '../src/api/list-shape.js';
import { plan } from '../src/plan/planner.js';
import { renderDriftText } from '../src/render/render-drift.js';
import type { Sandbox } from '../src/sandbox/sandbox.js';
import { API_KEY, apply, env, project, readStateFile, sandbox } from './apply-harness.js';
import { appliedEntry, body, definition, runCli, stateOf } from './helpers.js';

/** `plan --refresh`: drift found by a pure function from state and the live list, reported in every format. */

const ALL = { prune: false, targets: [], excludes: [] };
const META = { invite_url: 'https://interview.micro1.ai/intro/micro1?uid=x', date_created: '2024-01-01 00:00:00', date_modified: '2024-01-02 00:00:00' };

const A = definition('eng/a', { interview_name: 'A', skills: [{ name: 'Go', description: 'services' }], interview_language: 'fr', coding_exercise_details: 'Build it.' });
const B = definition('eng/b', { interview_name: 'B' });
const C = definition('sales/c', { interview_name: 'C', custom_question_list: [{ question: 'Why?', time: 2, type: 'audio' }] });
const STATE = stateOf({ 'eng/a': appliedEntry(A, 'id-a'), 'eng/b': appliedEntry(B, 'id-b'), 'sales/c': appliedEntry(C, 'id-c') });

/** What GET /interviews shows for a body. */
const live = (id: string, fields: Parameters<typeof body>[0]) => toListItem(id, body(fields), META);

describe('detectDrift', () => {
  it('finds nothing when micro1 lists what was applied, in its own shape (seconds, display names)', () => {
    const items = [live('id-a', A.body), live('id-b', B.body), live('id-c', C.body)];
    expect(items[2]).toMatchObject({ custom_questions: [{ question: 'Why?', time: 120, type: 'audio' }], interview_language: 'English' });
    expect(detectDrift(STATE, items)).toEqual({ changed: [], deleted: [], warnings: [], checked: 3, unmanaged: 0 });
  });

  it('reports each interview changed outside git field by field, and each one deleted', () => {
    const changedA = live('id-a', { ...A.body, interview_language: 'de', skills: [{ name: 'Go', description: 'services' }, { name: 'Rust' }] });
    const drift = detectDrift(STATE, [changedA, live('id-c', C.body), live('id-other', { interview_name: 'Not ours' })]);
    expect(drift).toEqual({
      changed: [
        {
          key: 'eng/a',
          file: 'interviews/eng/a.yaml',
          id: 'id-a',
          fields: [
            { field: 'skills', applied: [{ name: 'Go', description: 'services' }], live: [{ name: 'Go', description: 'services' }, { name: 'Rust' }] },
            { field: 'interview_language', applied: 'fr', live: 'de' },
          ],
          live: expect.objectContaining({ interview_language: 'de' }) as unknown,
        },
      ],
      deleted: [{ key: 'eng/b', file: 'interviews/eng/b.yaml', id: 'id-b' }],
      warnings: [],
      checked: 3,
      unmanaged: 1,
    });
  });

  it('cannot see coding_exercise_details (the list has none) and reads an empty description as none', () => {
    const withEmpty = { ...live('id-a', A.body), skills: [{ name: 'Go', description: 'services' }] };
    const b = { ...live('id-b', B.body), skills: [] };
    const bState = stateOf({ 'eng/b': appliedEntry(B, 'id-b', body({ interview_name: 'B', skills: [] })) });
    expect(detectDrift(stateOf({ 'eng/a': appliedEntry(A, 'id-a', { ...A.body, coding_exercise_details: 'changed?' }) }), [withEmpty]).changed).toEqual([]);
    expect(detectDrift(bState, [{ ...b, skills: [{ name: 'X', description: '' }] }]).changed[0]!.fields).toEqual([{ field: 'skills', applied: [], live: [{ name: 'X' }] }]);
  });

  it('warns when a live value cannot be read, and compares it as its default', () => {
    const drift = detectDrift(stateOf({ 'eng/b': appliedEntry(B, 'id-b') }), [{ ...live('id-b', B.body), interview_language: 'Klingon' }]);
    expect(drift.changed).toEqual([]);
    expect(drift.warnings).toEqual([{ key: 'eng/b', message: 'interview_language is "Klingon", not a value micro1 documents; left out, so the default "en" applies' }]);
  });

  it('keeps to --target and --exclude, counts an interview listed twice once, and ignores items without an id', () => {
    const items = [live('id-a', { ...A.body, interview_name: 'A2' }), live('id-a', A.body), { interview_name: 'no id' }, live('x', { interview_name: 'X' })];
    const scoped = detectDrift(STATE, items, { targets: ['eng'], excludes: ['eng/b'] });
    expect([scoped.checked, scoped.changed.map((c) => c.key), scoped.deleted.map((d) => d.key), scoped.unmanaged]).toEqual([1, ['eng/a'], [], 1]);
  });
});

describe('refreshedState', () => {
  it('takes the live fields of a changed interview (keeping its coding_exercise_details) and drops a deleted one', () => {
    const changedA = live('id-a', { ...A.body, interview_language: 'de' });
    const drift = detectDrift(STATE, [changedA, live('id-c', C.body)]);
    const frozen = structuredClone(STATE);
    const refreshed = refreshedState(STATE, drift);
    expect(STATE).toEqual(frozen);
    expect(Object.keys(refreshed.interviews)).toEqual(['eng/a', 'sales/c']);
    expect(refreshed.interviews['eng/a']!.spec).toEqual({ ...A.body, interview_language: 'de', coding_exercise_details: 'Build it.' });
    expect(Object.keys(refreshed.interviews['eng/a']!.spec)).toEqual(Object.keys(A.body));
    expect(refreshed.interviews['sales/c']).toBe(STATE.interviews['sales/c']);

    // Planned from it: the change is put back, the deleted one is created anew.
    const planned = plan([A, B, C], refreshed, ALL);
    expect(planned.changes.map((c) => [c.key, c.action, c.fields.map((f) => [f.field, f.before, f.after])])).toEqual([
      ['eng/a', 'update', [['interview_language', 'de', 'fr']]],
      ['eng/b', 'create', [['interview_name', undefined, 'B']]],
      ['sales/c', 'no-op', []],
    ]);
  });

  it('renders what the plan does about each deleted interview: create again, a pinned id to remove, a file gone', () => {
    const pinned = definition('eng/b', { interview_name: 'B' }, { id: 'id-b' });
    const state = stateOf({ 'eng/b': appliedEntry(pinned, 'id-b'), 'old/gone': appliedEntry(definition('old/gone', { interview_name: 'Gone' }), 'id-gone') });
    const drift = detectDrift(state, []);
    expect(renderDriftText(drift, plan([pinned], refreshedState(state, drift), ALL), { color: false })).toBe(
      [
        'Changed outside git since the last apply (micro1 differs from the state):',
        '',
        '  - eng/b  (deleted on micro1, id id-b)  interviews/eng/b.yaml',
        '      # interviews/eng/b.yaml pins this id, which micro1 no longer has: remove its `id:` line and run `micro1 state rm eng/b`, then `micro1 apply` creates it anew',
        '  - old/gone  (deleted on micro1, id id-gone)  interviews/old/gone.yaml',
        '      # no file manages it any more: `micro1 state rm old/gone` drops it from the state',
        '',
        'Drift: 0 changed and 2 deleted outside git, of 2 managed interviews.',
        '',
        '',
      ].join('\n'),
    );
  });
});

describe('micro1 plan --refresh', () => {
  const PINNED = '00000000-0000-4000-8000-00000000000c';
  const FILES = {
    'eng/a': 'interview_name: A\nskills:\n  - name: Go\ninterview_language: fr\n',
    'eng/b': 'interview_name: B\n',
    'design/c': `id: ${PINNED}\ninterview_name: C\ncoding_exercise_details: ""\n`,
    'sales/d': 'interview_name: D\n',
  };

  /** A project applied to a fresh sandbox, then changed on micro1 behind git's back. */
  async function drifted(): Promise<{ dir: string; box: Sandbox; ids: Record<string, string> }> {
    const box = await sandbox({ seed: [{ id: PINNED, body: { interview_name: 'C' } }] });
    const dir = project(FILES);
    await apply(dir, box);
    const ids = Object.fromEntries(box.interviews().map((i) => [i.body.interview_name, i.id]));
    await outside(box, 'PUT', `/interview/${ids.A!}`, { interview_language: 'de', skills: [{ name: 'Go' }, { name: 'Rust' }], coding_exercise_details: 'not listed' });
    await outside(box, 'DELETE', `/interview/${ids.B!}`);
    await outside(box, 'DELETE', `/interview/${PINNED}`);
    await outside(box, 'POST', '/interview', { interview_name: 'Made by hand' });
    return { dir, box, ids };
  }

  it('reports drift of each kind, then plans from what micro1 has', async () => {
    const { dir, box, ids } = await drifted();
    const sent = box.requests.length;
    expect(await runCli(['plan'], dir, { env: env(box) })).toEqual({ code: 0, stdout: `Target: ${box.url}\n\nNo changes. 4 interviews already match micro1.\n`, stderr: '' });
    const result = await runCli(['plan', '--refresh', '--detailed-exitcode'], dir, { env: env(box) });
    expect(result).toEqual({
      code: 2,
      stderr: '',
      stdout: [
        'Changed outside git since the last apply (micro1 differs from the state):',
        '',
        `  - design/c  (deleted on micro1, id ${PINNED})  interviews/design/c.yaml`,
        '      # interviews/design/c.yaml pins this id, which micro1 no longer has: remove its `id:` line and run `micro1 state rm design/c`, then `micro1 apply` creates it anew',
        `  ~ eng/a  (changed on micro1, id ${ids.A!})  interviews/eng/a.yaml`,
        '      + skills[1]: {name: "Rust"}',
        '      ~ interview_language: "fr" -> "de"',
        `  - eng/b  (deleted on micro1, id ${ids.B!})  interviews/eng/b.yaml`,
        '      # a plain `micro1 apply` still takes it as there (the state records it): run `micro1 state rm eng/b` first, or apply this plan saved with `--out FILE`, to create it again from its file',
        '',
        'Drift: 1 changed and 2 deleted outside git, of 4 managed interviews. 1 interview on micro1 is not managed here (`micro1 import` writes files for them).',
        '',
        `Target: ${box.url}`,
        '',
        'micro1 will perform the following actions:',
        '',
        `  ~ design/c  (update, id ${PINNED})  interviews/design/c.yaml`,
        '      # adopts an existing micro1 interview: its fields are replaced by this file',
        '      + interview_name: "C"',
        '      ~ coding_exercise_details: (unknown on micro1: never shown by the API) -> ""',
        '',
        `  ~ eng/a  (update, id ${ids.A!})  interviews/eng/a.yaml`,
        '      - skills[1]: {name: "Rust"}',
        '      ~ interview_language: "de" -> "fr"',
        '',
        '  + eng/b  (create)  interviews/eng/b.yaml',
        '      + interview_name: "B"',
        '',
        'Warnings:',
        `  ! design/c: interviews/design/c.yaml pins ${PINNED}, which micro1 no longer lists (deleted outside git): apply would send an update that fails with 404`,
        '      to create it anew, remove the `id:` line from interviews/design/c.yaml and run `micro1 state rm design/c`; then `micro1 plan` shows the create',
        '',
        'Plan: 1 to create, 2 to update, 0 to delete, 1 unchanged.',
        '',
      ].join('\n'),
    });
    // Only the listing (its first page was short, so one more confirms the end); nothing written to micro1 or the state.
    expect(box.requests.slice(sent).map((r) => `${r.method} ${r.path}`)).toEqual(['GET /interviews', 'GET /interviews']);
    expect(readStateFile(dir).serial).toBe(1);
  });

  it('--json carries the drift beside the plan', async () => {
    const { dir, box, ids } = await drifted();
    const result = await runCli(['plan', '--refresh', '--json'], dir, { env: env(box) });
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout) as { drift: unknown; summary: unknown; changes: { key: string; action: string }[] };
    expect(json.drift).toEqual({
      checked: 4,
      unmanaged: 1,
      changed: [
        {
          key: 'eng/a',
          file: 'interviews/eng/a.yaml',
          id: ids.A,
          fields: [
            { field: 'skills', applied: [{ name: 'Go' }], live: [{ name: 'Go' }, { name: 'Rust' }] },
            { field: 'interview_language', applied: 'fr', live: 'de' },
          ],
        },
      ],
      deleted: [
        { key: 'design/c', file: 'interviews/design/c.yaml', id: PINNED },
        { key: 'eng/b', file: 'interviews/eng/b.yaml', id: ids.B },
      ],
      warnings: [],
    });
    expect(json.summary).toEqual({ create: 1, update: 2, delete: 0, no_op: 1 });
    expect(json.changes.map((c) => [c.key, c.action])).toEqual([
      ['design/c', 'update'],
      ['eng/a', 'update'],
      ['eng/b', 'create'],
    ]);
    // Without --refresh the JSON has no drift key at all.
    expect(JSON.parse((await runCli(['plan', '--json'], dir)).stdout)).not.toHaveProperty('drift');
  });

  it('--format markdown has a section for the drift', async () => {
    const { dir, box, ids } = await drifted();
    const result = await runCli(['plan', '--refresh', '--format', 'markdown'], dir, { env: env(box) });
    expect(result.code).toBe(0);
    const [head, rest] = result.stdout.split('\n#### Changes\n');
    expect(head).toBe(
      [
        '<!-- micro1-sync-plan -->',
        '### micro1 plan',
        '',
        '**Plan: 1 to create, 2 to update, 0 to delete, 1 unchanged.**',
        '',
        `Target: \`${box.url}\``,
        '',
        'Drift: 1 changed and 2 deleted outside git, of 4 managed interviews. 1 interview on micro1 is not managed here (`micro1 import` writes files for them).',
        '',
        '#### Warnings',
        '',
        `- \`design/c\`: interviews/design/c.yaml pins ${PINNED}, which micro1 no longer lists (deleted outside git): apply would send an update that fails with 404<br>to create it anew, remove the \`id:\` line from interviews/design/c.yaml and run \`micro1 state rm design/c\`; then \`micro1 plan\` shows the create`,
        '',
        '#### Changed outside git',
        '',
        `- \`design/c\` deleted on micro1 (id \`${PINNED}\`): interviews/design/c.yaml pins this id, which micro1 no longer has: remove its \`id:\` line and run \`micro1 state rm design/c\`, then \`micro1 apply\` creates it anew`,
        `- \`eng/a\` changed on micro1 (id \`${ids.A!}\`): \`skills\` \`[{name: "Go"}]\` → \`[{name: "Go"}, {name: "Rust"}]\`; \`interview_language\` \`"fr"\` → \`"de"\``,
        `- \`eng/b\` deleted on micro1 (id \`${ids.B!}\`): a plain \`micro1 apply\` still takes it as there (the state records it): run \`micro1 state rm eng/b\` first, or apply this plan saved with \`--out FILE\`, to create it again from its file`,
        '',
      ].join('\n'),
    );
    expect(rest).toContain('<b>eng/b</b> (create)');
  });

  it('a saved refreshed plan, applied, puts micro1 back as the files say', async () => {
    const { dir, box, ids } = await drifted();
    rmSync(path.join(dir, 'interviews/design/c.yaml'));
    expect((await runCli(['plan', '--refresh', '--out', 'refresh.json'], dir, { env: env(box) })).code).toBe(0);
    const { outcome } = await apply(dir, box, { planFile: 'refresh.json' });
    expect(outcome.kind === 'applied' && outcome.result).toMatchObject({ created: 1, updated: 1, failures: [] });
    expect(box.interviews().find((i) => i.id === ids.A)!.body).toMatchObject({ interview_language: 'fr', skills: [{ name: 'Go' }], coding_exercise_details: '' });
    const after = await runCli(['plan', '--refresh'], dir, { env: env(box) });
    expect(after.stdout).toBe(
      [
        'Changed outside git since the last apply (micro1 differs from the state):',
        '',
        `  - design/c  (deleted on micro1, id ${PINNED})  interviews/design/c.yaml`,
        '      # no file manages it any more: `micro1 state rm design/c` drops it from the state',
        '',
        'Drift: 0 changed and 1 deleted outside git, of 4 managed interviews. 1 interview on micro1 is not managed here (`micro1 import` writes files for them).',
        '',
        `Target: ${box.url}`,
        '',
        'No changes. 3 interviews already match micro1.',
        '',
      ].join('\n'),
    );
    await runCli(['state', 'rm', 'design/c'], dir);
    expect((await runCli(['plan', '--refresh', '--detailed-exitcode'], dir, { env: env(box) })).stdout).toBe(
      `No drift: 3 managed interviews match micro1. 1 interview on micro1 is not managed here (\`micro1 import\` writes files for them).\n\nTarget: ${box.url}\n\nNo changes. 3 interviews already match micro1.\n`,
    );
  });

  it('needs the API key, and says so before any request', async () => {
    const box = await sandbox();
    const dir = project({ a: 'interview_name: A\n' });
    expect(await runCli(['plan', '--refresh'], dir, { env: { MICRO1_API_URL: box.url } })).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error: No API key: the environment variable MICRO1_API_KEY is not set\n  export MICRO1_API_KEY=<your micro1 API key> (the key is never read from a file)\n',
    });
    expect(box.requests).toEqual([]);
    expect(existsSync(path.join(dir, '.micro1'))).toBe(false);
  });

  it('stops on a refused key like apply, naming the status and writing nothing', async () => {
    const box = await sandbox();
    const dir = project({ a: 'interview_name: A\n' });
    const result = await runCli(['plan', '--refresh'], dir, { env: { MICRO1_API_URL: box.url, MICRO1_API_KEY: 'wrong-key-0000' } });
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error: Cannot read the interviews on micro1 (GET /interviews, page 1): micro1 refused the API key (401: Invalid API key)\n  check the API key in the environment\n',
    });
    expect(box.requests).toHaveLength(1);
    expect(existsSync(path.join(dir, '.micro1'))).toBe(false);
  });
});

async function outside(box: Sandbox, method: string, route: string, payload?: unknown): Promise<void> {
  const response = await fetch(`${box.url}${route}`, {
    method,
    headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
    ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
  });
  expect(response.status).toBe(200);
}
