import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock } from '../src/state/lock.js';
import { keyProblem, moveInState, removeFromState } from '../src/state/state-edits.js';
import { serializeState, type State } from '../src/state/state.js';
import { apply, calls, env, project, readStateFile, sandbox } from './apply-harness.js';
import { appliedEntry, body, definition, fixture, runCli, stateOf } from './helpers.js';

/** `micro1 state list | show | rm | mv`, and a moved file that pins its id recorded as a move, end to end. */

const GO = definition('eng/go', { interview_name: 'Go Engineer', skills: [{ name: 'Go', description: 'services' }], interview_language: 'fr' }, { fragments: ['interviews/_shared/eng.yaml'], sources: { 'interviews/eng/go.yaml': 'g1', 'interviews/_shared/eng.yaml': 's1' } });
const PD = definition('design/pd', { interview_name: 'Product Designer' });
const STATE: State = stateOf(
  { 'eng/go': appliedEntry(GO, 'id-go'), 'design/pd': appliedEntry(PD, 'id-pd-0001') },
  { pending: [{ key: 'sales/ae', interview_name: 'Account Executive', spec: body({ interview_name: 'Account Executive' }), sourceHash: 'sha256:ae', startedAt: '2024-05-02T09:00:00.000Z' }] },
);

/** A project whose state file holds STATE, and whose interviews folder holds `files`. */
function withState(files: Record<string, string> = {}, state: State = STATE): string {
  const root = fixture({ 'interviews/.keep': '', ...Object.fromEntries(Object.entries(files).map(([k, v]) => [`interviews/${k}.yaml`, v])) });
  mkdirSync(path.join(root, '.micro1'));
  writeFileSync(path.join(root, '.micro1/state.json'), serializeState(state));
  return root;
}

function stateFile(root: string): State {
  return JSON.parse(readFileSync(path.join(root, '.micro1/state.json'), 'utf8')) as State;
}

describe('micro1 state list', () => {
  it('lists every managed interview with its id, then the unconfirmed creates', async () => {
    expect(await runCli(['state', 'list'], withState())).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        'design/pd  id-pd-0001  applied 2024-05-01T12:00:00.000Z',
        'eng/go     id-go       applied 2024-05-01T12:00:00.000Z',
        'Unconfirmed creates (the next apply looks them up on micro1 by name):',
        '  sales/ae  "Account Executive"  sent 2024-05-02T09:00:00.000Z',
        '2 interviews in .micro1/state.json (serial 7).',
        '',
      ].join('\n'),
    });
  });

  it('--json', async () => {
    const result = await runCli(['state', 'list', '--json'], withState());
    expect(JSON.parse(result.stdout)).toEqual({
      lineage: STATE.lineage,
      serial: 7,
      interviews: [
        { key: 'design/pd', id: 'id-pd-0001', applied_at: '2024-05-01T12:00:00.000Z' },
        { key: 'eng/go', id: 'id-go', applied_at: '2024-05-01T12:00:00.000Z' },
      ],
      pending: [{ key: 'sales/ae', interview_name: 'Account Executive', started_at: '2024-05-02T09:00:00.000Z' }],
    });
  });

  it('says when there is no state yet', async () => {
    expect(await runCli(['state', 'list'], fixture({ 'interviews/.keep': '' }))).toEqual({ code: 0, stdout: '0 interviews in .micro1/state.json (never written).\n', stderr: '' });
  });
});

describe('micro1 state show', () => {
  it('shows one entry: id, file, sources and the body last applied', async () => {
    expect(await runCli(['state', 'show', 'eng/go'], withState({ 'eng/go': 'interview_name: Go Engineer\n' }))).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        'eng/go',
        '  id:          id-go',
        '  file:        interviews/eng/go.yaml',
        '  sources:     interviews/_shared/eng.yaml, interviews/eng/go.yaml',
        '  applied at:  2024-05-01T12:00:00.000Z',
        '  invite link: (none recorded: `micro1 links --refresh` reads it from micro1)',
        '  source hash: sha256:eng/go',
        '  last applied body:',
        '    interview_name: "Go Engineer"',
        '    skills: [{name: "Go", description: "services"}]',
        '    custom_question_list: []',
        '    interview_language: "fr"',
        '    can_change_interview_language: false',
        '    only_coding_round: false',
        '    is_coding_round_required: false',
        '    selected_coding_language: "user_choice"',
        '    coding_exercise_details: ""',
        '    is_proctoring_required: true',
        '',
      ].join('\n'),
    });
  });

  it('--json prints the entry as stored', async () => {
    const result = await runCli(['state', 'show', 'design/pd', '--json'], withState());
    expect(JSON.parse(result.stdout)).toEqual({ key: 'design/pd', ...JSON.parse(serializeState(STATE)).interviews['design/pd'] });
  });

  it('names a key it does not hold, with the closest one', async () => {
    expect(await runCli(['state', 'show', 'eng/goo'], withState())).toEqual({ code: 1, stdout: '', stderr: 'Error: eng/goo is not in the state\n  did you mean eng/go?\n' });
    expect(await runCli(['state', 'show', 'sales/ae'], withState())).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error: sales/ae is only an unconfirmed create in the state\n  `micro1 apply` looks it up on micro1 and records it\n',
    });
  });
});

describe('micro1 state rm', () => {
  it('drops entries under the lock, atomically, with the next serial, and says what happens to a file still there', async () => {
    const root = withState({ 'eng/go': 'interview_name: Go Engineer\n' });
    expect(await runCli(['state', 'rm', 'eng/go', 'design/pd'], root)).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        'Removed eng/go (id id-go) from .micro1/state.json; it stays on micro1, no longer managed.',
        '  interviews/eng/go.yaml still exists: the next plan creates a second interview from it; pin `id: id-go` in it to manage this one again, or delete the file.',
        'Removed design/pd (id id-pd-0001) from .micro1/state.json; it stays on micro1, no longer managed.',
        '',
      ].join('\n'),
    });
    const after = stateFile(root);
    expect([after.lineage, after.serial, Object.keys(after.interviews), after.pending.length]).toEqual([STATE.lineage, 8, [], 1]);
    // Written whole, through a temp file: nothing but the state is left in its folder.
    expect(readdirSync(path.join(root, '.micro1'))).toEqual(['state.json']);
    expect((await runCli(['plan'], root)).stdout).toContain('  + eng/go  (create)  interviews/eng/go.yaml');
  });

  it('says when a file still there pins the id: the next plan adopts it again', async () => {
    const root = withState({ 'design/pd': 'id: id-pd-0001\ninterview_name: Product Designer\n' });
    expect((await runCli(['state', 'rm', 'design/pd'], root)).stdout).toBe(
      'Removed design/pd (id id-pd-0001) from .micro1/state.json; it stays on micro1, no longer managed.\n' +
        '  interviews/design/pd.yaml still pins it: the next plan adopts it again; delete the file to stop managing it.\n',
    );
    expect((await runCli(['plan'], root)).stdout).toContain('  ~ design/pd  (update, id id-pd-0001)  interviews/design/pd.yaml\n      # adopts an existing micro1 interview');
  });

  it('drops an unconfirmed create', async () => {
    const root = withState();
    expect((await runCli(['state', 'rm', 'sales/ae'], root)).stdout).toBe('Removed the unconfirmed create of sales/ae from .micro1/state.json.\n');
    expect(stateFile(root).pending).toEqual([]);
  });

  it('changes nothing when one key is unknown', async () => {
    const root = withState();
    const before = readFileSync(path.join(root, '.micro1/state.json'), 'utf8');
    expect(await runCli(['state', 'rm', 'design/pd', 'eng/gone'], root)).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error: eng/gone is not in the state\n  did you mean eng/go?\n',
    });
    expect(readFileSync(path.join(root, '.micro1/state.json'), 'utf8')).toBe(before);
  });

  it('fails fast while another process holds the lock', async () => {
    const root = withState();
    const lock = acquireLock(path.join(root, '.micro1/state.json.lock'), 'apply');
    try {
      const result = await runCli(['state', 'rm', 'eng/go'], root);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^Error: The state is locked: apply by .+ \(pid \d+\) since .+, still running\n  wait for it to finish/);
    } finally {
      lock.release();
    }
    expect(Object.keys(stateFile(root).interviews)).toEqual(['design/pd', 'eng/go']);
  });
});

describe('micro1 state mv', () => {
  it('records an interview under its new key after a rename without a pinned id: the plan goes from create + warning to no change', async () => {
    const box = await sandbox();
    const dir = project({ 'eng/go': 'interview_name: Go Engineer\n' });
    await apply(dir, box);
    const { id } = readStateFile(dir).interviews['eng/go']!;
    renameSync(path.join(dir, 'interviews/eng/go.yaml'), path.join(dir, 'interviews/eng/golang.yaml'));
    expect((await runCli(['plan'], dir, { env: env(box) })).stdout).toBe(
      [
        `Target: ${box.url}`,
        '',
        'micro1 will perform the following actions:',
        '',
        '  + eng/golang  (create)  interviews/eng/golang.yaml',
        '      + interview_name: "Go Engineer"',
        '',
        'Warnings:',
        `  ! eng/go: no longer managed: its file is gone, but ${id} stays on micro1`,
        `      if interviews/eng/go.yaml was renamed to interviews/eng/golang.yaml, run \`micro1 state mv eng/go eng/golang\` to keep managing ${id} under the new name instead of creating a second interview`,
        '',
        'Plan: 1 to create, 0 to update, 0 to delete, 0 unchanged.',
        '',
      ].join('\n'),
    );
    expect(await runCli(['state', 'mv', 'eng/go', 'eng/golang'], dir)).toEqual({ code: 0, stdout: `Moved eng/go to eng/golang (id ${id}) in .micro1/state.json.\n`, stderr: '' });
    expect(await runCli(['plan', '--detailed-exitcode'], dir, { env: env(box) })).toEqual({ code: 0, stdout: `Target: ${box.url}\n\nNo changes. 1 interview already matches micro1.\n`, stderr: '' });
    expect(readStateFile(dir).serial).toBe(2);
  });

  it('says when the files do not match the move yet', async () => {
    const root = withState({ 'eng/go': 'interview_name: Go Engineer\n' });
    expect(await runCli(['state', 'mv', 'eng/go', 'eng/golang'], root)).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        'Moved eng/go to eng/golang (id id-go) in .micro1/state.json.',
        '  No file interviews/eng/golang.yaml yet: rename the definition file too, or the next plan sees it as gone.',
        '  interviews/eng/go.yaml still exists: the next plan creates it as a new interview.',
        '',
      ].join('\n'),
    });
  });

  it('refuses an unknown source, a taken target and a target that is no key, changing nothing', async () => {
    const root = withState();
    const before = readFileSync(path.join(root, '.micro1/state.json'), 'utf8');
    expect((await runCli(['state', 'mv', 'eng/gogo', 'x'], root)).stderr).toBe('Error: eng/gogo is not in the state\n  did you mean eng/go?\n');
    expect((await runCli(['state', 'mv', 'eng/go', 'design/pd'], root)).stderr).toBe('Error: design/pd is already in the state (id id-pd-0001)\n  `micro1 state rm design/pd` first if that entry is stale\n');
    expect((await runCli(['state', 'mv', 'eng/go', '../go'], root)).stderr).toBe(
      'Error: "../go" is not an interview key: it has an empty, "." or ".." segment\n  a key is the file path under the interviews folder without extension, e.g. engineering/backend\n',
    );
    expect(readFileSync(path.join(root, '.micro1/state.json'), 'utf8')).toBe(before);
  });
});

describe('micro1 state usage', () => {
  it('explains a missing or unknown subcommand and a wrong number of keys', async () => {
    const root = withState();
    expect(await runCli(['state'], root)).toEqual({ code: 1, stdout: '', stderr: 'Error: state needs a subcommand: list, show, rm, mv or merge\n  run `micro1 state --help` for usage\n' });
    expect((await runCli(['state', 'move', 'a', 'b'], root)).stderr).toBe('Error: Unknown state subcommand "move": use list, show, rm, mv or merge\n  run `micro1 state --help` for usage\n');
    expect((await runCli(['state', 'mv', 'a'], root)).stderr).toBe('Error: usage: micro1 state mv OLD NEW\n  run `micro1 state --help` for usage\n');
    expect((await runCli(['state', 'rm'], root)).stderr).toBe('Error: usage: micro1 state rm KEY...\n  run `micro1 state --help` for usage\n');
  });
});

describe('state edits (pure)', () => {
  it('remove and move return a new state and leave the input as it was', () => {
    const frozen = structuredClone(STATE);
    const removed = removeFromState(STATE, ['eng/go']);
    const moved = moveInState(STATE, 'eng/go', 'eng/golang');
    expect(STATE).toEqual(frozen);
    expect(removed.ok && Object.keys(removed.state.interviews)).toEqual(['design/pd']);
    expect(moved.ok && Object.keys(moved.state.interviews)).toEqual(['eng/golang', 'design/pd']);
    expect(moved.ok && moved.state.interviews['eng/golang']).toBe(STATE.interviews['eng/go']);
  });

  it('moves an unconfirmed create with its key', () => {
    const state = stateOf({ 'sales/ae': appliedEntry(definition('sales/ae', { interview_name: 'AE' }), 'id-ae') }, { pending: STATE.pending });
    const moved = moveInState(state, 'sales/ae', 'sales/account-executive');
    expect(moved.ok && moved.state.pending.map((p) => p.key)).toEqual(['sales/account-executive']);
  });

  it('knows what an interview key may be', () => {
    expect(['eng/go', 'a', 'a.b/c-d'].map(keyProblem)).toEqual([undefined, undefined, undefined]);
    expect(['', 'eng/go.yaml', '/abs', 'dir/', 'a\\b', 'a//b', './a', '_shared/x', 'eng/_drafts/x'].map(keyProblem)).toEqual([
      'it is empty',
      'leave out the .yaml extension',
      'use a relative path with forward slashes',
      'use a relative path with forward slashes',
      'use a relative path with forward slashes',
      'it has an empty, "." or ".." segment',
      'it has an empty, "." or ".." segment',
      'a name starting with "_" is a fragment, not an interview',
      'a name starting with "_" is a fragment, not an interview',
    ]);
  });
});

describe('a moved file that pins its id (rename detection), end to end', () => {
  const ID = '3f2b9c4e-8d1a-4f6b-9e2c-7a5d1b8e6f40';
  const DESIGNER = `id: ${ID}\ninterview_name: Product Designer\ncoding_exercise_details: ""\n`;

  it('is a state move, not a delete and a create: planned, applied without a request, listed under its new key', async () => {
    const box = await sandbox({ seed: [{ id: ID, body: { interview_name: 'Product Designer' } }] });
    const dir = project({ 'design/pd': DESIGNER }, { prune: true });
    await apply(dir, box);
    renameSync(path.join(dir, 'interviews/design/pd.yaml'), path.join(dir, 'interviews/design/product-designer.yaml'));
    const planned = await runCli(['plan', '--detailed-exitcode'], dir, { env: env(box) });
    expect(planned).toEqual({
      code: 2,
      stderr: '',
      stdout: [
        `Target: ${box.url}`,
        '',
        'micro1 will perform the following actions:',
        '',
        `    design/product-designer  (no change, id ${ID}, moved from design/pd)  interviews/design/product-designer.yaml`,
        '',
        'Plan: 0 to create, 0 to update, 0 to delete, 1 unchanged; 1 file moved.',
        '',
      ].join('\n'),
    });
    const sent = box.requests.length;
    const { outcome } = await apply(dir, box);
    expect(outcome.kind === 'applied' && outcome.result).toMatchObject({ created: 0, updated: 0, deleted: 0, failures: [] });
    expect(box.requests).toHaveLength(sent);
    expect((await runCli(['state', 'list'], dir)).stdout).toMatch(new RegExp(`^design/product-designer  ${ID}  applied `));
    expect(Object.keys(readStateFile(dir).interviews)).toEqual(['design/product-designer']);
    expect((await runCli(['plan', '--detailed-exitcode'], dir)).code).toBe(0);
  });

  it('moved and edited: one update, the state re-keyed', async () => {
    const box = await sandbox({ seed: [{ id: ID, body: { interview_name: 'Product Designer' } }] });
    const dir = project({ 'design/pd': DESIGNER }, { prune: true });
    await apply(dir, box);
    renameSync(path.join(dir, 'interviews/design/pd.yaml'), path.join(dir, 'interviews/design/senior.yaml'));
    writeFileSync(path.join(dir, 'interviews/design/senior.yaml'), `id: ${ID}\ninterview_name: Senior Product Designer\n`);
    expect((await runCli(['plan'], dir, { env: env(box) })).stdout).toBe(
      [
        `Target: ${box.url}`,
        '',
        'micro1 will perform the following actions:',
        '',
        `  ~ design/senior  (update, id ${ID}, moved from design/pd)  interviews/design/senior.yaml`,
        '      ~ interview_name: "Product Designer" -> "Senior Product Designer"',
        '',
        'Plan: 0 to create, 1 to update, 0 to delete, 0 unchanged; 1 file moved.',
        '',
      ].join('\n'),
    );
    const sent = box.requests.length;
    await apply(dir, box);
    expect(calls(box).slice(sent)).toEqual([`PUT /interview/${ID}`]);
    expect(Object.keys(readStateFile(dir).interviews)).toEqual(['design/senior']);
    expect(box.interviews()[0]!.body.interview_name).toBe('Senior Product Designer');
    expect(existsSync(path.join(dir, '.micro1/state.json.journal'))).toBe(false);
    expect((await runCli(['plan', '--detailed-exitcode'], dir, { env: env(box) })).code).toBe(0);
  });
});
