import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Sandbox } from '../src/sandbox/sandbox.js';

/**
 * Real file-system limits for the tests: a small tmpfs gives a true ENOSPC, a read-only remount a
 * true EROFS. Mounting needs root (or a namespace that allows it); `MOUNT_REASON` says why not.
 */
export const MOUNT_REASON = mountProbe();

function mountProbe(): string | undefined {
  const dir = mkdtempSync(path.join(tmpdir(), 'micro1-mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'pipe' });
    execFileSync('umount', [dir], { stdio: 'pipe' });
    return undefined;
  } catch (error) {
    return `mounting a tmpfs is not allowed here (${String(error).split('\n')[0]}): the injected-fs variants cover these cases`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Mounts a tmpfs of `kib` KiB on `dir`; the returned function unmounts it (call it in a finally). */
export function mountTmpfs(dir: string, kib = 64): () => void {
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${kib}k`, 'tmpfs', dir], { stdio: 'pipe' });
  return () => {
    if (existsSync(dir)) execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
  };
}

export function remountReadOnly(dir: string): void {
  execFileSync('mount', ['-o', 'remount,ro', dir], { stdio: 'pipe' });
}

/** Fills the file system holding `dir` until `leaveBytes` (roughly) are free; returns the filler. */
export function fillDisk(dir: string, leaveBytes = 0): string {
  const filler = path.join(dir, 'filler');
  const free = Number(execFileSync('df', ['--output=avail', '-B1', dir], { encoding: 'utf8' }).trim().split('\n').pop());
  const fd = openSync(filler, 'a');
  const chunk = Buffer.alloc(1024, 0x61);
  try {
    for (let written = 0; free - written - chunk.length >= leaveBytes; written += chunk.length) writeSync(fd, chunk);
    if (leaveBytes === 0) for (;;) writeSync(fd, chunk);
  } catch {
    // ENOSPC: full, which is the point.
  } finally {
    closeSync(fd);
  }
  return filler;
}

/** How many interviews on the sandbox carry each name: anything above 1 is a duplicate. */
export function namesOnSandbox(box: Sandbox): Map<string, number> {
  const counts = new Map<string, number>();
  for (const i of box.interviews()) counts.set(i.body.interview_name, (counts.get(i.body.interview_name) ?? 0) + 1);
  return counts;
}

/**
 * Checks, as each request reaches the sandbox, that the lock of the run sending it still exists:
 * a request arriving after the lock is gone is one sent by a run that no longer holds the state.
 */
export function lockWitness(lockFile: string): { check(): void; late: number; seen: number } {
  const witness = {
    late: 0,
    seen: 0,
    check() {
      witness.seen++;
      if (!existsSync(lockFile)) witness.late++;
    },
  };
  return witness;
}
