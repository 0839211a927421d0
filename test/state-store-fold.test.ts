import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { foldJournal, loadState, StateStore, type JournalEntry } from '../src/state/state-store.js';
import { interviewRecord, readState, serializeState } from '../src/state/state.js';
import { body, fixture } from './helpers.js';
import { random } from './virtual-clock.js';

function entries(count: number, seed: number): JournalEntry[] {
  const rnd = random(seed);
  const keys = ['a', 'b', 'c', 'd', 'e', '__proto__', 'constructor'];
  const pick = () => keys[Math.floor(rnd() * keys.length)]!;
  return Array.from({ length: count }, (_, i): JournalEntry => {
    const key = pick();
    const spec = body({ interview_name: `${key} ${i}` });
    const r = rnd();
    if (r < 0.35) return { op: 'pending', pending: { key, interview_name: spec.interview_name, spec, sourceHash: `h${i}`, startedAt: `t${i}` } };
    if (r < 0.5) return { op: 'pending-cleared', key };
    if (r < 0.65) return { op: 'deleted', key };
    const moved = rnd() < 0.2 ? { movedFrom: pick() } : {};
    return { op: 'applied', key, entry: { id: `id-${i}`, spec, sourceHash: `h${i}`, appliedAt: `t${i}` }, ...moved };
  });
}

describe('the store folds each entry in place', () => {
  it('holds, writes and replays the same state as the pure fold of the same journal', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const stateFile = path.join(fixture({ '.micro1/.keep': '' }), '.micro1', 'state.json');
      const { store } = StateStore.open(stateFile);
      // A snapshot: the store changes its own state in place.
      const start = { ...store.state, interviews: interviewRecord(store.state.interviews), pending: [...store.state.pending] };
      const journal = entries(200, seed);
      const pure = foldJournal(start, journal);
      journal.forEach((entry, i) => {
        store.record(entry);
        // Read while the apply runs (the applier does): current after every entry, not only at the end.
        if (i % 37 === 0) expect(serializeState(store.state)).toBe(serializeState(foldJournal(start, journal.slice(0, i + 1))));
      });
      for (const key of ['a', 'b', '__proto__']) expect(store.pendingCreate(key)).toEqual(pure.pending.find((p) => p.key === key));
      // What a kill -9 now would leave: state file plus journal, replayed.
      expect(serializeState({ ...loadState(stateFile).state, serial: 0, lineage: '' })).toBe(serializeState({ ...pure, serial: 0, lineage: '' }));
      store.flush();
      expect(serializeState({ ...readState(stateFile), serial: 0, lineage: '' })).toBe(serializeState({ ...pure, serial: 0, lineage: '' }));
    }
  });
});
