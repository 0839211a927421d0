/**
 * Matches interview keys against `--target` / `--exclude` patterns: an exact key, a folder prefix
 * (`engineering` selects everything under it), or a glob (`*` within one folder, `**` across folders).
 */
export function matchesAny(key: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => matches(key, pattern));
}

function matches(key: string, pattern: string): boolean {
  const clean = pattern.replace(/\.ya?ml$/, '').replace(/\/+$/, '');
  if (key === clean || key.startsWith(`${clean}/`)) return true;
  if (!/[*?]/.test(clean)) return false;
  return globToRegExp(clean).test(key);
}

function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*' && glob[i + 1] === '*') {
      const slash = glob[i + 2] === '/';
      source += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (ch === '*') source += '[^/]*';
    else if (ch === '?') source += '[^/]';
    else source += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}
