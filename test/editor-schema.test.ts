import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BODY, BODY_FIELDS, QUESTION_MINUTES, QUESTION_TYPES } from '../src/definitions/body-model.js';
import { TOOL_VERSION } from '../src/version.js';
import { fixture, runCli } from './helpers.js';

/**
 * The editor schemas (`micro1 schema`, `micro1 schema --fragment`), derived from the body model:
 * what an editor offers and checks must be what the tool accepts. test/editor-lsp.test.ts drives a
 * real yaml-language-server with them; these check the documents themselves.
 */

const REPO = fileURLToPath(new URL('..', import.meta.url));

type Json = Record<string, unknown>;
interface Schema extends Json {
  properties: Record<string, Json & { items?: Json & { properties: Record<string, Json>; required?: string[] } }>;
}

async function printed(args: string[]): Promise<Schema> {
  const result = await runCli(['schema', ...args], fixture({}));
  expect([result.code, result.stderr]).toEqual([0, '']);
  return JSON.parse(result.stdout) as Schema;
}

describe('micro1 schema: the interview schema', () => {
  it('has a versioned $id, a title and a description', async () => {
    const schema = await printed([]);
    expect(schema.$id).toBe(`urn:micro1-sync:interview-schema:${TOOL_VERSION}`);
    expect(schema.title).toBe('micro1 interview definition');
    expect(typeof schema.description).toBe('string');
  });

  it('gives every body field a title, a description and an example, and every defaulted one its default', async () => {
    const schema = await printed([]);
    for (const field of BODY_FIELDS) {
      const property = schema.properties[field]!;
      expect(property.title, field).toBe(field);
      expect(typeof property.description, field).toBe('string');
      expect(property.examples, field).toEqual([BODY[field].example]);
      if ('default' in BODY[field]) expect(property.default, field).toEqual(BODY[field].default);
      else expect('default' in property, field).toBe(false);
    }
    expect(schema.properties.id!.examples).toHaveLength(1);
    expect(schema.properties.extends!.examples).toHaveLength(2);
  });

  it('requires interview_name only when the file extends nothing', async () => {
    const schema = await printed([]);
    expect(schema.required).toBeUndefined();
    expect(schema.if).toEqual({ required: ['extends'] });
    expect(schema.else).toEqual({ required: ['interview_name'] });
  });

  it('refuses blank text by pattern, since a zod refinement does not reach JSON Schema', async () => {
    const schema = await printed([]);
    const items = (field: string) => schema.properties[field]!.items!.properties;
    for (const [where, property] of [
      ['interview_name', schema.properties.interview_name!],
      ['skills[].name', items('skills').name!],
      ['custom_question_list[].question', items('custom_question_list').question!],
    ] as const) {
      const pattern = new RegExp(property.pattern as string);
      expect([where, pattern.test(''), pattern.test(' \t'), pattern.test('Go')]).toEqual([where, false, false, true]);
    }
  });

  it('completes a question with a valid time and type, not time: 0', async () => {
    const item = (await printed([])).properties.custom_question_list!.items!;
    const time = item.properties.time!;
    expect(time.default).toBeGreaterThanOrEqual(QUESTION_MINUTES.min);
    expect(time.default).toBeLessThanOrEqual(QUESTION_MINUTES.max);
    expect(QUESTION_TYPES).toContain(item.properties.type!.default);
    expect(item.required).toEqual(['question', 'time', 'type']);
  });
});

describe('micro1 schema --fragment', () => {
  it('prints the fragment schema: every body field optional, extends allowed, no id', async () => {
    const schema = await printed(['--fragment']);
    expect(schema.$id).toBe(`urn:micro1-sync:fragment-schema:${TOOL_VERSION}`);
    expect(schema.title).toBe('micro1 interview fragment');
    expect(Object.keys(schema.properties)).toEqual(['extends', ...BODY_FIELDS]);
    expect(schema.required).toBeUndefined();
    expect(schema.if).toBeUndefined();
    expect(schema.additionalProperties).toBe(false);
    const interview = await printed([]);
    for (const field of BODY_FIELDS) expect(schema.properties[field], field).toEqual(interview.properties[field]);
  });
});

describe('the schema files this repository commits', () => {
  it('are exactly what `micro1 schema` and `micro1 schema --fragment` print', async () => {
    for (const [file, args] of [['micro1.schema.json', []], ['micro1.fragment.schema.json', ['--fragment']], ['micro1.webhook.schema.json', ['--kind', 'webhook']]] as const) {
      const result = await runCli(['schema', ...args], fixture({}));
      expect([file, readFileSync(path.join(REPO, file), 'utf8')]).toEqual([file, result.stdout]);
    }
  });

  it('are associated by .vscode/settings.json, by glob, with the folders `micro1 init` writes', async () => {
    const settings = JSON.parse(readFileSync(path.join(REPO, '.vscode/settings.json'), 'utf8')) as Json;
    const root = fixture({});
    expect((await runCli(['init'], root)).code).toBe(0);
    const scaffolded = JSON.parse(readFileSync(path.join(root, '.vscode/settings.json'), 'utf8')) as Json;
    expect(settings['yaml.schemas']).toEqual(scaffolded['yaml.schemas']);
  });
});

describe('validate and a committed schema file', () => {
  it('warns when a schema file is not the one this version writes, and names the command that rewrites it', async () => {
    const current = (await runCli(['schema'], fixture({}))).stdout;
    const stale = current.replace(`schema:${TOOL_VERSION}"`, 'schema:0.0.1"');
    const root = fixture({ 'interviews/a.yaml': 'interview_name: A\n', 'micro1.schema.json': stale });
    const result = await runCli(['validate'], root);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      `micro1.schema.json:1:1  warning: this editor schema was written by micro1-sync 0.0.1, not by this ${TOOL_VERSION}: editors may flag valid files or miss errors (run \`micro1 schema --write\` to rewrite it, then commit it)\n`,
    );
    expect(result.stdout).toBe('1 valid interview; 0 errors, 1 warning.\n');

    const rewrite = await runCli(['schema', '--write'], root);
    expect(rewrite).toEqual({ code: 0, stdout: 'Wrote micro1.schema.json\nWrote micro1.fragment.schema.json\nWrote micro1.webhook.schema.json\n', stderr: '' });
    expect(readFileSync(path.join(root, 'micro1.schema.json'), 'utf8')).toBe(current);
    expect(await runCli(['validate'], root)).toEqual({ code: 0, stdout: '1 valid interview; 0 errors, 0 warnings.\n', stderr: '' });
  });

  it('warns when the content differs under the same $id (edited by hand, or not JSON at all)', async () => {
    const current = (await runCli(['schema', '--fragment'], fixture({}))).stdout;
    for (const text of [current.replace('"maxItems": 10', '"maxItems": 9'), '{ not json', '']) {
      const root = fixture({ 'interviews/a.yaml': 'interview_name: A\n', 'micro1.fragment.schema.json': text });
      const result = await runCli(['validate'], root);
      expect(result.stderr).toBe(
        'micro1.fragment.schema.json:1:1  warning: this editor schema differs from the one this micro1-sync writes: editors may flag valid files or miss errors (run `micro1 schema --write` to rewrite it, then commit it)\n',
      );
    }
  });

  it('says nothing when there is no schema file, or it is current', async () => {
    const root = fixture({ 'interviews/a.yaml': 'interview_name: A\n' });
    expect((await runCli(['validate'], root)).stderr).toBe('');
    writeFileSync(path.join(root, 'micro1.schema.json'), (await runCli(['schema'], root)).stdout);
    expect((await runCli(['validate'], root)).stderr).toBe('');
  });
});
