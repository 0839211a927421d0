import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planCommand } from '../src/commands/plan.js';
import { hasChanges } from '../src/plan/planner.js';
import { startSandbox, type Sandbox } from '../src/sandbox/sandbox.js';
import { apply, API_KEY } from './apply-harness.js';
import { VirtualClock } from './virtual-clock.js';

/**
 * Convergence property for webhooks: any sequence of adds, url / event / description edits,
 * renames and deletes of webhook files, each followed by `apply` (prune on), leaves micro1's
 * webhooks equal to the files, sends exactly the requests the change calls for (a POST per new
 * key, a PUT per changed one, one GET /webhooks then a DELETE per removed key) and leaves nothing
 * for the next plan. The expected requests come from a model written here, not from the planner.
 */
const SEED = 1202;
const RUNS = 40;
const URLS = ['https://a.example/h', 'https://b.example/h', 'https://a.example/other', 'http://127.0.0.1:9/local', 'https://c.example/h?team=x'];
const EVENTS = ['interview_report.created', 'interview.completed', 'applicant.created'];
const FOLDERS = ['', 'ats', 'ats/eu'];

interface Hook {
  key: string;
  url: string;
  event: string;
  description: string;
}

type Op =
  | { op: 'add'; url: number; event: number; description: number; folder: number }
  | { op: 'url' | 'event' | 'description'; target: number; value: number }
  | { op: 'rename'; target: number; folder: number }
  | { op: 'delete'; target: number };

const target = fc.nat(100);
const add = fc.record({ op: fc.constant('add' as const), url: fc.nat(URLS.length - 1), event: fc.nat(EVENTS.length - 1), description: fc.nat(2), folder: fc.nat(FOLDERS.length - 1) });
const op: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: add, weight: 3 },
  { arbitrary: fc.record({ op: fc.constantFrom('url' as const, 'event' as const, 'description' as const), target, value: fc.nat(4) }), weight: 4 },
  { arbitrary: fc.record({ op: fc.constant('rename' as const), target, folder: fc.nat(FOLDERS.length - 1) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('delete' as const), target }), weight: 1 },
);

describe('webhook convergence property', () => {
  it('after every step, micro1 holds exactly the webhooks the files define, sent with exactly the requests the change calls for', async () => {
    const figures = { runs: 0, steps: 0, posts: 0, puts: 0, deletes: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(add, { minLength: 1, maxLength: 3 }), fc.array(op, { minLength: 1, maxLength: 10 }), async (initial, ops) => {
        figures.runs++;
        const world = await World.start();
        try {
          for (const step of [...initial, ...ops]) {
            const before = world.snapshot();
            if (!world.perform(step)) continue;
            figures.steps++;
            const sent = await world.applyAndCheck(before);
            figures.posts += sent.POST;
            figures.puts += sent.PUT;
            figures.deletes += sent.DELETE;
          }
        } finally {
          await world.close();
        }
      }),
      { numRuns: RUNS, seed: SEED },
    );
    console.log(`webhook property figures ${JSON.stringify({ seed: SEED, ...figures })}`);
    for (const n of [figures.posts, figures.puts, figures.deletes]) expect(n).toBeGreaterThan(0);
  });
});

class World {
  hooks: Hook[] = [];
  private counter = 0;
  private readonly clock = new VirtualClock();

  private constructor(
    readonly dir: string,
    readonly box: Sandbox,
  ) {}

  static async start(): Promise<World> {
    const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'micro1-webhook-property-')));
    writeFileSync(path.join(dir, 'micro1.config.json'), JSON.stringify({ prune: true, apply: { requestsPerSecond: 1000, concurrency: 4, maxRetries: 0 }, api: { timeoutMs: 5000 } }));
    mkdirSync(path.join(dir, 'webhooks'));
    return new World(dir, await startSandbox({ apiKey: API_KEY }));
  }

  async close(): Promise<void> {
    await this.box.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  snapshot(): Map<string, Hook> {
    return new Map(this.hooks.map((h) => [h.key, { ...h }]));
  }

  /** Changes the model and the files; false when the step cannot apply (nothing to edit, or it would duplicate a url + event). */
  perform(step: Op): boolean {
    const pick = (i: number) => this.hooks[i % this.hooks.length];
    let next: Hook[];
    if (step.op === 'add') {
      const key = `${FOLDERS[step.folder] ? `${FOLDERS[step.folder]}/` : ''}hook-${++this.counter}`;
      next = [...this.hooks, { key, url: URLS[step.url]!, event: EVENTS[step.event]!, description: ['', 'Reports', 'Café ☕'][step.description]! }];
    } else {
      const h = pick(step.target);
      if (h === undefined) return false;
      const edited =
        step.op === 'url' ? { ...h, url: URLS[step.value % URLS.length]! }
        : step.op === 'event' ? { ...h, event: EVENTS[step.value % EVENTS.length]! }
        : step.op === 'description' ? { ...h, description: `Version ${step.value}` }
        : step.op === 'rename' ? { ...h, key: `${FOLDERS[step.folder] ? `${FOLDERS[step.folder]}/` : ''}moved-${++this.counter}` }
        : undefined;
      next = this.hooks.filter((x) => x !== h).concat(edited === undefined ? [] : [edited]);
      if (edited !== undefined && edited.url === h.url && edited.event === h.event && edited.description === h.description && edited.key === h.key) return false;
    }
    const identities = next.map((h) => `${h.event} ${h.url}`);
    if (new Set(identities).size !== identities.length) return false;
    for (const h of this.hooks) rmSync(path.join(this.dir, 'webhooks', `${h.key}.yaml`), { force: true });
    this.hooks = next;
    for (const h of this.hooks) {
      const file = path.join(this.dir, 'webhooks', `${h.key}.yaml`);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, `event: ${h.event}\nurl: "${h.url}"\n${h.description === '' ? '' : `description: ${h.description}\n`}`);
    }
    return true;
  }

  async applyAndCheck(before: Map<string, Hook>): Promise<Record<'POST' | 'PUT' | 'DELETE' | 'GET', number>> {
    const start = this.box.requests.length;
    const { outcome } = await apply(this.dir, this.box, { clock: this.clock, prune: true });
    const now = this.snapshot();
    const expected = { POST: 0, PUT: 0, DELETE: 0, GET: 0 };
    for (const [key, h] of now) {
      const was = before.get(key);
      if (was === undefined) expected.POST++;
      else if (was.url !== h.url || was.event !== h.event || was.description !== h.description) expected.PUT++;
    }
    for (const key of before.keys()) if (!now.has(key)) expected.DELETE++;
    if (expected.DELETE > 0) expected.GET = 1;
    const sent = { POST: 0, PUT: 0, DELETE: 0, GET: 0 };
    for (const r of this.box.requests.slice(start)) sent[r.method as keyof typeof sent]++;
    expect(outcome.kind === 'applied' ? outcome.result.failures : [], 'no failure').toEqual([]);
    expect(sent).toEqual(expected);
    const bodies = (list: { url: string; event: string; description: string }[]) => list.map((b) => `${b.event} ${b.url} ${b.description}`).sort();
    expect(bodies(this.box.webhooks().map((w) => w.body))).toEqual(bodies(this.hooks));
    const replan = await planCommand({ cwd: this.dir, env: {}, targets: [], excludes: [] });
    expect(replan.kind === 'planned' && hasChanges(replan.plan)).toBe(false);
    return sent;
  }
}
