import { defineConfig } from 'micro1-sync';

// Every setting is optional; these are the defaults, spelled out for reference.
export default defineConfig({
  interviews: 'interviews',
  webhooks: 'webhooks', // one file per micro1 webhook (docs/webhooks.md); a missing folder is no webhooks
  state: '.micro1/state.json',
  api: {
    baseUrl: 'https://public.api.micro1.ai', // MICRO1_API_URL overrides it
    apiKeyEnv: 'MICRO1_API_KEY', // the key itself only ever comes from the environment
    timeoutMs: 30_000,
  },
  // maxDurationMs: the whole apply stops cleanly (state saved) after 2 hours, e.g. in a 429 storm.
  apply: { concurrency: 4, requestsPerSecond: 5, maxRetries: 5, maxDurationMs: 7_200_000 },
  prune: false,
  safety: { maxDeletes: 10, maxDeletePercent: 30 },
});
