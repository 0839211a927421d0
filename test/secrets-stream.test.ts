import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { planCommand } from '../src/commands/plan.js';
import { redact, redactStream } from '../src/render/redact.js';
import { renderPlanTextChunks } from '../src/render/render-text.js';
import { runBin } from './chaos-harness.js';
import { fixture, runCli } from './helpers.js';

/**
 * Secrets split between writes. The output edge redacts each stream as the reader sees it, the
 * writes joined: no run of 12 consecutive characters of a secret, in any form redact.ts knows,
 * reaches the stream, however the output is cut into writes.
 */
const KEY = 'mk1-Zq8Tv3Lp7Ws2Hd9Rx4Nc6';
const WINDOW = 12;
const SEED = 4711;

const FORMS: Record<string, (s: string) => string> = {
  exact: (s) => s,
  upper: (s) => s.toUpperCase(),
  url: (s) => [...s].map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join(''),
  json: (s) => [...s].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join(''),
  html: (s) => [...s].map((c) => `&#x${c.charCodeAt(0).toString(16)};`).join(''),
  spaced: (s) => [...s].join(' '),
};

/** Every write through one stream, joined: what the reader sees. */
function streamed(writes: readonly string[], secrets: readonly string[] = [KEY]): string {
  const write = redactStream(secrets);
  return writes.map((w) => write(w)).join('');
}

/** No window of the key is left in `seen`, in any form: redacting it again would change it. */
function expectNoWindow(seen: string, key = KEY): void {
  expect(redact(seen, [key])).toBe(seen);
  const lower = seen.toLowerCase();
  for (let i = 0; i + WINDOW <= key.length; i++) expect(lower).not.toContain(key.slice(i, i + WINDOW).toLowerCase());
}

describe('redactStream: a secret cut between writes', () => {
  for (const [form, encode] of Object.entries(FORMS)) {
    it(`is masked when cut at any position, ${form}`, () => {
      const text = `token=${encode(KEY)} rest`;
      for (let cut = 0; cut <= text.length; cut++) {
        const seen = streamed([text.slice(0, cut), text.slice(cut)]);
        expectNoWindow(seen);
        expect(seen).toContain('***');
        expect(seen.startsWith(cut >= 6 ? 'token=' : 'token='.slice(0, cut))).toBe(true);
        expect(seen.endsWith(' rest')).toBe(true);
      }
    });
  }

  it('is masked across a line break or spaces at the cut', () => {
    for (let cut = 1; cut < KEY.length; cut++) {
      for (const gap of ['\n', '   ', '\r\n  ', '\t']) {
        const seen = streamed([`a: ${KEY.slice(0, cut)}${gap}`, `${KEY.slice(cut)} b\n`]);
        expectNoWindow(seen);
        expect(seen).toContain('***');
      }
      const seen = streamed([`a: ${KEY.slice(0, cut)}`, `\n  ${KEY.slice(cut)}`]);
      expectNoWindow(seen);
    }
  });

  it('is masked across three or more writes, empty writes among them', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.keys(FORMS)),
        fc.uniqueArray(fc.integer({ min: 0, max: 400 }), { maxLength: 12 }),
        fc.array(fc.integer({ min: 0, max: 400 }), { maxLength: 4 }),
        (form, cuts, empties) => {
          const text = `x ${FORMS[form]!(KEY)} y`;
          const at = [...new Set([...cuts, ...empties].map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
          const writes: string[] = [];
          let from = 0;
          for (const c of at) {
            writes.push(text.slice(from, c));
            if (empties.some((e) => e % (text.length + 1) === c)) writes.push('', '');
            from = c;
          }
          writes.push(text.slice(from));
          expectNoWindow(streamed(writes));
        },
      ),
      { numRuns: 1500, seed: SEED },
    );
  });

  it('is masked one character per write', () => {
    for (const encode of Object.values(FORMS)) expectNoWindow(streamed([...`<${encode(KEY)}>`]));
  });

  it('is masked with megabytes of white space between its halves', () => {
    const huge = ` ${'\n \t'.repeat(2_000_000)} `;
    const seen = streamed([`key ${KEY.slice(0, 9)}`, huge, huge, `${KEY.slice(9)} end`]);
    expectNoWindow(seen);
    expect(seen.endsWith('*** end')).toBe(true);
  });

  it('keeps a carry of a few hundred characters at most, whatever was written', () => {
    const write = redactStream([KEY]);
    const bound = 20 * 11 + 1; // 20 characters as read, each at most an escape of 10 and a space
    for (const text of [' \n'.repeat(1_000_000), 'words '.repeat(100_000), FORMS.html!('x'.repeat(50_000)), `${FORMS.html!('y'.repeat(30))}${' '.repeat(100_000)}`]) {
      write(text);
      expect(write.carried).toBeLessThanOrEqual(bound);
      expect(write.carried).toBeGreaterThan(0);
    }
  });

  it('masks a short secret (8 characters: the whole of it is the window) cut anywhere', () => {
    const short = 'Ab3$xY9!';
    for (const encode of Object.values(FORMS)) {
      const text = `[${encode(short)}]`;
      for (let cut = 0; cut <= text.length; cut++) {
        const seen = streamed([text.slice(0, cut), text.slice(cut)], [short]);
        expect(redact(seen, [short])).toBe(seen);
        expect(seen).toContain('***');
      }
      const oneByOne = streamed([...text], [short]);
      expect(redact(oneByOne, [short])).toBe(oneByOne);
    }
  });

  it('masks a mask-free text to itself: ordinary text and parts of the key shorter than 12', () => {
    const part = KEY.slice(0, WINDOW - 1);
    const text = `${part} and ${KEY.slice(3, 3 + WINDOW - 1)}\n${'%'}41 \\u00 &#x4 plain`;
    for (let cut = 0; cut <= text.length; cut++) expect(streamed([text.slice(0, cut), text.slice(cut)])).toBe(text);
  });

  it('gives what redacting the whole text gives when no secret spans a cut (property)', () => {
    const piece = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.constantFrom(' ', '\n', '%', '%4', '\\u00', '\\', '&#', '&#x6', ';', 'mk1-', 'Zq8'),
      fc.constantFrom(...Object.values(FORMS)).map((encode) => `[${encode(KEY)}]`),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 20 }), fc.array(fc.boolean(), { maxLength: 20 }), (pieces, joins) => {
        // Writes are pieces joined or cut between pieces; a whole key is a piece, so no key spans a cut.
        const writes: string[] = [];
        pieces.forEach((p, i) => (joins[i] && writes.length > 0 ? (writes[writes.length - 1] += p) : writes.push(p)));
        const whole = writes.join('');
        // A cut inside an escape or a key's form that another piece completes is a span: skip those.
        fc.pre(writes.every((w, i) => i === 0 || redact(writes.slice(0, i).join(''), [KEY]) + redact(writes.slice(i).join(''), [KEY]) === redact(whole, [KEY])));
        expect(streamed(writes)).toBe(redact(whole, [KEY]));
      }),
      { numRuns: 1500, seed: SEED },
    );
  });

  it('with no secrets, passes every write through', () => {
    const write = redactStream([]);
    expect(write(`a ${KEY}`)).toBe(`a ${KEY}`);
    expect(write('')).toBe('');
  });
});

/** A key that only the two writes together hold: the last 6 characters of one, not white space, and the first 6 of the next. */
function keyAcross(before: string, after: string): string {
  const key = `${before.replace(/\s/g, '').slice(-6)}${after.replace(/\s/g, '').slice(0, 6)}`;
  expect(key).toHaveLength(WINDOW);
  return key;
}

describe('the CLI: a key across the writes of one stream', () => {
  it('an annotation shares the redaction of stderr, where it is written', async () => {
    const cwd = fixture({ 'micro1.config.json': '{}\n' });
    const run = async (env: NodeJS.ProcessEnv) => {
      const writes: string[] = [];
      const code = await main(['plan', '--bogus'], { stdout: () => {}, stderr: (t) => void writes.push(t), env: { GITHUB_ACTIONS: 'true', ...env }, cwd, stdoutIsTTY: false, stderrIsTTY: false });
      expect(code).toBe(1);
      return writes;
    };
    const plain = await run({});
    expect(plain).toHaveLength(2);
    expect(plain[1]!.startsWith('::error ')).toBe(true);
    const key = keyAcross(plain[0]!, plain[1]!);
    const seen = (await run({ MICRO1_API_KEY: key })).join('');
    expectNoWindow(seen, key);
    expect(seen).toContain('***');
  });
});

describe('the step summary: a key across two appends', () => {
  it('what micro1 appends is redacted as the rest of the file it joins', async () => {
    const root = fixture({ 'micro1.config.json': '{}\n', 'interviews/t/a.yaml': 'interview_name: A\n' });
    const summary = path.join(root, 'summary.md');
    // Two runs in one step append to one file: the key is the end of the first and the start of the second.
    await runCli(['plan'], root, { env: { GITHUB_STEP_SUMMARY: summary } });
    const first = readFileSync(summary, 'utf8');
    await runCli(['plan'], root, { env: { GITHUB_STEP_SUMMARY: summary } });
    const key = keyAcross(first, readFileSync(summary, 'utf8').slice(first.length));
    writeFileSync(summary, '');
    for (let i = 0; i < 2; i++) expect((await runCli(['plan'], root, { env: { GITHUB_STEP_SUMMARY: summary, MICRO1_API_KEY: key } })).code).toBe(0);
    const seen = readFileSync(summary, 'utf8');
    expectNoWindow(seen, key);
    expect(seen.slice(first.length)).toMatch(/^\s*\*\*\*/);
  });
});

describe('the CLI: a key across the pieces `plan` prints', () => {
  const A = 'Zq8Tv3';
  /** Files `t/k0000q` … : blocks of one length, so that which block ends the first 16 KB piece does not move. */
  function project(): string {
    const files: Record<string, string> = { 'micro1.config.json': '{}\n' };
    for (let i = 0; i < 300; i++) files[`interviews/t/k${String(i).padStart(4, '0')}q.yaml`] = definitionText(i, 'plainx');
    return fixture(files);
  }
  function definitionText(i: number, tail: string): string {
    return `interview_name: Role ${String(i).padStart(4, '0')}\nskills:\n  - name: Skill\n    description: ${'words '.repeat(30)}${tail}\n`;
  }
  async function pieces(root: string): Promise<string[]> {
    const outcome = await planCommand({ cwd: root, env: {}, targets: [], excludes: [] });
    if (outcome.kind !== 'planned') throw new Error('fixture is invalid');
    return [...renderPlanTextChunks(outcome.plan, { color: false })];
  }

  it('masks a key whose halves stand on either side of the cut between two pieces', async () => {
    const root = project();
    const first = await pieces(root);
    expect(first.length).toBeGreaterThan(2);
    // The block that ends the first piece, and the one that starts the second.
    const last = [...first[0]!.matchAll(/^ {2}\+ t\/(k\d{4}q) /gm)].at(-1)![1]!;
    const next = /^ {2}\+ t\/(k\d{4}q) /.exec(first[1]!)![1]!;
    const index = Number(last.slice(1, 5));
    writeFileSync(path.join(root, 'interviews/t', `${last}.yaml`), definitionText(index, A));
    const cut = await pieces(root);
    expect(cut[0]!.endsWith(`${A}"}\n\n`)).toBe(true);
    expect(cut[1]!.startsWith(`  + t/${next}  (create)`)).toBe(true);
    // The key, as the reader sees it: its first part ends one piece, its rest starts the next.
    const key = `${A}"}+t/${next}`;
    expect(cut.some((piece) => redact(piece, [key]) !== piece)).toBe(false);

    const run = await runBin(['plan'], { cwd: root, env: { MICRO1_API_KEY: key } });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expectNoWindow(run.stdout, key);
    expect(run.stdout).toContain(`${A}"}\n\n  ***  (create)  interviews/t/${next}.yaml\n`);
    expect(run.stdout).toContain('Plan: 300 to create, 0 to update, 0 to delete, 0 unchanged.');
    // Only the cut's neighbourhood changed: the rest of the plan is as rendered.
    expect(run.stdout.split('\n').length).toBe(cut.join('').split('\n').length);
    expect(readFileSync(path.join(root, 'interviews/t', `${last}.yaml`), 'utf8')).toContain(A);
  }, 60_000);
});
