import path from 'node:path';

/**
 * Paths as the tool shows and records them: relative, with forward slashes, whatever the platform.
 * Pure string work (node:path computes, nothing is read).
 */

/** `absolute` relative to `root`, with forward slashes; '.' for the root itself. */
export function posixRelative(root: string, absolute: string): string {
  return path.relative(root, absolute).split(path.sep).join('/') || '.';
}

/** A file or folder whose name, or a folder on its path, starts with "_" is a fragment, not an interview. */
export function isFragmentPath(relative: string): boolean {
  return relative.split(/[\\/]/).some((part) => part.startsWith('_'));
}

/** The definition file a state entry came from: its one source that is not a fragment (`<key>.yaml` if none is recorded). */
export function definitionFileOf(key: string, sources: Readonly<Record<string, string>> | undefined): string {
  const own = sources === undefined ? undefined : Object.keys(sources).find((file) => !isFragmentPath(file));
  return own ?? `${key}.yaml`;
}
