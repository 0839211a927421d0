#!/usr/bin/env node
import { enablePrivateCompileCache } from './private-cache.js';

// Most of a short `plan` is V8 compiling the bundle: on Node 22.1 and later a cached start skips
// it (private-cache.ts says where the cache may live). Enabled before the rest is imported, or it
// would not cover it; Node 20 has no such cache.
enablePrivateCompileCache();

const { main } = await import('./cli.js');
const { processIo } = await import('./process-io.js');
process.exitCode = await main(process.argv.slice(2), processIo());
