import { ApiError, mayStillCommit, OUTCOME_UNKNOWN } from '../api/client.js';
import type { Change } from '../plan/planner.js';

/**
 * What went wrong with one change of an apply, and what to do: the message and hint beside its file
 * in the summary. Every hint that names a command is run by a test (test/hints.test.ts).
 */

/** A create answered with an id another key manages: final for that change, never retried or recorded. */
export class SharedIdAnswer extends ApiError {
  constructor(message: string, readonly interviewName: string) {
    super('bad-request', message);
  }
}

/** A delete whose id micro1 does not list under the recorded name: final for that change, nothing sent. */
export class UnconfirmedIdentity extends ApiError {
  constructor(message: string) {
    super('bad-request', message);
  }
}

/** What went wrong and what to do, for the summary line beside the file. `recorded`: the state still holds an entry for the change's key. */
export function explain(change: Change, error: ApiError, recorded: boolean): { message: string; hint?: string } {
  if (error instanceof SharedIdAnswer) {
    return { message: error.message, hint: `check micro1 for an interview named ${JSON.stringify(error.interviewName)} before applying again; one micro1 interview is managed by one file only` };
  }
  if (error instanceof UnconfirmedIdentity) {
    return { message: error.message, hint: `run \`micro1 plan --refresh\` to compare with micro1; if it is gone, \`micro1 state rm ${change.key}\` drops it from the state` };
  }
  if (error.abandoned) {
    const next = change.action === 'create' ? 'the next `micro1 apply` looks it up on micro1 by name before sending it again' : 'the next `micro1 apply` sends it again (an update or delete sent twice does no harm)';
    return { message: error.message, hint: next };
  }
  const pending = change.action === 'create' && OUTCOME_UNKNOWN.includes(error.kind);
  if (pending && mayStillCommit(error)) {
    return {
      message: `create not confirmed: ${error.message}`,
      hint: 'micro1 may still be making it, so it was not sent again in this run; run `micro1 apply` again: it looks it up on micro1 by name first and sends it only if it is not there',
    };
  }
  if (pending) {
    return { message: `create not confirmed: ${error.message}`, hint: 'the next apply looks it up on micro1 by name before sending it again' };
  }
  if (error.kind === 'not-found' && change.action === 'update') {
    // Each way out leaves a plan that creates it: no pinned id, and no state entry holding the gone one.
    const key = change.movedFrom ?? change.key;
    const steps = [
      ...(change.pinned ? [`remove the \`id:\` line from ${change.file}`] : []),
      ...(recorded ? [`run \`micro1 state rm ${key}\``] : []),
    ];
    return {
      message: `interview ${change.id ?? ''} does not exist on micro1 (deleted outside git?)`,
      hint: `${steps.join(' and ')}, then \`micro1 apply\` creates it anew${change.pinned ? ', or pin an id that exists' : ''}`,
    };
  }
  if (error.kind === 'auth') return { message: error.message, hint: 'check the API key in the environment; nothing more was sent' };
  if (error.kind === 'bad-request') return { message: `micro1 rejected it: ${error.message}` };
  return { message: error.message };
}
