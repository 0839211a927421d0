import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { loadDefinitions } from '../src/definitions/load-definitions.js';
import { plan } from '../src/plan/planner.js';
import { emptyState } from '../src/state/state.js';
import { fixture } from './helpers.js';

/**
 * A cold plan holds what the plan needs, not the files it was read from: a definition's body must
 * not keep its file's text alive (a string cut from the text by the YAML parser would, in V8), and
 * a planned create keeps no field list that only rendering reads.
 */
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const live = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

const FILES = 100;
const PADDING = 200 * 1024;

describe('what a cold plan holds', () => {
  it("holds no file's text once its definition is loaded and planned", () => {
    const files: Record<string, string> = { 'micro1.config.json': '{}\n' };
    for (let i = 0; i < FILES; i++) {
      // A long comment, then values long enough that V8 would make them slices of the text.
      files[`interviews/role-${i}.yaml`] = `# ${'x'.repeat(PADDING)}\ninterview_name: The role number ${i} of many\ncoding_exercise_details: Implement a small service with tests, number ${i}\nskills:\n  - name: Incident response ${i}\n    description: Level 3 depth, with examples ${i}\n`;
    }
    const root = fixture(files);
    const before = live();
    const { definitions, diagnostics } = loadDefinitions({ projectRoot: root, interviewsRoot: path.join(root, 'interviews') });
    expect(diagnostics).toEqual([]);
    const planned = plan(definitions, emptyState(), { prune: false, targets: [], excludes: [] });
    const held = live() - before;
    expect(planned.changes.filter((c) => c.action === 'create')).toHaveLength(FILES);
    expect(planned.changes[0]!.after!.coding_exercise_details).toMatch(/^Implement a small service/);
    // The texts are 20 MB; what the plan needs is a few hundred bytes per interview.
    expect(held).toBeLessThan((FILES * PADDING) / 4);
  });

  it("a create's fields are derived when read, the same each time, and not held", () => {
    const root = fixture({ 'micro1.config.json': '{}\n', 'interviews/a.yaml': 'interview_name: A\nonly_coding_round: true\n' });
    const { definitions } = loadDefinitions({ projectRoot: root, interviewsRoot: path.join(root, 'interviews') });
    const [create] = plan(definitions, emptyState(), { prune: false, targets: [], excludes: [] }).changes;
    expect(create!.fields).toEqual([
      { field: 'interview_name', before: undefined, after: 'A', reset: false },
      { field: 'only_coding_round', before: undefined, after: true, reset: false },
    ]);
    expect(create!.fields).toEqual(create!.fields);
    expect(Object.getOwnPropertyDescriptor(create, 'fields')?.get).toBeTypeOf('function');
    expect(Object.keys(create!)).toEqual(['key', 'file', 'after', 'sourceHash', 'sources', 'action', 'before', 'fields', 'via']);
  });
});
