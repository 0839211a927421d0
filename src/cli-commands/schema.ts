import { CONFIG_FLAG, defineCommand, EXIT } from './define.js';

export const schema = defineCommand('schema', {
  summary: 'Print the JSON Schema of an interview definition (for editors)',
  usage: 'micro1 schema [--fragment] [--write]',
  flags: {
    fragment: { type: 'boolean', help: "print the fragment schema (files and folders named _*) instead" },
    write: { type: 'boolean', help: 'write both schema files at the project root instead of printing, replacing them' },
    config: CONFIG_FLAG,
  },
  notes: [
    '`micro1 init` writes micro1.schema.json, micro1.fragment.schema.json and a .vscode/settings.json',
    'that associates them by glob; `validate` warns when a committed schema file is out of date.',
  ],
  async run(values, _positionals, io) {
    const { schemaCommand, writeSchemasCommand } = await import('../commands/schema.js');
    if (values.write) {
      const written = await writeSchemasCommand({ cwd: io.cwd, env: io.env, ...(values.config ? { configPath: values.config } : {}) });
      for (const file of written) io.stdout(`Wrote ${file}\n`);
      return EXIT.ok;
    }
    io.stdout(schemaCommand(values.fragment ? 'fragment' : 'interview'));
    return EXIT.ok;
  },
});
