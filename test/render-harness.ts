import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import xtermHeadless from '@xterm/headless';
import { micromark } from 'micromark';
import { gfm, gfmHtml } from 'micromark-extension-gfm';
import { BIN } from './chaos-harness.js';

/**
 * What a person is shown, measured with real renderers rather than with string matching on what
 * the CLI printed: the Markdown plan through a CommonMark/GFM renderer (micromark, as GitHub's own
 * renderer is CommonMark + GFM), terminal output through a terminal emulator (xterm.js headless),
 * and the approval prompt on a real pseudo-terminal (util-linux `script`, so no native module).
 */

const { Terminal } = xtermHeadless;

// ---------------------------------------------------------------------------------------------
// Markdown

export interface RenderedMarkdown {
  html: string;
  /** Every tag name that opens in the html (lower case), in order, with repeats. */
  elements: string[];
  /** Every HTML comment in the html, whole (`<!-- … -->`, or to the end when unclosed). */
  comments: string[];
  /** Visible text: the html without tags and comments, entities decoded. */
  text: string;
  /** Visible text that is not inside a <code> or <pre> element. */
  textOutsideCode: string;
  /** The visible text of each <code> element. */
  codeTexts: string[];
}

/**
 * Renders Markdown as GitHub would before its sanitizer: CommonMark + GFM, raw HTML passed through
 * (GitHub keeps details, summary, b, code, … and we must see which raw HTML would survive).
 */
export function renderGfm(markdown: string): RenderedMarkdown {
  const html = micromark(markdown, { extensions: [gfm()], htmlExtensions: [gfmHtml()], allowDangerousHtml: true });
  const elements: string[] = [];
  const comments: string[] = [];
  const codeTexts: string[] = [];
  let text = '';
  let textOutsideCode = '';
  let codeDepth = 0;
  let currentCode: string | undefined;
  // Tokens: a comment (closed or running to the end), a tag, or text.
  const token = /<!--[\s\S]*?(?:-->|$)|<\/?([A-Za-z][A-Za-z0-9-]*)(?:[^>"']|"[^"]*"|'[^']*')*>|[^<]+|</g;
  for (const match of html.matchAll(token)) {
    const [whole, name] = match;
    if (whole.startsWith('<!--')) {
      comments.push(whole);
      continue;
    }
    if (name !== undefined) {
      const tag = name.toLowerCase();
      const closing = whole.startsWith('</');
      if (!closing) elements.push(tag);
      if (tag === 'code' || tag === 'pre') {
        if (closing) codeDepth = Math.max(0, codeDepth - 1);
        else if (!whole.endsWith('/>')) codeDepth++;
        if (tag === 'code') {
          if (closing && currentCode !== undefined) {
            codeTexts.push(currentCode);
            currentCode = undefined;
          } else if (!closing) currentCode = '';
        }
      }
      continue;
    }
    const visible = decodeEntities(whole);
    text += visible;
    if (codeDepth === 0) textOutsideCode += visible;
    if (currentCode !== undefined) currentCode += visible;
  }
  return { html, elements, comments, text, textOutsideCode, codeTexts };
}

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', '#39': "'" };

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z][a-z0-9]*);/gi, (whole, name: string) => {
    if (name.startsWith('#x') || name.startsWith('#X')) return String.fromCodePoint(Number.parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(Number.parseInt(name.slice(1), 10));
    return NAMED[name.toLowerCase()] ?? whole;
  });
}

/**
 * Mentions (`@octocat`), issue references (`#123`, `GH-123`) that GitHub would link and notify in
 * visible text outside code. (Bare URLs and emails that GFM autolinks show up as `a` elements.)
 */
export function hasMentionOrReference(textOutsideCode: string): string[] {
  const found: string[] = [];
  for (const re of [/(^|[^\w])@[A-Za-z0-9][\w-]*/g, /(^|[^\w&])#\d+/g, /(^|[^\w])GH-\d+/gi]) {
    for (const m of textOutsideCode.matchAll(re)) found.push(m[0].slice(m[1]!.length));
  }
  return found;
}

/** The elements a plan comment may contain; anything else (img, script, a, h1, h2, input…) was injected. */
export const ALLOWED_ELEMENTS = new Set([
  'details', 'summary', 'code', 'pre', 'b', 'strong', 'em', 'h3', 'h4', 'p', 'ul', 'li', 'br',
  'table', 'thead', 'tbody', 'tr', 'th', 'td', 'hr', 'blockquote',
]);

// ---------------------------------------------------------------------------------------------
// Terminal

export interface Screen {
  /** Every line of the buffer (scrollback and viewport), trimmed right. */
  lines: string[];
  /** The window title, when something set one with OSC 0/1/2. */
  title: string | undefined;
  /** The whole buffer as one string, lines joined by \n. */
  text: string;
  /** The characters of every cell drawn concealed (SGR 8), which a person cannot see. */
  concealed: string;
}

/** Feeds `bytes` to a headless xterm and returns what it then shows. LF is taken as CR LF, as a pty's onlcr does. */
export async function screen(bytes: string, cols = 200, rows = 500): Promise<Screen> {
  const term = new Terminal({ cols, rows, scrollback: 10_000, allowProposedApi: true, convertEol: true });
  let title: string | undefined;
  const sub = term.onTitleChange((t) => (title = t));
  try {
    await new Promise<void>((resolve) => term.write(bytes, resolve));
    const buffer = term.buffer.active;
    const lines: string[] = [];
    let concealed = '';
    const cell = buffer.getNullCell();
    for (let i = 0; i < buffer.length; i++) {
      const line = buffer.getLine(i);
      lines.push(line?.translateToString(true) ?? '');
      for (let x = 0; line !== undefined && x < line.length; x++) {
        line.getCell(x, cell);
        if (cell.isInvisible() && cell.getChars().trim() !== '') concealed += cell.getChars();
      }
    }
    while (lines.length > 0 && lines.at(-1) === '') lines.pop();
    return { lines, title, text: lines.join('\n'), concealed };
  } finally {
    sub.dispose();
    term.dispose();
  }
}

/**
 * Every escape sequence (ESC and the C1 CSI/OSC introducers) in `raw` that is not an SGR colour
 * code `ESC[<digits;>m`, nor matched by `allow` (anchored at the ESC), shown with what follows it.
 */
export function nonSgrEscapes(raw: string, allow?: RegExp): string[] {
  const found: string[] = [];
  // eslint-disable-next-line no-control-regex
  for (const m of raw.matchAll(/\x1b(\[[0-9;]*m)?|[\x9b\x9d]/g)) {
    if (m[1] !== undefined) continue;
    const rest = raw.slice(m.index, m.index + 16);
    if (allow !== undefined && new RegExp(`^(?:${allow.source})`).test(rest)) continue;
    found.push(JSON.stringify(rest));
  }
  return found;
}

/**
 * Raw characters that change what a terminal or a reader shows without being seen themselves:
 * C0 controls other than LF and TAB (CR and ESC included), DEL, C1 controls (NEL U+0085 included),
 * U+2028/U+2029, bidi controls (U+202A–U+202E, U+2066–U+2069, U+200E/U+200F, U+061C) and
 * zero-width characters (U+200B–U+200D, U+2060, U+FEFF). ESC is reported only outside SGR codes.
 */
export function rawInvisibles(shown: string): string[] {
  // eslint-disable-next-line no-control-regex
  const withoutSgr = shown.replace(/\x1b\[[0-9;]*m/g, '');
  // eslint-disable-next-line no-control-regex
  const re = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\u200b-\u200d\u2060\ufeff]/g;
  return [...withoutSgr.matchAll(re)].map((m) => `U+${m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} in ${JSON.stringify(withoutSgr.slice(Math.max(0, m.index - 20), m.index + 20))}`);
}

/** Forms in which a control or invisible character may be shown visibly: `\x1b`, `\u001b`, `\e`, `^[` (and for others, `\xNN`/`\uNNNN`/`\r`, `U+NNNN`). */
export function visibleForms(char: string): string[] {
  const code = char.codePointAt(0)!;
  const hex2 = code.toString(16).padStart(2, '0');
  const hex4 = code.toString(16).padStart(4, '0');
  const forms = new Set<string>();
  for (const h of [hex2, hex2.toUpperCase()]) if (code < 0x100) forms.add(`\\x${h}`);
  for (const h of [hex4, hex4.toUpperCase()]) {
    forms.add(`\\u${h}`);
    forms.add(`\\u{${h.replace(/^0+(?=.)/, '')}}`);
    forms.add(`U+${h.toUpperCase()}`);
    forms.add(`<U+${h.toUpperCase()}>`);
  }
  if (code === 0x1b) forms.add('\\e').add('^[');
  if (code === 0x0d) forms.add('\\r').add('^M');
  if (code === 0x0a) forms.add('\\n').add('^J');
  if (code === 0x07) forms.add('\\a').add('^G');
  if (code === 0x09) forms.add('\\t');
  return [...forms];
}

/** Whether `shown` holds a visible form of `char`. */
export function showsVisibly(shown: string, char: string): boolean {
  return visibleForms(char).some((form) => shown.includes(form));
}

// ---------------------------------------------------------------------------------------------
// Pseudo-terminal

export const PROMPT = 'Only "yes" will be accepted';

export interface PtyResult {
  code: number | null;
  /** Everything the pty showed (stdout and stderr interleaved, CR LF line ends, echoed input). */
  output: string;
  /** Whether the prompt appeared (and `input` was typed). */
  prompted: boolean;
  timedOut: boolean;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Runs the built CLI on a pseudo-terminal (util-linux `script`: stdin, stdout and stderr are a TTY;
 * `script`'s own stdin is forwarded to it). Types `input` once the approval prompt is the last thing
 * shown. The terminal is 200 × 500 and TERM is xterm-256color, so colour is on unless env says NO_COLOR.
 */
export function runInPty(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number }): Promise<PtyResult> {
  const command = `stty cols 200 rows 500 2>/dev/null; exec ${[process.execPath, BIN, ...args].map(shellQuote).join(' ')}`;
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH, TERM: 'xterm-256color', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  let prompted = false;
  let timedOut = false;
  return new Promise((resolve, reject) => {
    const guard = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 15_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      // The prompt is the last thing shown (readline may follow it with a cursor move such as ESC[68G).
      // eslint-disable-next-line no-control-regex
      if (!prompted && options.input !== undefined && output.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').trimEnd().endsWith(`${PROMPT}:`)) {
        prompted = true;
        child.stdin!.write(options.input);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('error', (error) => {
      clearTimeout(guard);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(guard);
      child.stdin!.destroy();
      resolve({ code, output, prompted, timedOut });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// GitHub Actions workflow commands

/** Lines as the Actions runner reads them: it splits on LF, CR and CR LF alike. */
export function runnerLines(output: string): string[] {
  return output.split(/\r\n|\r|\n/);
}

/** Every line the runner would take as a workflow command: left-trimmed it starts with `::`, or it contains `##[` anywhere. */
export function workflowCommandLines(output: string): string[] {
  return runnerLines(output).filter((line) => line.trimStart().startsWith('::') || line.includes('##['));
}

const ANNOTATION = /^::(error|warning|notice)(?: ([^:]*))?::(.*)$/;

/** Reverses the runner's escaping of a property value. */
function unescapeProperty(v: string): string {
  return v.replace(/%0D/gi, '\r').replace(/%0A/gi, '\n').replace(/%3A/gi, ':').replace(/%2C/gi, ',').replace(/%25/g, '%');
}

/**
 * With GITHUB_ACTIONS=true: the workflow-command lines that are NOT one of the tool's own
 * annotations. An annotation of the tool's is `::error|warning|notice [props]::message`, every
 * property one of file, line, col, title; `file=` names a real file under `projectRoot` (or the
 * repository root `workspace`), or one of `known` (project-relative: e.g. the file of a delete,
 * which is gone); `title=` starts with "micro1"; and no `##[` anywhere.
 */
/** The text a visible escape (`\xNN`, `\uNNNN`, `\n`, `\r`, `\t`) stands for. */
function decodeVisible(text: string): string {
  const short: Record<string, string> = { n: '\n', r: '\r', t: '\t' };
  return text.replace(/\\(?:x([0-9a-f]{2})|u([0-9a-f]{4})|([nrt]))/gi, (_, x?: string, u?: string, c?: string) =>
    c !== undefined ? short[c]! : String.fromCharCode(Number.parseInt((x ?? u)!, 16)),
  );
}

export function forgedWorkflowCommands(output: string, projectRoot: string, known: readonly string[] = [], workspace = projectRoot): string[] {
  return workflowCommandLines(output).filter((line) => {
    if (line.includes('##[')) return true;
    const m = ANNOTATION.exec(line);
    if (m === null || line !== line.trimStart()) return true;
    const props = m[2] === undefined || m[2] === '' ? [] : m[2].split(',');
    let title: string | undefined;
    for (const prop of props) {
      const eq = prop.indexOf('=');
      if (eq <= 0) return true;
      const key = prop.slice(0, eq);
      const value = unescapeProperty(prop.slice(eq + 1));
      if (!['file', 'line', 'col', 'title'].includes(key)) return true;
      if (key === 'file') {
        // A name with control characters is given in its visible form (`\x1b`, `\n`): that names the file too.
        const candidates = [value, decodeVisible(value)].flatMap((v) => [path.resolve(workspace, v), path.resolve(projectRoot, v)]);
        const real = candidates.some(
          (f) => f.startsWith(projectRoot + path.sep) && ((existsSync(f) && statSync(f).isFile()) || known.some((k) => path.resolve(projectRoot, k) === f)),
        );
        if (!real) return true;
      }
      if ((key === 'line' || key === 'col') && !/^\d+$/.test(value)) return true;
      if (key === 'title') title = value;
    }
    return title === undefined || !title.startsWith('micro1');
  });
}
