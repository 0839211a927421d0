import { closeSync, constants, fstatSync, openSync, readdirSync, readSync, statSync, type Dirent } from 'node:fs';
import path from 'node:path';
import { Micro1Error } from '../errors.js';
import { ioReason, TEMP_PATTERN } from '../state/file-io.js';
import { sha256 } from './source-hash.js';
import { MAX_FILE_BYTES } from './yaml-file.js';
export { MAX_FILE_BYTES } from './yaml-file.js';

/**
 * Finding, reading and hashing definition files: the part of loading that needs neither the YAML
 * parser nor the schema, which is all a plan of unchanged files does.
 */


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
/**
 * Folders deeper than this are refused: keys are paths, and no one organises interviews 32 levels
 * deep. The walk keeps its own stack (not the JS one), so a 10,000-deep tree is refused with a
 * message, not a stack overflow or a path longer than the OS allows.
 */
export const MAX_FOLDER_DEPTH = 32;

export interface FoundFiles {
  interviews: string[];
  fragments: string[];
  linkedFolders: string[];
  unusual: Set<string>;
  /** `.NAME.tmp-PID-…` files a killed fmt or import of an older version left beside definitions. */
  leftovers: string[];
}

export function discoverFiles(interviewsRoot: string, readdir: typeof readdirSync = readdirSync): FoundFiles {
  const found: FoundFiles = { interviews: [], fragments: [], linkedFolders: [], unusual: new Set(), leftovers: [] };
  // Depth first in sorted order, as a recursive walk would go: each folder's entries are pushed
  // in reverse, files and folders alike, so a folder is listed where its name sorts.
  const stack: Entry[] = [{ rel: '', fragment: false, depth: 0, dirent: undefined }];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const { rel, fragment, depth, dirent } = next;
    if (dirent !== undefined && !dirent.isDirectory()) {
      if (dirent.isSymbolicLink() && isFolder(path.join(interviewsRoot, rel))) {
        if (!fragment) found.linkedFolders.push(rel);
      } else if (/\.ya?ml$/.test(rel)) {
        (fragment ? found.fragments : found.interviews).push(rel);
        // Links and anything but a regular file (a FIFO would block a read) get the full check.
        if (!dirent.isFile()) found.unusual.add(rel);
      }
      continue;
    }
    if (depth > MAX_FOLDER_DEPTH) {
      throw new Micro1Error('FOLDERS_TOO_DEEP', `The interviews folder is nested more than ${MAX_FOLDER_DEPTH} folders deep at ${display(interviewsRoot, rel)}`, {
        hint: 'move the definitions into fewer levels of folders (a key is its path)',
      });
    }
    const entries = readFolder(interviewsRoot, rel, readdir);
    for (let i = entries.length - 1; i >= 0; i--) {
      const child = entries[i]!;
      const childRel = rel === '' ? child.name : `${rel}/${child.name}`;
      if (child.name.startsWith('.')) {
        if (TEMP_PATTERN.test(child.name) && child.isFile()) found.leftovers.push(childRel);
        continue;
      }
      stack.push({ rel: childRel, fragment: fragment || child.name.startsWith('_'), depth: depth + 1, dirent: child });
    }
  }
  return found;
}

interface Entry {
  rel: string;
  fragment: boolean;
  depth: number;
  /** Undefined for the root. */
  dirent: Dirent | undefined;
}

function readFolder(root: string, rel: string, readdir: typeof readdirSync): Dirent[] {
  let entries: Dirent[];
  try {
    entries = readdir(rel === '' ? root : path.join(root, rel), { withFileTypes: true });
  } catch (error) {
    throw new Micro1Error('FOLDER_UNREADABLE', `Cannot read the folder ${display(root, rel)}: ${ioReason(error)}`, {
      hint: 'check that it is a folder you can read (ls -ld it), or move it out of the interviews folder',
      cause: error,
    });
  }
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function display(root: string, rel: string): string {
  const shown = path.join(path.basename(root), rel).split(path.sep).join('/');
  // A path thousands of folders long says nothing more after its first few hundred characters.
  return shown.length > 200 ? `${shown.slice(0, 200)}…` : shown;
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
    // O_NONBLOCK: a FIFO swapped in since the file was checked cannot block the open.
    fd = openSync(absolute, constants.O_RDONLY | constants.O_NONBLOCK);
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

