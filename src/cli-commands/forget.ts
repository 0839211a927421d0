import { visible } from '../render/neutralise.js';
import { CONFIG_FLAG, defineCommand, EXIT, usageError } from './define.js';

export const forget = defineCommand('forget', {
  summary: 'Stop managing interviews whose file is gone, leaving them on micro1',
  usage: 'micro1 forget KEY...',
  positionals: true,
  args: { KEY: 'a key recorded in the state (path under the interviews folder, no extension; webhook:KEY for a webhook)' },
  flags: { config: CONFIG_FLAG },
  notes: [
    'Drops each key from the state file under the state lock; micro1 is not touched and no API key is needed.',
    'Refuses a key whose file still exists (the next apply would create it again).',
  ],
  async run(values, positionals, io) {
    if (positionals.length === 0) throw usageError('forget needs at least one key', 'forget');
    const { forgetCommand } = await import('../commands/forget.js');
    const outcome = await forgetCommand({
      cwd: io.cwd,
      env: io.env,
      keys: positionals,
      ...(values.config ? { configPath: values.config } : {}),
      notice: (message) => io.stderr(`${message}\n`),
    });
    for (const f of outcome.forgotten) {
      io.stdout(`Forgot ${visible(f.key)}${f.id === undefined ? '' : ` (${visible(f.id)})`}: it stays on micro1, no longer managed.\n`);
    }
    io.stdout(`State saved to ${outcome.statePath}.\n`);
    return EXIT.ok;
  },
});
