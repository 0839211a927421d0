import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BODY, BODY_FIELDS } from '../src/definitions/body-model.js';
import { canonicalBody } from '../src/definitions/canonical.js';
import { fromListItem, listComparable } from '../src/api/list-shape.js';
import { startSandbox } from '../src/sandbox/sandbox.js';
import { API_KEY } from './apply-harness.js';

/**
 * The sandbox is the tests' reference for the API: it reads openapi.json on its own, so that a
 * mistake in the product's model is caught by it rather than shared with it.
 */
describe('the sandbox', () => {
  it('imports nothing of the product but the shared error type, and node built-ins', () => {
    const source = readFileSync(new URL('../src/sandbox/sandbox.ts', import.meta.url), 'utf8');
    const imports = [...source.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'/gm)].map((m) => m[1]);
    expect(imports.length).toBeGreaterThan(0);
    expect(imports.filter((i) => !i!.startsWith('node:') && i !== '../errors.js')).toEqual([]);
  });

  it('agrees with the product model on defaults, key order and the list shape, for every declared field', async () => {
    const box = await startSandbox({ apiKey: API_KEY });
    try {
      const example = canonicalBody(Object.fromEntries(BODY_FIELDS.map((f) => [f, BODY[f].example])) as never);
      const bare = { interview_name: 'Bare' };
      for (const body of [example, bare]) {
        const reply = await fetch(`${box.url}/interview`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': API_KEY }, body: JSON.stringify(body) });
        expect(reply.status, JSON.stringify(await reply.clone().json())).toBe(200);
      }
      const stored = box.interviews().map((i) => i.body);
      expect(stored).toEqual([example, canonicalBody(bare)]);
      expect(stored.map((b) => Object.keys(b))).toEqual([BODY_FIELDS, BODY_FIELDS]);
      const list = (await (await fetch(`${box.url}/interviews`, { headers: { 'x-api-key': API_KEY } })).json()) as { data: unknown[] };
      const read = list.data.map((item) => fromListItem(item));
      expect(read.flatMap((r) => r.warnings)).toEqual([]);
      expect(read.map((r) => r.body)).toEqual([listComparable(example), listComparable(canonicalBody(bare))]);
    } finally {
      await box.close();
    }
  });
});
