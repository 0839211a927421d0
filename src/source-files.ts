import { hash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Finding, reading and hashing definition files: the part of loading that needs neither the YAML
 * parser nor the schema, which is all a plan of unchanged files does.
 */

/** A definition is a handful of fields; anything larger is a mistake or an attack. */
export const MAX_FILE_BYTES = 1024 * 1024;

export interface FileProblem {
  message: string;
  hint?: string;
}

/**
 * Every file and folder under the root (hidden ones skipped), sorted by path. Linked folders are
 * not followed: one pointing at an ancestor (`loop -> .`) would list the same files under endless
 * keys (two such links make the walk exponential), and one pointing elsewhere would read files
 * from outside the root. They are returned so the loader can refuse them; linked files are kept,
 * and checked one by one when read.
 *
 * A plain walk rather than a glob library: nothing here is a pattern, and loading one (200 kB with
 * its matchers) was a tenth of a 300 ms CLI start.
 */
export function discoverFiles(interviewsRoot: string): { interviews: string[]; fragments: string[]; linkedFolders: string[]; unusual: Set<string> } {
  const found = { interviews: [] as string[], fragments: [] as string[], linkedFolders: [] as string[], unusual: new Set<string>() };
  walk(interviewsRoot, '', false, found);
  return found;
}

function walk(root: string, folder: string, inFragment: boolean, found: ReturnType<typeof discoverFiles>): void {
  const entries = readdirSync(folder === '' ? root : path.join(root, folder), { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const dirent of entries) {
    if (dirent.name.startsWith('.')) continue;
    const rel = folder === '' ? dirent.name : `${folder}/${dirent.name}`;
    const fragment = inFragment || dirent.name.startsWith('_');
    if (dirent.isDirectory()) {
      walk(root, rel, fragment, found);
    } else if (dirent.isSymbolicLink() && isFolder(path.join(root, rel))) {
      if (!fragment) found.linkedFolders.push(rel);
    } else if (/\.ya?ml$/.test(rel)) {
      (fragment ? found.fragments : found.interviews).push(rel);
      // Links and anything but a regular file (a FIFO would block a read) get the full check.
      if (!dirent.isFile()) found.unusual.add(rel);
    }
  }
}

export function sha256(data: Uint8Array | string): string {
  // One-shot: three times faster than a Hash object for a small file, and there are thousands.
  return hash('sha256', data, 'hex');
}

/**
 * A function giving the sha256 of a file's bytes, or undefined when it cannot be read or is over
 * the size limit (it is then parsed, which reports why). It reads every file into one buffer of
 * its own: ten thousand small allocations would be garbage to collect. Only a matching hash is
 * ever acted on, so this needs no fstat: a folder fails to read, and O_NONBLOCK keeps a FIFO put
 * in a file's place from blocking.
 */
export function fileHasher(): (absolute: string) => string | undefined {
  const buffer = Buffer.allocUnsafe(MAX_FILE_BYTES + 1);
  return (absolute) => {
    let fd: number;
    try {
      fd = openSync(absolute, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch {
      return undefined;
    }
    try {
      // One read: a regular file gives all it has. Anything else (a short read, a FIFO) can only
      // make the hash differ, and a file whose hash differs is read in full and checked.
      const size = readSync(fd, buffer, 0, buffer.length, 0);
      return size > MAX_FILE_BYTES ? undefined : sha256(buffer.subarray(0, size));
    } catch {
      return undefined;
    } finally {
      closeSync(fd);
    }
  };
}

export function tooLarge(size: number): FileProblem {
  return {
    // In bytes: "1.0 MiB; at most 1 MiB" would not say why a file just past the limit is refused.
    message: `is ${size} bytes; a definition may be at most ${MAX_FILE_BYTES} bytes (1 MiB)`,
    hint: 'an interview definition is a few kilobytes: check that this is the right file',
  };
}

/** One open, one fstat, one read: the size limit is checked before a byte is read. */
export function readBounded(absolute: string): { bytes: Uint8Array } | { problem: FileProblem } {
  let fd: number;
  try {
    fd = openSync(absolute, 'r');
  } catch (error) {
    return { problem: { message: `cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})` } };
  }
  try {
    const info = fstatSync(fd);
    if (info.isDirectory()) return { problem: { message: 'is a folder, not a file' } };
    if (!info.isFile()) return { problem: { message: 'is not a regular file' } };
    if (info.size > MAX_FILE_BYTES) return { problem: tooLarge(info.size) };
    const bytes = Buffer.allocUnsafe(info.size);
    let done = 0;
    while (done < info.size) {
      const n = readSync(fd, bytes, done, info.size - done, done);
      if (n === 0) break;
      done += n;
    }
    return { bytes: bytes.subarray(0, done) };
  } finally {
    closeSync(fd);
  }
}

function isFolder(absolute: string): boolean {
  try {
    return statSync(absolute).isDirectory();
  } catch {
    return false;
  }
}

