import { hash } from 'node:crypto';
import { definitionFormat } from './body-model.js';

/** The hashes that tie a state entry to the files it came from: pure, so the planner's side can use them. */

/**
 * What files mean (schema, defaults, canonical form), derived from the body's declaration: it
 * changes when the declaration does, so that every source hash changes with it and no shortcut
 * keyed on hashes can hide a change.
 */
export const DEFINITION_FORMAT: string = definitionFormat();

export function sha256(data: Uint8Array | string): string {
  // One-shot: three times faster than a Hash object for a small file, and there are thousands.
  return hash('sha256', data, 'hex');
}

/**
 * The source hash: the definition format, the file's path and content hash, then each fragment's
 * in path order (the file itself fixes the merge order, so the set is what matters; sorting lets
 * the state, whose keys are sorted, reproduce it).
 */
export function combinedHash(files: readonly string[], sources: Record<string, string>): string {
  const [own = '', ...fragments] = files;
  return `sha256:${sha256(sourceText(own, fragments, sources))}`;
}

/**
 * Whether `expected` is the source hash of `own` and `fragments` (`combinedHash([own, ...fragments])`),
 * without building it: a no-op plan asks this of every unchanged file, and each string not built
 * is garbage not made while the freshly parsed state is young (see project.ts).
 */
export function isCombinedHash(expected: string, own: string, fragments: readonly string[], sources: Record<string, string>): boolean {
  return expected.length === HASH_LENGTH && expected.startsWith(PREFIX) && expected.endsWith(sha256(sourceText(own, fragments, sources)));
}

const PREFIX = 'sha256:';
const HASH_LENGTH = PREFIX.length + 64;

function sourceText(own: string, fragments: readonly string[], sources: Record<string, string>): string {
  let text = `${DEFINITION_FORMAT}\0${own}\0${sources[own] ?? ''}`;
  for (const file of fragments.length > 1 ? [...fragments].sort() : fragments) text += `\0${file}\0${sources[file] ?? ''}`;
  return text;
}
