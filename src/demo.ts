import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from './cli.js';
import { processIo } from './process-io.js';
import { startSandbox } from './sandbox/sandbox.js';
import { PACKAGE_ROOT } from './version.js';

/**
 * `npm run demo`: the example interviews and webhooks against a local sandbox, plan → apply → plan, in a
 * temporary copy so the repository's own state file is never touched. The sandbox is seeded with
 * the interview that interviews/design/product-designer.yaml pins, so adoption has something to adopt.
 */
const ADOPTED = { id: '3f2b9c4e-8d1a-4f6b-9e2c-7a5d1b8e6f40', body: { interview_name: 'Product Designer (created by hand)' } };
const DEMO_KEY = 'demo-key-for-the-local-sandbox';

const work = mkdtempSync(path.join(tmpdir(), 'micro1-demo-'));
cpSync(path.join(PACKAGE_ROOT, 'interviews'), path.join(work, 'interviews'), { recursive: true });
cpSync(path.join(PACKAGE_ROOT, 'webhooks'), path.join(work, 'webhooks'), { recursive: true });
writeFileSync(path.join(work, 'micro1.config.json'), `${JSON.stringify({ interviews: 'interviews', webhooks: 'webhooks', state: '.micro1/state.json' }, null, 2)}\n`);

const sandbox = await startSandbox({ apiKey: DEMO_KEY, seed: [ADOPTED] });
const io = processIo({ ...process.env, MICRO1_API_URL: sandbox.url, MICRO1_API_KEY: DEMO_KEY }, work);
const bold = (text: string) => (io.stdoutIsTTY && !process.env.NO_COLOR ? `\x1b[1m${text}\x1b[22m` : text);
const step = async (title: string, argv: string[]) => {
  io.stdout(`\n${bold(`$ micro1 ${argv.join(' ')}`)}   # ${title}\n\n`);
  return main(argv, io);
};

let code = 1;
try {
  io.stdout(`micro1 sandbox on ${sandbox.url}; working copy of the examples in ${work}\n`);
  const planned = await step('what would change', ['plan']);
  const applied = await step('make it so', ['apply', '--auto-approve']);
  const replanned = await step('nothing left to do: exit 0', ['plan', '--detailed-exitcode']);
  code = planned === 0 && applied === 0 && replanned === 0 ? 0 : 1;
  io.stdout(
    code === 0
      ? `\nDemo complete: ${sandbox.interviews().length} interviews and ${sandbox.webhooks().length} webhook${sandbox.webhooks().length === 1 ? '' : 's'} on the sandbox, ${sandbox.requests.length} requests, and the second plan is a no-op.\n`
      : '\nDemo failed: see the output above.\n',
  );
} finally {
  await sandbox.close();
  rmSync(work, { recursive: true, force: true });
}
process.exitCode = code;
