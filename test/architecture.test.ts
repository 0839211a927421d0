import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The allowed arrows between the rooms of src/, checked on the import graph (README, Architecture).
 * Type-only imports are left out: they vanish at run time and carry no behaviour.
 */

const SRC = fileURLToPath(new URL('../src', import.meta.url));

interface Module {
  /** Runtime imports: product modules (src-relative, `.ts`) and packages or Node built-ins as written. */
  imports: string[];
  /** Every import, type-only ones included. */
  all: string[];
}

function graph(): Map<string, Module> {
  const modules = new Map<string, Module>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.name.endsWith('.ts')) modules.set(path.relative(SRC, file).split(path.sep).join('/'), parse(file));
    }
  };
  walk(SRC);
  return modules;
}

function parse(file: string): Module {
  const text = readFileSync(file, 'utf8');
  const imports: string[] = [];
  const all: string[] = [];
  const statement = /^\s*(import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm;
  for (const m of text.matchAll(statement)) {
    const target = resolve(file, m[3]!);
    all.push(target);
    if (m[2] === undefined) imports.push(target);
  }
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    const target = resolve(file, m[1]!);
    all.push(target);
    imports.push(target);
  }
  return { imports, all };
}

function resolve(from: string, spec: string): string {
  if (!spec.startsWith('.')) return spec;
  return path.relative(SRC, path.resolve(path.dirname(from), spec.replace(/\.js$/, '.ts'))).split(path.sep).join('/');
}

/** Every module `start` loads at run time, itself included. */
function closure(modules: Map<string, Module>, start: string): Set<string> {
  const seen = new Set<string>();
  const stack = [start];
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    stack.push(...(modules.get(name)?.imports ?? []));
  }
  return seen;
}

const IO_BUILTINS = new Set(['fs', 'fs/promises', 'http', 'https', 'net', 'tls', 'dgram', 'child_process', 'worker_threads', 'readline', 'readline/promises', 'process']);
const isIoBuiltin = (name: string) => IO_BUILTINS.has(name.replace(/^node:/, ''));

/**
 * The planner's side: everything in plan/, definitions as values, the state as values and the
 * text neutralisers it formats values with. Pure at run time.
 */
/** The API's shapes, as values: the list mapping and its language names. No request is made there. */
const API_SHAPES = ['api/list-shape.ts', 'api/language-names.ts'];
const PURE_OUTSIDE_PLAN = [
  'definitions/body-model.ts', 'definitions/canonical.ts', 'definitions/canonical-yaml.ts', 'definitions/interview-schema.ts', 'definitions/editor-schema.ts',
  'definitions/source-hash.ts', ...API_SHAPES, 'state/state-model.ts', 'diagnostics.ts', 'paths.ts', 'values.ts', 'render/neutralise.ts', 'render/redact.ts',
  // The resource kinds (webhooks): what differs per kind, as values.
  'kinds/kinds.ts', 'kinds/resource-kind.ts', 'kinds/webhook.ts', 'kinds/url-rules.ts', 'state/state-v2.ts',
];
const PURE = (modules: Map<string, Module>) => [...[...modules.keys()].filter((m) => m.startsWith('plan/')), ...PURE_OUTSIDE_PLAN];
const RENDERERS = (modules: Map<string, Module>) => [...modules.keys()].filter((m) => m.startsWith('render/'));
const NETWORK = (m: string) => m.startsWith('api/') && !API_SHAPES.includes(m) || m.startsWith('apply/') || m.startsWith('sandbox/');
const CLI = (name: string) => name === 'cli.ts' || name.startsWith('cli-commands/');
/** Entry points run the CLI: the binary and the demo. */
const ENTRY = ['bin.ts', 'demo.ts'];

describe('architecture: the allowed arrows', () => {
  const modules = graph();

  it('reads the whole of src/', () => {
    expect(modules.size).toBeGreaterThan(50);
    for (const name of [...PURE_OUTSIDE_PLAN, 'plan/planner.ts', 'api/client.ts', 'apply/applier.ts', 'sandbox/sandbox.ts', 'cli.ts', ...ENTRY]) expect(modules.has(name), name).toBe(true);
    expect(builtinModules).toContain('fs');
  });

  it('nothing imports the CLI but the CLI itself and the entry points', () => {
    const offenders = [...modules].flatMap(([name, m]) => (CLI(name) || ENTRY.includes(name) ? [] : m.all.filter(CLI).map((t) => `${name} -> ${t}`)));
    expect(offenders).toEqual([]);
  });

  it('the planner and everything it needs do no I/O: no file, network, process or terminal module is loaded', () => {
    const offenders = PURE(modules).flatMap((name) => [...closure(modules, name)].filter((m) => isIoBuiltin(m) || NETWORK(m) || m.startsWith('commands/')).map((m) => `${name} loads ${m}`));
    expect(offenders).toEqual([]);
  });

  it('renderers load no client, applier or server: they only turn values into text', () => {
    // (render/render-json reads the package's own version from package.json once at load: not an arrow to the network.)
    const offenders = RENDERERS(modules).flatMap((name) => [...closure(modules, name)].filter((m) => NETWORK(m) || m.startsWith('commands/')).map((m) => `${name} loads ${m}`));
    expect(offenders).toEqual([]);
  });

  it('the sandbox loads nothing of the product but its error type: it checks the API independently', () => {
    const product = [...closure(modules, 'sandbox/sandbox.ts')].filter((m) => m.endsWith('.ts') && !m.startsWith('sandbox/') && m !== 'errors.ts');
    expect(product).toEqual([]);
  });
});
