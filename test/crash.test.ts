import { describe, expect, it } from 'vitest';
import { runCli } from './helpers.js';
import { API_KEY } from './apply-harness.js';
import { applyThroughKills, assertConverged, chaosWorld, interviewText, random, writeDesired } from './chaos-harness.js';

describe('kill -9 at any instant', () => {
  it('converges after repeated kills with no duplicate create and no lost update', async () => {
    const rnd = random(20261129);
    const world = await chaosWorld();
    const version = new Map<string, number>();
    for (let i = 0; i < 40; i++) {
      world.desired.set(`team-${i % 4}/role-${i}`, interviewText(`team-${i % 4}/role-${i}`, 0));
      version.set(`team-${i % 4}/role-${i}`, 0);
    }
    writeDesired(world);
    // Kill points: request numbers within the next run, spread over the whole apply.
    await applyThroughKills(world, Array.from({ length: 8 }, () => 1 + Math.floor(rnd() * 12)), rnd);

    // Edit a third, delete a third, add new ones: updates, deletes and creates in one apply.
    const keys = [...world.desired.keys()];
    keys.forEach((key, i) => {
      if (i % 3 === 0) {
        version.set(key, 1);
        world.desired.set(key, interviewText(key, 1));
      } else if (i % 3 === 1) {
        world.desired.delete(key);
      }
    });
    for (let i = 0; i < 10; i++) {
      const key = `new/role-${i}`;
      version.set(key, 2);
      world.desired.set(key, interviewText(key, 2));
    }
    writeDesired(world);
    await applyThroughKills(world, Array.from({ length: 8 }, () => 1 + Math.floor(rnd() * 12)), rnd);

    // A kill point past the end of a short run does not fire; most must.
    expect(world.kills).toBeGreaterThanOrEqual(12);
    assertConverged(world, (key) => ({ interview_language: version.get(key)! % 2 === 0 ? 'en' : 'fr', skills: [{ name: `Skill ${version.get(key)}` }] }));
    const plan = await runCli(['plan', '--detailed-exitcode'], world.dir, { env: { MICRO1_API_URL: world.box.url, MICRO1_API_KEY: API_KEY } });
    expect(plan.stdout).toContain('No changes.');
    expect(plan.code).toBe(0);
  });
});
