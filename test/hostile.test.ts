import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Fault } from '../src/sandbox/sandbox.js';
import { env, project, readStateFile, sandbox } from './apply-harness.js';
import { runBin } from './chaos-harness.js';
import { fixture, runCli } from './helpers.js';

/**
 * Issue 7, hostile input: each refused with a clear error (at its line and column where it has
 * one), no crash, in bounded time and memory, and nothing sent. Unit tests of the YAML guards live
 * in diagnostics.test.ts and of the state reader in state.test.ts; these go end to end through the
 * CLI with a sandbox that records every request.
 */

const MiB = 1024 * 1024;
/** Ids that would leave their path segment, or are not ids at all. */
const HOSTILE_IDS = ['../x', 'a/b', '%2e%2e', '..', 'x'.repeat(300), 'ａｄｍｉｎ', 'ok\u202egnp', 'a?b=c', 'a#b'];

function billionLaughs(): string {
  const lines = ['  a0: &a0 "lol"'];
  for (let i = 1; i < 10; i++) lines.push(`  a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(', ')}]`);
  return `interview_name: Bomb\nx-bomb:\n${lines.join('\n')}\n`;
}

/** Every file-level attack at once: the loader reports every problem in every file in one run. */
function hostileProject(): string {
  const dir = fixture({
    'micro1.config.json': JSON.stringify({ apply: { requestsPerSecond: 1000, maxRetries: 0 } }),
    'outside/secret.yaml': 'interview_name: Outside secret\n',
    'outside/_frag.yaml': 'interview_language: fr\n',
    'interviews/ok.yaml': 'interview_name: Fine\n',
    'interviews/bomb.yaml': billionLaughs(),
    'interviews/deep.yaml': `interview_name: Deep\nskills: ${'['.repeat(500_000)}${']'.repeat(500_000)}\n`,
    'interviews/wide.yaml': `interview_name: Wide\nskills: [${'a,'.repeat(500_000)}]\n`,
    'interviews/binary.yaml': Buffer.from('interview_name: Bin\nskills:\n  - name: a\0b\n'),
    'interviews/latin1.yaml': Buffer.concat([Buffer.from('interview_name: Caf'), Buffer.from([0xe9]), Buffer.from('\n')]),
    'interviews/dotdot.yaml': 'interview_name: Dots\nextends: ../../outside/_frag.yaml\n',
    'interviews/dotdot-list.yaml': 'interview_name: Dots2\nextends:\n  - _shared/../../outside/_frag.yaml\n',
    'interviews/via-link.yaml': 'interview_name: Via link\nextends: _shared/linked/_frag.yaml\n',
    'interviews/_shared/base.yaml': 'interview_language: de\n',
    ...Object.fromEntries(HOSTILE_IDS.map((id, i) => [`interviews/id-${i}.yaml`, `interview_name: Id ${i}\nid: ${JSON.stringify(id)}\n`])),
  });
  const interviews = path.join(dir, 'interviews');
  // 50 MB that would parse as YAML if read: only the size check keeps it out.
  const fd = openSync(path.join(interviews, 'huge.yaml'), 'w');
  writeSync(fd, 'interview_name: Huge\n');
  const comment = Buffer.alloc(MiB, '#');
  comment[MiB - 1] = 0x0a;
  for (let i = 0; i < 50; i++) writeSync(fd, comment);
  closeSync(fd);
  symlinkSync('../outside/secret.yaml', path.join(interviews, 'escape.yaml'));
  symlinkSync('../outside', path.join(interviews, 'linked'));
  symlinkSync('../../outside', path.join(interviews, '_shared/linked'));
  // Two links to their own folder: a walk that follows them visits 2^40 paths.
  symlinkSync('.', path.join(interviews, 'loop'));
  symlinkSync('.', path.join(interviews, 'loop2'));
  return dir;
}

describe('hostile definition files', () => {
  it('are each refused at their position, in one run of the real CLI, in bounded time and memory, with nothing sent', async () => {
    const box = await sandbox();
    const dir = hostileProject();
    const run = await runBin(['apply', '--auto-approve'], { cwd: dir, env: env(box), maxOldSpaceMb: 96, killAfterMs: 30_000 });
    const idMessage = 'id  id must be 1–128 letters, digits, ".", "_", "~" or "-", starting with a letter or digit';
    const expected = [
      'interviews/binary.yaml:3:12  is a binary file (it contains a NUL byte), not YAML text',
      'interviews/bomb.yaml:4:12  expands aliases too many times (limit 100): refused as an alias bomb',
      'interviews/deep.yaml:2:72  is nested more than 64 levels deep (an interview definition nests 3 levels at most)',
      'interviews/dotdot-list.yaml:3:5  extends[0]  "_shared/../../outside/_frag.yaml" points outside the interviews folder',
      'interviews/dotdot.yaml:2:10  extends  "../../outside/_frag.yaml" points outside the interviews folder',
      'interviews/escape.yaml:1:1  is a symbolic link that points outside the interviews folder',
      'interviews/huge.yaml:1:1  is 52428821 bytes; a definition may be at most 1048576 bytes (1 MiB)',
      ...HOSTILE_IDS.map((_, i) => `interviews/id-${i}.yaml:2:5  ${idMessage}`),
      'interviews/latin1.yaml:1:20  is not valid UTF-8 (save the file as UTF-8)',
      'interviews/wide.yaml:2:66668  has more than 100000 YAML tokens',
      'interviews/linked:1:1  is a symbolic link to a folder, which micro1-sync does not follow',
      'interviews/loop:1:1  is a symbolic link to a folder, which micro1-sync does not follow',
      'interviews/loop2:1:1  is a symbolic link to a folder, which micro1-sync does not follow',
    ];
    for (const line of expected) expect(run.stderr).toContain(line);
    expect(run.stderr).toMatch(/interviews\/via-link\.yaml:2:10 {2}extends {2}fragment "_shared\/linked\/_frag\.yaml" .*outside the interviews folder/);
    expect(run.stderr).toMatch(/\d+ errors?, \d+ warnings?: nothing was sent\.\n$/);
    expect(run.stderr).not.toContain('hit a bug');
    expect(run.stdout).toBe('');
    expect(run.code).toBe(1);
    expect(box.requests).toEqual([]);
    expect(existsSync(path.join(dir, '.micro1/state.json'))).toBe(false);
    expect(existsSync(path.join(dir, '.micro1/state.json.lock'))).toBe(false);
    console.log(`hostile files figures ${JSON.stringify({ files: expected.length + 1, seconds: Math.round(run.ms / 100) / 10, maxRssMb: Math.round(run.maxRssMb) })}`);
    // A 50 MB file read whole, an alias bomb expanded, or the syntax tree of the deep or the wide
    // file built whole (600 MB each) would each blow these; the heap is capped at 96 MB besides.
    expect(run.ms).toBeLessThan(15_000);
    expect(run.maxRssMb).toBeLessThan(160);
  }, 120_000);

  it('never read a file outside the interviews folder, through a linked folder or a linked file', async () => {
    const dir = hostileProject();
    const result = await runCli(['validate', '--json'], dir);
    expect(result.code).toBe(1);
    expect(result.stdout).not.toContain('Outside secret');
    expect(JSON.parse(result.stdout).interviews).toBe(1);
  });
});

describe('hostile ids from the server', () => {
  it.each(HOSTILE_IDS.map((id) => [JSON.stringify(id).slice(0, 24), id]))('refuses data.interview_id %s from a create, sends nothing to it, and recovers', async (_shown, id) => {
    let hostile = true;
    const box = await sandbox({
      fault: (r): Fault | undefined =>
        hostile && r.method === 'POST' ? { kind: 'status', status: 200, body: { status: true, message: 'ok', data: { interview_id: id, invite_url: 'x' } } } : undefined,
    });
    const dir = project({ 'sales/ae': 'interview_name: Sales\n' }, { apply: { requestsPerSecond: 1000, maxRetries: 0 } });
    const first = await runCli(['apply', '--auto-approve'], dir, { env: env(box) });
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/interviews\/sales\/ae\.yaml .*create not confirmed: micro1 answered the create without a usable data\.interview_id/);
    expect(readStateFile(dir).interviews).toEqual({});
    hostile = false;
    const second = await runCli(['apply', '--auto-approve'], dir, { env: env(box) });
    expect(second.code).toBe(0);
    expect(box.requests.map((r) => r.path)).toEqual(['/interview', '/interviews', '/interview']);
    expect(readStateFile(dir).interviews['sales/ae']!.id).toBe(box.interviews()[0]!.id);
  });

  it('refuses an unusable interview_id in the list it reconciles with, instead of adopting it', async () => {
    const phase = { post: 'reset' as 'reset' | 'ok', list: 'hostile' as 'hostile' | 'ok' };
    const box = await sandbox({
      fault: (r): Fault | undefined => {
        if (r.method === 'POST' && phase.post === 'reset') return { kind: 'reset' };
        if (r.method === 'GET' && phase.list === 'hostile') {
          const item = { interview_id: '../../admin', interview_name: 'Sales', custom_questions: [], skills: [] };
          return { kind: 'status', status: 200, body: { status: true, message: 'ok', data: [item] } };
        }
        return undefined;
      },
    });
    const dir = project({ 'sales/ae': 'interview_name: Sales\n' }, { apply: { requestsPerSecond: 1000, maxRetries: 0 } });
    expect((await runCli(['apply', '--auto-approve'], dir, { env: env(box) })).code).toBe(1);
    expect(readStateFile(dir).pending).toHaveLength(1);
    phase.post = 'ok';
    // The next run looks the unconfirmed create up first: the list names "Sales" under a path-injection id.
    const second = await runCli(['apply', '--auto-approve'], dir, { env: env(box) });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('create not confirmed: micro1 answered the list with an unusable interview_id "../../admin"');
    expect(JSON.stringify(readStateFile(dir))).not.toContain('admin');
    expect(box.requests.every((r) => r.path === '/interview' || r.path === '/interviews')).toBe(true);
    phase.list = 'ok';
    expect((await runCli(['apply', '--auto-approve'], dir, { env: env(box) })).code).toBe(0);
    expect(box.interviews()).toHaveLength(1);
  });
});

describe('hostile state, journal and saved plans', () => {
  const SALES = 'interview_name: Sales\n';

  /** Runs plan and apply on `dir` and checks that both refuse with `message`, leave `files` untouched, and send nothing. */
  async function refused(dir: string, box: Awaited<ReturnType<typeof sandbox>>, argv: string[][], message: string | RegExp, files: string[]) {
    const before = files.map((f) => readFileSync(path.join(dir, f)));
    for (const args of argv) {
      const started = performance.now();
      const result = await runCli(args, dir, { env: env(box) });
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stderr).toMatch(typeof message === 'string' ? new RegExp(message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : message);
      expect(result.stderr).not.toContain('hit a bug');
    }
    expect(box.requests).toEqual([]);
    expect(files.map((f) => readFileSync(path.join(dir, f)))).toEqual(before);
    expect(existsSync(path.join(dir, '.micro1/state.json.lock')), 'lock released').toBe(false);
  }

  async function applied() {
    const box = await sandbox();
    const dir = project({ 'sales/ae': SALES, 'eng/fe': 'interview_name: Frontend\n' }, { prune: true });
    expect((await runCli(['apply', '--auto-approve'], dir, { env: env(box) })).code).toBe(0);
    // A fresh sandbox with the same interviews and one nobody manages: its request log starts empty.
    const fresh = await sandbox({ seed: [...box.interviews().map((i) => ({ id: i.id, body: i.body })), { id: 'victim-1', body: { interview_name: 'Victim' } }] });
    // The same interviews at a new address: the state is moved there, as `apply --retarget-host` would.
    const file = path.join(dir, '.micro1/state.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace(JSON.stringify(box.url), JSON.stringify(fresh.url)));
    return { dir, box: fresh, state: readFileSync(file, 'utf8') };
  }

  it('refuses a truncated state file and leaves it alone', async () => {
    const { dir, box, state } = await applied();
    writeFileSync(path.join(dir, '.micro1/state.json'), state.slice(0, state.length / 2));
    await refused(dir, box, [['plan'], ['apply', '--auto-approve']], /The state file \.micro1\/state\.json is not valid JSON \(truncated or hand-edited\?\)/, ['.micro1/state.json']);
  });

  it.each<[string, (state: string) => string, string]>([
    ['a string serial', (s) => s.replace(/"serial": \d+/, '"serial": "7"'), 'is not a micro1-sync state: serial: '],
    ...HOSTILE_IDS.map((id): [string, (state: string) => string, string] => [
      `id ${JSON.stringify(id).slice(0, 20)}`,
      (s) => s.replace(/"id": "[^"]+"/, `"id": ${JSON.stringify(id)}`),
      'is not a micro1-sync state: interviews.eng/fe.id: not a valid micro1 interview id',
    ]),
  ])('refuses a hand-edited state with %s, before anything is sent', async (_what, edit, message) => {
    const { dir, box, state } = await applied();
    rmInterview(dir, 'eng/fe');
    writeFileSync(path.join(dir, '.micro1/state.json'), edit(state));
    await refused(dir, box, [['plan'], ['apply', '--auto-approve']], message, ['.micro1/state.json']);
  });

  it('refuses a journal corrupted in the middle, naming the line', async () => {
    const { dir, box, state } = await applied();
    const lineage = JSON.parse(state).lineage as string;
    const serial = JSON.parse(state).serial as number;
    const journal = [JSON.stringify({ journal: 1, lineage, baseSerial: serial }), '{"op":"deleted","key":"sales/ae"}', '{"op": oops', '{"op":"deleted","key":"eng/fe"}', ''].join('\n');
    writeFileSync(path.join(dir, '.micro1/state.json.journal'), journal);
    await refused(dir, box, [['plan'], ['apply', '--auto-approve']], 'The apply journal', ['.micro1/state.json', '.micro1/state.json.journal']);
    expect((await runCli(['plan'], dir)).stderr).toContain('is corrupt at line 3');
  });

  describe('a saved plan edited by hand', () => {
    async function saved() {
      const { dir, box, state } = await applied();
      writeFileSync(path.join(dir, 'interviews/sales/ae.yaml'), 'interview_name: Sales\ninterview_language: fr\n');
      rmInterview(dir, 'eng/fe');
      expect((await runCli(['plan', '--out', 'plan.json'], dir, { env: env(box) })).code).toBe(0);
      const plan = JSON.parse(readFileSync(path.join(dir, 'plan.json'), 'utf8')) as { checksum: string; changes: Record<string, unknown>[] };
      return { dir, box, state, plan };
    }

    /** Writes `plan` with its checksum recomputed, as anyone can. */
    function reseal(dir: string, plan: { checksum: string }) {
      const { checksum: _old, ...body } = plan;
      const checksum = `sha256:${createHash('sha256').update(JSON.stringify(body)).digest('hex')}`;
      writeFileSync(path.join(dir, 'plan.json'), JSON.stringify({ ...body, checksum }, null, 2));
    }

    it('refuses an edit that left the checksum alone', async () => {
      const { dir, box } = await saved();
      writeFileSync(path.join(dir, 'plan.json'), readFileSync(path.join(dir, 'plan.json'), 'utf8').replace('"fr"', '"de"'));
      await refused(dir, box, [['apply', 'plan.json']], 'was modified after it was written (checksum mismatch)', ['.micro1/state.json']);
    });

    it('refuses a truncated plan', async () => {
      const { dir, box } = await saved();
      writeFileSync(path.join(dir, 'plan.json'), readFileSync(path.join(dir, 'plan.json'), 'utf8').slice(0, 100));
      await refused(dir, box, [['apply', 'plan.json']], /The saved plan \S*plan\.json is not a valid JSON plan/, ['.micro1/state.json']);
    });

    type Edit = (plan: { changes: Record<string, unknown>[] }) => void;
    it.each<[string, Edit, string]>([
      [
        'a delete of an interview the files and state do not name',
        (p) => void p.changes.push({ ...p.changes.find((c) => c.action === 'delete')!, key: 'victim', id: 'victim-1' }),
        'its delete of "victim" is not one the files and state call for',
      ],
      [
        'a body no file holds',
        (p) => void Object.assign(p.changes.find((c) => c.action === 'update')!.after as object, { interview_language: 'de' }),
        'its update of "sales/ae" sends a body that interviews/sales/ae.yaml does not define',
      ],
      ...HOSTILE_IDS.slice(0, 3).map((id): [string, Edit, string] => [
        `an update sent to id ${id}`,
        (p) => void Object.assign(p.changes.find((c) => c.action === 'update')!, { id }),
        `its update of "sales/ae" names id ${JSON.stringify(id)}`,
      ]),
    ])('refuses %s even with the checksum recomputed', async (_what, edit, message) => {
      const { dir, box, plan } = await saved();
      edit(plan);
      reseal(dir, plan);
      await refused(dir, box, [['apply', 'plan.json']], `The saved plan plan.json was edited after it was written: ${message}`, ['.micro1/state.json']);
      expect(box.interviews().map((i) => i.id)).toContain('victim-1');
    });

    it('still applies the plan as written', async () => {
      const { dir, box, plan } = await saved();
      reseal(dir, plan);
      const result = await runCli(['apply', 'plan.json'], dir, { env: env(box) });
      expect(result.code).toBe(0);
      // The list is read first, to check the delete's id is the interview the state recorded.
      expect(box.requests.map((r) => r.method).filter((m) => m !== 'GET').sort()).toEqual(['DELETE', 'PUT']);
      expect(box.requests.findIndex((r) => r.method === 'GET')).toBeLessThan(box.requests.findIndex((r) => r.method === 'DELETE'));
    });
  });
});

function rmInterview(dir: string, key: string): void {
  rmSync(path.join(dir, `interviews/${key}.yaml`));
}
