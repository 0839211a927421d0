#!/usr/bin/env node
import module from 'node:module';

// Node 22.1 and later keep the code V8 compiled for each module in an on-disk cache (in the
// system's temporary folder, or NODE_COMPILE_CACHE; NODE_DISABLE_COMPILE_CACHE=1 turns it off),
// as tsc does: most of a `plan` start is compiling the bundle, and a cached start skips it. The
// cache is checked against each module's source, so a new version is compiled afresh. Enabled
// before the rest is imported, or it would not cover it; Node 20 has no such cache.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();

const { main } = await import('./cli.js');
const { processIo } = await import('./process-io.js');
process.exitCode = await main(process.argv.slice(2), processIo());
