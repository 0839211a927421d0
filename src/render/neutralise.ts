/**
 * Untrusted text made safe for each medium micro1-sync writes to, by one function per medium.
 * Everything that comes from a definition, a file name, the state or a server is untrusted: it
 * must not be able to move the cursor, hide or reorder text, start a line, end a code block,
 * render as HTML, a link or a mention, or become a GitHub workflow command.
 *
 * - terminal: `visible` (every control, line break, bidi override and zero-width character shown
 *   as an escape such as `\r`, `\x1b`, `\u202e`); the CLI's output edge runs `guardOutput` as a net;
 * - Markdown: `mdCode` (inline code), `mdCodeBlock` (fenced block), `mdText` (text outside code),
 *   `mdHtml` (inside the tool's own HTML: `<summary>`);
 * - GitHub workflow commands: `guardWorkflowCommands`, run on every line the CLI prints except the
 *   tool's own annotations.
 *
 * `visible` is idempotent (its output has only printable characters), so text escaped where it is
 * composed can safely be escaped again where it is rendered.
 */

/**
 * C0 controls (tab, LF, CR and ESC among them), DEL, C1 (NEL among them), the Unicode line and
 * paragraph separators, bidirectional marks, embeddings, overrides and isolates, zero-width
 * characters and the BOM, and lone surrogates.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\u061c\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const UNSAFE_ANY = new RegExp(UNSAFE.source);
const SHORT: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** One line of plain text with every character that could change what a reader sees shown as an escape. */
export function visible(text: string): string {
  // Most values have nothing to escape: a test is cheaper than a replace that builds a new string.
  return UNSAFE_ANY.test(text) ? text.replace(UNSAFE, escapeChar) : text;
}

/** Multi-line text: each line made `visible`, line feeds kept (the caller indents them). */
export function visibleLines(text: string): string[] {
  return text.split('\n').map(visible);
}

/**
 * The last line of defence at the CLI's output edge, for text that should already be escaped:
 * anything still unsafe is shown as a `\uXXXX` escape (valid inside a JSON string too, so
 * `plan --json` stays parseable). Kept: line feeds, a carriage return that starts a write (the
 * progress line redraws itself), and the tool's own colour codes.
 */
export function guardOutput(text: string): string {
  return text.replace(EDGE, (match, offset: number) => {
    if (match === '\n' || (match === '\r' && offset === 0) || OWN_SGR.test(match)) return match;
    // A colour code of someone else's keeps its text, visibly, without its ESC.
    return `\\u${hex(match.charCodeAt(0), 4)}${match.slice(1)}`;
  });
}

/** What `painter` writes: bold, dim, red, green, yellow and their resets. Nothing else, not even other colours. */
const OWN_SGR = /^\x1b\[(?:1|2|22|31|32|33|39)m$/;
// eslint-disable-next-line no-control-regex
const EDGE = new RegExp(`\\x1b\\[[0-9;]*m|${UNSAFE.source}`, 'g');

/**
 * GitHub's runner reads every line a step prints, split at CR or LF, as a possible command: a
 * line whose text after leading white space starts with `::` (actions/runner ActionCommand.TryParseV2),
 * or that holds `##[` anywhere (TryParse, the v1 syntax). Such lines get one visible escape
 * (`\u003a:`, `#\u0023[`); the text stays readable, and JSON stays valid with the same value.
 */
export function guardWorkflowCommands(text: string): string {
  if (!text.includes('::') && !text.includes('##[')) return text;
  return text
    .split('\n')
    .map((line) => {
      const guarded = guardV1(line);
      const start = guarded.length - guarded.replace(LEADING_SPACE, '').length;
      return guarded.startsWith('::', start) ? `${guarded.slice(0, start)}\\u003a${guarded.slice(start + 1)}` : guarded;
    })
    .join('\n');
}

/**
 * `guardWorkflowCommands` for one stream written in pieces. The runner joins the pieces into lines,
 * so a command cut between two writes (`:` then `:error::x`, `##` then `[group]`) is caught by
 * remembering how the unfinished line ends; a piece that continues a line is guarded as the rest
 * of that line, so the result is what guarding the whole text at once would give, or safer.
 */
export function workflowCommandStream(): (text: string) => string {
  /** The unfinished line: only white space so far, white space and one `:`, or anything else. */
  let start: 'blank' | 'colon' | 'other' = 'blank';
  /** Its last two characters, for a `##[` cut between writes. */
  let last = '';
  return (text) => {
    if (text === '') return text;
    let piece = text;
    if (start === 'colon' && piece.startsWith(':')) piece = `\\u003a${piece.slice(1)}`;
    else if (last.endsWith('##') && piece.startsWith('[')) piece = `\\u005b${piece.slice(1)}`;
    else if (last.endsWith('#') && piece.startsWith('#[')) piece = `\\u0023${piece.slice(1)}`;
    const firstBreak = piece.search(/[\r\n]/);
    const firstLine = firstBreak === -1 ? piece : piece.slice(0, firstBreak);
    const rest = firstBreak === -1 ? '' : piece.slice(firstBreak);
    const out = (start === 'other' ? guardV1(firstLine) : guardWorkflowCommands(firstLine)) + guardWorkflowCommands(rest);
    const lastBreak = Math.max(out.lastIndexOf('\n'), out.lastIndexOf('\r'));
    const unfinished = lastBreak === -1 ? out : out.slice(lastBreak + 1);
    if (lastBreak !== -1) start = 'blank';
    for (const ch of unfinished) start = start === 'blank' && LEADING_SPACE.test(ch) ? 'blank' : start === 'blank' && ch === ':' ? 'colon' : 'other';
    last = (lastBreak === -1 ? last + unfinished : unfinished).slice(-2);
    return out;
  };
}

/**
 * The tool's own annotations (github.ts): they are the one kind of line allowed to start with
 * `::`, but the untrusted text inside them gets no `##[` either.
 */
export function guardOwnAnnotations(text: string): string {
  return guardV1(text);
}

function guardV1(text: string): string {
  return text.replaceAll('##[', '#\\u0023[');
}

/** What .NET's TrimStart removes (char.IsWhiteSpace), which is a little more than JavaScript's trimStart. */
const LEADING_SPACE = /^[\s\u0085\u180e]+/u;

/** Inline code: a fence longer than any backtick run inside, padded when needed (CommonMark 6.1). */
export function mdCode(text: string): string {
  const safe = visible(text);
  const runs = safe.match(/`+/g) ?? [];
  const fence = '`'.repeat(Math.max(0, ...runs.map((r) => r.length)) + 1);
  // CommonMark strips one space from each end, unless the content is only spaces.
  const onlySpaces = /^ *$/.test(safe);
  const pad = !onlySpaces && (runs.length > 0 || safe.startsWith(' ') || safe.endsWith(' ')) ? ' ' : '';
  return safe === '' ? '` `' : `${fence}${pad}${safe}${pad}${fence}`;
}

/**
 * A fenced code block whose lines cannot end it: the fence is longer than any backtick run in the
 * content (CommonMark 4.5), and each line is `visible`, so no CR, NEL or U+2028 starts a new line.
 */
export function mdCodeBlock(lines: readonly string[], info: string): string {
  const safe = lines.map(visible);
  const fence = mdFence(safe);
  return `${fence}${info}\n${safe.join('\n')}\n${fence}\n`;
}

/** The fence for a code block of these (already `visible`) lines: longer than any backtick run in them. */
export function mdFence(lines: readonly string[]): string {
  let longest = 0;
  for (const line of lines) for (const run of line.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  return '`'.repeat(Math.max(3, longest + 1));
}

/**
 * Text outside code that renders literally: the characters that can open emphasis, a link, an
 * image, HTML, an entity, a table cell or strikethrough are backslash-escaped, as are the `www.`
 * and `scheme://` that GFM turns into links and a block marker at the start (`#`, `-`, `1.`);
 * `@` and `#` are followed by a zero-width space, so GitHub makes no mention or issue reference of
 * them. `code spans` that the tool's own messages hold (commands to run) stay code.
 */
export function mdText(text: string): string {
  return visible(text)
    .split(/(`[^`]+`)/)
    .map((part, i) => (i % 2 === 1 ? part : escapeMarkdownText(part, i === 0)))
    .join('');
}

function escapeMarkdownText(text: string, atStart: boolean): string {
  const escaped = text
    .replace(/[\\`*_[\]<>&|~]/g, '\\$&')
    .replace(/(www)\./gi, '$1\\.')
    .replace(/:(?=\/\/)/g, '\\:')
    .replace(/[@#]/g, '$&&#8203;');
  return atStart ? escaped.replace(/^([ \t]*)([-+=>!]|\d+[.)])/, (_, space: string, mark: string) => `${space}${mark.replace(/[^\d]$/, '\\$&')}`) : escaped;
}

/** Text inside the tool's own HTML elements (`<summary>`): entities for markup, no line breaks, no mentions. */
export function mdHtml(text: string): string {
  return visible(text).replace(/[&<>"'@#]/g, (c) => (c === '@' || c === '#' ? `${c}&#8203;` : ENTITY[c]!));
}

const ENTITY: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeChar(c: string): string {
  const short = SHORT[c];
  if (short !== undefined) return short;
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${hex(code, 2)}` : `\\u${hex(code, 4)}`;
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}
