import * as nodeFs from 'node:fs';
import { constants, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { Micro1Error } from './errors.js';
import { fsyncFolder, readRegularFile, removeDeadTemps, writeAll, writeFailure, type WriteFs } from './file-io.js';
import { acquireLock, takeoverNotice } from './lock.js';
import { interviewRecord, MAX_STATE_BYTES, projectRootOf, readState, writeState, type PendingCreate, type State, type StateEntry } from './state.js';

/**
 * Apply records each confirmed change by appending one line to `<state>.journal` and folds the
 * journal into the state file now and then (and always before exit). Appending keeps apply linear:
 * 10,000 changes never rewrite a large state file 10,000 times, and a kill -9 loses nothing that
 * micro1 confirmed, because the journal is replayed on the next read.
 */
export type JournalEntry =
  | { op: 'pending'; pending: PendingCreate }
  | { op: 'pending-cleared'; key: string }
  | { op: 'applied'; key: string; entry: StateEntry; movedFrom?: string }
  | { op: 'deleted'; key: string };

interface JournalHeader {
  journal: 1;
  lineage: string;
  baseSerial: number;
}

export function journalFileOf(stateFile: string): string {
  return `${stateFile}.journal`;
}

/** The state as of the last confirmed change: the state file plus any journal a crashed apply left. */
export function loadState(stateFile: string, display = stateFile, root = projectRootOf(stateFile)): { state: State; replayed: number } {
  const state = readState(stateFile, display, root);
  const entries = readJournal(journalFileOf(stateFile), state, `${display}.journal`, root);
  return { state: foldJournal(state, entries), replayed: entries.length };
}

/** Pure: the state after `entries`. Replaying an entry twice gives the same state. */
export function foldJournal(state: State, entries: readonly JournalEntry[]): State {
  if (entries.length === 0) return state;
  const interviews = interviewRecord(state.interviews);
  let pending = [...state.pending];
  for (const e of entries) {
    if (e.op === 'pending') pending = [...pending.filter((p) => p.key !== e.pending.key), e.pending];
    else if (e.op === 'pending-cleared') pending = pending.filter((p) => p.key !== e.key);
    else if (e.op === 'deleted') delete interviews[e.key];
    else {
      if (e.movedFrom !== undefined) delete interviews[e.movedFrom];
      interviews[e.key] = e.entry;
      pending = pending.filter((p) => p.key !== e.key);
    }
  }
  return { ...state, interviews, pending };
}

/**
 * How every command that writes the state opens it: folder made, lock taken (a dead holder's lock
 * taken over, with a notice), the journal of a killed run folded in (with a notice). `close()`
 * folds what is left and releases the lock.
 */
export function openForWriting(
  stateFile: string,
  operation: string,
  display: (absolute: string) => string,
  notice: (message: string) => void,
  options: { root?: string; fs?: WriteFs } = {},
): { store: StateStore; close(): void } {
  try {
    mkdirSync(path.dirname(stateFile), { recursive: true });
  } catch (error) {
    throw writeFailure(error, display(path.dirname(stateFile)));
  }
  const lock = acquireLock(`${stateFile}.lock`, operation, display(`${stateFile}.lock`));
  if (lock.tookOverFrom) notice(takeoverNotice(lock.tookOverFrom));
  try {
    const { store, replayed } = StateStore.open(stateFile, display(stateFile), options.root, options.fs);
    if (replayed > 0) notice(`Recovered ${replayed} change(s) an interrupted apply had confirmed but not yet saved to ${display(stateFile)}.`);
    return {
      store,
      close() {
        try {
          store.flush();
        } finally {
          // Released only after the last write, so nothing of this run happens without the lock.
          if (!lock.release()) notice(`Could not remove the lock ${display(`${stateFile}.lock`)}; its process is gone once this exits, so the next run takes it over.`);
        }
      },
    };
  } catch (error) {
    lock.release();
    throw error;
  }
}

/**
 * The state of a running apply. Only used while holding the state lock.
 *
 * When a write fails (disk full, read-only, I/O error, a short write that cannot complete) the
 * store keeps every later change in memory only and `record` throws `failure` for each, so the
 * applier sends nothing more; the journal is never appended to again (a torn line may end it,
 * which the next read tolerates only as the last line) and never removed until a fold completes.
 */
export class StateStore {
  private current: State;
  private fd: number | undefined;
  private journalBytes = 0;
  private stateBytes: number;
  /** How many times the state file was written: stays small however many changes there are. */
  writes = 0;
  /** The first write that failed; nothing reaches the disk after it but one last whole-state write. */
  failure: Micro1Error | undefined;
  /** Changes recorded since `failure`: in memory only, unless the last state write succeeds. */
  unsaved = 0;
  /** Whether the state file holds everything recorded (false after a failure until a fold succeeds). */
  saved = true;

  private constructor(
    private readonly stateFile: string,
    state: State,
    private readonly display: string,
    private readonly fs: WriteFs,
  ) {
    this.current = state;
    this.stateBytes = sizeOf(stateFile);
  }

  /** Opens the state for writing, first folding in any journal a crashed run left behind. */
  static open(stateFile: string, display = stateFile, root = projectRootOf(stateFile), fs: WriteFs = nodeFs): { store: StateStore; replayed: number } {
    const { state, replayed } = loadState(stateFile, display, root);
    const store = new StateStore(stateFile, state, display, fs);
    // The journal goes only once its changes are in the state file: a failed fold keeps it.
    if (replayed > 0) store.writeNow();
    rmSync(journalFileOf(stateFile), { force: true });
    removeLeftovers(stateFile);
    return { store, replayed };
  }

  get state(): State {
    return this.current;
  }

  /** The journal's name as shown to the user. */
  get journalDisplay(): string {
    return `${this.display}.journal`;
  }

  /**
   * Records one change: in memory, then one journal line. `durable` also fsyncs it (for a pending
   * create, which must be on disk before the request that might create the interview is sent).
   * Throws `failure` when the change could not be written: the caller must send nothing for it.
   */
  record(entry: JournalEntry, durable = false): void {
    this.current = foldJournal(this.current, [entry]);
    if (this.failure !== undefined) {
      this.unsaved++;
      throw this.failure;
    }
    try {
      if (this.fd === undefined) {
        // O_NOFOLLOW: a journal planted as a symlink is refused, never appended through.
        this.fd = this.fs.openSync(journalFileOf(this.stateFile), constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o644);
        const header: JournalHeader = { journal: 1, lineage: this.current.lineage, baseSerial: this.current.serial };
        const line = `${JSON.stringify(header)}\n`;
        writeAll(this.fd, line, this.fs);
        this.journalBytes = Buffer.byteLength(line);
        // The journal's name must be on disk too, or a power cut could lose the whole file.
        fsyncFolder(path.dirname(this.stateFile));
      }
      const line = `${JSON.stringify(entry)}\n`;
      writeAll(this.fd, line, this.fs);
      this.journalBytes += Buffer.byteLength(line);
      if (durable) this.fs.fsyncSync(this.fd);
    } catch (error) {
      this.fail(error, this.journalDisplay);
      this.unsaved++;
      throw this.failure!;
    }
    // Fold once the journal is a tenth of the state: total bytes written stay linear in the changes.
    if (this.journalBytes > Math.max(64 * 1024, this.stateBytes / 10)) this.flush();
  }

  /**
   * Folds the journal into the state file (atomically) and starts a new journal. After a failure
   * it makes one last attempt to write the whole state from memory, and reports rather than throws.
   */
  flush(): void {
    if (this.failure !== undefined) {
      this.closeJournal();
      if (this.saved) return;
      try {
        this.writeNow();
        this.saved = true;
        this.unsaved = 0;
        this.fs.rmSync(journalFileOf(this.stateFile), { force: true });
      } catch {
        // Still failing: the journal stays for the next run, which folds it in first.
      }
      return;
    }
    if (this.fd === undefined) return;
    try {
      this.closeJournal(true);
      this.writeNow();
      this.fs.rmSync(journalFileOf(this.stateFile), { force: true });
    } catch (error) {
      this.fail(error, this.display);
      throw this.failure!;
    }
  }

  /** Replaces the state outright (forget, state mv/rm, import), journal folded first. */
  replace(next: State): void {
    this.flush();
    this.current = next;
    try {
      this.writeNow();
    } catch (error) {
      this.fail(error, this.display);
      throw this.failure!;
    }
  }

  private fail(error: unknown, display: string): void {
    this.failure ??= writeFailure(error, display);
    this.saved = false;
    this.closeJournal();
  }

  private closeJournal(sync = false): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    try {
      if (sync) this.fs.fsyncSync(fd);
    } finally {
      try {
        this.fs.closeSync(fd);
      } catch {
        // A close that fails after a failed write changes nothing: the journal is not used again.
      }
    }
  }

  private writeNow(): void {
    this.current = writeState(this.stateFile, this.current, this.fs, this.display);
    this.stateBytes = sizeOf(this.stateFile);
    this.writes++;
  }
}

function readJournal(file: string, state: State, display: string, root: string): JournalEntry[] {
  // A journal is folded once it reaches a tenth of the state, so the state's limit bounds it too.
  const bytes = readRegularFile(file, { maxBytes: MAX_STATE_BYTES, root, display, what: 'apply journal', code: 'JOURNAL_UNREADABLE' });
  if (bytes === undefined) return [];
  const text = bytes.toString('utf8');
  const lines = text.split('\n');
  let header: JournalHeader | undefined;
  try {
    header = JSON.parse(lines[0] ?? '') as JournalHeader;
  } catch {
    return [];
  }
  // A journal written against an older serial was already folded in before its removal was cut short.
  if (header.journal !== 1 || header.lineage !== state.lineage || header.baseSerial !== state.serial) return [];
  const entries: JournalEntry[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    try {
      entries.push(JSON.parse(line) as JournalEntry);
    } catch {
      // Only the last line can be torn (kill -9 mid-write); it was never confirmed to anyone.
      if (i < lines.length - 2) {
        throw new Micro1Error('JOURNAL_INVALID', `The apply journal ${file} is corrupt at line ${i + 1}`, {
          hint: 'restore the state from git, run `micro1 plan --refresh` to compare with micro1, then remove the journal',
        });
      }
    }
  }
  return entries;
}

/**
 * A process killed mid-write leaves its temporary files behind (a half-written state copy, a lock
 * being linked into place). Whoever holds the lock next removes them, so they never pile up in git.
 */
function removeLeftovers(stateFile: string): void {
  const dir = path.dirname(stateFile);
  const base = path.basename(stateFile);
  const prefixes = [`.${base}.tmp-`, `${base}.lock.new-`, `${base}.lock.stale-`];
  for (const name of readdirSync(dir)) {
    if (prefixes.some((prefix) => name.startsWith(prefix))) rmSync(path.join(dir, name), { force: true });
  }
  // Definitions written by fmt and import go through the state folder too; a killed one leaves its copy here.
  removeDeadTemps(dir);
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
