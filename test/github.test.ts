import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  applyFailureAnnotations,
  diagnosticAnnotations,
  errorAnnotation,
  escapeData,
  escapeProperty,
  githubContext,
  planWarningAnnotations,
  repoPath,
  STEP_SUMMARY_MAX_BYTES,
  workflowCommand,
} from '../src/render/github.js';
import { PLAN_COMMENT_MARKER } from '../src/render/render-markdown.js';
import { env, project, sandbox } from './apply-harness.js';
import { fixture, runCli } from './helpers.js';

describe('workflow commands', () => {
  it('escapes %, CR and LF in the message, and also : and , in properties', () => {
    expect(escapeData('100% done\r\nnext: a, b')).toBe('100%25 done%0D%0Anext: a, b');
    expect(escapeProperty('100% done\r\nnext: a, b')).toBe('100%25 done%0D%0Anext%3A a%2C b');
    // `%` first: an escape written by us is never escaped twice, and a literal "%3A" survives.
    expect(escapeProperty('%3A')).toBe('%253A');
  });

  it('formats an annotation with only the properties it has', () => {
    expect(workflowCommand({ level: 'error', file: 'a,b.yaml', line: 3, col: 5, title: 'x: y', message: 'bad\nhint' })).toBe(
      '::error file=a%2Cb.yaml,line=3,col=5,title=x%3A y::bad%0Ahint',
    );
    expect(workflowCommand({ level: 'warning', message: 'plain' })).toBe('::warning::plain');
    expect(workflowCommand({ level: 'notice', title: 't', message: '::error::forged' })).toBe('::notice title=t::::error::forged');
  });

  it('turns diagnostics, plan warnings, apply failures and errors into annotations', () => {
    const where = (file: string) => `hr/${file}`;
    expect(
      diagnosticAnnotations(
        [
          { severity: 'error', file: 'interviews/a.yaml', line: 2, column: 1, path: 'colour', message: 'unknown field "colour"', hint: 'did you mean "color"?' },
          { severity: 'warning', file: 'interviews/b.yaml', line: 1, column: 1, path: '', message: 'odd' },
        ],
        where,
      ),
    ).toBe(
      '::error file=hr/interviews/a.yaml,line=2,col=1,title=micro1-sync%3A colour::unknown field "colour"%0Adid you mean "color"?\n' +
        '::warning file=hr/interviews/b.yaml,line=1,col=1,title=micro1-sync::odd\n',
    );
    expect(planWarningAnnotations([{ key: 'safety.maxDeletes', message: '12 planned deletes are more than safety.maxDeletes (10)', hint: 'raise it' }])).toBe(
      '::warning title=micro1 plan%3A safety.maxDeletes::12 planned deletes are more than safety.maxDeletes (10)%0Araise it\n',
    );
    expect(applyFailureAnnotations([{ key: 'eng/fe', file: 'interviews/eng/fe.yaml', action: 'update', message: 'micro1 rejected it: 100% wrong' }], where)).toBe(
      '::error file=hr/interviews/eng/fe.yaml,title=micro1 apply%3A update eng/fe failed::micro1 rejected it: 100%25 wrong\n',
    );
    expect(errorAnnotation('apply', 'Refusing to delete 3 interviews', undefined)).toBe('::error title=micro1 apply failed::Refusing to delete 3 interviews\n');
    expect(diagnosticAnnotations([], where)).toBe('');
  });

  it('makes paths relative to the repository root, leaving paths outside it alone', () => {
    expect(repoPath('/repo/hr', 'interviews/a.yaml', '/repo')).toBe('hr/interviews/a.yaml');
    expect(repoPath('/repo', 'interviews/a.yaml', '/repo')).toBe('interviews/a.yaml');
    expect(repoPath('/elsewhere', 'interviews/a.yaml', '/repo')).toBe('interviews/a.yaml');
    expect(repoPath('/repo/hr', 'interviews/a.yaml', undefined)).toBe('interviews/a.yaml');
  });

  it('reads the run from the environment', () => {
    expect(githubContext({})).toEqual({ annotations: false, stepSummary: undefined, runUrl: undefined, workspace: undefined });
    expect(
      githubContext({
        GITHUB_ACTIONS: 'true',
        GITHUB_STEP_SUMMARY: '/tmp/s',
        GITHUB_SERVER_URL: 'https://github.com',
        GITHUB_REPOSITORY: 'acme/hr',
        GITHUB_RUN_ID: '42',
        GITHUB_WORKSPACE: '/w',
      }),
    ).toEqual({ annotations: true, stepSummary: '/tmp/s', runUrl: 'https://github.com/acme/hr/actions/runs/42', workspace: '/w' });
    expect(githubContext({ GITHUB_ACTIONS: 'false', GITHUB_STEP_SUMMARY: '' }).stepSummary).toBeUndefined();
  });
});

/** A repository whose micro1 project lives in `hr/`, with errors in two files (one with `%` and `,` in its name). */
function brokenRepo(): { repo: string; root: string } {
  const repo = fixture({
    'hr/micro1.config.json': '{}',
    'hr/interviews/eng/go.yaml': 'interview_name: Go\nskills:\n  - description: no name\ncolour: red\n',
    'hr/interviews/sales/50%,off.yaml': 'interview_name: Sale\nsklls: []\n',
    'hr/interviews/ok.yaml': 'interview_name: Fine\n',
  });
  return { repo, root: path.join(repo, 'hr') };
}

const BROKEN_ANNOTATIONS = [
  '::error file=hr/interviews/eng/go.yaml,line=3,col=5,title=micro1-sync%3A skills[0].name::skill name is required',
  '::error file=hr/interviews/eng/go.yaml,line=4,col=1,title=micro1-sync%3A colour::unknown field "colour"',
  '::error file=hr/interviews/sales/50%25%2Coff.yaml,line=2,col=1,title=micro1-sync%3A sklls::unknown field "sklls"%0Adid you mean "skills"?',
  '',
].join('\n');

const BROKEN_TEXT = [
  'interviews/eng/go.yaml:3:5  skills[0].name  skill name is required',
  'interviews/eng/go.yaml:4:1  colour  unknown field "colour"',
  'interviews/sales/50%,off.yaml:2:1  sklls  unknown field "sklls" (did you mean "skills"?)',
].join('\n');

describe('annotations from the CLI', () => {
  it('validate prints one ::error per problem on its line, relative to the repository root', async () => {
    const { repo, root } = brokenRepo();
    const result = await runCli(['validate'], root, { env: { GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: repo } });
    expect(result).toEqual({ code: 1, stdout: '1 valid interview; 3 errors, 0 warnings.\n', stderr: `${BROKEN_ANNOTATIONS}${BROKEN_TEXT}\n` });
  });

  it('prints none outside GitHub Actions', async () => {
    const { repo, root } = brokenRepo();
    const result = await runCli(['validate'], root, { env: { GITHUB_WORKSPACE: repo } });
    expect(result.stderr).toBe(`${BROKEN_TEXT}\n`);
  });

  it('plan annotates the same problems, on stderr so that `> plan.md` keeps only the Markdown', async () => {
    const { repo, root } = brokenRepo();
    const result = await runCli(['plan', '--format', 'markdown'], root, { env: { GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: repo } });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`${BROKEN_ANNOTATIONS}${BROKEN_TEXT}\n3 errors, 0 warnings: nothing was planned.\n`);
    expect(result.stdout).toBe(`${PLAN_COMMENT_MARKER}\n### micro1 plan\n\n**3 errors, 0 warnings: nothing was planned.**\n\n\`\`\`text\n${BROKEN_TEXT}\n\`\`\`\n`);
  });

  it('plan annotates its warnings', async () => {
    const root = fixture({ 'interviews/a.yaml': 'interview_name: A\n' });
    const result = await runCli(['plan', '--target', 'nope'], root, { env: { GITHUB_ACTIONS: 'true' } });
    expect(result.stderr).toBe(
      '::warning title=micro1 plan%3A nope::--target nope matches no interview%0Aa target is a key (path under the interviews folder, no extension), a folder or a glob\n',
    );
  });

  it('apply annotates each failure on its file, and a refusal as an error', async () => {
    const box = await sandbox({
      fault: (r) => ((r.body as { interview_name?: string })?.interview_name === 'B' ? { kind: 'status', status: 400, body: { status: false, message: 'interview_name is taken' } } : undefined),
    });
    const dir = project({ a: 'interview_name: A\n', b: 'interview_name: B\n' });
    const result = await runCli(['apply', '--auto-approve'], dir, { env: env(box, { GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: dir }) });
    expect(result.code).toBe(1);
    expect(result.stderr.split('\n').filter((l) => l.startsWith('::'))).toEqual([
      '::error file=interviews/b.yaml,title=micro1 apply%3A create b failed::micro1 rejected it: interview_name is taken',
    ]);

    const broken = await runCli(['apply', '--auto-approve'], fixture({}), { env: env(box, { GITHUB_ACTIONS: 'true' }) });
    expect(broken.stderr).toBe(
      'Error: The interviews folder interviews does not exist\n  create it, or set `interviews` in a micro1.config.ts (none found here or in a folder above) to the folder that holds your definitions\n' +
        '::error title=micro1 apply failed::The interviews folder interviews does not exist%0Acreate it, or set `interviews` in a micro1.config.ts (none found here or in a folder above) to the folder that holds your definitions\n',
    );
  });
});

describe('the step summary', () => {
  it('plan appends its Markdown plan to $GITHUB_STEP_SUMMARY, after what is already there', async () => {
    const root = fixture({ 'interviews/eng/go.yaml': 'interview_name: Go\n', 'summary.md': '## Earlier step\n' });
    const summary = path.join(root, 'summary.md');
    const text = await runCli(['plan'], root, { env: { GITHUB_STEP_SUMMARY: summary } });
    const markdown = await runCli(['plan', '--format', 'markdown'], root, {});
    expect(text.code).toBe(0);
    expect(readFileSync(summary, 'utf8')).toBe(`## Earlier step\n${markdown.stdout}`);

    await runCli(['plan', '--format', 'markdown'], root, { env: { GITHUB_STEP_SUMMARY: summary } });
    expect(readFileSync(summary, 'utf8')).toBe(`## Earlier step\n${markdown.stdout}${markdown.stdout}`);
  });

  it('holds more than a comment, and the comment links to it', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 1500; i++) files[`interviews/team/i${String(i).padStart(4, '0')}.yaml`] = `interview_name: Interview number ${i}\nskills:\n  - name: Go\n    description: Goroutines and channels\n`;
    const root = fixture(files);
    const summary = path.join(root, 'summary.md');
    const ci = { GITHUB_STEP_SUMMARY: summary, GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'acme/hr', GITHUB_RUN_ID: '42' };
    const result = await runCli(['plan', '--format', 'markdown'], root, { env: ci });
    expect(result.stdout.length).toBeLessThanOrEqual(65_535);
    expect(result.stdout).toContain('See them all in the [summary of this workflow run](https://github.com/acme/hr/actions/runs/42)');
    const written = readFileSync(summary, 'utf8');
    expect(written.match(/<details>/g)).toHaveLength(1500);
    expect(written).not.toContain('not shown');
  });

  it('stays within the 1 MiB a step summary may hold, counting what is already there', async () => {
    const root = fixture({ 'interviews/eng/go.yaml': 'interview_name: Go\n', 'interviews/eng/rust.yaml': 'interview_name: Rust\n' });
    const summary = path.join(root, 'summary.md');
    writeFileSync(summary, 'x'.repeat(STEP_SUMMARY_MAX_BYTES - 300));
    expect((await runCli(['plan'], root, { env: { GITHUB_STEP_SUMMARY: summary } })).stderr).toBe('');
    const written = readFileSync(summary);
    expect(written.length).toBeLessThanOrEqual(STEP_SUMMARY_MAX_BYTES);
    expect(written.subarray(STEP_SUMMARY_MAX_BYTES - 300).toString()).toBe(
      `${PLAN_COMMENT_MARKER}\n### micro1 plan\n\n**Plan: 2 to create, 0 to update, 0 to delete, 0 unchanged.**\n\nTarget: \`https://public.api.micro1.ai\`\n\n#### Changes\n\n**2 more changes not shown** (from \`eng/go\` on) to fit GitHub's limit of 300 bytes. Run \`micro1 plan\` on this branch to see them all.\n`,
    );

    // With no room even for the summary line, nothing is added: GitHub would drop the whole summary.
    writeFileSync(summary, 'x'.repeat(STEP_SUMMARY_MAX_BYTES - 100));
    const full = await runCli(['plan'], root, { env: { GITHUB_STEP_SUMMARY: summary } });
    expect(full.stderr).toBe(`Warning: could not append to the step summary ${summary}: only 100 of its 1048576 bytes are left\n`);
    expect(readFileSync(summary).length).toBe(STEP_SUMMARY_MAX_BYTES - 100);
  });

  it('warns, and keeps the exit code, when the summary cannot be written', async () => {
    const root = fixture({ 'interviews/eng/go.yaml': 'interview_name: Go\n' });
    const result = await runCli(['plan', '--detailed-exitcode'], root, { env: { GITHUB_STEP_SUMMARY: path.join(root, 'missing-dir', 'summary.md') } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^Warning: could not append to the step summary .*missing-dir\/summary\.md: ENOENT/);
  });

  it('apply appends its outcome; a refused apply appends the reason', async () => {
    const box = await sandbox();
    const dir = project({ a: 'interview_name: A\n' });
    const summary = path.join(dir, 'summary.md');
    const first = await runCli(['apply', '--auto-approve'], dir, { env: env(box, { GITHUB_STEP_SUMMARY: summary }) });
    expect(first.code).toBe(0);
    const [created] = box.interviews();
    expect(readFileSync(summary, 'utf8')).toBe(
      '### micro1 apply\n\n**Apply complete: 1 created, 0 updated, 0 deleted, 0 failed.**\n\nPlan: 1 to create, 0 to update, 0 to delete, 0 unchanged.\n\n' +
        `#### Invite links\n\n- \`a\` (id \`${created!.id}\`): \`https://interview.micro1.ai/intro/micro1?uid=${created!.id}\`\n\n` +
        'State saved to `.micro1/state.json` (1 request sent).\n',
    );

    writeFileSync(summary, '');
    await runCli(['apply', '--auto-approve'], dir, { env: env(box, { GITHUB_STEP_SUMMARY: summary }) });
    expect(readFileSync(summary, 'utf8')).toBe('### micro1 apply\n\n**No changes. 1 interview already matches micro1.** Nothing was sent.\n');

    writeFileSync(summary, '');
    const noKey = await runCli(['apply', '--auto-approve'], dir, { env: { MICRO1_API_URL: box.url, GITHUB_STEP_SUMMARY: summary } });
    expect(noKey.code).toBe(1);
    expect(readFileSync(summary, 'utf8')).toBe(
      '### micro1 apply\n\n**Error:** No API key: the environment variable MICRO1\\_API\\_KEY is not set\n\nexport MICRO1\\_API\\_KEY=\\<your micro1 API key\\> (the key is never read from a file)\n',
    );
  });
});
