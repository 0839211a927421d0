import { CONFIG_FLAG, defineCommand, EXIT, usageError } from './define.js';

export const schema = defineCommand('schema', {
  summary: 'Print the JSON Schema of an interview definition (for editors)',
  usage: 'micro1 schema [--fragment] [--kind interview|webhook] [--write]',
  flags: {
    fragment: { type: 'boolean', help: "print the fragment schema (files and folders named _*) instead" },
    kind: { type: 'string', value: 'KIND', help: 'interview (default), or webhook for files under webhooks/' },
    write: { type: 'boolean', help: 'write the schema files (interview, fragment, webhook) at the project root instead of printing, replacing them' },
    config: CONFIG_FLAG,
  },
  notes: [
    '`micro1 init` writes micro1.schema.json, micro1.fragment.schema.json, micro1.webhook.schema.json and a .vscode/settings.json',
    'that associates them by glob; `validate` warns when a committed schema file is out of date.',
  ],
  async run(values, _positionals, io) {
    const { resourceSchemaCommand, schemaCommand, writeSchemasCommand } = await import('../commands/schema.js');
    if (values.write) {
      const written = await writeSchemasCommand({ cwd: io.cwd, env: io.env, ...(values.config ? { configPath: values.config } : {}) });
      for (const file of written) io.stdout(`Wrote ${file}\n`);
      return EXIT.ok;
    }
    const kind = values.kind ?? 'interview';
    if (kind !== 'interview') {
      const { KINDS } = await import('../kinds/kinds.js');
      if (!KINDS.some((k) => k.name === kind)) throw usageError(`--kind must be interview or ${KINDS.map((k) => k.name).join(' or ')}, not "${kind}"`, 'schema');
      io.stdout(resourceSchemaCommand(kind));
      return EXIT.ok;
    }
    io.stdout(schemaCommand(values.fragment ? 'fragment' : 'interview'));
    return EXIT.ok;
  },
});
