import { randomUUID } from 'node:crypto';
import { closeSync, linkSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import { errnoCode, Micro1Error } from './errors.js';

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
  release(): void;
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

export function readLock(lockFile: string): LockInfo | undefined {
  try {
    const value = JSON.parse(readFileSync(lockFile, 'utf8')) as Partial<LockInfo>;
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
      if (readLock(lockFile)?.token === info.token) rmSync(lockFile, { force: true });
    },
  };
}

/** Writes the whole lock beside it, then links it into place: a reader never sees a half-written lock. */
function tryCreate(file: string, content: string): boolean {
  const temp = `${file}.new-${randomUUID()}`;
  const fd = openSync(temp, 'wx', 0o644);
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temp, file);
    return true;
  } catch (error) {
    if (errnoCode(error) === 'EEXIST') return false;
    throw new Micro1Error('LOCK_FAILED', `Cannot create the lock file ${file}: ${String(error)}`, { cause: error });
  } finally {
    rmSync(temp, { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return errnoCode(error) === 'EPERM';
  }
}

function safeUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}
