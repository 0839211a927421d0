import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { Diagnostic } from '../src/diagnostics.js';
import { loadResources } from '../src/definitions/load-resources.js';
import { WEBHOOK_EVENTS, webhookKind } from '../src/kinds/webhook.js';
import { fixture, runCli } from './helpers.js';

/** Webhook files: keys from paths, every problem at its file, line, column and field. */

function load(files: Record<string, string>) {
  const root = fixture(Object.fromEntries(Object.entries(files).map(([f, c]) => [`webhooks/${f}`, c])));
  return loadResources(webhookKind, path.join(root, 'webhooks'), root);
}

const error = (file: string, line: number, column: number, fieldPath: string, message: string, hint?: string): Diagnostic => ({
  severity: 'error',
  file: `webhooks/${file}`,
  line,
  column,
  path: fieldPath,
  message,
  ...(hint === undefined ? {} : { hint }),
});

const OK = 'url: https://ats.example.com/micro1\nevent: interview_report.created\ndescription: Reports to the ATS\n';

describe('webhook definitions', () => {
  it('reads one file per webhook, its key the path without extension, description defaulting to empty', () => {
    const result = load({ 'ats/reports.yaml': OK, 'slack.yml': 'event: applicant.created\nurl: http://127.0.0.1:9/hook\n' });
    expect(result.diagnostics).toEqual([]);
    expect(result.definitions.map((d) => [d.kind, d.key, d.file, d.body])).toEqual([
      ['webhook', 'ats/reports', 'webhooks/ats/reports.yaml', { url: 'https://ats.example.com/micro1', event: 'interview_report.created', description: 'Reports to the ATS' }],
      ['webhook', 'slack', 'webhooks/slack.yml', { url: 'http://127.0.0.1:9/hook', event: 'applicant.created', description: '' }],
    ]);
    expect(result.definitions[0]!.sourceHash).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('a missing folder is no webhooks and no problem', () => {
    const root = fixture({});
    expect(loadResources(webhookKind, path.join(root, 'webhooks'), root)).toEqual({ definitions: [], diagnostics: [] });
  });

  it('requires https except to this machine, and says why', () => {
    const result = load({ 'a.yaml': 'url: http://ats.example.com/x\nevent: applicant.created\n', 'b.yaml': 'event: applicant.created\nurl: ftp://x.example/\n' });
    expect(result.diagnostics).toEqual([
      error('a.yaml', 1, 6, 'url', 'url must use https: candidate reports would cross the network unencrypted to ats.example.com', 'write https://ats.example.com/x (plain http is allowed only to this machine: localhost, 127.0.0.1, ::1)'),
      error('b.yaml', 2, 6, 'url', 'url must be an https address, not ftp:', 'e.g. url: https://ats.example.com/micro1'),
    ]);
    expect(result.definitions).toEqual([]);
  });

  it('refuses a URL that does not parse, one with credentials, and a missing one', () => {
    const result = load({
      'a.yaml': 'url: not a url\nevent: applicant.created\n',
      'b.yaml': 'url: https://user:pw@ats.example.com/\nevent: applicant.created\n',
      'c.yaml': 'event: applicant.created\n',
    });
    expect(result.diagnostics).toEqual([
      error('a.yaml', 1, 6, 'url', 'url is not a URL', 'write the full address, e.g. https://ats.example.com/micro1'),
      error('b.yaml', 1, 6, 'url', 'url holds a user name or password, which would be kept in git and in the state file', 'use a URL without credentials; authenticate the receiver another way'),
      error('c.yaml', 1, 1, 'url', 'url is required: where micro1 sends the event', 'e.g. url: https://ats.example.com/micro1'),
    ]);
  });

  it('checks the event against the document enum, with did you mean', () => {
    const result = load({ 'a.yaml': 'url: https://a.example/\nevent: interview.complete\n', 'b.yaml': 'url: https://a.example/\nevent: 3\n' });
    expect(result.diagnostics).toEqual([
      error('a.yaml', 2, 8, 'event', 'event "interview.complete" is not a micro1 webhook event', 'did you mean "interview.completed"?'),
      error('b.yaml', 2, 8, 'event', 'event not text is not a micro1 webhook event', `one of ${WEBHOOK_EVENTS.join(', ')}`),
    ]);
  });

  it('refuses unknown keys at the key, with did you mean', () => {
    const result = load({ 'a.yaml': `${OK}descripton: typo\n` });
    expect(result.diagnostics).toEqual([error('a.yaml', 4, 1, 'descripton', 'unknown key "descripton"', 'did you mean "description"?')]);
  });

  it('refuses two files for the same url + event, and a fragment', () => {
    const result = load({ 'a.yaml': OK, 'b.yaml': `# the same\n${OK}`, '_base.yaml': OK });
    expect(result.diagnostics).toEqual([
      error('_base.yaml', 1, 1, '', 'is a fragment (its name or folder starts with "_"), but webhooks have no fragments', 'rename it without the leading "_" to make it a webhook, or move it out of webhooks'),
      error('b.yaml', 2, 6, 'url', 'is the same webhook (url + event) as webhooks/a.yaml', 'one micro1 webhook is managed by one file: remove one of the two, or change its url + event'),
    ]);
    expect(result.definitions.map((d) => d.key)).toEqual(['a']);
  });

  it('reports YAML syntax errors with their position', () => {
    expect(load({ 'a.yaml': 'url: "x\n' }).diagnostics).toEqual([error('a.yaml', 2, 1, '', 'YAML syntax: Missing closing "quote')]);
  });
});

describe('micro1 validate covers webhooks', () => {
  it('counts valid webhooks and prints their problems', async () => {
    const root = fixture({ 'interviews/a.yaml': 'interview_name: A\n', 'webhooks/ok.yaml': OK, 'webhooks/bad.yaml': 'url: https://a.example/\nevent: applicant.create\n' });
    const result = await runCli(['validate'], root);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('1 valid interview, 1 valid webhook; 1 error, 0 warnings.\n');
    expect(result.stderr).toContain('webhooks/bad.yaml:2:8  event  event "applicant.create" is not a micro1 webhook event (did you mean "applicant.created"?)');
  });

  it('validate --json counts webhooks beside interviews', async () => {
    const root = fixture({ 'interviews/a.yaml': 'interview_name: A\n', 'webhooks/ok.yaml': OK });
    const result = await runCli(['validate', '--json'], root);
    expect(JSON.parse(result.stdout)).toEqual({ format_version: '1.0', valid: true, interviews: 1, webhooks: 1, diagnostics: [] });
  });
});

describe('micro1 fmt and schema cover webhooks', () => {
  it('fmt puts a webhook file in url, event, description order, comments kept, and leaves a broken one alone', async () => {
    const root = fixture({
      'interviews/a.yaml': 'interview_name: A\n',
      'webhooks/ok.yaml': '# header\ndescription: Reports # why\nevent: interview_report.created\nurl: https://a.example/\n',
      'webhooks/bad.yaml': 'event: nope\nurl: https://a.example/\n',
    });
    const result = await runCli(['fmt'], root);
    expect(result.code).toBe(1);
    expect(readFileSync(path.join(root, 'webhooks/ok.yaml'), 'utf8')).toBe('# header\n\nurl: https://a.example/\nevent: interview_report.created\ndescription: Reports # why\n');
    expect(readFileSync(path.join(root, 'webhooks/bad.yaml'), 'utf8')).toBe('event: nope\nurl: https://a.example/\n');
    expect((await runCli(['fmt', '--check'], root)).stdout).not.toContain('webhooks/ok.yaml');
  });

  it('fmt works on a project that holds only webhooks', async () => {
    const root = fixture({ 'webhooks/ok.yaml': 'event: interview_report.created\nurl: https://a.example/\n' });
    expect((await runCli(['fmt'], root)).code).toBe(0);
    expect(readFileSync(path.join(root, 'webhooks/ok.yaml'), 'utf8')).toBe('url: https://a.example/\nevent: interview_report.created\n');
  });

  it('schema --kind webhook prints a JSON Schema that accepts the example and refuses broken files', async () => {
    const result = await runCli(['schema', '--kind', 'webhook'], fixture({}));
    expect([result.code, result.stderr]).toEqual([0, '']);
    const schema = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(schema).toMatchObject({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', required: ['url', 'event'], additionalProperties: false });
    const validator = z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
    const example = parseYaml(readFileSync(new URL('../webhooks/ats-reports.yaml', import.meta.url), 'utf8')) as unknown;
    expect(validator.safeParse(example).success).toBe(true);
    for (const broken of [{ url: 'https://a.example/', event: 'nope' }, { event: 'applicant.created' }, { url: 'https://a.example/', event: 'applicant.created', colour: 'blue' }]) {
      expect([broken, validator.safeParse(broken).success]).toEqual([broken, false]);
    }
    const wrong = await runCli(['schema', '--kind', 'dns'], fixture({}));
    expect([wrong.code, wrong.stderr]).toEqual([1, 'Error: --kind must be interview or webhook, not "dns"\n  run `micro1 schema --help` for usage\n']);
    expect((await runCli(['schema', '--help'], fixture({}))).code).toBe(0);
  });
});
