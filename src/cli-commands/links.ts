import { CONFIG_FLAG, defineCommand, EXIT } from './define.js';

export const links = defineCommand('links', {
  summary: 'List the invite link of each managed interview (key, id, link)',
  usage: 'micro1 links [KEY...] [--json] [--refresh]',
  positionals: true,
  args: { KEY: 'only this interview key, folder or glob (repeatable); default: every managed interview' },
  flags: {
    json: { type: 'boolean', help: 'print a JSON array of {key, id, invite_url}' },
    refresh: { type: 'boolean', help: 'first read the links micro1 lists (GET /interviews) and record them in the state' },
    config: CONFIG_FLAG,
  },
  notes: ['Reads the state only; --refresh needs the API key in MICRO1_API_KEY and takes the state lock.'],
  async run(values, positionals, io) {
    const { linksCommand } = await import('../commands/links.js');
    const render = await import('../render/render-links.js');
    const outcome = await linksCommand({
      cwd: io.cwd,
      env: io.env,
      keys: positionals,
      refresh: values.refresh,
      notice: (message) => io.stderr(`${message}\n`),
      ...(values.config ? { configPath: values.config } : {}),
    });
    io.stdout(values.json ? `${JSON.stringify(render.linksToJson(outcome.rows), null, 2)}\n` : render.renderLinks(outcome.rows, outcome.statePath, outcome.recorded));
    return EXIT.ok;
  },
});
