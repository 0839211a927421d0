import * as nodeFs from 'node:fs';
import { constants, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { Micro1Error } from '../errors.js';
import { fsyncFolder, readRegularFile, removeDeadTemps, writeAll, writeFailure, type WriteFs } from './file-io.js';
import { acquireLock, takeoverNotice } from './lock.js';
import {
  interviewRecord, MAX_STATE_BYTES, projectRootOf, readState, resourceRecord, writeState,
  type EntryTextCache, type PendingCreate, type ResourceEntry, type ResourcePending, type State, type StateEntry,
} from './state.js';

/**
 * Apply records each confirmed change by appending one line to `<state>.journal` and folds the
 * journal into the state file now and then (and always before exit). Appending keeps apply linear:
 * 10,000 changes never rewrite a large state file 10,000 times, and a kill -9 loses nothing that
 * micro1 confirmed, because the journal is replayed on the next read.
 *
 * Over 350 lines on purpose: the journal's format (interviews' and other kinds' entries), its replay
 * and the store that writes it (group commit, folds, what happens after a failed write) are one
 * contract, kept together so that what is written and what is replayed cannot drift apart.
 */
export type JournalEntry =
  | { op: 'pending'; pending: PendingCreate }
  | { op: 'pending-cleared'; key: string }
  | { op: 'applied'; key: string; entry: StateEntry; movedFrom?: string }
  | { op: 'deleted'; key: string }
  // The other kinds (kinds/): the same four steps, each naming its kind.
  | { op: 'resource-pending'; pending: ResourcePending }
  | { op: 'resource-pending-cleared'; kind: string; key: string }
  | { op: 'resource-applied'; kind: string; key: string; entry: ResourceEntry }
  | { op: 'resource-deleted'; kind: string; key: string };

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
  const folded: Folding = { interviews: interviewRecord(state.interviews), pending: pendingIndex(state.pending), ...resourceFolding(state, true) };
  for (const e of entries) foldInto(folded, e);
  return withResources({ ...state, interviews: folded.interviews, pending: [...folded.pending.values()] }, folded);
}

/** The other kinds' records and pending creates, to fold into (copied when `copy`, else the state's own). */
function resourceFolding(state: State, copy: boolean): Pick<Folding, 'resources' | 'resourcePending'> {
  const resources: Record<string, Record<string, ResourceEntry>> = {};
  for (const [kind, entries] of Object.entries(state.resources ?? {})) resources[kind] = copy ? resourceRecord(entries) : entries;
  return { resources, resourcePending: new Map((state.resourcePending ?? []).map((p) => [pendingKey(p.kind, p.key), p])) };
}

/** `state` with the folded resources: present only when there are any, so an interviews-only state is unchanged. */
function withResources(state: State, folded: Folding): State {
  const { resources: _r, resourcePending: _p, ...rest } = state;
  const out: State = rest;
  if (Object.values(folded.resources).some((r) => Object.keys(r).length > 0)) out.resources = folded.resources;
  if (folded.resourcePending.size > 0) out.resourcePending = [...folded.resourcePending.values()];
  return out;
}

function pendingKey(kind: string, key: string): string {
  return `${kind}\0${key}`;
}

/** The parts of a state an entry changes, held so that folding one entry costs O(1). */
interface Folding {
  interviews: Record<string, StateEntry>;
  /** Pending creates by key, in the order they were journaled (a re-journaled one moves last). */
  pending: Map<string, PendingCreate>;
  /** The other kinds' entries by kind, then key. */
  resources: Record<string, Record<string, ResourceEntry>>;
  /** Their pending creates by kind and key. */
  resourcePending: Map<string, ResourcePending>;
}

/**
 * Folds one entry into `into`, in place: the one definition of what an entry means, shared by
 * the replay of a crashed run's journal (on copies) and the running apply's store (on its own
 * state), so both reach the same state.
 */
function foldInto(into: Folding, e: JournalEntry): void {
  if (e.op === 'pending') {
    into.pending.delete(e.pending.key);
    into.pending.set(e.pending.key, e.pending);
  } else if (e.op === 'pending-cleared') into.pending.delete(e.key);
  else if (e.op === 'deleted') delete into.interviews[e.key];
  else if (e.op === 'resource-pending') {
    const at = pendingKey(e.pending.kind, e.pending.key);
    into.resourcePending.delete(at);
    into.resourcePending.set(at, e.pending);
  } else if (e.op === 'resource-pending-cleared') into.resourcePending.delete(pendingKey(e.kind, e.key));
  else if (e.op === 'resource-applied') {
    (into.resources[e.kind] ??= resourceRecord())[e.key] = e.entry;
    into.resourcePending.delete(pendingKey(e.kind, e.key));
  } else if (e.op === 'resource-deleted') {
    if (into.resources[e.kind] !== undefined) delete into.resources[e.kind]![e.key];
  } else {
    if (e.movedFrom !== undefined) delete into.interviews[e.movedFrom];
    into.interviews[e.key] = e.entry;
    into.pending.delete(e.key);
  }
}

function pendingIndex(pending: readonly PendingCreate[]): Map<string, PendingCreate> {
  return new Map(pending.map((p) => [p.key, p]));
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
  /**
   * Owned by the store, and changed in place as entries are recorded: copying 10,000 interviews
   * per change made apply quadratic. `current.pending` is rebuilt from `folding.pending` when read.
   */
  private current: State;
  private readonly folding: Folding;
  private pendingChanged = false;
  private resourcesChanged = false;
  /** Each interview's text as last written: a fold re-prints only the entries recorded since. */
  private readonly texts: EntryTextCache = new WeakMap();
  /** Callers of `recordDurable` whose lines wait for the next shared fsync. */
  private readonly syncWaiters: { resolve(): void; reject(error: unknown): void }[] = [];
  private syncScheduled = false;
  /** The journal fd an fsync is running on: it is closed only once that fsync has returned. */
  private syncing: number | undefined;
  private closeWhenSynced = false;
  private fd: number | undefined;
  private journalBytes = 0;
  private stateBytes: number;
  /** How many times the state file was written: stays small however many changes there are. */
  writes = 0;
  /** Group commits of pending creates, and how many creates they covered (the bench reports both). */
  readonly commits = { fsyncs: 0, creates: 0 };
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
    this.folding = { interviews: state.interviews, pending: pendingIndex(state.pending), ...resourceFolding(state, false) };
    this.stateBytes = sizeOf(stateFile);
  }

  /** Opens the state for writing, first folding in any journal a crashed run left behind. */
  static open(stateFile: string, display = stateFile, root = projectRootOf(stateFile), fs: WriteFs = nodeFs): { store: StateStore; replayed: number } {
    // The loaded state is this store's alone (read and folded here), so it may be changed in place.
    const { state, replayed } = loadState(stateFile, display, root);
    const store = new StateStore(stateFile, state, display, fs);
    // The journal goes only once its changes are in the state file: a failed fold keeps it.
    if (replayed > 0) store.writeNow();
    rmSync(journalFileOf(stateFile), { force: true });
    removeLeftovers(stateFile);
    return { store, replayed };
  }

  /** The state with every recorded change; live: later records change what it holds. */
  get state(): State {
    if (this.pendingChanged) {
      this.current.pending = [...this.folding.pending.values()];
      this.pendingChanged = false;
    }
    if (this.resourcesChanged) {
      this.current = withResources(this.current, this.folding);
      this.resourcesChanged = false;
    }
    return this.current;
  }

  /** The unconfirmed create of another kind under `key`, if any. */
  resourcePendingCreate(kind: string, key: string): ResourcePending | undefined {
    return this.folding.resourcePending.get(pendingKey(kind, key));
  }

  /** The create journaled as pending under `key`, if any: a lookup, not a scan of `state.pending`. */
  pendingCreate(key: string): PendingCreate | undefined {
    return this.folding.pending.get(key);
  }

  /**
   * Records a pending create and resolves once it is on disk; the request that might create the
   * interview must wait for that. The line is appended at once; the fsync runs on the thread pool,
   * one at a time, so the event loop goes on sending and recording while it runs. One fsync covers
   * every line appended before it began: the creates queued while one runs share the next (a group
   * commit), so a burst pays for one fsync, not one each. Rejects with `failure` if the line or its
   * fsync could not be written.
   */
  recordDurable(entry: JournalEntry): Promise<void> {
    try {
      this.record(entry);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      this.syncWaiters.push({ resolve, reject });
      // The first of a burst waits for the rest of this turn of the event loop to join it.
      if (this.syncing === undefined && !this.syncScheduled) {
        this.syncScheduled = true;
        setImmediate(() => this.syncForWaiters());
      }
    });
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
    foldInto(this.folding, entry);
    if (entry.op.startsWith('resource-')) this.resourcesChanged = true;
    else if (entry.op !== 'deleted') this.pendingChanged = true;
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
    // Fold once the journal is as large as the state: the state at least doubles between folds
    // while it grows, so the bytes written stay linear in the changes (about 3x the final state
    // for 10,000 creates; a tenth, as before, wrote 20x and spent a quarter of apply's time).
    if (this.journalBytes > Math.max(64 * 1024, Math.min(this.stateBytes, MAX_JOURNAL_BYTES))) this.flush();
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

  /**
   * Records the host this apply sends to. Kept in memory and written with the next fold (the
   * first confirmed change); `now` writes it at once, for a retarget that has nothing else to record.
   */
  setTargetHost(host: string, now = false): void {
    if (this.current.targetHost === host) return;
    if (now) return this.replace({ ...this.state, targetHost: host });
    this.current.targetHost = host;
  }

  /** Replaces the state outright (forget, state mv/rm, import), journal folded first. */
  replace(next: State): void {
    this.flush();
    // Copied: the store changes its state in place, and the caller may still hold `next`.
    this.current = { ...next, interviews: interviewRecord(next.interviews), pending: [...next.pending] };
    this.folding.interviews = this.current.interviews;
    this.folding.pending = pendingIndex(next.pending);
    Object.assign(this.folding, resourceFolding(next, true));
    this.current = withResources(this.current, this.folding);
    this.pendingChanged = false;
    this.resourcesChanged = false;
    try {
      this.writeNow();
    } catch (error) {
      this.fail(error, this.display);
      throw this.failure!;
    }
  }

  private syncForWaiters(): void {
    this.syncScheduled = false;
    const waiters = this.syncWaiters.splice(0);
    if (waiters.length === 0) return;
    const settle = () => {
      for (const waiter of waiters) {
        if (this.failure === undefined) waiter.resolve();
        else waiter.reject(this.failure);
      }
    };
    // No journal open: a fold since has fsynced it and written its lines into the state file.
    const fd = this.fd;
    if (this.failure !== undefined || fd === undefined) return settle();
    this.syncing = fd;
    this.commits.fsyncs++;
    this.commits.creates += waiters.length;
    // fdatasync: the bytes and the file's length (what a reader needs to find them), not its times.
    this.fs.fdatasync(fd, (error) => {
      this.syncing = undefined;
      if (this.closeWhenSynced) {
        this.closeWhenSynced = false;
        this.closeQuietly(fd);
      }
      // A journal closed meanwhile was fsynced by the fold that closed it (or closed by a failure,
      // which rejects these anyway): only an error on the open journal is a failure of these lines.
      if (error !== null && fd === this.fd) this.fail(error, this.journalDisplay);
      settle();
      // Lines appended while this one ran are covered by the next, started at once.
      if (this.syncWaiters.length > 0) this.syncForWaiters();
    });
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
      // An fsync still running on the fd must not meet a closed (or reused) descriptor.
      if (this.syncing === fd) this.closeWhenSynced = true;
      else this.closeQuietly(fd);
    }
  }

  private closeQuietly(fd: number): void {
    try {
      this.fs.closeSync(fd);
    } catch {
      // A close that fails after a failed write changes nothing: the journal is not used again.
    }
  }

  private writeNow(): void {
    this.current = writeState(this.stateFile, this.state, this.fs, this.display, this.texts);
    this.stateBytes = sizeOf(this.stateFile);
    this.writes++;
  }
}

/** A journal is folded once it is as large as the state, or this: well within what a read takes. */
const MAX_JOURNAL_BYTES = MAX_STATE_BYTES / 2;

function readJournal(file: string, state: State, display: string, root: string): JournalEntry[] {
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
        // Every command reads the journal first, so it goes before anything else can run.
        throw new Micro1Error('JOURNAL_INVALID', `The apply journal ${display} is corrupt at line ${i + 1}, so the changes it records cannot be trusted`, {
          hint: `remove it (rm ${display}), then run \`micro1 plan --refresh\` to see what micro1 has that the state does not (restore the state from git first if it was edited by hand)`,
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
