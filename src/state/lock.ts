import { randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errnoCode, Micro1Error } from '../errors.js';
import { isAlive, readRegularFile, writeAll, writeFailure } from './file-io.js';

export interface LockInfo {
  holder: string;
  pid: number;
  host: string;
  operation: string;
  time: string;
  token: string;
}

export interface Lock {
  info: LockInfo;
  /** Set when a dead process's lock was taken over: the CLI prints it as a warning. */
  tookOverFrom?: LockInfo;
  /** False when the lock could not be removed (read-only disk): the next run takes over a dead holder's lock. */
  release(): boolean;
}

/**
 * `<state>.lock`, created exclusively. A second apply fails fast and names the holder; a lock
 * whose process is gone on this same host is taken over (a kill -9 must not leave anyone stuck);
 * a lock from another host cannot be checked from here and is reported with the way to clear it.
 */
export function acquireLock(lockFile: string, operation: string, display = lockFile, now = new Date()): Lock {
  const info: LockInfo = {
    holder: `${safeUser()}@${os.hostname()}`,
    pid: process.pid,
    host: os.hostname(),
    operation,
    time: now.toISOString(),
    token: randomUUID(),
  };
  const content = `${JSON.stringify(info, null, 2)}\n`;
  if (tryCreate(lockFile, content)) return held(lockFile, info);

  const existing = readLock(lockFile);
  const clear = `if no micro1 apply is running, remove the lock: rm ${display}`;
  if (existing === undefined) {
    throw new Micro1Error('STATE_LOCKED', `The state is locked (${display} exists but cannot be read)`, { hint: clear });
  }
  const who = `${existing.operation} by ${existing.holder} (pid ${existing.pid}) since ${existing.time}`;
  if (existing.host !== os.hostname()) {
    throw new Micro1Error('STATE_LOCKED', `The state is locked: ${who}, on another host`, { hint: `wait for it to finish; ${clear}` });
  }
  if (isAlive(existing.pid)) {
    throw new Micro1Error('STATE_LOCKED', `The state is locked: ${who}, still running`, { hint: 'wait for it to finish, or stop it (Ctrl-C lets it save its progress)' });
  }
  // The holder died (kill -9, crash, power cut). Move its lock aside atomically, check that what
  // we moved is the dead one and not a lock another process just took, then take ours.
  const aside = `${lockFile}.stale-${info.token}`;
  try {
    renameSync(lockFile, aside);
  } catch {
    return acquireLock(lockFile, operation, display, now);
  }
  const moved = readLock(aside);
  if (moved?.token !== existing.token) {
    renameSync(aside, lockFile);
    return acquireLock(lockFile, operation, display, now);
  }
  rmSync(aside, { force: true });
  if (!tryCreate(lockFile, content)) return acquireLock(lockFile, operation, display, now);
  return { ...held(lockFile, info), tookOverFrom: existing };
}

/** What to tell the user when a dead process's lock was taken over. */
export function takeoverNotice(previous: LockInfo): string {
  return `Took over the state lock left by ${previous.operation} (pid ${previous.pid}, ${previous.time}): that process is gone.`;
}

/** A lock is a few hundred bytes; one planted as a link to /dev/zero must not be read forever. */
const MAX_LOCK_BYTES = 64 * 1024;

export function readLock(lockFile: string): LockInfo | undefined {
  try {
    const bytes = readRegularFile(lockFile, { maxBytes: MAX_LOCK_BYTES, root: path.dirname(lockFile), what: 'lock' });
    if (bytes === undefined) return undefined;
    const value = JSON.parse(bytes.toString('utf8')) as Partial<LockInfo>;
    if (typeof value.pid !== 'number' || typeof value.host !== 'string') return undefined;
    return value as LockInfo;
  } catch {
    return undefined;
  }
}

function held(lockFile: string, info: LockInfo): Lock {
  return {
    info,
    release() {
      // Only remove the lock if it is still ours.
      try {
        if (readLock(lockFile)?.token === info.token) rmSync(lockFile, { force: true });
        return true;
      } catch {
        return false;
      }
    },
  };
}

const MAX_LINK_ATTEMPTS = 5;

/** Writes the whole lock beside it, then links it into place: a reader never sees a half-written lock. */
function tryCreate(file: string, content: string, attempt = 1): boolean {
  const temp = `${file}.new-${randomUUID()}`;
  try {
    const fd = openSync(temp, 'wx', 0o644);
    try {
      // Whole and on disk before it is linked into place: a half-written lock cannot name its holder.
      writeAll(fd, content);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    rmSync(temp, { force: true });
    throw writeFailure(error, file);
  }
  try {
    linkSync(temp, file);
    return true;
  } catch (error) {
    if (errnoCode(error) === 'EEXIST') return false;
    // The holder's cleanup of killed runs' leftovers removed our copy before it was linked: the
    // lock exists by now, so trying again reports who holds it.
    // A few tries: each race needs another process's cleanup to start in the same instant.
    if (errnoCode(error) === 'ENOENT' && attempt < MAX_LINK_ATTEMPTS) return tryCreate(file, content, attempt + 1);
    throw new Micro1Error('LOCK_FAILED', `Cannot create the lock file ${file}: ${String(error)}`, { cause: error });
  } finally {
    rmSync(temp, { force: true });
  }
}

function safeUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}
