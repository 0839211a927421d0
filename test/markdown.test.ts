import { describe, expect, it } from 'vitest';
import type { ApplyResult } from '../src/apply/applier.js';
import type { Diagnostic } from '../src/diagnostics.js';
import { plan, type Plan } from '../src/plan/planner.js';
import {
  COMMENT_LIMIT,
  PLAN_COMMENT_MARKER,
  renderApplyMarkdown,
  renderErrorMarkdown,
  renderInvalidMarkdown,
  renderNoChangesMarkdown,
  renderPlanMarkdown,
} from '../src/render/render-markdown.js';
import { summaryLine } from '../src/render/render-text.js';
import { emptyState } from '../src/state/state.js';
import { appliedEntry, body, definition, fixture, runCli, stateOf } from './helpers.js';

const ALL = { prune: false, targets: [], excludes: [] };
const COMMENT = { limit: COMMENT_LIMIT };

/** A create, an update (field, list item, removed item, reset, word diff), a delete, a warning. */
function smallPlan(): Plan {
  const create = definition('eng/go', { interview_name: 'Go', skills: [{ name: 'Go' }] });
  const update = definition('eng/fe', {
    interview_name: 'Frontend',
    skills: [{ name: 'React' }, { name: 'CSS' }],
    coding_exercise_details: 'Build a small accessible autocomplete component with debounced search and keyboard navigation.',
  });
  const before = body({
    interview_name: 'Front end',
    skills: [{ name: 'React' }, { name: 'Vue' }, { name: 'Old' }],
    coding_exercise_details: 'Build a small autocomplete component with search and fast keyboard navigation.',
    interview_language: 'fr',
  });
  const state = stateOf({
    'eng/fe': appliedEntry(update, 'id-fe', before),
    'old/pm': appliedEntry(definition('old/pm', { interview_name: 'PM <lead>' }), 'id-pm'),
  });
  const planned = plan([create, update], state, { ...ALL, prune: true });
  return { ...planned, warnings: [{ key: 'eng/**', message: 'a *glob* warning with `micro1 forget x` in it', hint: 'a_hint' }] };
}

const SMALL = [
  PLAN_COMMENT_MARKER,
  '### micro1 plan',
  '',
  '**Plan: 1 to create, 1 to update, 1 to delete, 0 unchanged.**',
  '',
  '#### Warnings',
  '',
  '- `eng/**`: a \\*glob\\* warning with `micro1 forget x` in it<br>a\\_hint',
  '',
  '#### Changes',
  '',
  '<details><summary><code>~</code> <b>eng/fe</b> (update, id id-fe) <code>interviews/eng/fe.yaml</code></summary>',
  '',
  '```diff',
  '! interview_name: "Front end" -> "Frontend"',
  '! skills[1].name: "Vue" -> "CSS"',
  '- skills[2]: {name: "Old"}',
  '! interview_language: "fr" -> "en"  # not in the file: reset to the default',
  '! coding_exercise_details:',
  '    Build a small {+accessible +}autocomplete component with {+debounced +}search and [-fast -]keyboard navigation.',
  '```',
  '',
  '</details>',
  '',
  '<details><summary><code>+</code> <b>eng/go</b> (create) <code>interviews/eng/go.yaml</code></summary>',
  '',
  '```diff',
  '+ interview_name: "Go"',
  '+ skills[0]: {name: "Go"}',
  '```',
  '',
  '</details>',
  '',
  '<details><summary><code>-</code> <b>old/pm</b> (delete, id id-pm) <code>interviews/old/pm.yaml</code></summary>',
  '',
  '```diff',
  '- interview_name: "PM <lead>"',
  '```',
  '',
  '</details>',
  '',
].join('\n');

describe('renderPlanMarkdown', () => {
  it('renders a small plan: summary, warnings, one collapsed diff per change', () => {
    expect(renderPlanMarkdown(smallPlan(), [], COMMENT)).toBe(SMALL);
  });

  it('adds the warning diagnostics of valid files in a text block', () => {
    const diagnostics: Diagnostic[] = [{ severity: 'warning', file: 'interviews/eng/go.yaml', line: 3, column: 5, path: 'skills[0]', message: 'odd', hint: 'h' }];
    expect(renderPlanMarkdown(smallPlan(), diagnostics, COMMENT)).toBe(
      `${SMALL}\n#### Diagnostics\n\n\`\`\`text\ninterviews/eng/go.yaml:3:5  skills[0]  warning: odd (h)\n\`\`\`\n`,
    );
  });

  it('says "No changes" and shows no Changes section', () => {
    const a = definition('a', { interview_name: 'A' });
    expect(renderPlanMarkdown(plan([a], stateOf({ a: appliedEntry(a, 'id-a') }), ALL), [], COMMENT)).toBe(
      `${PLAN_COMMENT_MARKER}\n### micro1 plan\n\n**No changes. 1 interview already matches micro1.**\n`,
    );
  });

  it('notes adoption, fragments and moves, and escapes HTML in keys and files', () => {
    const shared = 'interviews/_shared/eng.yaml';
    const before = definition('a<b>', { interview_name: 'A' }, { fragments: [shared], sources: { 'interviews/a<b>.yaml': 'same', [shared]: 'v1' } });
    const after = definition('a<b>', { interview_name: 'A2' }, { fragments: [shared], sources: { 'interviews/a<b>.yaml': 'same', [shared]: 'v2' } });
    const adopt = definition('pd', { interview_name: 'PD' }, { id: 'live-1' });
    const moved = definition('new/api', { interview_name: 'API' }, { id: 'id-api' });
    const state = stateOf({ 'a<b>': appliedEntry(before, 'id-a'), 'old/api': appliedEntry(definition('old/api', { interview_name: 'API' }), 'id-api') });
    expect(renderPlanMarkdown(plan([after, adopt, moved], state, ALL), [], COMMENT)).toBe(
      [
        PLAN_COMMENT_MARKER,
        '### micro1 plan',
        '',
        '**Plan: 0 to create, 2 to update, 0 to delete, 1 unchanged; 1 file moved.**',
        '',
        '#### Changes',
        '',
        '<details><summary><code>~</code> <b>a&lt;b&gt;</b> (update, id id-a) <code>interviews/a&lt;b&gt;.yaml</code></summary>',
        '',
        '```diff',
        '# only because a fragment changed: via interviews/_shared/eng.yaml',
        '! interview_name: "A" -> "A2"',
        '```',
        '',
        '</details>',
        '',
        '<details><summary><code> </code> <b>new/api</b> (no change, id id-api, moved from old/api) <code>interviews/new/api.yaml</code></summary>',
        '',
        '</details>',
        '',
        '<details><summary><code>~</code> <b>pd</b> (update, id live-1) <code>interviews/pd.yaml</code></summary>',
        '',
        '```diff',
        '# adopts an existing micro1 interview: its fields are replaced by this file',
        '+ interview_name: "PD"',
        '! coding_exercise_details: (unknown on micro1: never shown by the API) -> ""  # not in the file: apply refuses to clear it',
        '```',
        '',
        '</details>',
        '',
      ].join('\n'),
    );
  });

  it('indents every line of a multi-line word diff, so no text can close the fence', () => {
    const before = definition('a', { interview_name: 'A', coding_exercise_details: 'Intro.\n```\ncode\n```' });
    const after = definition('a', { interview_name: 'A', coding_exercise_details: 'Intro!\n```\ncode\n```' });
    const out = renderPlanMarkdown(plan([after], stateOf({ a: appliedEntry(before, 'id-a') }), ALL), [], COMMENT);
    // A fence longer than any backtick run inside (and every line indented besides).
    expect(out).toContain('````diff\n! coding_exercise_details:\n    Intro[-.-]{+!+}\n    ```\n    code\n    ```\n````\n');
  });
});

describe('renderPlanMarkdown within a size limit', () => {
  /** `n` creates with keys of equal length, so every section and every cut note has a known size. */
  function bigPlan(n: number): Plan {
    const defs = Array.from({ length: n }, (_, i) => {
      const k = String(i).padStart(5, '0');
      return definition(`team/interview-${k}`, {
        interview_name: `Interview ${k}`,
        skills: [{ name: 'Go', description: 'Goroutines, channels and context' }, { name: 'SQL' }],
        custom_question_list: [{ question: `Tell us about project ${k}.`, time: 3, type: 'audio' }],
      });
    });
    return plan(defs, emptyState(), ALL);
  }

  const key = (i: number) => `team/interview-${String(i).padStart(5, '0')}`;
  const INDEX_LINE = /^- `\+` `team\/interview-\d{5}` create: interview_name, skills, custom_question_list$/gm;

  it('fits thousands of changes in one comment: the summary, one line per change while they fit, and counts of what was cut', () => {
    const p = bigPlan(5000);
    const out = renderPlanMarkdown(p, [], COMMENT);
    expect(out.length).toBeLessThanOrEqual(65_535);
    expect(out.startsWith(`${PLAN_COMMENT_MARKER}\n### micro1 plan\n\n**Plan: 5000 to create, 0 to update, 0 to delete, 0 unchanged.**\n`)).toBe(true);

    const listed = out.match(INDEX_LINE)!.length;
    expect(listed).toBeGreaterThan(500);
    expect(out).toContain(`\n- \`+\` \`${key(listed - 1)}\` create:`);
    expect(out).not.toContain(`\n- \`+\` \`${key(listed)}\` create:`);
    expect(out).toContain(
      `\n**${5000 - listed} more changes not listed** (from \`${key(listed)}\` on) to fit GitHub's limit of 65535 characters. Run \`micro1 plan\` on this branch to see them all.\n`,
    );
    expect(out.endsWith(`\n**5000 more changes not shown** (from \`${key(0)}\` on) to fit GitHub's limit of 65535 characters. Run \`micro1 plan\` on this branch to see them all.\n`)).toBe(true);
    // As many as fit: one more line would not have.
    expect(out.length + `- \`+\` \`${key(listed)}\` create: interview_name, skills, custom_question_list\n`.length).toBeGreaterThan(65_535);
  });

  it('shows the detailed sections after the list when the list fits', () => {
    const out = renderPlanMarkdown(bigPlan(400), [], COMMENT);
    expect(out.length).toBeLessThanOrEqual(65_535);
    expect(out.match(INDEX_LINE)).toHaveLength(400);
    const [list, details] = out.split('\n#### Changes\n') as [string, string];
    expect(list).toContain('#### Every change, one line each');
    const shown = details.match(/<details>/g)!.length;
    expect(shown).toBeGreaterThan(10);
    expect(details).toContain(`<b>${key(shown - 1)}</b>`);
    expect(details).toContain(`**${400 - shown} more changes not shown** (from \`${key(shown)}\` on)`);
  });

  it('links the workflow run where the whole plan can be read', () => {
    const out = renderPlanMarkdown(bigPlan(2000), [], { ...COMMENT, fullPlanUrl: 'https://github.com/acme/hr/actions/runs/42' });
    expect(out.length).toBeLessThanOrEqual(65_535);
    expect(out).toMatch(
      /\*\* \(from `team\/interview-\d{5}` on\) to fit GitHub's limit of 65535 characters\. See them all in the \[summary of this workflow run\]\(https:\/\/github\.com\/acme\/hr\/actions\/runs\/42\), or run `micro1 plan` on this branch\.\n$/,
    );
  });

  it('measures in bytes when told to, with multi-byte text', () => {
    const defs = Array.from({ length: 3000 }, (_, i) => definition(`es/entrevista-${String(i).padStart(4, '0')}`, { interview_name: `Entrevista técnica ñandú 日本語 ${i}` }));
    const limit = { max: 40_000, unit: 'bytes' as const };
    const out = renderPlanMarkdown(plan(defs, emptyState(), ALL), [], { limit });
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(40_000);
    expect(Buffer.byteLength(out)).toBeGreaterThan(39_000);
    const listed = out.match(/^- `\+` `es\/entrevista-\d{4}` create: interview_name$/gm)!.length;
    expect(out).toContain(`**${3000 - listed} more changes not listed**`);
    expect(out).toContain("to fit GitHub's limit of 40000 bytes.");
  });

  it('gives warnings at most half the room, after the deletes and before the list of changes', () => {
    const p = bigPlan(3000);
    const warnings = Array.from({ length: 3000 }, (_, i) => ({ key: `gone/${i}`, message: `no longer managed: its file is gone, but id-${i} stays on micro1`, hint: 'enable prune' }));
    const out = renderPlanMarkdown({ ...p, warnings }, [], COMMENT);
    expect(out.length).toBeLessThanOrEqual(65_535);
    const [warningPart, changePart] = out.split('#### Every change, one line each\n') as [string, string];
    expect(warningPart.length).toBeLessThanOrEqual(65_535 / 2 + 200);
    const shownWarnings = warningPart.match(/^- `gone\//gm)!.length;
    expect(warningPart).toContain(`\n_${3000 - shownWarnings} more warnings not shown to fit GitHub's limit of 65535 characters.`);
    const listed = changePart.match(INDEX_LINE)!.length;
    expect(listed).toBeGreaterThan(200);
    expect(changePart).toContain(`**${3000 - listed} more changes not listed**`);
  });

  it('keeps a plan that fits whole, with no note', () => {
    const out = renderPlanMarkdown(bigPlan(20), [], COMMENT);
    expect(out.match(/<details>/g)).toHaveLength(20);
    expect(out).not.toContain('not shown');
  });
});

describe('the other Markdown views', () => {
  const diagnostics: Diagnostic[] = [
    { severity: 'error', file: 'interviews/a.yaml', line: 2, column: 1, path: 'colour', message: 'unknown field "colour"', hint: 'did you mean "color"?' },
    { severity: 'error', file: 'interviews/b.yaml', line: 4, column: 7, path: 'skills[0].name', message: 'required' },
  ];

  it('renders invalid files as the reason nothing was planned', () => {
    expect(renderInvalidMarkdown('plan', diagnostics, COMMENT)).toBe(
      [
        PLAN_COMMENT_MARKER,
        '### micro1 plan',
        '',
        '**2 errors, 0 warnings: nothing was planned.**',
        '',
        '```text',
        'interviews/a.yaml:2:1  colour  unknown field "colour" (did you mean "color"?)',
        'interviews/b.yaml:4:7  skills[0].name  required',
        '```',
        '',
      ].join('\n'),
    );
    expect(renderInvalidMarkdown('apply', diagnostics, COMMENT).split('\n').slice(0, 3)).toEqual(['### micro1 apply', '', '**2 errors, 0 warnings: nothing was sent.**']);
  });

  it('cuts thousands of problems too', () => {
    const many: Diagnostic[] = Array.from({ length: 5000 }, (_, i) => ({ ...diagnostics[1]!, file: `interviews/f${i}.yaml` }));
    const out = renderInvalidMarkdown('plan', many, COMMENT);
    expect(out.length).toBeLessThanOrEqual(65_535);
    const shown = out.match(/^interviews\/f/gm)!.length;
    expect(out.endsWith(`\`\`\`\n\n_${5000 - shown} more problems not shown. Run \`micro1 validate\` to see them all._\n`)).toBe(true);
  });

  it('says why an apply stopped, and what to do, when it stopped early', () => {
    const result: ApplyResult = {
      created: 1, updated: 0, deleted: 0, reconciled: 0, skipped: 3, requests: 6, failures: [], createdInterviews: [],
      stoppedBecause: 'unreachable',
      stopReason: 'connection failed before any answer from http://127.0.0.1:9 <b>x</b>',
      stopHint: 'check MICRO1_API_URL or api.baseUrl',
    };
    const p = plan([definition('x', { interview_name: 'X' })], emptyState(), ALL);
    const md = renderApplyMarkdown(result, p, '.micro1/state.json', COMMENT);
    expect(md).toContain('**Apply stopped: micro1 could not be reached: 1 created, 0 updated, 0 deleted, 0 failed.**\n\nconnection failed before any answer from http\\://127.0.0.1:9 \\<b\\>x\\</b\\><br>check MICRO1\\_API\\_URL or api.baseUrl\n');
  });

  it('renders an apply: headline, failures beside their files, state', () => {
    const result: ApplyResult = {
      created: 2,
      updated: 0,
      deleted: 0,
      reconciled: 0,
      skipped: 1,
      requests: 4,
      createdInterviews: [],
      failures: [{ key: 'eng/fe', file: 'interviews/eng/fe.yaml', action: 'update', message: 'micro1 rejected it: skills must have <= 10 items', hint: 'fix | retry' }],
    };
    const p = plan([definition('x', { interview_name: 'X' })], emptyState(), ALL);
    expect(renderApplyMarkdown(result, p, '.micro1/state.json', COMMENT)).toBe(
      [
        '### micro1 apply',
        '',
        '**Apply finished with failures: 2 created, 0 updated, 0 deleted, 1 failed.**',
        '',
        'Plan: 1 to create, 0 to update, 0 to delete, 0 unchanged.',
        '',
        '#### Failures',
        '',
        '- `interviews/eng/fe.yaml` update `eng/fe`: micro1 rejected it: skills must have \\<= 10 items<br>fix \\| retry',
        '',
        '1 change not started. Run `micro1 apply` again to finish.',
        '',
        'State saved to `.micro1/state.json` (4 requests sent).',
        '',
      ].join('\n'),
    );
  });

  it('renders an apply with nothing to do, and an error', () => {
    const a = definition('a', { interview_name: 'A' });
    const p = plan([a], stateOf({ a: appliedEntry(a, 'id-a') }), ALL);
    expect(renderNoChangesMarkdown(p, { limit: COMMENT_LIMIT })).toBe(`### micro1 apply\n\n**${summaryLine(p)}** Nothing was sent.\n`);
    expect(renderErrorMarkdown('apply', 'Refusing to delete 12 interviews: more than safety.maxDeletes (10)', 'run again with --force')).toBe(
      '### micro1 apply\n\n**Error:** Refusing to delete 12 interviews: more than safety.maxDeletes (10)\n\nrun again with --force\n',
    );
  });
});

describe('micro1 plan --format markdown', () => {
  it('prints the Markdown plan, and exits 2 with --detailed-exitcode', async () => {
    const root = fixture({ 'interviews/eng/go.yaml': 'interview_name: Go Engineer\nskills:\n  - name: Go\n' });
    const result = await runCli(['plan', '--format', 'markdown', '--detailed-exitcode'], root);
    expect(result).toEqual({
      code: 2,
      stderr: '',
      stdout: [
        PLAN_COMMENT_MARKER,
        '### micro1 plan',
        '',
        '**Plan: 1 to create, 0 to update, 0 to delete, 0 unchanged.**',
        '',
        'Target: `https://public.api.micro1.ai`',
        '',
        '#### Changes',
        '',
        '<details><summary><code>+</code> <b>eng/go</b> (create) <code>interviews/eng/go.yaml</code></summary>',
        '',
        '```diff',
        '+ interview_name: "Go Engineer"',
        '+ skills[0]: {name: "Go"}',
        '```',
        '',
        '</details>',
        '',
      ].join('\n'),
    });
  });

  it('prints the reason as Markdown when files are invalid, and exits 1', async () => {
    const root = fixture({ 'interviews/a.yaml': 'interview_name: A\ncolour: red\n' });
    const result = await runCli(['plan', '--format', 'markdown'], root);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(
      `${PLAN_COMMENT_MARKER}\n### micro1 plan\n\n**1 error, 0 warnings: nothing was planned.**\n\n\`\`\`text\n${result.stderr.split('\n')[0]}\n\`\`\`\n`,
    );
    expect(result.stderr.split('\n')[0]).toMatch(/^interviews\/a\.yaml:2:1 {2}colour {2}/);
  });
});
