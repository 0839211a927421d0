import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { setTimeout as wait } from 'node:timers/promises';
import { errnoCode, Micro1Error } from '../errors.js';

/**
 * A local micro1-compatible server: the four interview and four webhook endpoints micro1-sync uses, with the API's
 * envelopes and the limits openapi.json states only in prose, kept in memory (optionally in a JSON
 * file). Tests drive it with faults, latency and a rate limit it does not announce.
 *
 * It is the tests' reference for the API, so it reads openapi.json on its own: its body, limits,
 * defaults and list shape are written here from the document, and it imports nothing of the
 * product's model (body declaration, schema, list mapping, state writer). A mistake in one reading
 * is then caught by the other instead of being shared by both.
 *
 * Over 350 lines on purpose: the whole reading (interviews and webhooks) stays in this one file,
 * whose imports test/sandbox-independent.test.ts checks.
 */

export type Fault =
  | { kind: 'status'; status: number; retryAfter?: string; body?: unknown }
  /** Destroys the socket before doing anything. */
  | { kind: 'reset' }
  /** Performs the change, then destroys the socket without answering: the outcome-unknown case. */
  | { kind: 'reset-after-commit' }
  /** Never answers; the socket stays open until the client gives up or the sandbox closes. */
  | { kind: 'hang' }
  /** Waits, then answers normally; the change is made even if the client gave up meanwhile (a timeout after commit). */
  | { kind: 'delay'; ms: number };

export interface FaultRequest {
  method: string;
  path: string;
  /** 1 for the first request this sandbox received, then 2, 3, … */
  seq: number;
  body: unknown;
}

/** An interview body as the sandbox stores it: UpdateInterviewRequest with every field present. */
export interface InterviewBody {
  interview_name: string;
  skills: { name: string; description?: string }[];
  custom_question_list: { question: string; time: number; type: (typeof QUESTION_TYPES)[number] }[];
  interview_language: (typeof INTERVIEW_LANGUAGES)[number];
  can_change_interview_language: boolean;
  only_coding_round: boolean;
  is_coding_round_required: boolean;
  selected_coding_language: (typeof CODING_LANGUAGES)[number];
  coding_exercise_details: string;
  is_proctoring_required: boolean;
}

type Field = keyof InterviewBody;

export interface SeedInterview {
  id?: string;
  /** Checked like a create request's body, so it may hold what a request may (a language to refuse). */
  body: { [F in Field]?: InterviewBody[F] extends string ? string : InterviewBody[F] } & { interview_name: string };
}

export interface SandboxOptions {
  /** The one key accepted; when absent, any non-empty `x-api-key` is. */
  apiKey?: string;
  /** Interviews present from the start; ignored when `persistFile` already exists (it holds them). */
  seed?: readonly SeedInterview[];
  /** Webhooks present from the start, checked like a create's body; ignored like `seed`. */
  seedWebhooks?: readonly { id?: string; body: Record<string, unknown> }[];
  /** JSON file the interviews are loaded from at start and written to (atomically) on every change. */
  persistFile?: string;
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Delay before every answer. */
  latencyMs?: number;
  /** Requests above this rate in any one-second window get 429 with `Retry-After: 1`. */
  hiddenRatePerSecond?: number;
  fault?: (request: FaultRequest) => Fault | undefined;
  /** Clock (ms since the epoch) for dates, request times and the rate window. */
  now?: () => number;
}

export interface RecordedRequest {
  seq: number;
  method: string;
  /** The path as sent (not decoded). */
  path: string;
  query: Record<string, string>;
  /** Lower-case names; `x-api-key` and `authorization` are "***". */
  headers: Record<string, string>;
  /** The parsed JSON body; the raw text when it is not JSON; undefined when empty. */
  body: unknown;
  /** When the body was complete (the `now` clock). */
  time: number;
  status: number | 'reset' | 'hang' | 'pending';
  /**
   * True when the client had already closed the connection by the time it could first have read the
   * answer: it gave up on this request (timed out) and never saw what it was answered. Set shortly
   * after the answer is sent.
   */
  clientGone?: boolean;
}

export interface StoredInterview {
  id: string;
  body: InterviewBody;
}

export interface Sandbox {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  /** Every request received, in order; live. */
  requests: readonly RecordedRequest[];
  /** The stored interviews in creation order (copies). */
  interviews(): StoredInterview[];
  /** The stored webhooks in creation order (copies). */
  webhooks(): StoredWebhook[];
  /** Stops listening and destroys every connection, hanging ones included. */
  close(): Promise<void>;
}

/** The document names no body limit; 1 MiB is far above any valid interview. */
const MAX_BODY_BYTES = 1024 * 1024;
/** GET /interviews documents `page` and `limit` as integers and no defaults or maximum; these are ours. */
const LIST_DEFAULTS = { page: 1, limit: 10, maxLimit: 100 } as const;
const PERSIST_VERSION = 1;

/*
 * The API document, read for the sandbox alone (openapi.json: CreateInterviewRequest,
 * UpdateInterviewRequest, GetAllInterviewsResponse).
 */

/** `interview_language` enum, the same in the create and update bodies. */
const INTERVIEW_LANGUAGES = [
  'en', 'fr', 'de', 'he', 'hi', 'pt', 'es', 'es-la', 'tr', 'ja', 'sv', 'ar', 'pl', 'dk', 'kr', 'it', 'nl', 'cz',
  'ua', 'ur', 'id', 'en-GB', 'es-MX', 'cn', 'zh-CN', 'zh-TW', 'zh-HK', 'ru', 'bn', 'ms', 'pt-BR', 'vi', 'tl', 'th',
  'afb', 'pt-PT',
] as const;
/** `selected_coding_language` enum of the create body; the update body documents none. */
const CODING_LANGUAGES = ['user_choice', 'javascript', 'cpp', 'c', 'csharp', 'go', 'java', 'kotlin', 'php', 'python', 'ruby', 'rust', 'swift', 'typescript'] as const;
const QUESTION_TYPES = ['audio', 'text'] as const;
/** "Required skills for the interview (max 10)". */
const MAX_SKILLS = 10;
/** "Custom questions for the interview (max 20)". */
const MAX_QUESTIONS = 20;
/** "The time limit for the question in minutes (min 1, max 4)". */
const QUESTION_MINUTES = { min: 1, max: 4 };
/** Ids are opaque strings (UUIDs in the examples); the sandbox accepts what fits a path segment. */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,127}$/;

/**
 * Every field, empty or at its documented default: interview_language "en", is_proctoring_required
 * true, the other booleans false, selected_coding_language "user_choice"; lists empty, and
 * coding_exercise_details (no documented default) empty.
 */
const EMPTY_BODY: InterviewBody = {
  interview_name: '',
  skills: [],
  custom_question_list: [],
  interview_language: 'en',
  can_change_interview_language: false,
  only_coding_round: false,
  is_coding_round_required: false,
  selected_coding_language: 'user_choice',
  coding_exercise_details: '',
  is_proctoring_required: true,
};
const FIELDS = Object.keys(EMPTY_BODY) as Field[];

/**
 * Display names the list shows. The document's example shows "English" (and "Python" for the
 * coding language); the rest follow that English-name pattern, the region in parentheses.
 */
const LANGUAGE_NAMES: Readonly<Record<string, string>> = {
  en: 'English', fr: 'French', de: 'German', he: 'Hebrew', hi: 'Hindi', pt: 'Portuguese', es: 'Spanish',
  'es-la': 'Spanish (Latin America)', tr: 'Turkish', ja: 'Japanese', sv: 'Swedish', ar: 'Arabic', pl: 'Polish',
  dk: 'Danish', kr: 'Korean', it: 'Italian', nl: 'Dutch', cz: 'Czech', ua: 'Ukrainian', ur: 'Urdu', id: 'Indonesian',
  'en-GB': 'English (United Kingdom)', 'es-MX': 'Spanish (Mexico)', cn: 'Chinese', 'zh-CN': 'Chinese (China)',
  'zh-TW': 'Chinese (Taiwan)', 'zh-HK': 'Chinese (Hong Kong)', ru: 'Russian', bn: 'Bengali', ms: 'Malay',
  'pt-BR': 'Portuguese (Brazil)', vi: 'Vietnamese', tl: 'Tagalog', th: 'Thai', afb: 'Arabic (Gulf)', 'pt-PT': 'Portuguese (Portugal)',
};
const CODING_LANGUAGE_NAMES: Readonly<Record<string, string>> = {
  user_choice: 'User choice', javascript: 'JavaScript', cpp: 'C++', c: 'C', csharp: 'C#', go: 'Go', java: 'Java',
  kotlin: 'Kotlin', php: 'PHP', python: 'Python', ruby: 'Ruby', rust: 'Rust', swift: 'Swift', typescript: 'TypeScript',
};
const REDACTED_HEADERS = new Set(['x-api-key', 'authorization', 'cookie']);
const JSON_TYPE = 'application/json; charset=utf-8';

interface Entry {
  id: string;
  body: InterviewBody;
  created: number;
  modified: number;
}

interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const now = options.now ?? Date.now;
  const store = new Map<string, Entry>();
  const hooks = new Map<string, WebhookEntry>();
  const requests: RecordedRequest[] = [];
  const lifetime = new AbortController();
  const limiter = options.hiddenRatePerSecond === undefined ? undefined : slidingWindow(options.hiddenRatePerSecond);

  const loaded = options.persistFile === undefined ? false : loadPersisted(options.persistFile, store, hooks);
  if (!loaded) {
    seedStore(options.seed ?? [], store, now());
    seedWebhooks(options.seedWebhooks ?? [], hooks, now());
    persist();
  }

  function persist(): void {
    if (options.persistFile === undefined) return;
    const interviews = [...store.values()].map((e) => ({
      id: e.id,
      body: e.body,
      date_created: new Date(e.created).toISOString(),
      date_modified: new Date(e.modified).toISOString(),
    }));
    // Webhooks only when there are some: a store without them keeps its shape.
    const webhooks = [...hooks.values()].map((e) => ({ id: e.id, body: e.body, date_created: new Date(e.created).toISOString(), date_modified: new Date(e.modified).toISOString() }));
    writeAtomically(options.persistFile, `${JSON.stringify({ version: PERSIST_VERSION, interviews, ...(webhooks.length > 0 ? { webhooks } : {}) }, null, 2)}\n`);
  }

  /** Routes, checks the key and the body, and performs the change. Synchronous, so a change is stored (and persisted) before any answer. */
  function route(method: string, url: URL, headers: IncomingMessage['headers'], received: Received, limited: boolean): Answer {
    const match = matchRoute(method, url.pathname);
    if (match === undefined) return fail(404, `Route not found: ${method} ${url.pathname}`);
    const { operation } = match;
    if (operation === undefined) return { ...fail(405, `Method ${method} is not allowed on ${url.pathname}`), headers: { allow: match.allowed.join(', ') } };
    const auth = checkKey(headers['x-api-key'], options.apiKey);
    if (auth !== undefined) return fail(401, auth);
    if (limited) return { ...fail(429, 'Too many requests'), headers: { 'retry-after': '1' } };

    if (operation.op === 'list') return list(url.searchParams);
    if (operation.op === 'webhook-list' || operation.op === 'webhook-create' || operation.op === 'webhook-update' || operation.op === 'webhook-delete') {
      return webhookRoute(operation, received, headers['content-type']);
    }
    if (operation.op === 'delete') {
      if (!store.delete(operation.id)) return fail(404, 'Interview not found');
      persist();
      return ok('Interview deleted successfully');
    }

    const body = readJsonBody(received, headers['content-type']);
    if ('error' in body) return fail(400, body.error);
    const issues = validateInterviewBody(body.value, operation.op);
    if (issues.length > 0) return fail(400, issues.join('; '));
    const given = body.value as Partial<InterviewBody>;
    const time = now();

    if (operation.op === 'create') {
      const id = randomUUID();
      store.set(id, { id, body: fill(given, EMPTY_BODY), created: time, modified: time });
      persist();
      return { status: 200, body: { status: true, message: 'Interview created successfully', data: { interview_id: id, invite_url: inviteUrl(id) } } };
    }
    const entry = store.get(operation.id);
    if (entry === undefined) return fail(404, 'Interview not found');
    // Fields given replace the stored ones whole; fields not given are kept.
    store.set(operation.id, { ...entry, body: fill(given, entry.body), modified: time });
    persist();
    return ok('Interview updated successfully');
  }

  /** The four webhook endpoints (sandbox/webhooks.ts has the document's reading). */
  function webhookRoute(operation: WebhookOperation, received: Received, contentType: string | undefined): Answer {
    if (operation.op === 'webhook-list') {
      return { status: 200, body: { status: true, message: 'Webhooks fetched successfully', data: [...hooks.values()].map((e) => webhookListItem(e, listDate)) } };
    }
    if (operation.op === 'webhook-delete') {
      if (!hooks.delete(operation.id)) return fail(404, 'Webhook not found');
      persist();
      return ok('Webhook deleted successfully');
    }
    const body = readJsonBody(received, contentType);
    if ('error' in body) return fail(400, body.error);
    const issues = validateWebhookBody(body.value);
    if (issues.length > 0) return fail(400, issues.join('; '));
    const given = webhookBody(body.value as Record<string, unknown>);
    const time = now();
    if (operation.op === 'webhook-create') {
      const id = randomUUID();
      hooks.set(id, { id, body: given, created: time, modified: time });
      persist();
      // CreateWebhookResponse: `{ id }` alone, no status or message envelope.
      return { status: 200, body: { id } };
    }
    const { id } = operation;
    const entry = hooks.get(id);
    if (entry === undefined) return fail(404, 'Webhook not found');
    hooks.set(id, { ...entry, body: given, modified: time });
    persist();
    return ok('Webhook updated successfully');
  }

  function list(params: URLSearchParams): Answer {
    const page = positiveInteger(params.get('page'), LIST_DEFAULTS.page);
    if (page === undefined) return fail(400, 'page must be a positive integer');
    const limit = positiveInteger(params.get('limit'), LIST_DEFAULTS.limit);
    if (limit === undefined || limit > LIST_DEFAULTS.maxLimit) return fail(400, `limit must be an integer from 1 to ${LIST_DEFAULTS.maxLimit}`);
    const keyword = (params.get('keyword') ?? '').toLowerCase();
    const matching = [...store.values()].filter((e) => e.body.interview_name.toLowerCase().includes(keyword));
    const data = matching.slice((page - 1) * limit, page * limit).map((e) =>
      listItem(e),
    );
    return { status: 200, body: { status: true, message: 'Interviews fetched successfully', data } };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let received: Received;
    try {
      received = await receive(req);
    } catch {
      return; // The client went away before its body was complete: nobody to answer.
    }
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const record: RecordedRequest = {
      seq: requests.length + 1,
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: redactHeaders(req.headers),
      body: recordedBody(received.text),
      time: now(),
      status: 'pending',
    };
    requests.push(record);
    try {
      await respond(req, res, url, received, record);
    } catch (error) {
      // A closing sandbox aborts its waits; anything else is a sandbox bug, answered like the API's 500.
      if (lifetime.signal.aborted || res.destroyed || res.headersSent) return;
      send(res, { status: 500, body: { status: false, message: `Sandbox error: ${(error as Error).message}` } });
      record.status = 500;
    }
  }

  async function respond(req: IncomingMessage, res: ServerResponse, url: URL, received: Received, record: RecordedRequest): Promise<void> {
    const fault = options.fault?.({ method: record.method, path: record.path, seq: record.seq, body: record.body });
    if (fault?.kind === 'reset') return reset(req, record);
    if (fault?.kind === 'hang') {
      record.status = 'hang';
      return;
    }
    const limited = fault?.kind !== 'status' && limiter !== undefined && !limiter(record.time);
    if (fault?.kind === 'delay') await wait(fault.ms, undefined, { signal: lifetime.signal });
    if (options.latencyMs) await wait(options.latencyMs, undefined, { signal: lifetime.signal });

    const answer: Answer =
      fault?.kind === 'status'
        ? { status: fault.status, body: fault.body ?? { status: false }, ...(fault.retryAfter === undefined ? {} : { headers: { 'retry-after': fault.retryAfter } }) }
        : route(record.method, url, req.headers, received, limited);
    if (fault?.kind === 'reset-after-commit') return reset(req, record);
    send(res, answer);
    record.status = answer.status;
    noteClientGone(req, record);
  }

  // handle() answers its own errors; if even that fails, dropping the connection is all that is left.
  const server = createServer((req, res) => handle(req, res).catch(() => res.destroy()));

  const port = await listen(server, options.port ?? 0);
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    interviews: () => [...store.values()].map((e) => ({ id: e.id, body: structuredClone(e.body) })),
    webhooks: () => [...hooks.values()].map((e) => ({ id: e.id, body: { ...e.body } })),
    close() {
      closing ??= new Promise<void>((resolve) => {
        lifetime.abort();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/**
 * Checks a create (`interview_name` required) or update body against openapi.json's
 * CreateInterviewRequest / UpdateInterviewRequest, including the limits its descriptions state in
 * prose, and rejects fields the document does not name. Returns one message per problem, each
 * naming the field.
 */
export function validateInterviewBody(body: unknown, mode: 'create' | 'update'): string[] {
  if (!isRecord(body)) return ['Request body must be a JSON object'];
  const issues: string[] = [];
  for (const key of Object.keys(body)) {
    if (!Object.hasOwn(FIELD_CHECKS, key)) issues.push(`${key} is not an allowed field`);
  }
  if (mode === 'create' && body.interview_name === undefined) issues.push('interview_name is required');
  for (const field of FIELDS) {
    const value = body[field];
    if (value !== undefined) FIELD_CHECKS[field](value, field, issues);
  }
  return issues;
}

type Check = (value: unknown, where: string, issues: string[]) => void;

const nonEmptyString: Check = (value, where, issues) => {
  if (typeof value !== 'string' || value.trim() === '') issues.push(`${where} must be a non-empty string`);
};
const string: Check = (value, where, issues) => {
  if (typeof value !== 'string') issues.push(`${where} must be a string`);
};
const boolean: Check = (value, where, issues) => {
  if (typeof value !== 'boolean') issues.push(`${where} must be a boolean`);
};
const oneOf =
  (allowed: readonly string[]): Check =>
  (value, where, issues) => {
    if (typeof value !== 'string' || !allowed.includes(value)) issues.push(`${where} must be one of: ${allowed.join(', ')}`);
  };
const listOf =
  (max: number, item: Record<string, { check: Check; required: boolean }>): Check =>
  (value, where, issues) => {
    if (!Array.isArray(value)) {
      issues.push(`${where} must be an array`);
      return;
    }
    if (value.length > max) issues.push(`${where} must contain at most ${max} items (got ${value.length})`);
    value.forEach((entry: unknown, i) => {
      const at = `${where}[${i}]`;
      if (!isRecord(entry)) {
        issues.push(`${at} must be an object`);
        return;
      }
      for (const key of Object.keys(entry)) if (!Object.hasOwn(item, key)) issues.push(`${at}.${key} is not an allowed field`);
      for (const [key, rule] of Object.entries(item)) {
        if (entry[key] !== undefined) rule.check(entry[key], `${at}.${key}`, issues);
        else if (rule.required) issues.push(`${at}.${key} is required`);
      }
    });
  };
const minutes: Check = (value, where, issues) => {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < QUESTION_MINUTES.min || value > QUESTION_MINUTES.max) {
    issues.push(`${where} must be a number of minutes from ${QUESTION_MINUTES.min} to ${QUESTION_MINUTES.max}`);
  }
};

/**
 * One rule per body field. The document requires only a skill's `name`; a question's three fields
 * are required here too, because a question without them cannot be asked.
 */
const FIELD_CHECKS: Readonly<Record<Field, Check>> = {
  interview_name: nonEmptyString,
  // "Required skills for the interview (max 10)"
  skills: listOf(MAX_SKILLS, { name: { check: nonEmptyString, required: true }, description: { check: string, required: false } }),
  // "Custom questions for the interview (max 20)"; time "in minutes (min 1, max 4)"
  custom_question_list: listOf(MAX_QUESTIONS, {
    question: { check: nonEmptyString, required: true },
    time: { check: minutes, required: true },
    type: { check: oneOf(QUESTION_TYPES), required: true },
  }),
  interview_language: oneOf(INTERVIEW_LANGUAGES),
  can_change_interview_language: boolean,
  only_coding_round: boolean,
  is_coding_round_required: boolean,
  // The update body documents no enum; the create body's is the only list of valid values.
  selected_coding_language: oneOf(CODING_LANGUAGES),
  coding_exercise_details: string,
  is_proctoring_required: boolean,
};

interface Received {
  text: string;
  tooLarge: boolean;
}

async function receive(req: IncomingMessage): Promise<Received> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  }
  return { text: Buffer.concat(chunks).toString('utf8'), tooLarge: size > MAX_BODY_BYTES };
}

function readJsonBody(received: Received, contentType: string | undefined): { value: unknown } | { error: string } {
  if (received.tooLarge) return { error: `Request body is larger than ${MAX_BODY_BYTES} bytes` };
  if (received.text.trim() === '') return { value: {} };
  // An Express-style API parses only JSON bodies; anything else would arrive as an empty body.
  if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType ?? '')) return { error: 'Content-Type must be application/json' };
  try {
    return { value: JSON.parse(received.text) as unknown };
  } catch (error) {
    return { error: `Invalid JSON in request body: ${(error as Error).message}` };
  }
}

function recordedBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

type Operation =
  | { op: 'list' } | { op: 'create' } | { op: 'update'; id: string } | { op: 'delete'; id: string }
  | WebhookOperation;
type WebhookOperation = { op: 'webhook-list' } | { op: 'webhook-create' } | { op: 'webhook-update'; id: string } | { op: 'webhook-delete'; id: string };

/** The four endpoints: the operation for `method` on `pathname`, the methods the path allows, or undefined for no such path. */
function matchRoute(method: string, pathname: string): { operation: Operation | undefined; allowed: string[] } | undefined {
  if (pathname === '/interviews') return { operation: method === 'GET' ? { op: 'list' } : undefined, allowed: ['GET'] };
  if (pathname === '/interview') return { operation: method === 'POST' ? { op: 'create' } : undefined, allowed: ['POST'] };
  if (pathname === '/webhooks') return { operation: method === 'GET' ? { op: 'webhook-list' } : undefined, allowed: ['GET'] };
  if (pathname === '/webhook') return { operation: method === 'POST' ? { op: 'webhook-create' } : undefined, allowed: ['POST'] };
  const m = /^\/(interview|webhook)\/([^/]+)$/.exec(pathname);
  if (m === null) return undefined;
  let id: string;
  try {
    id = decodeURIComponent(m[2]!);
  } catch {
    return undefined;
  }
  const hook = m[1] === 'webhook';
  const operation: Operation | undefined =
    method === 'PUT' ? (hook ? { op: 'webhook-update', id } : { op: 'update', id }) : method === 'DELETE' ? (hook ? { op: 'webhook-delete', id } : { op: 'delete', id }) : undefined;
  return { operation, allowed: ['PUT', 'DELETE'] };
}

function checkKey(given: string | string[] | undefined, expected: string | undefined): string | undefined {
  if (typeof given !== 'string' || given === '') return 'Missing API key: send it in the x-api-key header';
  if (expected !== undefined && !sameSecret(given, expected)) return 'Invalid API key';
  return undefined;
}

/** Compares digests in constant time, so the comparison leaks neither content nor length. */
function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}

function redactHeaders(headers: IncomingMessage['headers']): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers)
      .filter((entry): entry is [string, string | string[]] => entry[1] !== undefined)
      .map(([name, value]) => [name, REDACTED_HEADERS.has(name) ? '***' : Array.isArray(value) ? value.join(', ') : value]),
  );
}

/** Answers true when a request at `time` is within the rate, and counts it; rejected requests are not counted. */
function slidingWindow(ratePerSecond: number): (time: number) => boolean {
  // A rate under 1/s becomes "one request per 1/rate seconds".
  const windowMs = ratePerSecond >= 1 ? 1000 : 1000 / ratePerSecond;
  const capacity = Math.max(1, Math.floor(ratePerSecond));
  const accepted: number[] = [];
  return (time) => {
    while (accepted.length > 0 && accepted[0]! <= time - windowMs) accepted.shift();
    if (accepted.length >= capacity) return false;
    accepted.push(time);
    return true;
  };
}

function positiveInteger(raw: string | null, fallback: number): number | undefined {
  if (raw === null) return fallback;
  return /^\d+$/.test(raw) && Number(raw) >= 1 ? Number(raw) : undefined;
}

/** A stored body: `given` fields replace `base` ones whole, in the document's key order. */
function fill(given: Partial<InterviewBody>, base: InterviewBody): InterviewBody {
  const pick = <F extends Field>(f: F): InterviewBody[F] => structuredClone(given[f] ?? base[f]);
  return {
    interview_name: pick('interview_name'),
    skills: pick('skills').map((s) => (s.description === undefined ? { name: s.name } : { name: s.name, description: s.description })),
    custom_question_list: pick('custom_question_list').map((q) => ({ question: q.question, time: q.time, type: q.type })),
    interview_language: pick('interview_language'),
    can_change_interview_language: pick('can_change_interview_language'),
    only_coding_round: pick('only_coding_round'),
    is_coding_round_required: pick('is_coding_round_required'),
    selected_coding_language: pick('selected_coding_language'),
    coding_exercise_details: pick('coding_exercise_details'),
    is_proctoring_required: pick('is_proctoring_required'),
  };
}

/**
 * A stored interview as GET /interviews shows it (GetAllInterviewsResponse): `custom_questions`
 * with `time` "in seconds", the languages as display names (the example shows "English" and
 * "Python"), no `coding_exercise_details`, dates as "2021-01-01 00:00:00", status "active".
 */
function listItem(e: Entry): Record<string, unknown> {
  const { body } = e;
  return {
    interview_id: e.id,
    interview_name: body.interview_name,
    invite_url: inviteUrl(e.id),
    skills: body.skills,
    custom_questions: body.custom_question_list.map((q) => ({ question: q.question, time: Number((q.time * 60).toFixed(6)), type: q.type })),
    interview_language: LANGUAGE_NAMES[body.interview_language] ?? body.interview_language,
    can_change_interview_language: body.can_change_interview_language,
    only_coding_round: body.only_coding_round,
    is_coding_round_required: body.is_coding_round_required,
    selected_coding_language: CODING_LANGUAGE_NAMES[body.selected_coding_language] ?? body.selected_coding_language,
    is_proctoring_required: body.is_proctoring_required,
    date_created: listDate(e.created),
    date_modified: listDate(e.modified),
    status: 'active',
  };
}

/** The document's date format (UTC: it names no zone). */
function listDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** Temp file in the same folder, fsync, rename: a sandbox restarted after a kill finds the old store or the new one. */
function writeAtomically(file: string, text: string): void {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}-${randomUUID().slice(0, 8)}`);
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    const fd = openSync(temp, 'wx', 0o644);
    try {
      const bytes = Buffer.from(text);
      for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw new Micro1Error('SANDBOX_STORE_UNWRITABLE', `Cannot write the sandbox store ${file}: ${String(error)}`, { cause: error });
  }
}

/** The invite URL format of the document's CreateInterviewResponse example. */
function inviteUrl(id: string): string {
  return `https://interview.micro1.ai/intro/micro1?uid=${encodeURIComponent(id)}`;
}

function seedStore(seed: readonly SeedInterview[], store: Map<string, Entry>, time: number): void {
  seed.forEach((entry, i) => {
    const where = `seed interview ${i + 1}${typeof entry.body?.interview_name === 'string' ? ` ("${entry.body.interview_name}")` : ''}`;
    const issues = validateInterviewBody(entry.body, 'create');
    if (entry.id !== undefined && !ID_PATTERN.test(entry.id)) issues.push(`id "${entry.id}" is not a valid interview id`);
    if (entry.id !== undefined && store.has(entry.id)) issues.push(`id "${entry.id}" is used twice`);
    if (issues.length > 0) throw new Micro1Error('SANDBOX_SEED_INVALID', `${where}: ${issues.join('; ')}`);
    const id = entry.id ?? randomUUID();
    store.set(id, { id, body: fill(entry.body as Partial<InterviewBody>, EMPTY_BODY), created: time, modified: time }); // validated just above
  });
}

function seedWebhooks(seed: readonly { id?: string; body: Record<string, unknown> }[], hooks: Map<string, WebhookEntry>, time: number): void {
  seed.forEach((entry, i) => {
    const issues = validateWebhookBody(entry.body);
    if (entry.id !== undefined && (!ID_PATTERN.test(entry.id) || hooks.has(entry.id))) issues.push(`id "${entry.id}" is not a valid, unique webhook id`);
    if (issues.length > 0) throw new Micro1Error('SANDBOX_SEED_INVALID', `seed webhook ${i + 1}: ${issues.join('; ')}`);
    const id = entry.id ?? randomUUID();
    hooks.set(id, { id, body: webhookBody(entry.body), created: time, modified: time });
  });
}

/** Loads a persisted store; false when the file does not exist yet. A file it cannot read is an error, never overwritten. */
function loadPersisted(file: string, store: Map<string, Entry>, hooks: Map<string, WebhookEntry>): boolean {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return false;
    throw new Micro1Error('SANDBOX_STORE_UNREADABLE', `Cannot read the sandbox store ${file}: ${String(error)}`, { cause: error });
  }
  const invalid = (why: string) =>
    new Micro1Error('SANDBOX_STORE_INVALID', `The sandbox store ${file} is not usable: ${why}`, { hint: 'fix it, or delete it to start empty' });
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw invalid((error as Error).message);
  }
  if (!isRecord(raw) || raw.version !== PERSIST_VERSION || !Array.isArray(raw.interviews)) throw invalid(`expected { "version": ${PERSIST_VERSION}, "interviews": [...] }`);
  raw.interviews.forEach((item: unknown, i) => {
    const at = `interviews[${i}]`;
    if (!isRecord(item) || typeof item.id !== 'string' || !ID_PATTERN.test(item.id) || store.has(item.id)) throw invalid(`${at} has no valid, unique id`);
    const issues = validateInterviewBody(item.body, 'create');
    if (issues.length > 0) throw invalid(`${at}: ${issues.join('; ')}`);
    const created = Date.parse(String(item.date_created));
    const modified = Date.parse(String(item.date_modified));
    if (Number.isNaN(created) || Number.isNaN(modified)) throw invalid(`${at} has no valid date_created / date_modified`);
    store.set(item.id, { id: item.id, body: fill(item.body as Partial<InterviewBody>, EMPTY_BODY), created, modified });
  });
  if (raw.webhooks !== undefined && !Array.isArray(raw.webhooks)) throw invalid('"webhooks" must be a list');
  ((raw.webhooks ?? []) as unknown[]).forEach((item: unknown, i) => {
    const at = `webhooks[${i}]`;
    if (!isRecord(item) || typeof item.id !== 'string' || !ID_PATTERN.test(item.id) || hooks.has(item.id)) throw invalid(`${at} has no valid, unique id`);
    const issues = validateWebhookBody(item.body);
    if (issues.length > 0) throw invalid(`${at}: ${issues.join('; ')}`);
    const created = Date.parse(String(item.date_created));
    const modified = Date.parse(String(item.date_modified));
    if (Number.isNaN(created) || Number.isNaN(modified)) throw invalid(`${at} has no valid date_created / date_modified`);
    hooks.set(item.id, { id: item.id, body: webhookBody(item.body as Record<string, unknown>), created, modified });
  });
  return true;
}

function listen(server: ReturnType<typeof createServer>, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (error) => {
      reject(
        errnoCode(error) === 'EADDRINUSE'
          ? new Micro1Error('SANDBOX_PORT_IN_USE', `Port ${port} on 127.0.0.1 is already in use`, { hint: 'choose another with --port, or 0 for any free port' })
          : error,
      );
    });
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

/**
 * A client that gave up before this answer was written closed its connection first, but the close
 * is read one turn of the event loop after the request (libuv stops at a short read), and a client
 * in this process reads the answer at the earliest one turn after it was written: so two turns on,
 * a closed connection means the answer was never read.
 */
function noteClientGone(req: IncomingMessage, record: RecordedRequest): void {
  setImmediate(() =>
    setImmediate(() => {
      if (req.socket.destroyed || req.socket.readableEnded) record.clientGone = true;
    }),
  );
}

function reset(req: IncomingMessage, record: RecordedRequest): void {
  record.status = 'reset';
  // RST rather than FIN, so the client sees ECONNRESET as it would from a dropped connection.
  req.socket.resetAndDestroy();
}

function send(res: ServerResponse, answer: Answer): void {
  if (res.destroyed || res.writableEnded) return;
  const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
  res.writeHead(answer.status, {
    'content-type': typeof answer.body === 'string' ? 'text/plain; charset=utf-8' : JSON_TYPE,
    'content-length': String(Buffer.byteLength(text)),
    ...answer.headers,
  });
  res.end(text);
}

function ok(message: string): Answer {
  return { status: 200, body: { status: true, message } };
}

function fail(status: number, message: string): Answer {
  return { status, body: { status: false, message } };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/*
 * The webhook endpoints, read from the document for the sandbox alone (CreateWebhookRequest,
 * UpdateWebhookRequest, CreateWebhookResponse, GetAllWebhooksResponse), independent of the
 * product's kinds/webhook.ts.
 */

/** The `event` enum of CreateWebhookRequest and UpdateWebhookRequest. */
const EVENTS = [
  'interview_report.created',
  'interview_recording.completed',
  'interview_webcam_recording.completed',
  'proctoring_score.completed',
  'applicant.completed',
  'applicant.created',
  'applicant.updated',
  'applicant.invited',
  'interview.started',
  'interview.completed',
] as const;

export interface WebhookBody {
  url: string;
  event: (typeof EVENTS)[number];
  description: string;
}

export interface StoredWebhook {
  id: string;
  body: WebhookBody;
}

interface WebhookEntry extends StoredWebhook {
  created: number;
  modified: number;
}

/** Both bodies require `url` and `event` (the update too: its schema lists them as required). */
function validateWebhookBody(body: unknown): string[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return ['Request body must be a JSON object'];
  const given = body as Record<string, unknown>;
  const issues: string[] = [];
  for (const key of Object.keys(given)) if (!['url', 'event', 'description'].includes(key)) issues.push(`${key} is not an allowed field`);
  if (given.url === undefined) issues.push('url is required');
  else if (typeof given.url !== 'string' || given.url.trim() === '') issues.push('url must be a non-empty string');
  if (given.event === undefined) issues.push('event is required');
  else if (typeof given.event !== 'string' || !(EVENTS as readonly string[]).includes(given.event)) issues.push(`event must be one of: ${EVENTS.join(', ')}`);
  if (given.description !== undefined && typeof given.description !== 'string') issues.push('description must be a string');
  return issues;
}

/** The stored body, description filled in. Only for a body `validateWebhookBody` accepted. */
function webhookBody(given: Record<string, unknown>): WebhookBody {
  return { url: given.url as string, event: given.event as WebhookBody['event'], description: typeof given.description === 'string' ? given.description : '' };
}

/** GetAllWebhooksResponse's item: `webhook_id`, the body, dates as "2021-01-01 00:00:00", status "active". */
function webhookListItem(e: WebhookEntry, date: (ms: number) => string): Record<string, unknown> {
  return {
    webhook_id: e.id,
    url: e.body.url,
    description: e.body.description,
    event: e.body.event,
    date_created: date(e.created),
    date_modified: date(e.modified),
    status: 'active',
  };
}
