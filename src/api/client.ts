import type { CanonicalBody } from '../definitions/canonical.js';
import { Micro1Error } from '../errors.js';
import { visible } from '../render/neutralise.js';
import { redact } from '../render/redact.js';
import { ID_PATTERN } from '../definitions/interview-schema.js';
import { USER_AGENT } from '../version.js';
import { isLoopback } from '../kinds/url-rules.js';
import type { ResourceBody, ResourceKind } from '../kinds/kinds.js';
import { inviteUrlOf } from './list-shape.js';

/** How one HTTP attempt ended, when it did not succeed. The applier decides what each kind means. */
export type FailureKind =
  | 'throttled' // 429 or 503: the request was not processed; wait and send again
  | 'server' // other 5xx: not processed, or processed with an unknown result
  | 'timeout' // no answer in time: outcome unknown
  | 'network' // reset, refused, DNS: outcome unknown once the request may have left
  | 'bad-request' // 400: final for this interview
  | 'auth' // 401/403: final for the whole run
  | 'not-found' // 404
  | 'protocol'; // an answer that breaks the API's contract (redirect, bad envelope)

/**
 * Failures after which the request may still have taken effect (a 5xx, a timeout or reset, an
 * answer that is not the documented envelope): a create is then looked up before it is sent again.
 */
export const OUTCOME_UNKNOWN: readonly FailureKind[] = ['server', 'timeout', 'network', 'protocol'];
/**
 * Whether micro1 may still be working on a create we stopped waiting for. A 5xx or a reset is
 * micro1's (or the path's) own end of the request, so a lookup sent after it sees whatever it
 * did. A timeout is only our side giving up: micro1 may commit the create at any later moment, also
 * after a lookup that found nothing, and a create re-sent then would make a second one (the soak
 * saw it under load). No lookup in the same run can rule that out, and the API has no idempotency
 * key, so such a create is never sent again in this run: it stays pending, is reported with what to
 * do, and the next run looks it up before sending anything (DESIGN, Apply), by when micro1 has long
 * finished with it. Interviews and webhooks alike.
 */
export function mayStillCommit(error: ApiError): boolean {
  return error.kind === 'timeout';
}

/** Of those, the ones worth sending again: an answer we cannot read (protocol) will not improve. */
export const RETRYABLE: readonly FailureKind[] = ['server', 'timeout', 'network'];

export class ApiError extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly status?: number,
    /** The Retry-After header as sent; read it with parseRetryAfter and the run's clock. */
    readonly retryAfter?: string,
    /** No answer at all: the connection failed (refused, DNS, TLS, reset) before any response came back. */
    readonly unreachable = false,
    /** Given up by us while in flight (apply interrupted twice): sent, so it may have taken effect. */
    readonly abandoned = false,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * The largest answer read, in bytes. micro1's answers are envelopes of a few kB; the biggest is a
 * GET /interviews page of 100 interviews (each at most 20 questions and 10 skills), well under
 * 1 MiB. 16 MiB leaves room for long texts and still caps what a broken or hostile server can make
 * us hold in memory (a 2 GB or endless body once ended in a V8 out-of-memory crash).
 */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** GET /interviews item (openapi.json GetAllInterviewsResponse): the list shape, not the request body. */
export type ListItem = Record<string, unknown> & { interview_id: string; interview_name: string };

export interface ClientOptions {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
  /** Aborting it abandons requests in flight (their outcome becomes unknown). */
  signal?: AbortSignal;
}

/**
 * The four interview endpoints, and the same four of each other kind (kinds/), one HTTP attempt per call. Retries, pacing and bookkeeping belong
 * to the applier; this file only speaks the protocol and classifies what came back.
 */
export class Micro1Client {
  private readonly base: URL;

  constructor(private readonly options: ClientOptions) {
    this.base = checkBaseUrl(options.baseUrl);
  }

  async create(body: CanonicalBody): Promise<{ id: string; inviteUrl?: string }> {
    const envelope = await this.request('POST', '/interview', body);
    const data = envelope.data as { interview_id?: unknown; invite_url?: unknown } | undefined;
    const id = data?.interview_id;
    if (typeof id !== 'string' || !ID_PATTERN.test(id)) {
      throw new ApiError('protocol', 'micro1 answered the create without a usable data.interview_id');
    }
    const inviteUrl = inviteUrlOf(data?.invite_url);
    return { id, ...(inviteUrl !== undefined ? { inviteUrl } : {}) };
  }

  async update(id: string, body: CanonicalBody): Promise<void> {
    await this.request('PUT', `/interview/${encodeId(id)}`, body);
  }

  async delete(id: string): Promise<void> {
    await this.request('DELETE', `/interview/${encodeId(id)}`);
  }

  async list(query: { page: number; limit: number; keyword?: string }): Promise<ListItem[]> {
    const params = new URLSearchParams({ page: String(query.page), limit: String(query.limit) });
    if (query.keyword !== undefined) params.set('keyword', query.keyword);
    const envelope = await this.request('GET', `/interviews?${params.toString()}`);
    if (!Array.isArray(envelope.data)) throw new ApiError('protocol', 'micro1 answered the list without a data array');
    const items = envelope.data.filter(
      (item): item is ListItem =>
        typeof item === 'object' && item !== null && typeof item.interview_id === 'string' && typeof item.interview_name === 'string',
    );
    // An id from the list may be adopted into state and later put in a path: it is checked like a create's.
    const unusable = items.find((item) => !ID_PATTERN.test(item.interview_id));
    if (unusable !== undefined) {
      throw new ApiError('protocol', `micro1 answered the list with an unusable interview_id ${JSON.stringify(unusable.interview_id.slice(0, 64))}`);
    }
    return items;
  }

  /** POST to the kind's create endpoint; the id is read where the kind says its answer holds it. */
  async createResource(kind: ResourceKind, body: ResourceBody): Promise<{ id: string }> {
    // CreateWebhookResponse is `{ id }` with no `status`: an answer without one is accepted, one saying false is not.
    const answer = await this.request('POST', kind.endpoints.create, body, { statusOptional: true });
    const id = kind.createdId(answer);
    if (id === undefined) throw new ApiError('protocol', `micro1 answered the ${kind.labels.one} create without a usable id`);
    return { id };
  }

  async updateResource(kind: ResourceKind, id: string, body: ResourceBody): Promise<void> {
    await this.request('PUT', kind.endpoints.item(encodeId(id, kind.labels.one)), body);
  }

  async deleteResource(kind: ResourceKind, id: string): Promise<void> {
    await this.request('DELETE', kind.endpoints.item(encodeId(id, kind.labels.one)));
  }

  /** The whole list (GET /webhooks is not paged); an item without a usable id, url or event is a protocol failure. */
  async listResources(kind: ResourceKind): Promise<{ id: string; body: ResourceBody }[]> {
    const envelope = await this.request('GET', kind.endpoints.list);
    if (!Array.isArray(envelope.data)) throw new ApiError('protocol', `micro1 answered the ${kind.labels.one} list without a data array`);
    const items = [];
    for (const raw of envelope.data) {
      const item = kind.fromList(raw);
      if (item === undefined) throw new ApiError('protocol', `micro1 answered the ${kind.labels.one} list with an item without a usable id, url or event`);
      items.push(item);
    }
    return items;
  }

  private async request(method: string, pathAndQuery: string, body?: unknown, options: { statusOptional?: boolean } = {}): Promise<Record<string, unknown>> {
    const url = new URL(this.base.pathname.replace(/\/$/, '') + pathAndQuery, this.base);
    const attempt = abortable(this.options.timeoutMs, this.options.signal);
    try {
      return await this.attempt(method, url, body, attempt, options.statusOptional === true);
    } finally {
      attempt.done();
    }
  }

  private async attempt(method: string, url: URL, body: unknown, attempt: Abortable, statusOptional: boolean): Promise<Record<string, unknown>> {
    const { signal } = attempt;
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': USER_AGENT,
      'x-api-key': this.options.apiKey,
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    // Named by origin and path only: the query holds a keyword, never the key, but is not needed.
    const where = `${method} ${url.origin}${url.pathname}`;
    const failed = (error: unknown, unreachable: boolean): ApiError => {
      if (error instanceof ApiError) return error;
      if (attempt.timedOut()) return new ApiError('timeout', `no answer within ${this.options.timeoutMs} ms`);
      if (this.options.signal?.aborted) return new ApiError('network', 'abandoned while in flight (apply was interrupted): micro1 may or may not have made the change', undefined, undefined, false, true);
      const what = unreachable ? `before any answer from ${url.origin}` : `while reading the answer to ${where}`;
      return new ApiError('network', `connection failed ${what}: ${describeNetworkError(error)}`, undefined, undefined, unreachable);
    };
    let response: Response;
    try {
      // Redirects are never followed: fetch would forward x-api-key to wherever they point.
      response = await fetch(url, { method, headers, body: body === undefined ? null : JSON.stringify(body), redirect: 'manual', signal });
    } catch (error) {
      throw failed(error, true);
    }
    let text: string;
    try {
      text = await readBounded(response, where);
    } catch (error) {
      throw failed(error, false);
    }
    return this.interpret(method, response, text, statusOptional);
  }

  private interpret(method: string, response: Response, text: string, statusOptional = false): Record<string, unknown> {
    const { status } = response;
    const envelope = parseEnvelope(text);
    // A server that echoes the key back (in a 400's message, a redirect's location), whole or in
    // part, encoded or not, must not put it in our output; what it says is shown, never obeyed.
    const scrub = (said: string) => visible(redact(said, [this.options.apiKey]));
    const apiMessage = typeof envelope?.message === 'string' ? scrub(envelope.message) : undefined;
    const said = apiMessage ? `: ${apiMessage}` : '';
    if (status >= 300 && status < 400) {
      const location = scrub(response.headers.get('location') ?? 'an unnamed location');
      throw new ApiError('protocol', `micro1 answered ${status}, a redirect to ${location}; redirects are not followed because the API key would go with them`, status);
    }
    if (status === 429 || status === 503) {
      const retryAfter = response.headers.get('retry-after') ?? undefined;
      throw new ApiError('throttled', `micro1 is rate limiting (${status})`, status, retryAfter);
    }
    if (status === 401 || status === 403) {
      throw new ApiError('auth', `micro1 refused the API key (${status}${said})`, status);
    }
    if (status === 404) throw new ApiError('not-found', `not found on micro1 (404${said})`, status);
    if (status === 400) throw new ApiError('bad-request', apiMessage ?? 'micro1 rejected the request (400)', status);
    if (status >= 500) throw new ApiError('server', `micro1 server error (${status}${said})`, status);
    if (status < 200 || status >= 300) throw new ApiError('protocol', `unexpected HTTP ${status} for ${method}${said}`, status);
    if (envelope === undefined) throw new ApiError('protocol', `micro1 answered ${status} with a body that is not the documented JSON envelope`, status);
    // A 200 whose envelope says status: false is a failure (DESIGN: the envelope is checked).
    if (envelope.status !== true && !(statusOptional && envelope.status === undefined)) throw new ApiError('bad-request', apiMessage ?? 'micro1 answered status: false', status);
    return envelope;
  }
}

/** One attempt's signal: aborted by its timeout or by the run's signal, until `done`. */
interface Abortable {
  signal: AbortSignal;
  timedOut(): boolean;
  /** The timer cleared and the run's signal let go: called once the answer is read, or not. */
  done(): void;
}

/**
 * One controller, one timer and one listener per attempt, all released when it ends. It replaces
 * AbortSignal.any([AbortSignal.timeout(ms), run]): that kept each attempt's timer for the whole
 * timeout (30 s by default, so 10,000 pending at 10,000 changes) and each combined signal in the
 * run's, and cost several times as much per request.
 */
function abortable(timeoutMs: number, run: AbortSignal | undefined): Abortable {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError'));
  }, timeoutMs);
  // Like AbortSignal.timeout: the timer alone does not keep the process running.
  timer.unref();
  const stop = () => controller.abort(run?.reason);
  if (run?.aborted) stop();
  else run?.addEventListener('abort', stop, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    done() {
      clearTimeout(timer);
      run?.removeEventListener('abort', stop);
    },
  };
}

/** Plain http is refused except to loopback, before any connection or DNS lookup is attempted. */
export function checkBaseUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Micro1Error('BAD_API_URL', `The API URL "${raw}" is not a URL`, { hint: 'set api.baseUrl or MICRO1_API_URL to e.g. https://public.api.micro1.ai' });
  }
  if (url.username !== '' || url.password !== '') {
    throw new Micro1Error('BAD_API_URL', 'The API URL must not contain credentials', { hint: 'the key comes only from the environment variable' });
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && isLoopback(url.hostname)) return url;
  const shown = `${url.protocol}//${url.host}`;
  throw new Micro1Error('INSECURE_API_URL', `Refusing to send the API key to ${shown}: only https is allowed, or plain http to this machine (127.0.0.1, ::1, localhost)`, {
    hint: 'use the https:// address of the micro1 API',
  });
}

export { isLoopback } from '../kinds/url-rules.js';

/** Ids are checked and encoded so that no id can leave its path segment. */
export function encodeId(id: string, what = 'interview'): string {
  if (!ID_PATTERN.test(id)) throw new ApiError('bad-request', `"${id}" is not a valid micro1 ${what} id`);
  return encodeURIComponent(id);
}

/**
 * The body as text, read as a stream and given up past MAX_BODY_BYTES (a declared Content-Length
 * past it is refused before reading), so neither a huge nor an endless answer can exhaust memory.
 */
async function readBounded(response: Response, where: string): Promise<string> {
  const tooBig = () => new ApiError('protocol', `micro1's answer to ${where} is larger than ${MAX_BODY_BYTES / 1024 / 1024} MiB, the most micro1-sync reads; it was not read`, response.status);
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > MAX_BODY_BYTES) {
    await response.body?.cancel().catch(() => undefined);
    throw tooBig();
  }
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw tooBig();
    }
    chunks.push(value);
  }
  // As response.text() would: UTF-8, a leading BOM dropped.
  return new TextDecoder().decode(Buffer.concat(chunks));
}

function parseEnvelope(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}
