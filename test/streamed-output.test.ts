import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { planCommand } from '../src/commands/plan.js';
import { plan } from '../src/plan/planner.js';
import { renderPlanText, renderPlanTextChunks } from '../src/render/render-text.js';
import { emptyState } from '../src/state/state.js';
import { definition, fixture } from './helpers.js';

/**
 * The text plan is printed in pieces as it is rendered, so a plan of 50,000 creates is never one
 * 37 MB string: the pieces, joined, are byte for byte the plan rendered whole.
 */
const ALL = { prune: false, targets: [], excludes: [] };

function projectOf(count: number): string {
  const files: Record<string, string> = { 'micro1.config.json': '{}\n' };
  for (let i = 0; i < count; i++) {
    files[`interviews/team-${i % 7}/role-${i}.yaml`] = `interview_name: Role ${i}\nskills:\n  - name: Skill ${i}\n    description: ${'words '.repeat(20)}\n`;
  }
  return fixture(files);
}

describe('text plan in pieces', () => {
  it('yields pieces that join to the whole plan, none of them the whole', () => {
    const defs = Array.from({ length: 400 }, (_, i) => definition(`team/role-${i}`, { interview_name: `Role ${i}`, skills: [{ name: `S${i}`, description: 'd'.repeat(80) }] }));
    const planned = plan(defs, emptyState(), ALL);
    for (const color of [false, true]) {
      const pieces = [...renderPlanTextChunks(planned, { color })];
      expect(pieces.length).toBeGreaterThan(2);
      expect(pieces.join('')).toBe(renderPlanText(planned, { color }));
      expect(Math.max(...pieces.map((p) => p.length))).toBeLessThan(renderPlanText(planned, { color }).length / 2);
    }
  });

  it('a plan with nothing to do is one piece, as before', () => {
    const planned = plan([], emptyState(), ALL);
    expect([...renderPlanTextChunks(planned, { color: false })]).toEqual([renderPlanText(planned, { color: false })]);
  });

  it('`micro1 plan` writes stdout in pieces, byte-identical to the plan rendered whole', async () => {
    const root = projectOf(300);
    const writes: string[] = [];
    const code = await main(['plan'], { stdout: (t) => void writes.push(t), stderr: () => {}, env: {}, cwd: root, stdoutIsTTY: false, stderrIsTTY: false });
    expect(code).toBe(0);
    const outcome = await planCommand({ cwd: root, env: {}, targets: [], excludes: [] });
    if (outcome.kind !== 'planned') throw new Error('fixture is invalid');
    const whole = renderPlanText(outcome.plan, { color: false });
    expect(writes.join('')).toBe(whole);
    expect(writes.length).toBeGreaterThan(2);
    expect(Math.max(...writes.map((w) => w.length))).toBeLessThan(whole.length / 2);
  });
});
