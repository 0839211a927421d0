import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { guardOutput, guardWorkflowCommands, mdCode, workflowCommandStream, mdCodeBlock, mdHtml, mdText, visible } from '../src/render/neutralise.js';
import { redact, secretsOf } from '../src/render/redact.js';
import { renderErrorMarkdown } from '../src/render/render-markdown.js';
import { hasMentionOrReference, rawInvisibles, renderGfm, workflowCommandLines } from './render-harness.js';

/**
 * The one function per medium, checked on its own: what comes out is safe for that medium, and
 * says what went in. The end-to-end checks on the CLI are in honest-output.test.ts.
 */

/** Text with everything a definition or a server could put in a value. */
const hostileChar = fc.constantFrom(
  ...'abc `*_[]<>&|~!#@:/.\\-=+1'.split(''),
  '\n', '\r', '\t', '\x1b', '\x07', '\x7f', '\u0085', '\u2028', '\u2029', '\u202e', '\u2066', '\u200b', '\u200d', '\ufeff', '\ud800', 'é', '日',
  '```', '<!--', '</details>', '::', '##[', 'www.', 'https://', '@octocat', '#12',
);
const hostile = fc.array(hostileChar, { maxLength: 40 }).map((parts) => parts.join(''));

describe('visible (terminal)', () => {
  it('shows controls, line breaks, bidi and zero-width characters as escapes', () => {
    expect(visible('a\x1b[2Jb\rc\u202ed\u2028e\u0085f\u200dg\th\ni\x7f')).toBe('a\\x1b[2Jb\\rc\\u202ed\\u2028e\\x85f\\u200dg\\th\\ni\\x7f');
    expect(visible('Entrevista técnica 日本語 — ok')).toBe('Entrevista técnica 日本語 — ok');
  });

  it('leaves nothing a terminal would act on, and is idempotent', () => {
    fc.assert(
      fc.property(hostile, (text) => {
        const once = visible(text);
        expect(rawInvisibles(once)).toEqual([]);
        expect(once).not.toContain('\x1b');
        expect(visible(once)).toBe(once);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('guardOutput (the CLI edge)', () => {
  it('keeps the painter colours and a leading CR, and escapes any other escape', () => {
    expect(guardOutput('\r\x1b[31mred\x1b[39m \x1b[8mhidden\x1b[0m \x1b]0;t\x07')).toBe('\r\x1b[31mred\x1b[39m \\u001b[8mhidden\\u001b[0m \\u001b]0;t\\u0007');
  });

  it('keeps JSON valid and equal: what it escapes in a JSON string decodes to the same text', () => {
    fc.assert(
      fc.property(fc.array(hostile, { maxLength: 5 }), (values) => {
        const json = JSON.stringify({ values }, null, 2);
        const guarded = guardWorkflowCommands(guardOutput(json));
        expect(JSON.parse(guarded)).toEqual({ values });
      }),
      { numRuns: 1000 },
    );
  });
});

describe('guardWorkflowCommands (the Actions runner)', () => {
  it('leaves no line the runner reads as a command, split as it splits them', () => {
    fc.assert(
      fc.property(hostile, (text) => {
        const out = guardWorkflowCommands(visible(text).replaceAll('\\n', '\n'));
        expect(workflowCommandLines(out)).toEqual([]);
      }),
      { numRuns: 2000 },
    );
  });

  it('leaves no command when the text is written in pieces, however it is cut', () => {
    fc.assert(
      fc.property(hostile, fc.array(fc.nat(), { maxLength: 6 }), (text, cuts) => {
        const whole = visible(text).replaceAll('\\n', '\n');
        const at = [...new Set(cuts.map((c) => c % (whole.length + 1)))].sort((a, b) => a - b);
        const pieces = [0, ...at].map((start, i) => whole.slice(start, [...at, whole.length][i]));
        const guard = workflowCommandStream();
        expect(workflowCommandLines(pieces.map(guard).join(''))).toEqual([]);
      }),
      { numRuns: 3000 },
    );
  });

  it('catches a command cut between two writes, and changes nothing a whole write would not', () => {
    const cases: [string[], string][] = [
      [[':', ':error::x\n'], ':\\u003aerror::x\n'],
      [['  :', ':add-mask::k\n'], '  :\\u003aadd-mask::k\n'],
      [['ok ##', '[group]x\n'], 'ok ##\\u005bgroup]x\n'],
      [['ok #', '#[group]x\n'], 'ok #\\u0023[group]x\n'],
      [['a:', ':b\n', '\n::c\n'], 'a::b\n\n\\u003a:c\n'],
      [['plan: 1 to create\n', 'ok\n'], 'plan: 1 to create\nok\n'],
    ];
    for (const [pieces, expected] of cases) {
      const guard = workflowCommandStream();
      expect(pieces.map(guard).join(''), JSON.stringify(pieces)).toBe(expected);
    }
  });

  it('escapes after any white space .NET trims, and ##[ anywhere', () => {
    expect(guardWorkflowCommands('  ::add-mask::x\n\u00a0\u3000::error::y\nok ##[group]z')).toBe('  \\u003a:add-mask::x\n\u00a0\u3000\\u003a:error::y\nok #\\u0023[group]z');
  });
});

describe('Markdown', () => {
  it('mdCode renders as one code element holding the visible text', () => {
    fc.assert(
      fc.property(hostile, (text) => {
        const r = renderGfm(`x ${mdCode(text)} y`);
        expect(r.elements).toEqual(['p', 'code']);
        expect(r.codeTexts).toEqual([visible(text) === '' ? ' ' : visible(text)]);
      }),
      { numRuns: 1000 },
    );
  });

  it('mdCodeBlock renders as one pre block holding every line, whatever the lines hold', () => {
    fc.assert(
      fc.property(fc.array(hostile, { minLength: 1, maxLength: 6 }), (lines) => {
        const r = renderGfm(`${mdCodeBlock(lines, 'diff')}\nafter`);
        expect(r.elements).toEqual(['pre', 'code', 'p']);
        expect(r.codeTexts).toEqual([`${lines.map(visible).join('\n')}\n`]);
      }),
      { numRuns: 1000 },
    );
  });

  it('mdText renders literally: no element but the paragraph, no mention, the text itself', () => {
    fc.assert(
      fc.property(hostile, (text) => {
        const r = renderGfm(`- item: ${mdText(text)}`);
        expect(r.elements.filter((e) => e !== 'code')).toEqual(['ul', 'li']);
        expect(r.comments).toEqual([]);
        expect(hasMentionOrReference(r.textOutsideCode)).toEqual([]);
        // Backticks may pair into code spans (tool messages quote commands so); without them, the very text.
        if (!text.includes('`')) expect(r.text.replace(/(?<=[@#])\u200b/g, '').trim()).toBe(`item: ${visible(text)}`.trim());
      }),
      { numRuns: 1000 },
    );
  });

  it('mdText at the start of a paragraph opens no heading, list or quote', () => {
    for (const text of ['# heading', '- item', '+ item', '1. item', '2) item', '> quote', '=====', '<img src=x>']) {
      const r = renderGfm(`${mdText(text)}\n`);
      expect(r.elements, text).toEqual(['p']);
    }
  });

  it('mdHtml inside the tool\'s own <summary> ends nothing and links no one', () => {
    fc.assert(
      fc.property(hostile, (text) => {
        const r = renderGfm(`<details><summary><b>${mdHtml(text)}</b></summary>\n\n</details>\n`);
        expect(r.elements).toEqual(['details', 'summary', 'b']);
        expect(hasMentionOrReference(r.textOutsideCode)).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });

  it('an error with lines of its own keeps them, each escaped', () => {
    const md = renderErrorMarkdown('apply', 'Refusing to apply:\n  interviews/a.yaml (a): x\n# not a heading <img>', 'set it\n@octocat');
    const r = renderGfm(md);
    expect(r.elements.filter((e) => e !== 'br')).toEqual(['h3', 'p', 'strong', 'p']);
    expect(r.text).toContain('interviews/a.yaml (a): x');
    expect(hasMentionOrReference(r.textOutsideCode)).toEqual([]);
  });
});

describe('redact', () => {
  const key = 'mk1+Zq8/Tv3=Lp7+Ws2/Hd9=Rx4+Nc6/';
  const forms: Record<string, (s: string) => string> = {
    exact: (s) => s,
    upper: (s) => s.toUpperCase(),
    url: encodeURIComponent,
    json: (s) => [...s].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join(''),
    html: (s) => [...s].map((c) => `&#${c.charCodeAt(0)};`).join(''),
    spaced: (s) => [...s].join(' '),
  };

  it('masks any 12 consecutive characters of the key, in every form, wherever they stand', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: key.length - 12 }), fc.integer({ min: 12, max: key.length }), fc.constantFrom(...Object.keys(forms)), fc.string(), fc.string(), (start, length, form, before, after) => {
        const part = key.slice(start, Math.min(key.length, start + length));
        const out = redact(`${before}[${forms[form]!(part)}]${after}`, [key]);
        const lower = out.toLowerCase();
        for (let i = 0; i + 12 <= key.length; i++) expect(lower).not.toContain(key.slice(i, i + 12).toLowerCase());
        expect(out).toContain('***');
      }),
      { numRuns: 2000 },
    );
  });

  it('changes nothing in text that holds no part of a key', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (raw) => {
        const text = raw.replace(/[+/=]/g, '');
        expect(redact(text, [key])).toBe(text);
      }),
      { numRuns: 2000 },
    );
  });

  it('takes the values of key-like variables of at least 8 characters', () => {
    expect(secretsOf({ MICRO1_API_KEY: 'a-long-key', GITHUB_TOKEN: 'tok-12345', SHORT_SECRET: 'short', PATH: '/usr/bin:/bin', OTHER: 'x-long-value' }, ['OTHER'])).toEqual(['a-long-key', 'tok-12345', 'x-long-value']);
  });
});
