import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { COMMANDS, EXIT } from '../src/cli-commands/index.js';
import { CONFIG_SCHEMA } from '../src/config.js';
import { BODY_DEFAULTS, BODY_FIELDS, CODING_LANGUAGES, INTERVIEW_LANGUAGES, MAX_QUESTIONS, MAX_SKILLS, QUESTION_MINUTES, QUESTION_TYPES } from '../src/definitions/body-model.js';
import { decodeEntities, renderGfm } from './render-harness.js';

/**
 * The documentation checked against the code it describes, as a reader sees it (rendered with
 * micromark + GFM, like GitHub): every command and flag the CLI declares is in docs/commands.md
 * and every one documented there exists; every setting of the config schema is in
 * docs/configuration.md and every documented one exists; every relative link between the README
 * and the docs pages leads to a file and heading that exist. Derived from the declarations
 * (COMMANDS, define.ts, CONFIG_SCHEMA), so a new flag or setting fails here until it is written up.
 */

const REPO = fileURLToPath(new URL('..', import.meta.url));
/** A page's text; a missing page reads as empty, so each test below fails on its own. */
const read = (rel: string) => (existsSync(path.join(REPO, rel)) ? readFileSync(path.join(REPO, rel), 'utf8') : '');

interface Section {
  /** The heading's visible text. */
  title: string;
  level: number;
  /** The rendered html from this heading to the next of the same or a higher level. */
  html: string;
}

/** Headings of a rendered page, in order, each with the html up to the next heading of its level or above. */
function sections(html: string): Section[] {
  const heads = [...html.matchAll(/<h([1-6])[^>]*>([\s\S]*?)<\/h\1>/g)].map((m) => ({ level: Number(m[1]), title: visible(m[2]!), at: m.index }));
  return heads.map((h, i) => {
    const end = heads.slice(i + 1).find((n) => n.level <= h.level)?.at ?? html.length;
    return { title: h.title, level: h.level, html: html.slice(h.at, end) };
  });
}

const visible = (html: string) => decodeEntities(html.replace(/<[^>]+>/g, '')).trim();
const codeSpans = (html: string) => [...html.matchAll(/<code[^>]*>([\s\S]*?)<\/code>/g)].map((m) => decodeEntities(m[1]!));

const anchorCache = new Map<string, Set<string>>();

/** GitHub's heading anchors (github-slugger): lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const cached = anchorCache.get(markdown);
  if (cached !== undefined) return cached;
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const s of sections(renderGfm(markdown).html)) {
    const base = s.title.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  anchorCache.set(markdown, out);
  return out;
}

/**
 * Flags written after an invocation of `micro1 <command>`: a whole inline code span that starts with
 * `micro1 `, or in a code block `npx micro1 …` and `` `micro1 …` `` (a hint quoted in output).
 * Output lines such as "micro1 will perform…" are not invocations. Returns [command, flag][]; a
 * command with no flag appears once with ''.
 */
function invocations(code: string, inline: boolean): [string, string][] {
  const found: [string, string][] = [];
  const start = inline ? /^micro1 ([a-z][a-z-]*)([^`]*)/g : /(?:npx |`)micro1 ([a-z][a-z-]*)([^`\n|&;>#]*)/g;
  for (const line of code.split('\n')) {
    for (const m of line.matchAll(start)) {
      for (const f of m[2]!.matchAll(/(?:^|[\s[|(])(--[a-z][a-z-]*|-[a-z])\b/g)) found.push([m[1]!, f[1]!]);
      found.push([m[1]!, '']);
    }
  }
  return found;
}

/** Every code element of a rendered page: its text, and whether it is inline (not a block). */
const codeElements = (html: string) => [...html.matchAll(/(<pre>)?<code[^>]*>([\s\S]*?)<\/code>/g)].map((m) => ({ inline: m[1] === undefined, text: decodeEntities(m[2]!) }));

const flagNames = (name: string) => Object.entries(COMMANDS[name]!.flags).flatMap(([long, f]) => [`--${long}`, ...(f.short ? [`-${f.short}`] : [])]);

describe('docs/commands.md: every command and flag of the CLI, and nothing else', () => {
  const html = renderGfm(read('docs/commands.md')).html;
  const all = sections(html);
  const commandSection = (name: string) => all.find((s) => s.level === 2 && s.title === `micro1 ${name}`);

  it('has a section per command of the command table, and a command for every section', () => {
    const documented = all.filter((s) => s.level === 2 && s.title.startsWith('micro1 ')).map((s) => s.title.slice('micro1 '.length));
    expect(documented.sort()).toEqual(Object.keys(COMMANDS).sort());
  });

  it("lists each command's every flag (long and short form) and positional in its section's table, and nothing else there", () => {
    const missing: string[] = [];
    const extra: string[] = [];
    for (const [name, command] of Object.entries(COMMANDS)) {
      const section = commandSection(name);
      if (section === undefined) {
        missing.push(`micro1 ${name}: no section`);
        continue;
      }
      // The first cell of each table row: `-o, --out FILE`, `--json`, `PLANFILE`, `show KEY`.
      const rows = [...section.html.matchAll(/<tr>\s*<td><code>([^<]+)<\/code><\/td>/g)].map((m) => decodeEntities(m[1]!));
      const declared = new Map<string, string>();
      for (const [long, flag] of Object.entries(command.flags)) declared.set(`${flag.short ? `-${flag.short}, ` : ''}--${long}${flag.value ? ` ${flag.value}` : ''}`, `--${long}`);
      for (const arg of Object.keys(spec(name))) declared.set(arg, arg);
      for (const [row, what] of declared) if (!rows.includes(row)) missing.push(`micro1 ${name}: no row \`${row}\` (${what})`);
      for (const row of rows) if (!declared.has(row)) extra.push(`micro1 ${name}: row \`${row}\` is not declared`);
    }
    expect(missing).toEqual([]);
    expect(extra).toEqual([]);
  });

  it('names no command or flag the CLI does not declare, wherever in the docs or the README it is written', () => {
    const wrong: string[] = [];
    for (const page of pages()) {
      const rendered = renderGfm(read(page)).html;
      // A bare `--flag` in a command's section belongs to that command.
      for (const s of sections(rendered).filter((s) => page === 'docs/commands.md' && s.level === 2 && s.title.startsWith('micro1 '))) {
        const name = s.title.slice('micro1 '.length);
        if (COMMANDS[name] === undefined) continue;
        for (const code of codeSpans(s.html)) {
          const bare = /^(--[a-z][a-z-]*|-[a-z])(?:[ =]\S*)?$/.exec(code.trim());
          if (bare && !flagNames(name).includes(bare[1]!)) wrong.push(`${page}: \`${code}\` in micro1 ${name}`);
        }
      }
      for (const code of codeElements(rendered)) {
        for (const [name, flag] of invocations(code.text, code.inline)) {
          if (COMMANDS[name] === undefined && !['help', 'version'].includes(name)) wrong.push(`${page}: micro1 ${name} (no such command)`);
          else if (COMMANDS[name] !== undefined && flag !== '' && !flagNames(name).includes(flag)) wrong.push(`${page}: micro1 ${name} ${flag}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('lists every exit code the CLI uses, and only those', () => {
    const table = all.find((s) => s.title === 'Exit codes');
    expect(table, 'an "Exit codes" section').toBeDefined();
    const rows = [...table!.html.matchAll(/<tr>\s*<td>([\s\S]*?)<\/td>/g)].flatMap((m) => visible(m[1]!).split(/\s*\/\s*/)).map(Number);
    expect(rows.sort((a, b) => a - b)).toEqual([...new Set(Object.values(EXIT))].sort((a, b) => a - b));
  });
});

describe('docs/configuration.md: every setting of the config, and nothing else', () => {
  const html = renderGfm(read('docs/configuration.md')).html;
  const table = sections(html).find((s) => s.title === 'Settings');

  it('has a row per setting of the config schema, and a setting for every row', () => {
    expect(table, 'a "Settings" section').toBeDefined();
    const rows = [...table!.html.matchAll(/<tr>\s*<td><code>([^<]+)<\/code><\/td>/g)].map((m) => decodeEntities(m[1]!));
    expect(rows.sort()).toEqual(settingPaths(CONFIG_SCHEMA).sort());
  });

  it('lists every environment variable the product reads', () => {
    const env = sections(html).find((s) => s.title === 'Environment variables');
    expect(env, 'an "Environment variables" section').toBeDefined();
    const documented = new Set(codeSpans(env!.html).map((c) => c.split('=')[0]!));
    const read = new Set<string>();
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        // The sandbox and the demo are not the product a user configures.
        if (entry.isDirectory()) {
          if (entry.name !== 'sandbox') walk(file);
        } else if (entry.name.endsWith('.ts') && entry.name !== 'demo.ts') {
          for (const m of readFileSync(file, 'utf8').matchAll(/\benv\.([A-Z][A-Z0-9_]+)\b/g)) read.add(m[1]!);
        }
      }
    };
    walk(path.join(REPO, 'src'));
    expect(read.size).toBeGreaterThan(3);
    expect([...read].filter((name) => !documented.has(name))).toEqual([]);
  });

  it('shows every setting in the example config too', () => {
    const example = [...html.matchAll(/<pre><code class="language-ts">([\s\S]*?)<\/code><\/pre>/g)].map((m) => decodeEntities(m[1]!)).join('\n');
    const leaves = settingPaths(CONFIG_SCHEMA).map((p) => p.split('.').at(-1)!);
    expect(leaves.filter((leaf) => !new RegExp(`\\b${leaf}:`).test(example))).toEqual([]);
  });
});

describe('docs/definitions.md: every field of the body declaration, with its default and limits', () => {
  const rows = () =>
    new Map(
      [...renderGfm(read('docs/definitions.md')).html.matchAll(/<tr>\s*<td><code>([^<]+)<\/code><\/td>([\s\S]*?)<\/tr>/g)].map((m) => [decodeEntities(m[1]!), visible(m[2]!.replace(/<\/td>/g, ' |'))]),
    );

  it('has a row per field of body-model.ts, then id and extends, in that order', () => {
    expect([...rows().keys()]).toEqual([...BODY_FIELDS, 'id', 'extends']);
  });

  it("gives each field's default and the limits the declaration enforces", () => {
    const table = rows();
    const wrong: string[] = [];
    for (const [field, value] of Object.entries(BODY_DEFAULTS)) {
      // The default column, as shown: `en`, `""`, `[]`, `false`.
      const shown = typeof value === 'string' && value !== '' ? value : JSON.stringify(value);
      const cell = (table.get(field) ?? '').split(' |')[1]?.trim();
      if (cell !== shown) wrong.push(`${field}: default ${shown}, documented ${String(cell)}`);
    }
    const limits: [string, (string | number)[]][] = [
      ['skills', [`at most ${MAX_SKILLS}`]],
      ['custom_question_list', [`at most ${MAX_QUESTIONS}`, `${QUESTION_MINUTES.min}–${QUESTION_MINUTES.max} minutes`, ...QUESTION_TYPES]],
      ['interview_language', [`${INTERVIEW_LANGUAGES.length} codes`, ...INTERVIEW_LANGUAGES]],
      ['selected_coding_language', [...CODING_LANGUAGES]],
    ];
    for (const [field, needles] of limits) {
      const words = new Set((table.get(field) ?? '').split(/[\s|:;,]+/));
      for (const n of needles) if (!(String(n).includes(' ') ? (table.get(field) ?? '').includes(String(n)) : words.has(String(n)))) wrong.push(`${field}: ${n}`);
    }
    expect(wrong).toEqual([]);
  });
});

describe('links between the README and the docs pages', () => {
  it('every relative link leads to a file that exists, and every #anchor to a heading of that page', () => {
    const broken: string[] = [];
    for (const page of pages()) {
      for (const m of renderGfm(read(page)).html.matchAll(/<a href="([^"]*)"/g)) {
        const href = decodeEntities(m[1]!);
        if (/^[a-z][a-z0-9+.-]*:/i.test(href)) continue; // https:, mailto: — not followed here (hermetic)
        const [file = '', anchor] = href.split('#') as [string, string | undefined];
        const target = file === '' ? page : path.posix.normalize(path.posix.join(path.posix.dirname(page), decodeURIComponent(file)));
        if (!existsSync(path.join(REPO, target))) {
          broken.push(`${page}: ${href} (no file ${target})`);
          continue;
        }
        if (anchor !== undefined && statSync(path.join(REPO, target)).isFile() && !anchors(read(target)).has(anchor)) broken.push(`${page}: ${href} (no heading #${anchor} in ${target})`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('every docs page is reachable from the README or the docs index', () => {
    const linked = new Set<string>();
    for (const page of ['README.md', 'docs/README.md']) {
      for (const m of renderGfm(read(page)).html.matchAll(/<a href="([^"#]+)/g)) linked.add(path.posix.normalize(path.posix.join(path.posix.dirname(page), m[1]!)));
    }
    expect(pages().filter((p) => p.startsWith('docs/') && p !== 'docs/README.md' && !linked.has(p))).toEqual([]);
  });
});

describe('wording', () => {
  it('reads as reference, not as change notes', () => {
    const notes = /\b(now fixed|added for|existed before|used to|previously|new in|from now on)\b|\(was:/gi;
    const found = pages().flatMap((page) => [...read(page).matchAll(notes)].map((m) => `${page}: "${m[0]}"`));
    expect(found).toEqual([]);
  });
});

describe('the README, for a newcomer', () => {
  const readme = read('README.md');

  it('is short enough to read in five minutes', () => {
    expect(Buffer.byteLength(readme)).toBeLessThan(20_000);
  });

  it('starts with the two commands, and says which Node it needs near the top', () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(firstBlock.split('\n').filter((l) => l.trim() !== '').map((l) => l.replace(/\s+#.*$/, ''))).toEqual(['npm ci && npm run demo', 'npm test']);
    const nodeLine = readme.split('\n').findIndex((l) => /Node(\.js)? 20\.12/.test(l));
    expect(nodeLine).toBeGreaterThanOrEqual(0);
    expect(nodeLine).toBeLessThan(30);
    // The Node lines the suite runs on; the README's line names them all.
    expect(JSON.parse(read('package.json')).engines.node).toBe('^20.12.0 || ^22.0.0 || ^24.0.0 || ^26.0.0');
    expect(readme.split('\n')[nodeLine]).toMatch(/20\.12.*\b22\b.*\b24\b.*\b26\b/);
  });
});

/** README.md and every Markdown page under docs/. */
function pages(): string[] {
  return ['README.md', ...(existsSync(path.join(REPO, 'docs')) ? readdirSync(path.join(REPO, 'docs')) : []).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
}

/** A command's positionals and subcommands, from its help lines (the declaration's `args`). */
function spec(name: string): Record<string, string> {
  const command = COMMANDS[name]!;
  const args: Record<string, string> = {};
  for (const line of command.help) {
    const m = /^ {2}([A-Za-z][^\s-]*(?: [A-Z.]+)*)\s{2,}/.exec(line);
    if (m && !line.trimStart().startsWith('-')) args[m[1]!] = line;
  }
  return args;
}

/** Dotted paths of every leaf setting of a zod object schema. */
function settingPaths(schema: z.ZodType, prefix = ''): string[] {
  const inner = schema instanceof z.ZodOptional ? (schema.unwrap() as z.ZodType) : schema;
  if (!(inner instanceof z.ZodObject)) return [prefix];
  return Object.entries(inner.shape as Record<string, z.ZodType>).flatMap(([key, value]) => settingPaths(value, prefix === '' ? key : `${prefix}.${key}`));
}
