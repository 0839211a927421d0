import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadState } from '../src/state/state-store.js';
import { API_KEY, apply } from './apply-harness.js';
import { assertStateParses, chaosWorld, finishCleanly, interviewText, random, writeDesired, type ChaosWorld, type KillPlan } from './chaos-harness.js';
import { runCli } from './helpers.js';

/**
 * Chaos for webhooks: an apply of webhook creates, url updates and prunes (beside interview
 * changes) killed with SIGKILL at random instants, run again after every kill. A create killed
 * after micro1 made it is found again by url + event, so no webhook exists twice, none is lost,
 * and every url ends as its file says.
 */
const SEED = 20261202;
const KILLS_WANTED = 12;

const hookUrl = (i: number, v: number) => `https://ats${i % 3}.example.com/hook-${i}/v${v}`;
const EVENTS = ['interview_report.created', 'interview.completed', 'applicant.created', 'interview.started'];
const hookText = (i: number, v: number) => `url: ${hookUrl(i, v)}\nevent: ${EVENTS[i % EVENTS.length]}\ndescription: Hook ${i} version ${v}\n`;

function writeHooks(world: ChaosWorld, hooks: Map<number, number>): void {
  const root = path.join(world.dir, 'webhooks');
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  for (const [i, v] of hooks) writeFileSync(path.join(root, `hook-${String(i).padStart(3, '0')}.yaml`), hookText(i, v));
}

describe('chaos: kill -9 during an apply of webhook changes', () => {
  it('converges with no duplicate webhook, no lost url change, a parsable state after every kill and a no-op plan after', async () => {
    const rnd = random(SEED);
    const world = await chaosWorld({ rate: 300 });
    for (let i = 0; i < 10; i++) world.desired.set(`team/role-${i}`, interviewText(`team/role-${i}`, 0));
    writeDesired(world);
    const hooks = new Map<number, number>();
    for (let i = 0; i < 40; i++) hooks.set(i, 0);
    writeHooks(world, hooks);
    const setup = await apply(world.dir, world.box);
    expect(setup.outcome.kind === 'applied' && setup.outcome.result.failures).toEqual([]);
    expect(world.box.webhooks()).toHaveLength(40);

    // 20 url updates, 10 prunes, 30 creates, and interview updates beside them.
    for (let i = 0; i < 20; i++) hooks.set(i, 1);
    for (let i = 20; i < 30; i++) hooks.delete(i);
    for (let i = 40; i < 70; i++) hooks.set(i, 2);
    writeHooks(world, hooks);
    for (let i = 0; i < 10; i++) world.desired.set(`team/role-${i}`, interviewText(`team/role-${i}`, 1));
    writeDesired(world);

    let kills = 0;
    let next = 70;
    for (let attempt = 0; (kills < KILLS_WANTED || (world.stats.byRequest['POST+commit'] ?? 0) === 0) && attempt < 60; attempt++) {
      const { killed, code } = await world.run(pickKill(rnd));
      assertStateParses(world.dir);
      if (killed) kills++;
      if (killed || code !== 0) continue;
      // That apply finished before its kill: a further round of webhook changes keeps the kills coming.
      const present = [...hooks.keys()];
      for (const i of present.slice(0, 6)) hooks.set(i, hooks.get(i)! + 1);
      for (const i of present.slice(6, 9)) hooks.delete(i);
      for (let k = 0; k < 8; k++) hooks.set(next++, 0);
      writeHooks(world, hooks);
    }
    await finishCleanly(world);

    const stored = world.box.webhooks();
    const identities = stored.map((h) => `${h.body.event} ${h.body.url}`);
    expect(identities.length - new Set(identities).size, 'no webhook exists twice').toBe(0);
    expect(stored.map((h) => h.body.url).sort()).toEqual([...hooks].map(([i, v]) => hookUrl(i, v)).sort());
    const { state } = loadState(path.join(world.dir, '.micro1/state.json'));
    expect(state.version).toBe(2);
    expect(state.resourcePending ?? []).toEqual([]);
    const entries = state.resources?.webhook ?? {};
    expect(Object.keys(entries).sort()).toEqual([...hooks.keys()].map((i) => `hook-${String(i).padStart(3, '0')}`).sort());
    for (const [i, v] of hooks) {
      const entry = entries[`hook-${String(i).padStart(3, '0')}`]!;
      expect(stored.find((h) => h.id === entry.id)?.body.url, `micro1's copy of hook ${i}`).toBe(hookUrl(i, v));
    }
    const plan = await runCli(['plan', '--detailed-exitcode'], world.dir, { env: { MICRO1_API_URL: world.box.url, MICRO1_API_KEY: API_KEY } });
    expect([plan.code, plan.stdout]).toEqual([0, `Target: ${world.box.url}\n\nNo changes. 10 interviews and ${hooks.size} webhooks already match micro1.\n`]);
    console.log(`webhook chaos figures ${JSON.stringify({ kills, byTrigger: world.stats.byTrigger, requestKills: world.stats.byRequest, replays: world.stats.replays, takeovers: world.stats.takeovers })}`);
    expect(world.stats.byRequest['POST+commit'] ?? 0).toBeGreaterThan(0);
  }, 240_000);
});

function pickKill(rnd: () => number): KillPlan {
  const r = rnd();
  const n = (max: number) => 1 + Math.floor(rnd() * max);
  // Mostly as a create is answered (the dangerous instant: made, but the answer lost).
  if (r < 0.6) return { at: 'request', n: n(10), fault: rnd() < 0.7 ? { kind: 'reset-after-commit' } : { kind: 'hang' } };
  if (r < 0.8) return { at: 'journal', n: n(20) };
  if (r < 0.9) return { at: 'fold' };
  return { at: 'after-first-request', ms: Math.floor(rnd() * 80) };
}
