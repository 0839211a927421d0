import { ApiError, Micro1Client, type FailureKind, type ListItem } from './client.js';
import type { Clock } from '../clock.js';
import type { ResolvedConfig } from '../config.js';
import { Micro1Error } from '../errors.js';
import type { ResourceBody, ResourceKind } from '../kinds/kinds.js';
import { RateLimiter } from './rate-limiter.js';
import { LONG_WAIT_MS, sendWithRetry, type SendPolicy } from './send-with-retry.js';

/**
 * GET /interviews page size. openapi.json documents `page` and `limit` but no maximum; 100 is the
 * sandbox's maximum and a common API cap. A server that caps lower is still read whole (see below).
 */
export const LIVE_PAGE_SIZE = 100;

/**
 * The most GET /interviews pages read in one listing: 1,000 pages of 100 is 100,000 interviews,
 * far past any real account, yet a bound. A server that answers every page full of new ids (as one
 * did, 42,000 pages and 2.8 GB in a minute) ends the listing with an error, not a hang.
 */
export const MAX_LIST_PAGES = 1_000;

/** A client for the configured API with the run's pacing and retry policy. */
export interface LiveConnection {
  client: Micro1Client;
  policy: SendPolicy;
  /** Requests sent so far, retries included. */
  requests(): number;
}

export interface LiveList {
  /** Every interview the list returned, each once, in the order micro1 listed them. */
  items: ListItem[];
  warnings: string[];
}

/**
 * The API key from the environment (never from a file) and a client for the configured URL, paced
 * by the same limiter and retry policy as apply. Throws before any request when the key is missing
 * or the URL is refused.
 */
export function connect(config: ResolvedConfig, env: NodeJS.ProcessEnv, options: { clock: Clock; stop?: AbortSignal; notice?: (message: string) => void }): LiveConnection {
  const apiKey = env[config.api.apiKeyEnv];
  if (apiKey === undefined || apiKey.trim() === '') {
    throw new Micro1Error('NO_API_KEY', `No API key: the environment variable ${config.api.apiKeyEnv} is not set`, {
      hint: `export ${config.api.apiKeyEnv}=<your micro1 API key> (the key is never read from a file)`,
    });
  }
  const stop = options.stop ?? new AbortController().signal;
  const client = new Micro1Client({ baseUrl: config.api.baseUrl, apiKey, timeoutMs: config.api.timeoutMs, signal: stop });
  let requests = 0;
  const policy: SendPolicy = {
    limiter: new RateLimiter(config.apply.requestsPerSecond, options.clock),
    clock: options.clock,
    maxRetries: config.apply.maxRetries,
    stop,
    onAttempt: () => void requests++,
    // Pages are read one at a time, so each long wait is a different one: each is announced.
    onWait: (ms, reason) => {
      if (ms >= LONG_WAIT_MS) options.notice?.(`Waiting ${Math.round(ms / 1000)} s before reading on: ${reason}.`);
    },
  };
  return { client, policy, requests: () => requests };
}

/**
 * Pages through GET /interviews (page 1, 2, … with `limit`) until a page is empty or shorter than
 * the longest page so far. "Shorter than the limit" alone would stop after page 1 if micro1 capped
 * `limit` below ours, silently dropping interviews (which drift would then call deleted); this
 * rule costs at most one extra request. A page with nothing new ends the listing too, so a server
 * that ignores `page` cannot loop us forever, and MAX_LIST_PAGES bounds one that always has more.
 */
export async function readLiveList(connection: LiveConnection, options: { keyword?: string; pageSize?: number } = {}): Promise<LiveList> {
  const limit = options.pageSize ?? LIVE_PAGE_SIZE;
  const keyword = options.keyword === undefined ? {} : { keyword: options.keyword };
  try {
    return await pageThrough((page) => listPage(connection, { page, limit, ...keyword }));
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    throw new Micro1Error('LIST_FAILED', `Cannot read the interviews on micro1: ${error.message}`, { hint: LIST_HINTS[error.kind], cause: error });
  }
}

/** The paging rule of readLiveList, for any way of fetching one page (apply's lookup uses it too). */
export async function pageThrough(fetchPage: (page: number) => Promise<ListItem[]>): Promise<LiveList> {
  const items: ListItem[] = [];
  const warnings: string[] = [];
  const seen = new Set<string>();
  let longest = 0;
  for (let page = 1; ; page++) {
    if (page > MAX_LIST_PAGES) {
      throw new ApiError('protocol', `GET /interviews kept answering full pages of new interviews: more than ${MAX_LIST_PAGES} pages (${items.length} interviews) were read, more than micro1-sync accepts from one listing, so it stopped`);
    }
    const batch = await fetchPage(page);
    const fresh = batch.filter((item) => !seen.has(item.interview_id));
    for (const item of fresh) {
      seen.add(item.interview_id);
      items.push(item);
    }
    if (batch.length > 0 && fresh.length === 0) {
      warnings.push(`GET /interviews page ${page} held only interviews already listed, so listing stopped at ${items.length}; if micro1 has more, they were not read`);
      break;
    }
    if (batch.length === 0 || batch.length < longest) break;
    longest = batch.length;
  }
  return { items, warnings };
}

/** One page, paced and retried; a failure that retries could not fix becomes a user-facing error. */
async function listPage(connection: LiveConnection, query: { page: number; limit: number; keyword?: string }): Promise<ListItem[]> {
  try {
    return await sendWithRetry(() => connection.client.list(query), connection.policy, { retryUnknown: true });
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    throw new Micro1Error('LIST_FAILED', `Cannot read the interviews on micro1 (GET /interviews, page ${query.page}): ${error.message}`, {
      hint: LIST_HINTS[error.kind],
      cause: error,
    });
  }
}

/** The whole list of another kind (GET /webhooks is not paged), paced and retried like the interview list. */
export async function readLiveResources(connection: LiveConnection, kind: ResourceKind): Promise<{ id: string; body: ResourceBody }[]> {
  try {
    return await sendWithRetry(() => connection.client.listResources(kind), connection.policy, { retryUnknown: true });
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    throw new Micro1Error('LIST_FAILED', `Cannot read the ${kind.labels.many} on micro1 (GET ${kind.endpoints.list}): ${error.message}`, { hint: LIST_HINTS[error.kind], cause: error });
  }
}

const LIST_HINTS: Record<FailureKind, string> = {
  auth: 'check the API key in the environment',
  throttled: 'micro1 kept rate limiting: try again later, or lower apply.requestsPerSecond',
  server: 'micro1 kept failing: try again later',
  timeout: 'micro1 did not answer in time: try again, or raise api.timeoutMs',
  network: 'check the network and api.baseUrl (or MICRO1_API_URL)',
  'bad-request': 'micro1 refused the listing: check api.baseUrl (or MICRO1_API_URL) points at the micro1 API',
  'not-found': 'check api.baseUrl (or MICRO1_API_URL) points at the micro1 API',
  protocol: 'check api.baseUrl (or MICRO1_API_URL) points at the micro1 API',
};
