import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package's own folder, found by walking up from this module: the same code runs from dist/
 * (tsc), from the bundled CLI in dist/cli/, and from src/ under the tests.
 */
export const PACKAGE_ROOT: string = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));

export const TOOL_VERSION: string = (
  JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }
).version;

export const USER_AGENT = `micro1-sync/${TOOL_VERSION} (+node ${process.versions.node})`;

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'micro1-sync') return dir;
    if (path.dirname(dir) === dir) throw new Error(`bug: no micro1-sync package.json above ${from}`);
  }
}
