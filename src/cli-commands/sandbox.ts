import { defineCommand, EXIT } from './define.js';

export const sandbox = defineCommand('sandbox', {
  summary: 'Run a local micro1-compatible API to try plan and apply without an account',
  usage: 'micro1 sandbox [--port N] [--seed FILE] [--persist FILE] [--api-key KEY]',
  flags: {
    port: { type: 'string', short: 'p', value: 'N', help: 'port on 127.0.0.1 (default: a free one)' },
    seed: { type: 'string', value: 'FILE', help: 'YAML/JSON list of interviews to start with ({id?, interview_name, ...})' },
    persist: { type: 'string', value: 'FILE', help: 'keep the interviews in this JSON file across restarts' },
    'api-key': { type: 'string', value: 'KEY', help: 'accept only this key (default: any non-empty key)' },
  },
  notes: ["Serves POST/PUT/DELETE /interview and GET /interviews with the API's validation and envelopes.", 'Stops on Ctrl-C.'],
  async run(values, _positionals, io) {
    const port = values.port === undefined ? undefined : Number(values.port);
    const { sandboxCommand } = await import('../commands/sandbox.js');
    const sandbox = await sandboxCommand({
      cwd: io.cwd,
      ...(port !== undefined ? { port } : {}),
      ...(values.seed ? { seedFile: values.seed } : {}),
      ...(values.persist ? { persistFile: values.persist } : {}),
      ...(values['api-key'] ? { apiKey: values['api-key'] } : {}),
    });
    io.stdout(
      `micro1 sandbox listening on ${sandbox.url} with ${sandbox.interviews().length} interview(s)\n` +
        `Point micro1-sync at it:\n  export MICRO1_API_URL=${sandbox.url}\n  export MICRO1_API_KEY=${values['api-key'] ? '<the key you gave>' : 'any-value'}\n` +
        'Press Ctrl-C to stop.\n',
    );
    await new Promise<void>((resolve) => {
      const stop = io.onSignal?.(() => {
        stop?.();
        resolve();
      });
      if (stop === undefined) resolve();
    });
    await sandbox.close();
    io.stdout('micro1 sandbox stopped.\n');
    return EXIT.ok;
  },
});
