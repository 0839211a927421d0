import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Micro1Error } from '../src/errors.js';
import { webhookKind, webhookSchemaIsBuilt } from '../src/kinds/webhook.js';
import { readState, stateSchemaIsBuilt } from '../src/state/state.js';
import { fixture } from './helpers.js';

/**
 * Start-up: zod schemas the common path of `plan` does not use are built on first use, not at
 * import. A state that passes the fast check never builds the state's zod schema; one that fails
 * it builds it, to say why, with the message it always gave.
 */
describe('schemas built on first use', () => {
  it('reading a well-formed state builds no zod schema; a malformed one does, and says why as before', () => {
    const root = fixture({
      'good.json': JSON.stringify({ version: 1, lineage: 'l', serial: 1, interviews: {}, pending: [] }),
      'bad.json': JSON.stringify({ version: 1, lineage: 'l', serial: -1, interviews: {} }),
    });
    readState(path.join(root, 'good.json'), 'good.json');
    expect(stateSchemaIsBuilt()).toBe(false);
    let error: unknown;
    try {
      readState(path.join(root, 'bad.json'), 'bad.json');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(Micro1Error);
    expect((error as Error).message).toBe('The state file bad.json is not a micro1-sync state: serial: Too small: expected number to be >=0');
    expect(stateSchemaIsBuilt()).toBe(true);
  });

  it('the webhook schema is built when first asked for, once, with its metadata', () => {
    expect(webhookSchemaIsBuilt()).toBe(false);
    const schema = webhookKind.schema;
    expect(webhookSchemaIsBuilt()).toBe(true);
    expect(webhookKind.schema).toBe(schema);
    expect(z.globalRegistry.get(schema)?.title).toBe('micro1 webhook definition');
  });
});
