import { defineCommand, EXIT } from './define.js';

export const schema = defineCommand('schema', {
  summary: 'Print the JSON Schema of an interview definition (for editors)',
  usage: 'micro1 schema',
  flags: {},
  notes: ['Save it and point yaml-language-server at it, e.g. first line of a file:', '  # yaml-language-server: $schema=../micro1.schema.json'],
  async run(_values, _positionals, io) {
    const { schemaCommand } = await import('../commands/schema.js');
    io.stdout(schemaCommand());
    return EXIT.ok;
  },
});
