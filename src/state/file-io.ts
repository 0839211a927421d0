import { randomUUID } from 'node:crypto';
import * as nodeFs from 'node:fs';
import path from 'node:path';
import { errnoCode, Micro1Error } from '../errors.js';

/**
 * The one way a file the tool owns (state, journal, lock, saved plan, formatted or imported
 * definitions) is written and read. Writes loop until every byte is down, because `writeSync`
 * may write less than asked on a nearly full disk and a state cut at 8 KiB does not parse. Reads
 * take only regular files of bounded size, because a committed symlink to /dev/zero or a FIFO
 * must not make a plan read forever or hang.
 */

/**
 * The calls a write makes, so a test can inject short writes or ENOSPC; node:fs by default.
 * `fdatasync` (on libuv's thread pool) is the apply journal's group commit: the requests of a
 * running apply go on while its pending creates reach the disk.
 */
export type WriteFs = Pick<typeof nodeFs, 'openSync' | 'writeSync' | 'fsyncSync' | 'fdatasync' | 'closeSync' | 'renameSync' | 'rmSync'>;

/** Writes all of `data` at the fd's position; a write that makes no progress is an error, not a torn file. */
export function writeAll(fd: number, data: string | Uint8Array, fs: WriteFs = nodeFs): void {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  let done = 0;
  while (done < bytes.length) {
    const n = fs.writeSync(fd, bytes, done, bytes.length - done);
    if (n <= 0) throw Object.assign(new Error(`short write: ${done} of ${bytes.length} bytes`), { code: 'ENOSPC' });
    done += n;
  }
}

export interface AtomicOptions {
  /** The name shown in errors (project-relative); the absolute path by default. */
  display?: string;
  /**
   * Where the temporary copy is written (the state folder for definitions, so a kill never
   * leaves one in interviews/). Falls back to the target's folder when a rename across file
   * systems is refused.
   */
  tempDir?: string;
  fs?: WriteFs;
}

/**
 * Temp file, every byte, fsync, rename, fsync of the folder: a reader sees the old file or the
 * new one. On any failure the temp file is removed and the old file is untouched.
 */
export function writeFileAtomic(file: string, content: string | Uint8Array, options: AtomicOptions = {}): void {
  const fs = options.fs ?? nodeFs;
  const display = options.display ?? file;
  const dir = path.dirname(file);
  try {
    nodeFs.mkdirSync(dir, { recursive: true });
    const tempDir = options.tempDir ?? dir;
    try {
      writeAndRename(tempDir, file, content, fs);
    } catch (error) {
      if (errnoCode(error) !== 'EXDEV' || tempDir === dir) throw error;
      writeAndRename(dir, file, content, fs);
    }
  } catch (error) {
    throw writeFailure(error, display);
  }
}

/** The temp files this process writes: `.NAME.tmp-PID-RANDOM`, so a later run can tell a dead writer's. */
export const TEMP_PATTERN = /^\..+\.tmp-(\d+)-[0-9a-f]{8}$/;

function writeAndRename(tempDir: string, file: string, content: string | Uint8Array, fs: WriteFs): void {
  const temp = path.join(tempDir, `.${path.basename(file)}.tmp-${process.pid}-${randomUUID().slice(0, 8)}`);
  const fd = fs.openSync(temp, 'wx', 0o644);
  try {
    writeAll(fd, content, fs);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
  } catch (error) {
    try {
      fs.closeSync(fd);
    } catch {
      // Already closed, or the close itself failed: the temp file goes either way.
    }
    fs.rmSync(temp, { force: true });
    throw error;
  }
  try {
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
  fsyncFolder(path.dirname(file));
}

/** Removes `.NAME.tmp-PID-…` files in `dir` whose writer is gone (killed mid-write); a live writer's stay. */
export function removeDeadTemps(dir: string): void {
  let names: string[];
  try {
    names = nodeFs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = TEMP_PATTERN.exec(name)?.[1];
    if (pid !== undefined && !isAlive(Number(pid))) nodeFs.rmSync(path.join(dir, name), { force: true });
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return errnoCode(error) === 'EPERM';
  }
}

/**
 * Makes a file created or renamed in `dir` survive a power cut: the file's own fsync covers its
 * bytes, not its name in the folder.
 */
export function fsyncFolder(dir: string): void {
  try {
    const dirFd = nodeFs.openSync(dir, 'r');
    nodeFs.fsyncSync(dirFd);
    nodeFs.closeSync(dirFd);
  } catch {
    // Some file systems refuse to fsync a directory; the rename itself is still atomic.
  }
}

const REASONS: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is exceeded',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EIO: 'an input/output error from the disk',
  ENAMETOOLONG: 'the path is too long',
};

/** Why an fs call failed, in words, with the errno code for searching. */
export function ioReason(error: unknown): string {
  const code = errnoCode(error);
  if (code === undefined) return String(error);
  return REASONS[code] === undefined ? code : `${REASONS[code]} (${code})`;
}

/** True for the errors that mean the disk, not the program, failed: apply stops on these. */
export function isIoError(error: unknown): boolean {
  const code = errnoCode(error);
  return code !== undefined && /^E[A-Z]+$/.test(code);
}

/** A failed write as the user-facing error: what could not be written, why, and what to do. */
export function writeFailure(error: unknown, display: string): Micro1Error {
  if (error instanceof Micro1Error) return error;
  const code = errnoCode(error);
  const hint =
    code === 'ENOSPC' || code === 'EDQUOT'
      ? `free some space on the disk that holds ${display}, then run the command again`
      : code === 'EROFS'
        ? `make the folder of ${display} writable (is it mounted read-only?), then run the command again`
        : `check the folder of ${display} and its permissions, then run the command again`;
  return new Micro1Error('WRITE_FAILED', `Cannot write ${display}: ${ioReason(error)}`, { hint, cause: error });
}

export interface ReadLimits {
  /** Named in the error when the file is larger. */
  maxBytes: number;
  /** A symlink is followed only if its target is inside this folder (the project root). */
  root: string;
  display?: string;
  /** "state file", "saved plan", …: for the error message. */
  what: string;
  /** The error code callers already know this refusal by. */
  code?: string;
}

/**
 * The bytes of a regular file of at most `maxBytes`, or undefined when it does not exist. Opened
 * with O_NONBLOCK, so a FIFO cannot block the open, then fstat'd: only a regular file is read,
 * and never more than its limit, whatever it is (a device reports size 0 and never ends).
 */
export function readRegularFile(file: string, limits: ReadLimits): Buffer | undefined {
  const display = limits.display ?? file;
  const refuse = (why: string, hint: string, cause?: unknown) =>
    new Micro1Error(limits.code ?? 'FILE_REFUSED', `The ${limits.what} ${display} ${why}`, { hint, ...(cause === undefined ? {} : { cause }) });
  let link: nodeFs.Stats;
  try {
    link = nodeFs.lstatSync(file);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw refuse(`cannot be read: ${ioReason(error)}`, `check ${display} and its permissions`, error);
  }
  if (link.isSymbolicLink()) {
    let real: string;
    try {
      real = nodeFs.realpathSync(file);
    } catch (error) {
      throw refuse('is a symbolic link to nothing', `remove the link ${display} or restore its target`, error);
    }
    const inside = path.relative(realRoot(limits.root), real);
    if (inside.startsWith('..') || path.isAbsolute(inside)) {
      throw refuse(`is a symbolic link to ${real}, outside the project`, `replace the link with the file itself (git checkout -- ${display} if it is committed)`);
    }
  }
  let fd: number;
  try {
    fd = nodeFs.openSync(file, nodeFs.constants.O_RDONLY | nodeFs.constants.O_NONBLOCK);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw refuse(`cannot be read: ${ioReason(error)}`, `check ${display} and its permissions`, error);
  }
  try {
    const info = nodeFs.fstatSync(fd);
    if (!info.isFile()) throw refuse('is not a regular file', `replace ${display} with the file micro1-sync wrote (git checkout -- ${display} if it is committed)`);
    if (info.size > limits.maxBytes) {
      throw refuse(`is ${info.size} bytes, over the limit of ${limits.maxBytes} bytes for a ${limits.what}`, 'check that this is the right file');
    }
    // Read to the end, but never past the limit: a file growing while read cannot make this unbounded.
    // Into one buffer of the size fstat gave (and a byte more, to see the end): a 15 MB state is
    // not copied again, nor left as 15 MB of garbage to collect.
    let buffer = Buffer.allocUnsafe(Math.min(Math.max(info.size, 1), limits.maxBytes) + 1);
    let total = 0;
    for (;;) {
      if (total === buffer.length) {
        const bigger = Buffer.allocUnsafe(Math.min(buffer.length * 2, limits.maxBytes + 1));
        buffer.copy(bigger, 0, 0, total);
        buffer = bigger;
      }
      const n = nodeFs.readSync(fd, buffer, total, buffer.length - total, null);
      if (n === 0) break;
      total += n;
      if (total > limits.maxBytes) throw refuse(`is over the limit of ${limits.maxBytes} bytes for a ${limits.what}`, 'check that this is the right file');
    }
    return buffer.subarray(0, total);
  } catch (error) {
    if (error instanceof Micro1Error) throw error;
    throw refuse(`cannot be read: ${ioReason(error)}`, `check ${display} and its permissions`, error);
  } finally {
    nodeFs.closeSync(fd);
  }
}

function realRoot(root: string): string {
  try {
    return nodeFs.realpathSync(root);
  } catch {
    return path.resolve(root);
  }
}
