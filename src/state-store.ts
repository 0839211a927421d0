import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { errnoCode, Micro1Error } from './errors.js';
import { acquireLock, takeoverNotice } from './lock.js';
import { fsyncFolder, interviewRecord, readState, writeState, type PendingCreate, type State, type StateEntry } from './state.js';

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
export function loadState(stateFile: string, display = stateFile): { state: State; replayed: number } {
  const state = readState(stateFile, display);
  const entries = readJournal(journalFileOf(stateFile), state);
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
): { store: StateStore; close(): void } {
  mkdirSync(path.dirname(stateFile), { recursive: true });
  const lock = acquireLock(`${stateFile}.lock`, operation, display(`${stateFile}.lock`));
  if (lock.tookOverFrom) notice(takeoverNotice(lock.tookOverFrom));
  try {
    const { store, replayed } = StateStore.open(stateFile, display(stateFile));
    if (replayed > 0) notice(`Recovered ${replayed} change(s) an interrupted apply had confirmed but not yet saved to ${display(stateFile)}.`);
    return {
      store,
      close() {
        try {
          store.flush();
        } finally {
          lock.release();
        }
      },
    };
  } catch (error) {
    lock.release();
    throw error;
  }
}

/** The state of a running apply. Only used while holding the state lock. */
export class StateStore {
  private current: State;
  private fd: number | undefined;
  private journalBytes = 0;
  private stateBytes: number;
  /** How many times the state file was written: stays small however many changes there are. */
  writes = 0;

  private constructor(
    private readonly stateFile: string,
    state: State,
  ) {
    this.current = state;
    this.stateBytes = sizeOf(stateFile);
  }

  /** Opens the state for writing, first folding in any journal a crashed run left behind. */
  static open(stateFile: string, display = stateFile): { store: StateStore; replayed: number } {
    const { state, replayed } = loadState(stateFile, display);
    const store = new StateStore(stateFile, state);
    if (replayed > 0) store.writeNow();
    rmSync(journalFileOf(stateFile), { force: true });
    removeLeftovers(stateFile);
    return { store, replayed };
  }

  get state(): State {
    return this.current;
  }

  /**
   * Records one change: in memory, then one journal line. `durable` also fsyncs it (for a pending
   * create, which must be on disk before the request that might create the interview is sent).
   */
  record(entry: JournalEntry, durable = false): void {
    this.current = foldJournal(this.current, [entry]);
    if (this.fd === undefined) {
      this.fd = openSync(journalFileOf(this.stateFile), 'a', 0o644);
      const header: JournalHeader = { journal: 1, lineage: this.current.lineage, baseSerial: this.current.serial };
      this.journalBytes = writeSync(this.fd, `${JSON.stringify(header)}\n`);
      // The journal's name must be on disk too, or a power cut could lose the whole file.
      fsyncFolder(path.dirname(this.stateFile));
    }
    this.journalBytes += writeSync(this.fd, `${JSON.stringify(entry)}\n`);
    if (durable) fsyncSync(this.fd);
    // Fold once the journal is a tenth of the state: total bytes written stay linear in the changes.
    if (this.journalBytes > Math.max(64 * 1024, this.stateBytes / 10)) this.flush();
  }

  /** Folds the journal into the state file (atomically) and starts a new journal. */
  flush(): void {
    if (this.fd === undefined) return;
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = undefined;
    this.writeNow();
    rmSync(journalFileOf(this.stateFile), { force: true });
  }

  /** Replaces the state outright (forget, state mv/rm, import), journal folded first. */
  replace(next: State): void {
    this.flush();
    this.current = next;
    this.writeNow();
  }

  private writeNow(): void {
    this.current = writeState(this.stateFile, this.current);
    this.stateBytes = sizeOf(this.stateFile);
    this.writes++;
  }
}

function readJournal(file: string, state: State): JournalEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw new Micro1Error('JOURNAL_UNREADABLE', `Cannot read the apply journal ${file}: ${String(error)}`, { cause: error });
  }
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
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
