import { defineCommand, EXIT } from './define.js';
import { importCmd } from './import.js';

export const init = defineCommand('init', {
  summary: 'Set up this folder for micro1-sync: config, interviews, .gitignore, editor schemas, CI workflow',
  usage: 'micro1 init [--import]',
  flags: {
    import: { type: 'boolean', help: 'then import what exists on micro1 (needs MICRO1_API_KEY) instead of writing an example' },
  },
  notes: [
    'Writes only what is missing and never over an existing file; merges into .vscode/settings.json',
    'only when it is plain JSON. Run it again at any time: it says what is already there.',
  ],
  async run(values, _positionals, io) {
    const { initCommand } = await import('../commands/init.js');
    const { renderInitSummary } = await import('../render/render-init.js');
    const outcome = await initCommand({ cwd: io.cwd, env: io.env, importing: values.import });
    if (!values.import) {
      io.stdout(renderInitSummary(outcome, 'Next: run `micro1 plan` to see what apply would create (no API key needed), then commit these files.'));
      return EXIT.ok;
    }
    io.stdout(renderInitSummary(outcome, 'Importing what exists on micro1:'));
    // Exactly `micro1 import`, run in the folder just set up.
    const code = await importCmd.parse([]).run(io);
    if (code === EXIT.ok) io.stdout('\nNext: run `micro1 plan`: it shows no changes for what was imported. Then commit these files.\n');
    return code;
  },
});
