import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { env, sandbox } from './apply-harness.js';
import { fixture, runCli } from './helpers.js';
import { YamlEditor } from './lsp-harness.js';

/**
 * A new team's first week, from an empty folder: `micro1 init`, then validate, plan and apply
 * against the sandbox, and a real yaml-language-server (the server behind VS Code's YAML
 * extension) over LSP on what init wrote, associated by its .vscode/settings.json alone (no
 * modeline). The editor must raise no alarm on a file the tool accepts, and show each error the
 * tool finds in one file on the same line; the errors only the tool can see (they need other
 * files) are listed in docs/editor.md, and checked here to be exactly those.
 */

const REPO = fileURLToPath(new URL('..', import.meta.url));

interface ToolDiagnostic {
  file: string;
  line: number;
  severity: string;
  message: string;
}

/** Errors `micro1 validate --json` reports, by file (relative to interviews/). */
async function toolErrors(root: string): Promise<Map<string, ToolDiagnostic[]>> {
  const result = await runCli(['validate', '--json'], root);
  const { diagnostics } = JSON.parse(result.stdout) as { diagnostics: ToolDiagnostic[] };
  const out = new Map<string, ToolDiagnostic[]>();
  for (const d of diagnostics.filter((d) => d.severity === 'error')) {
    const file = d.file.replace(/^interviews\//, '');
    out.set(file, [...(out.get(file) ?? []), d]);
  }
  return out;
}

function write(root: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, 'interviews', rel)), { recursive: true });
    writeFileSync(path.join(root, 'interviews', rel), text);
  }
}

function yamlFiles(root: string): string[] {
  return readdirSync(path.join(root, 'interviews'), { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => f.split(path.sep).join('/'))
    .sort();
}

async function initialised(): Promise<string> {
  const root = fixture({});
  const init = await runCli(['init'], root);
  expect([init.code, init.stderr]).toEqual([0, '']);
  return root;
}

/** Files the tool refuses for a reason a schema can state: the editor must flag the same lines. */
const BROKEN: Record<string, string> = {
  'blank-name.yaml': 'interview_name: "  "\n',
  'no-name.yaml': 'skills:\n  - name: Go\n',
  'number-name.yaml': 'interview_name: 42\n',
  'unknown-key.yaml': 'interview_name: A\ninterview_langauge: en\n',
  'bad-language.yaml': 'interview_name: A\ninterview_language: English\n',
  'bad-coding-language.yaml': 'interview_name: A\nselected_coding_language: perl\n',
  'bool-as-text.yaml': 'interview_name: A\nonly_coding_round: "yes"\n',
  'too-many-skills.yaml': `interview_name: A\nskills:\n${Array.from({ length: 11 }, (_, i) => `  - name: S${i}\n`).join('')}`,
  'skill-without-name.yaml': 'interview_name: A\nskills:\n  - description: Goroutines\n',
  'time-zero.yaml': 'interview_name: A\ncustom_question_list:\n  - question: Q\n    time: 0\n    type: audio\n',
  'time-five.yaml': 'interview_name: A\ncustom_question_list:\n  - question: Q\n    time: 5\n    type: audio\n',
  'bad-question-type.yaml': 'interview_name: A\ncustom_question_list:\n  - question: Q\n    time: 2\n    type: video\n',
  'blank-question.yaml': 'interview_name: A\ncustom_question_list:\n  - question: ""\n    time: 2\n    type: audio\n',
  'bad-id.yaml': 'id: ../x\ninterview_name: A\n',
  'empty-extends.yaml': 'extends: []\ninterview_name: A\n',
  'duplicate-key.yaml': 'interview_name: A\ninterview_name: B\n',
  'tab-indent.yaml': 'interview_name: A\nskills:\n\t- name: Go\n',
  '_shared/pins-id.yaml': 'id: abc\ninterview_language: en\n',
  '_shared/unknown-key.yaml': 'colour: blue\n',
  'uses-broken-fragments.yaml': 'extends: [_shared/pins-id.yaml, _shared/unknown-key.yaml]\ninterview_name: U\n',
};

/**
 * What the editor cannot show, and why (docs/editor.md lists the same): each needs another file
 * or the merged result, which a per-file JSON Schema never sees.
 */
const TOOL_ONLY: Record<string, { text: string; doc: string }> = {
  'missing-fragment.yaml': { text: 'extends: _shared/missing.yaml\ninterview_name: M\n', doc: 'does not exist' },
  'extends-an-interview.yaml': { text: 'extends: example.yaml\ninterview_name: E\n', doc: 'is an interview, not a fragment' },
  'name-from-nowhere.yaml': { text: 'extends: _shared/defaults.yaml\nskills:\n  - name: Go\n', doc: 'interview_name is required' },
};

describe('from an empty folder: init, validate, plan, apply', () => {
  it('validates, plans the example as a create, applies it to the sandbox, and then plans no changes', async () => {
    const root = await initialised();
    expect(await runCli(['validate'], root)).toEqual({ code: 0, stdout: '1 valid interview; 0 errors, 0 warnings.\n', stderr: '' });
    const box = await sandbox();
    const plan = await runCli(['plan'], root, { env: env(box) });
    expect([plan.code, plan.stderr]).toEqual([0, '']);
    expect(plan.stdout).toContain('Plan: 1 to create, 0 to update, 0 to delete, 0 unchanged.');
    const apply = await runCli(['apply', '--auto-approve'], root, { env: env(box) });
    expect([apply.code, apply.stderr]).toEqual([0, '']);
    const created = box.interviews();
    expect(created.map((i) => [i.body.interview_name, i.body.interview_language, i.body.is_proctoring_required])).toEqual([['Example Interview', 'en', true]]);
    expect(await runCli(['plan'], root, { env: env(box) })).toEqual({ code: 0, stdout: `Target: ${box.url}\n\nNo changes. 1 interview already matches micro1.\n`, stderr: '' });
  });
});

describe('yaml-language-server on what init wrote', () => {
  it('raises no alarm on the scaffold, a fragment, an extends-only interview or this repository’s own interviews', async () => {
    const root = await initialised();
    cpSync(path.join(REPO, 'interviews'), path.join(root, 'interviews'), { recursive: true });
    write(root, {
      '_roles/backend.yaml': 'interview_name: Backend Engineer\nskills:\n  - name: Go\nselected_coding_language: go\n',
      '_roles/nested/extra.yaml': 'extends: ../backend.yaml\nis_coding_round_required: true\n',
      'eu/backend-eu.yaml': 'extends: ../_roles/backend.yaml\n',
      '_top-level-fragment.yaml': 'can_change_interview_language: true\n',
    });
    const validate = await runCli(['validate'], root);
    expect([validate.code, validate.stderr]).toEqual([0, '']);
    const files = yamlFiles(root);
    expect(files).toEqual(expect.arrayContaining(['example.yaml', '_shared/defaults.yaml', '_shared/engineering.yaml', 'eu/backend-eu.yaml', '_roles/nested/extra.yaml']));
    const editor = await YamlEditor.open(root);
    const alarms: string[] = [];
    for (const file of files) for (const d of await editor.diagnostics(`interviews/${file}`)) alarms.push(`${file}:${d.line} ${d.message}`);
    expect(alarms).toEqual([]);
  });

  it('raises no alarm on what `init --import` wrote from micro1', async () => {
    const box = await sandbox({
      seed: [
        { id: 'iv-1', body: { interview_name: 'Staff Engineer', skills: [{ name: 'Go', description: 'Concurrency' }], custom_question_list: [{ question: 'Why?', time: 2, type: 'text' }] } },
        { id: 'iv-2', body: { interview_name: 'Designer', interview_language: 'fr', is_proctoring_required: false } },
      ],
    });
    const root = fixture({});
    expect((await runCli(['init', '--import'], root, { env: env(box) })).code).toBe(0);
    const files = yamlFiles(root);
    expect(files).toHaveLength(2);
    const editor = await YamlEditor.open(root);
    for (const file of files) expect([file, await editor.diagnostics(`interviews/${file}`)]).toEqual([file, []]);
  });

  it('resolves a modeline from the file’s own folder, and it overrides the globs', async () => {
    const root = await initialised();
    const editor = await YamlEditor.open(root);
    const fragmentText = (schema: string) => `# yaml-language-server: $schema=${schema}\ninterview_language: en\n`;
    // An interview-named file that says it is a fragment gets the fragment schema: no name needed.
    expect(await editor.diagnostics('interviews/team/x.yaml', fragmentText('../../micro1.fragment.schema.json'))).toEqual([]);
    // The README's old `../micro1.schema.json`, from a folder one deeper, names a file that is not there.
    const wrong = await editor.diagnostics('interviews/team/y.yaml', fragmentText('../micro1.schema.json'));
    expect(wrong.map((d) => d.message).join('\n')).toMatch(/Unable to load schema/);
  });

  it('shows each error the tool finds in a file on the same line', async () => {
    const root = await initialised();
    write(root, BROKEN);
    const tool = await toolErrors(root);
    const editor = await YamlEditor.open(root);
    const compared: [string, number[], number[]][] = [];
    for (const file of Object.keys(BROKEN).filter((f) => f !== 'uses-broken-fragments.yaml')) {
      const toolLines = [...new Set((tool.get(file) ?? []).map((d) => d.line))].sort((a, b) => a - b);
      const editorLines = [...new Set((await editor.diagnostics(`interviews/${file}`)).map((d) => d.line))].sort((a, b) => a - b);
      compared.push([file, toolLines, editorLines]);
    }
    // Every broken file is refused by the tool, and the editor marks exactly its lines.
    for (const [file, toolLines] of compared) expect([file, toolLines.length > 0]).toEqual([file, true]);
    expect(compared.map(([file, , editorLines]) => [file, editorLines])).toEqual(compared.map(([file, toolLines]) => [file, toolLines]));
  });

  it('cannot show the errors that need another file, which docs/editor.md lists', async () => {
    const root = await initialised();
    write(root, Object.fromEntries(Object.entries(TOOL_ONLY).map(([file, c]) => [file, c.text])));
    const tool = await toolErrors(root);
    const editor = await YamlEditor.open(root);
    const docs = readFileSync(path.join(REPO, 'docs/editor.md'), 'utf8');
    for (const [file, { doc }] of Object.entries(TOOL_ONLY)) {
      expect([file, (tool.get(file) ?? []).map((d) => d.message).join(' | ')]).toEqual([file, expect.stringContaining(doc)]);
      expect([file, await editor.diagnostics(`interviews/${file}`)]).toEqual([file, []]);
      expect(docs, doc).toContain(doc);
    }
  });

  it('checks webhook files by the webhooks glob: no false alarm, and a bad event on the line validate names', async () => {
    const root = await initialised();
    mkdirSync(path.join(root, 'webhooks', 'hr'), { recursive: true });
    writeFileSync(path.join(root, 'webhooks', 'ats.yaml'), 'url: https://ats.example.com/micro1\nevent: interview_report.created\ndescription: Reports to the ATS\n');
    writeFileSync(path.join(root, 'webhooks', 'hr', 'bad.yaml'), 'url: https://hr.example.com/x\nevent: interview_report.creatd\n');
    const result = await runCli(['validate', '--json'], root);
    const { diagnostics } = JSON.parse(result.stdout) as { diagnostics: ToolDiagnostic[] };
    const toolLines = (file: string) => diagnostics.filter((d) => d.file === file && d.severity === 'error').map((d) => d.line);
    expect([toolLines('webhooks/ats.yaml'), toolLines('webhooks/hr/bad.yaml')]).toEqual([[], [2]]);
    const editor = await YamlEditor.open(root);
    expect(await editor.diagnostics('webhooks/ats.yaml')).toEqual([]);
    expect([...new Set((await editor.diagnostics('webhooks/hr/bad.yaml')).map((d) => d.line))]).toEqual([2]);
    // The interview schema does not reach the webhooks folder, nor the webhook schema an interview.
    expect(await editor.diagnostics('interviews/example.yaml')).toEqual([]);
  });

  it('completes a question with a valid time, and offers id in an interview but not in a fragment', async () => {
    const root = await initialised();
    const editor = await YamlEditor.open(root);
    const items = await editor.completion('interviews/new.yaml', 'interview_name: A\ncustom_question_list:\n  - \n', 2, 4);
    const skeleton = items.find((i) => i.label === 'object(custom_question_list)')!;
    expect(skeleton.insertText).toMatch(/\n {2}time: 3\n {2}type: audio$/);
    const labels = async (file: string) => (await editor.completion(file, 'interview_language: en\n', 1, 0)).map((i) => i.label);
    expect(await labels('interviews/new.yaml')).toEqual(expect.arrayContaining(['id', 'extends', 'skills']));
    const fragment = await labels('interviews/_shared/new.yaml');
    expect(fragment).toEqual(expect.arrayContaining(['extends', 'skills']));
    expect(fragment).not.toContain('id');
  });
});
