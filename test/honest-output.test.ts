import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Fault } from '../src/sandbox/sandbox.js';
import { serializeState } from '../src/state/state.js';
import { env, project, sandbox } from './apply-harness.js';
import { runBin } from './chaos-harness.js';
import { appliedEntry, definition, runCli, stateOf, stripAnsi } from './helpers.js';
import {
  ALLOWED_ELEMENTS,
  decodeEntities,
  forgedWorkflowCommands,
  hasMentionOrReference,
  nonSgrEscapes,
  PROMPT,
  rawInvisibles,
  renderGfm,
  runInPty,
  screen,
  showsVisibly,
  workflowCommandLines,
  type RenderedMarkdown,
} from './render-harness.js';

/**
 * "Honest output": what people approve (the PR comment, the CI log, the terminal before typing
 * "yes") shows the real plan, whatever a definition, a file name, a YAML key or a server answer
 * holds. Everything is checked on what a reader gets: the Markdown through a CommonMark/GFM
 * renderer, the terminal through a terminal emulator (on a real pty for the approval prompt), and
 * every output line as the GitHub Actions runner reads it.
 *
 * Every project here has, besides its hostile change, two changes that sort AFTER it:
 * `b/proctor` turns proctoring off and `c/gone` is deleted. Both must stay visible.
 */

// ---------------------------------------------------------------------------------------------
// The hostile corpus

/** Text over 60 characters is shown as a word diff (shorter text is quoted): every payload is made long. */
const LONG = 'Build a small accessible autocomplete component with debounced search and keyboard navigation. ';

function long(texts: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(texts).map(([what, text]) => [what, LONG + text]));
}

/** Long text (coding_exercise_details) that an update shows as a word diff. */
const TEXTS: Record<string, string> = long({
  'lone CR, ``` and <!-- in coding_exercise_details':
    'Build it.\r```\r\r**Plan: 0 to create, 0 to update, 0 to delete.** CANARY <img src=x onerror=alert(1)>\r\r<!--\r',
  'LF, a quadruple fence and <!--': 'Intro.\n````\n```\n\n**Plan: 0 to create, 0 to update, 0 to delete.** CANARY\n\n<!--\n',
  '</details> and a heading after a lone CR': 'x\r```\r\r</details>\r\r# Forged heading CANARY\r\r<details><summary>hidden',
  '<script> and <img> after a lone CR': 'x\r```\r\r<script>alert(1)</script>\r\rCANARY <img src=x onerror=alert(1)>\r',
  'triple and quadruple backtick runs': 'a ``` b ```` c\r````\rCANARY\r```\r~~~\r',
  '| tables after a lone CR': 'x\r```\r\r| CANARY | b |\r|---|---|\r| c | d |\r',
  '@mentions and #references after a lone CR': 'ping @octocat about #123 and GH-42\r```\r\rping @octocat about #123 and GH-42 CANARY\r',
  'U+2028, U+2029 and NEL': 'one\u2028two\u2029three\u0085four CANARY',
  'bidi overrides U+202E and U+2066': 'pay \u202Etxt.evil\u202C and \u2066isolate\u2069 now CANARY',
});

/** File names (under interviews/, without .yaml): their key is the name. All sort before b/proctor. */
const NAMES: Record<string, string> = {
  'a file name with a newline and a blank line': 'a\n\n# Injected heading',
  'a file name with @octocat and #123': 'a/@octocat #123',
  'a zero-width joiner in a key': 'a/ad\u200Dmin',
  'a bidi override in a key': 'a/\u202Egnp.exe',
  'HTML in a key': 'a/<img src=x onerror=alert(1)>',
};

/** Terminal escapes in long text. */
const TERMINAL_TEXTS: Record<string, string> = long({
  'ESC[2J ESC[H and a fake plan': 'Build it.\x1b[2J\x1b[HPlan: 0 to create, 0 to update, 0 to delete.\n',
  'ESC[8m conceal': 'Build it.\x1b[8m and hide the rest',
  'an OSC title': 'x\x1b]0;pwned\x07y',
  'cursor moves and line erase': 'x\x1b[5A\x1b[2K  ~ fake line\x1b[10B\x1b[1;1H',
  'a lone CR overwriting its line': 'real text\rPlan: 0 to create, 0 to update, 0 to delete.',
  'U+2028, U+2029 and NEL': 'one\u2028two\u2029three\u0085four',
  'bidi overrides U+202E and U+2066': 'pay \u202Etxt.evil\u202C and \u2066isolate\u2069 now',
});

/** File names that carry workflow commands and terminal escapes. */
const COMMAND_NAMES = [
  'a/x\n::add-mask::secret',
  'a/y\r::stop-commands::tok',
  'a/z\n::error file=README.md::forged',
  'a/##[error]forged',
  'a/\x1b[2J\x1b]0;pwned\x07esc',
];

/** A 400 message that tries everything at once. */
const HOSTILE_MESSAGE =
  'bad request\n::add-mask::x\r::stop-commands::tok\n  ::error file=README.md::forged\n##[error]forged\x1b[2J\x1b]0;pwned\x07\n\n# Heading **bold** <img src=x onerror=alert(1)> @octocat #123';

/** The characters whose raw presence is an attack, for the "shown visibly" checks. */
const SPECIAL = /[\x1b\r\x07\u2028\u2029\u0085\u202a-\u202e\u2066-\u2069\u200b-\u200d]/g;

/** A JSON string is a YAML double-quoted scalar; non-ASCII and controls escaped so the file stays plain ASCII. */
function yamlString(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function writeInterview(dir: string, key: string, text: string): void {
  const file = path.join(dir, 'interviews', `${key}.yaml`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

interface World {
  dir: string;
  env: NodeJS.ProcessEnv;
  /** Set to make the sandbox answer as this from now on. */
  setFault(fault: ((r: { method: string; body: unknown }) => Fault | undefined) | undefined): void;
}

/**
 * A project applied once (a/hostile, b/proctor, c/gone and each of `names`), then changed: a/hostile
 * gets `text` as its coding_exercise_details (and `name` as its interview_name), each name's file
 * a new interview_name, b/proctor turns proctoring off, and c/gone's file is removed (prune on).
 */
async function world(options: { text?: string; name?: string; names?: readonly string[]; apiKey?: string } = {}): Promise<World> {
  let fault: ((r: { method: string; body: unknown }) => Fault | undefined) | undefined;
  const box = await sandbox({ ...(options.apiKey === undefined ? {} : { apiKey: options.apiKey }), fault: (r) => fault?.(r) });
  const boxEnv = env(box, options.apiKey === undefined ? {} : { MICRO1_API_KEY: options.apiKey });
  const dir = project({ 'a/hostile': 'interview_name: Hostile\n', 'b/proctor': 'interview_name: Proctor\n', 'c/gone': 'interview_name: Gone\n' }, { prune: true });
  const names = options.names ?? [];
  names.forEach((name, i) => writeInterview(dir, name, `interview_name: Named ${i}\n`));
  const first = await runCli(['apply', '--auto-approve'], dir, { env: boxEnv });
  expect(first.code, first.stderr).toBe(0);
  const lines = [`interview_name: ${yamlString(options.name ?? 'Hostile')}`];
  if (options.text !== undefined) lines.push(`coding_exercise_details: ${yamlString(options.text)}`);
  writeInterview(dir, 'a/hostile', `${lines.join('\n')}\n`);
  names.forEach((name, i) => writeInterview(dir, name, `interview_name: Renamed ${i}\n`));
  writeInterview(dir, 'b/proctor', 'interview_name: Proctor\nis_proctoring_required: false\n');
  rmSync(path.join(dir, 'interviews/c/gone.yaml'));
  return { dir, env: boxEnv, setFault: (f) => (fault = f) };
}

/** The plan's own summary line for a world: a/hostile and b/proctor updated (plus each name), c/gone deleted. */
function summaryOf(updates: number, unchanged = 0): string {
  return `Plan: 0 to create, ${updates} to update, 1 to delete, ${unchanged} unchanged.`;
}

// ---------------------------------------------------------------------------------------------
// What a reader of the Markdown sees

/** The printable runs of a key (what must be visible of it, whatever escaping shows for the rest). */
function printableParts(key: string): string[] {
  return key.split(SPECIAL).flatMap((part) => part.split('\n')).filter((part) => part.trim().length >= 2).map((p) => p.trim());
}

function expectHonestMarkdown(markdown: string, changes: { key: string; action: string; fields: string[] }[], where: string): RenderedMarkdown {
  const r = renderGfm(markdown);
  // Only the plan's own marker comment: a comment opened by a definition hides everything after it.
  expect(r.comments, `${where}: HTML comments`).toEqual(r.comments.length === 0 ? [] : ['<!-- micro1-sync-plan -->']);
  expect([...new Set(r.elements)].filter((e) => !ALLOWED_ELEMENTS.has(e)), `${where}: elements outside the allowed set`).toEqual([]);
  expect(hasMentionOrReference(r.textOutsideCode), `${where}: mentions or references outside code`).toEqual([]);
  expect(r.textOutsideCode.match(/Plan: \d+ to create/g) ?? [], `${where}: summaries outside code`).toHaveLength(1);
  expect(r.textOutsideCode, `${where}: a forged summary outside code`).not.toMatch(/Plan: 0 to create, 0 to update, 0 to delete/);
  // The one zero-width character allowed is the tool's own mention breaker, right after @ or #.
  expect(r.text, `${where}: bidi or zero-width characters reach the reader raw`).not.toMatch(/[\u202a-\u202e\u2066-\u2069\u200c\u200d]|(?<![@#])\u200b/);
  // What a person reads: the mention breaker is invisible.
  const seen = r.text.replace(/(?<=[@#])\u200b/g, '');
  for (const change of changes) {
    for (const part of printableParts(change.key)) expect(seen, `${where}: key ${JSON.stringify(change.key)}`).toContain(part);
    expect(r.text, `${where}: action of ${JSON.stringify(change.key)}`).toContain(change.action);
    for (const field of change.fields) expect(r.text, `${where}: field ${field}`).toContain(field);
  }
  expect(r.text, `${where}: the proctoring-off update`).toContain('is_proctoring_required: true -> false');
  expect(r.text, `${where}: the delete`).toMatch(/c\/gone[\s\S]*delete|delete[\s\S]*c\/gone/);
  return r;
}

const AFTER = [
  { key: 'b/proctor', action: 'update', fields: ['is_proctoring_required'] },
  { key: 'c/gone', action: 'delete', fields: [] },
];

describe('Markdown plan, through a CommonMark/GFM renderer', () => {
  it.each(Object.entries(TEXTS))('%s: every change stays visible, nothing is injected', async (_what, text) => {
    const w = await world({ text });
    const result = await runCli(['plan', '--format', 'markdown'], w.dir);
    expect(result.code).toBe(0);
    const r = expectHonestMarkdown(result.stdout, [{ key: 'a/hostile', action: 'update', fields: ['coding_exercise_details'] }, ...AFTER], 'plan --format markdown');
    // The definition's text is shown, and only as code: nothing of it renders as Markdown.
    expect(r.text).toContain('CANARY');
    expect(r.textOutsideCode, 'text of the definition rendered outside code').not.toContain('CANARY');
  });

  it.each(Object.entries(NAMES))('%s: every change stays visible, nothing is injected', async (_what, name) => {
    const w = await world({ names: [name] });
    const result = await runCli(['plan', '--format', 'markdown'], w.dir);
    expect(result.code).toBe(0);
    expectHonestMarkdown(result.stdout, [{ key: name, action: 'update', fields: ['interview_name'] }, ...AFTER], 'plan --format markdown');
  });

  it('the step summary of plan, with every hostile text and name at once', async () => {
    const w = await world({ text: Object.values(TEXTS).join(' '), names: Object.values(NAMES) });
    const summary = path.join(w.dir, 'step-summary.md');
    const result = await runCli(['plan'], w.dir, { env: { GITHUB_STEP_SUMMARY: summary } });
    expect(result.code).toBe(0);
    const changes = [{ key: 'a/hostile', action: 'update', fields: ['coding_exercise_details'] }, ...Object.values(NAMES).map((key) => ({ key, action: 'update', fields: ['interview_name'] })), ...AFTER];
    expectHonestMarkdown(readFileSync(summary, 'utf8'), changes, 'step summary');
  });

  it('the step summary of an apply whose update micro1 rejects with a hostile 400 message', async () => {
    const w = await world({ names: ['a/@octocat #123'] });
    w.setFault((r) => (r.method === 'PUT' ? { kind: 'status', status: 400, body: { status: false, message: HOSTILE_MESSAGE } } : undefined));
    const summary = path.join(w.dir, 'step-summary.md');
    const result = await runCli(['apply', '--auto-approve'], w.dir, { env: { ...w.env, GITHUB_STEP_SUMMARY: summary } });
    expect(result.code).toBe(1);
    const r = renderGfm(readFileSync(summary, 'utf8'));
    expect(r.comments).toEqual([]);
    expect([...new Set(r.elements)].filter((e) => !ALLOWED_ELEMENTS.has(e))).toEqual([]);
    expect(hasMentionOrReference(r.textOutsideCode)).toEqual([]);
    expect(r.text).toContain('b/proctor');
    expect(r.text).toContain('bad request');
  });
});

// ---------------------------------------------------------------------------------------------
// What a person sees on a terminal

/** Raw output: no escape but SGR colour, no raw control or invisible character; each special character of `payload` shown visibly. */
function expectNoRawControls(raw: string, payload: string, where: string): void {
  expect(nonSgrEscapes(raw), `${where}: escape sequences other than SGR colour`).toEqual([]);
  expect(rawInvisibles(raw), `${where}: raw control or invisible characters`).toEqual([]);
  const shown = stripAnsi(raw);
  for (const char of new Set(payload.match(SPECIAL) ?? [])) {
    expect(showsVisibly(shown, char), `${where}: U+${char.codePointAt(0)!.toString(16).padStart(4, '0')} is shown as a visible escape`).toBe(true);
  }
}

async function expectHonestScreen(raw: string, realLines: (string | RegExp)[], where: string): Promise<void> {
  const s = await screen(raw);
  expect(s.title, `${where}: window title set`).toBeUndefined();
  expect(s.concealed, `${where}: concealed text`).toBe('');
  for (const line of realLines) {
    if (typeof line === 'string') expect(s.lines.some((l) => l.includes(line)), `${where}: screen shows ${JSON.stringify(line)}\n${s.text}`).toBe(true);
    else expect(s.lines.some((l) => line.test(l)), `${where}: screen shows ${String(line)}\n${s.text}`).toBe(true);
  }
  // One summary, at the start of its line: a forged one would be a second.
  const summaries = s.lines.filter((l) => /^\s*Plan: \d+ to create/.test(l));
  expect(summaries.length, `${where}: summary lines on screen\n${s.text}`).toBeLessThanOrEqual(1);
}

const REAL_PLAN = (updates = 2, unchanged = 0): (string | RegExp)[] => [
  'micro1 will perform the following actions:',
  /~ b\/proctor {2}\(update, id /,
  'is_proctoring_required: true -> false',
  /- c\/gone {2}\(delete, id /,
  summaryOf(updates, unchanged),
];

/** The first line of every plan on screen: the host it goes to (the default API, or a sandbox on loopback). */
const SCREEN_TARGET = /^Target: (https:\/\/public\.api\.micro1\.ai|http:\/\/127\.0\.0\.1:\d+)$/;

describe('terminal output, through a terminal emulator', () => {
  it.each(Object.entries(TERMINAL_TEXTS))('plan on a terminal, %s: the real plan on screen, escapes shown visibly', async (_what, text) => {
    const w = await world({ text });
    const result = await runCli(['plan'], w.dir, { tty: true, env: w.env });
    expect(result.code).toBe(0);
    expectNoRawControls(result.stdout, text, 'plan (tty)');
    await expectHonestScreen(result.stdout, [...REAL_PLAN(), /~ a\/hostile {2}\(update, id /], 'plan (tty)');
    const s = await screen(result.stdout);
    expect(s.lines.slice(0, 3)).toEqual([expect.stringMatching(SCREEN_TARGET), '', 'micro1 will perform the following actions:']);
  });

  it('plan on a terminal: an interview_name with ANSI colour codes is shown, not obeyed', async () => {
    const name = '\x1b[31mRed\x1b[0m \x1b[2J';
    const w = await world({ name });
    const result = await runCli(['plan'], w.dir, { tty: true });
    expectNoRawControls(result.stdout, name, 'plan (tty)');
    await expectHonestScreen(result.stdout, REAL_PLAN(), 'plan (tty)');
  });

  it('plan piped (not a terminal), every hostile text and name at once: no escape at all', async () => {
    const text = Object.values(TERMINAL_TEXTS).join(' ');
    const names = [...Object.values(NAMES), ...COMMAND_NAMES];
    const w = await world({ text, names });
    const result = await runCli(['plan'], w.dir);
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('\x1b[');
    expectNoRawControls(result.stdout, text + names.join(''), 'plan (piped)');
    await expectHonestScreen(result.stdout, REAL_PLAN(2 + names.length), 'plan (piped)');
  });

  it('validate: a YAML key and a file name with escapes and newlines are shown, not obeyed', async () => {
    const w = await world({ names: ['a/\x1b[2J\x1b]0;pwned\x07esc'] });
    const yamlKey = 'x\x1b[2J\x1b]0;pwned\x07\n::add-mask::y\u202E';
    writeInterview(w.dir, 'a/\x1b[2J\x1b]0;pwned\x07esc', `interview_name: Bad\n${yamlString(yamlKey)}: 1\n`);
    writeInterview(w.dir, 'a\n\n# Injected heading', 'interview_name: [\n');
    const result = await runCli(['validate'], w.dir, { tty: true });
    expect(result.code).toBe(1);
    const out = result.stdout + result.stderr;
    expectNoRawControls(out, yamlKey, 'validate');
    expect(workflowCommandLines(out)).toEqual([]);
    const s = await screen(out);
    expect(s.title).toBeUndefined();
    expect(s.lines.some((l) => /unknown field/.test(l))).toBe(true);
    expect(s.lines.some((l) => /\d+ errors?, \d+ warnings?/.test(l))).toBe(true);
  });

  it('state list and state show: a key with escapes is shown, not obeyed', async () => {
    const key = 'a/\x1b[2J\x1b]0;pwned\x07esc\u202E';
    const w = await world({ names: [key] });
    for (const argv of [['state', 'list'], ['state', 'show', key]]) {
      const result = await runCli(argv, w.dir, { tty: true });
      expect(result.code, result.stderr).toBe(0);
      expectNoRawControls(result.stdout + result.stderr, key, argv.slice(0, 2).join(' '));
      const s = await screen(result.stdout + result.stderr);
      expect(s.title).toBeUndefined();
      expect(s.lines.some((l) => l.includes('b/proctor') || l.includes('id:'))).toBe(true);
    }
  });

  it('import: hostile interview names and texts from micro1 are shown, not obeyed', async () => {
    const seed = [
      { id: 'id-evil-1', body: { interview_name: 'Evil \x1b[2J\x1b]0;pwned\x07\n::add-mask::z @octocat #123\u202E', coding_exercise_details: 'x\r```\r<!--\r\x1b[8m' } },
      { id: 'id-evil-2', body: { interview_name: '##[error]forged\r::stop-commands::tok' } },
    ];
    const box = await sandbox({ seed });
    const dir = project({});
    const result = await runCli(['import'], dir, { env: env(box), tty: true });
    expect(result.code, result.stderr).toBe(0);
    const out = result.stdout + result.stderr;
    expectNoRawControls(out, '', 'import');
    expect(workflowCommandLines(out)).toEqual([]);
    expect((await screen(out)).title).toBeUndefined();
    const list = await runCli(['state', 'list'], dir, { tty: true });
    expectNoRawControls(list.stdout + list.stderr, '', 'state list after import');
    expect(workflowCommandLines(list.stdout + list.stderr)).toEqual([]);
  });
});

describe('the approval screen of apply, on a real pseudo-terminal', () => {
  /** Readline's own line handling around the prompt: column moves and erase-to-end. */
  const READLINE = /\x1b\[\d*G|\x1b\[0?[JK]/;

  function beforePrompt(output: string): string {
    const at = output.lastIndexOf('Do you want to perform these actions?');
    expect(at, output).toBeGreaterThan(0);
    // Readline clears from the cursor down before it writes the prompt.
    return output.slice(0, at).replace(/(?:\x1b\[\d*[GJK]|\s)*$/, '').replace(/\r\n/g, '\n');
  }

  it.each([
    ['no', 'no\n', 1, 'Apply cancelled: nothing was sent.'],
    ['yes', 'yes\n', 0, 'Apply complete:'],
  ])('answering %s: the screen shows the real plan and the real prompt, whatever the file holds', async (_answer, input, code, closing) => {
    const text = Object.values(TERMINAL_TEXTS).join(' ');
    const w = await world({ text });
    const run = await runInPty(['apply'], { cwd: w.dir, env: w.env, input });
    expect(run.timedOut, run.output).toBe(false);
    expect(run.prompted, run.output).toBe(true);
    expect(run.code, run.output).toBe(code);
    const plan = beforePrompt(run.output);
    expect(nonSgrEscapes(plan), 'escapes other than SGR before the prompt').toEqual([]);
    expect(rawInvisibles(plan), 'raw control or invisible characters before the prompt').toEqual([]);
    for (const char of new Set(text.match(SPECIAL) ?? [])) expect(showsVisibly(stripAnsi(plan), char), `U+${char.codePointAt(0)!.toString(16)} visible`).toBe(true);
    expect(nonSgrEscapes(run.output, READLINE), 'escapes other than SGR and readline\'s own').toEqual([]);
    await expectHonestScreen(run.output, [...REAL_PLAN(), `Do you want to perform these actions? ${PROMPT}:`, closing], 'apply (pty)');
    const s = await screen(run.output);
    expect(s.lines.slice(0, 3)).toEqual([expect.stringMatching(SCREEN_TARGET), '', 'micro1 will perform the following actions:']);
  });

  it('answering yes with hostile keys: the apply summary on the terminal is honest too', async () => {
    const w = await world({ names: COMMAND_NAMES });
    const run = await runInPty(['apply'], { cwd: w.dir, env: w.env, input: 'yes\n' });
    expect(run.prompted, run.output).toBe(true);
    expect(run.code, run.output).toBe(0);
    expect(nonSgrEscapes(run.output, READLINE)).toEqual([]);
    expect(workflowCommandLines(run.output)).toEqual([]);
    const s = await screen(run.output);
    expect(s.title).toBeUndefined();
    expect(s.lines.slice(0, 3)).toEqual([expect.stringMatching(SCREEN_TARGET), '', 'micro1 will perform the following actions:']);
    expect(s.lines.some((l) => l.startsWith('Apply complete:'))).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// The CI log, as the GitHub Actions runner reads it

/** Every command of the issue, run on a world with hostile names, texts and a hostile 400 message. */
async function everyCommand(extraEnv: NodeJS.ProcessEnv): Promise<{ dir: string; outputs: [string, string][] }> {
  const text = `${Object.values(TERMINAL_TEXTS).join(' ')}\n::add-mask::text\n  ::error::indented\n##[error]forged`;
  const w = await world({ text, names: COMMAND_NAMES });
  const outputs: [string, string][] = [];
  const summary = path.join(w.dir, 'step-summary.md');
  const e = { ...w.env, GITHUB_STEP_SUMMARY: summary, ...extraEnv };
  for (const argv of [['plan'], ['plan', '--format', 'markdown'], ['validate'], ['state', 'list'], ['state', 'show', COMMAND_NAMES[0]!]]) {
    const r = await runCli(argv, w.dir, { env: e });
    outputs.push([`${argv.join(' ')} (stdout)`, r.stdout], [`${argv.join(' ')} (stderr)`, r.stderr]);
  }
  w.setFault((r) => (r.method === 'PUT' || r.method === 'DELETE' ? { kind: 'status', status: 400, body: { status: false, message: HOSTILE_MESSAGE } } : undefined));
  const applied = await runBin(['apply', '--auto-approve'], { cwd: w.dir, env: e, killAfterMs: 15_000 });
  expect(applied.code, applied.stderr).toBe(1);
  expect(applied.stderr).toContain('bad request');
  outputs.push(['apply (stdout)', applied.stdout], ['apply (stderr)', applied.stderr], ['step summary', readFileSync(summary, 'utf8')]);
  // A file whose YAML key carries commands: validate and plan report it.
  writeInterview(w.dir, 'a/y\r::stop-commands::tok', `interview_name: Bad\n${yamlString('k\n::add-mask::yamlkey\r##[error]x')}: 1\n`);
  for (const argv of [['validate'], ['plan']]) {
    const r = await runCli(argv, w.dir, { env: e });
    expect(r.code).toBe(1);
    outputs.push([`${argv.join(' ')} invalid (stdout)`, r.stdout], [`${argv.join(' ')} invalid (stderr)`, r.stderr]);
  }
  const box = await sandbox({ seed: [{ id: 'id-evil', body: { interview_name: 'Evil\n::add-mask::imported\r##[error]x' } }] });
  const imported = project({});
  const r = await runCli(['import'], imported, { env: { ...env(box), ...extraEnv } });
  outputs.push(['import (stdout)', r.stdout], ['import (stderr)', r.stderr]);
  return { dir: w.dir, outputs };
}

describe('the CI log, line by line as the Actions runner reads it', () => {
  it('without GITHUB_ACTIONS, no line of any command is a workflow command', async () => {
    const { outputs } = await everyCommand({});
    for (const [where, output] of outputs) expect(workflowCommandLines(output), where).toEqual([]);
  });

  it('with GITHUB_ACTIONS=true, every workflow-command line is one of the tool\'s own annotations', async () => {
    const { dir, outputs } = await everyCommand({ GITHUB_ACTIONS: 'true' });
    let annotations = 0;
    for (const [where, output] of outputs) {
      expect(forgedWorkflowCommands(output, dir, ['interviews/c/gone.yaml']), where).toEqual([]);
      annotations += workflowCommandLines(output).length;
    }
    // The tool did annotate (the 400 failures, the invalid file): the check above looked at something.
    expect(annotations).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------------------------------------
// The API key, in every form a server may echo it

/** 32 characters, with the + / = that URL-encoding changes. */
const KEY = 'mk1+Zq8/Tv3=Lp7+Ws2/Hd9=Rx4+Nc6/';

const FORMS: Record<string, (key: string) => string> = {
  exact: (k) => k,
  'truncated to 14 characters': (k) => k.slice(0, 14),
  'upper-cased': (k) => k.toUpperCase(),
  'URL-encoded': (k) => encodeURIComponent(k),
  'JSON-escaped (\\u00XX each)': (k) => [...k].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join(''),
  spaced: (k) => [...k].join(' '),
};

/** Every 12 consecutive characters of the key, in every form, as case-insensitive needles. */
function keyNeedles(): string[] {
  const needles = new Set<string>();
  for (let i = 0; i + 12 <= KEY.length; i++) {
    const window = KEY.slice(i, i + 12);
    for (const form of Object.values(FORMS)) needles.add(form(window).toLowerCase());
  }
  return [...needles];
}

function keyLeaks(text: string): string[] {
  const lower = text.toLowerCase();
  return keyNeedles().filter((n) => lower.includes(n)).map((n) => `…${text.slice(Math.max(0, lower.indexOf(n) - 20), lower.indexOf(n) + n.length + 20)}…`);
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) out.push(...filesUnder(file));
    else out.push(file);
  }
  return out;
}

describe('the API key, echoed by the server in another form', () => {
  it('the key is 32 characters and holds + / =', () => {
    expect(KEY).toHaveLength(32);
    expect(encodeURIComponent(KEY)).not.toBe(KEY);
  });

  it.each(Object.entries(FORMS))('%s: no 12 consecutive characters of it reach stdout, stderr, the annotation, the step summary or a file', async (_form, form) => {
    const w = await world({ apiKey: KEY });
    w.setFault((r) => (r.method === 'PUT' || r.method === 'DELETE' ? { kind: 'status', status: 400, body: { status: false, message: `ECHO-MARKER key ${form(KEY)} is not valid here` } } : undefined));
    const summary = path.join(w.dir, 'step-summary.md');
    const result = await runCli(['apply', '--auto-approve'], w.dir, { env: { ...w.env, MICRO1_API_KEY: KEY, GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary } });
    expect(result.code).toBe(1);
    // The message was shown: not finding the key means it was scrubbed, not that nothing was printed.
    expect(result.stderr).toContain('ECHO-MARKER');
    expect(keyLeaks(result.stdout), 'stdout').toEqual([]);
    expect(keyLeaks(result.stderr), 'stderr (the summary and the annotation)').toEqual([]);
    expect(readFileSync(summary, 'utf8')).toContain('ECHO-MARKER');
    for (const file of filesUnder(w.dir)) expect(keyLeaks(readFileSync(file, 'latin1')), path.relative(w.dir, file)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// A Markdown plan too big for one comment

const COMMENT_LIMIT = 65_535;

/**
 * A project whose state holds `updates` interviews u/NNNN with a short skill description (their
 * files give a long one) and `deletes` interviews z/gone-N with no file (prune on): deletes sort
 * LAST, so showing them first is a choice of the renderer, not key order.
 */
function bigProject(updates: number, deletes: number, description: (i: number) => string): string {
  const files: Record<string, string> = {};
  const entries: Record<string, ReturnType<typeof appliedEntry>> = {};
  for (let i = 1; i <= updates; i++) {
    const key = `u/${String(i).padStart(4, '0')}`;
    files[key] = `interview_name: U ${i}\nskills:\n  - name: S\n    description: ${yamlString(description(i))}\n`;
    const def = definition(key, { interview_name: `U ${i}`, skills: [{ name: 'S', description: 'old' }] });
    entries[key] = appliedEntry(def, `id-u-${i}`);
  }
  for (let i = 1; i <= deletes; i++) {
    const key = `z/gone-${i}`;
    entries[key] = appliedEntry(definition(key, { interview_name: `Gone ${i}` }), `id-z-${i}`);
  }
  const dir = project(files, { prune: true, safety: { maxDeletes: 100, maxDeletePercent: 100 } });
  mkdirSync(path.join(dir, '.micro1'), { recursive: true });
  writeFileSync(path.join(dir, '.micro1/state.json'), serializeState(stateOf(entries)));
  return dir;
}

/** Visible text lines of rendered html, a table row kept on one line. */
function visibleLines(html: string): string[] {
  const joined = html.replace(/\n(?=<\/?(?:td|th|tr)\b)/g, ' ').replace(/<br\s*\/?>/g, '\n');
  return decodeEntities(joined.replace(/<!--[\s\S]*?-->|<[^>]*>/g, '')).split('\n');
}

describe('a Markdown plan too big for one comment', () => {
  it('shows every delete first, an index line per change as far as it fits, and says how many were cut', async () => {
    const long = (i: number) => `Long description ${i}: ${'lorem ipsum dolor sit amet '.repeat(20)}`;
    const dir = bigProject(2000, 3, long);
    const started = performance.now();
    const result = await runCli(['plan', '--format', 'markdown'], dir);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(result.code, result.stderr).toBe(0);
    const md = result.stdout;
    expect(md.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    const r = renderGfm(md);
    expect(r.text).toContain('Plan: 0 to create, 2000 to update, 3 to delete');
    // Every delete is visible, before the first detailed update block (its diff line).
    const firstDetail = md.indexOf('! skills[0].description');
    for (let i = 1; i <= 3; i++) {
      expect(r.text, `z/gone-${i}`).toContain(`z/gone-${i}`);
      expect(md.indexOf(`z/gone-${i}`), `z/gone-${i} before the first detailed block`).toBeLessThan(firstDetail === -1 ? Infinity : firstDetail);
    }
    // Index lines: one per interview, key + action (+ changed fields for an update).
    const lines = visibleLines(r.html);
    const indexed = new Set<string>();
    for (const line of lines) {
      for (const m of line.matchAll(/\bu\/(\d{4})\b/g)) if (/\bupdate\b/.test(line) && /\bskills\b/.test(line)) indexed.add(m[0]);
      for (const m of line.matchAll(/\bz\/gone-\d\b/g)) if (/\bdelete\b/.test(line)) indexed.add(m[0]);
    }
    expect(indexed.size, 'index lines shown').toBeGreaterThan(500);
    const cut = 2003 - indexed.size;
    if (cut > 0) {
      // The index was cut only because it did not fit, and the count of what was cut is stated
      // (as a number that is not part of a key or an id).
      expect(md.length).toBeGreaterThan(COMMENT_LIMIT * 0.8);
      const updatesCut = 2000 - [...indexed].filter((k) => k.startsWith('u/')).length;
      const stated = [cut, updatesCut].some((n) => new RegExp(`(?<![\\w/-])${n}(?![\\w/-])`).test(r.text));
      expect(stated, `the text states that ${cut} changes (or ${updatesCut} updates) are not listed`).toBe(true);
    }
  });

  it('shows a single change too big for a comment truncated with a note, not dropped', async () => {
    const dir = bigProject(1, 1, () => `BEGIN-LONG-TEXT ${'x'.repeat(200_000)} END-LONG-TEXT`);
    const result = await runCli(['plan', '--format', 'markdown'], dir);
    expect(result.code, result.stderr).toBe(0);
    const md = result.stdout;
    expect(md.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    const r = renderGfm(md);
    expect(r.text).toContain('u/0001');
    expect(r.text).toContain('z/gone-1');
    expect(r.text, 'the start of the change is shown').toContain('BEGIN-LONG-TEXT');
    expect(r.text, 'a note says it was truncated').toMatch(/truncat|shortened|cut short|characters? (?:not shown|omitted|cut)/i);
  });
});

