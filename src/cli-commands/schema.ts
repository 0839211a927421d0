import { defineCommand, EXIT, usageError } from './define.js';

export const schema = defineCommand('schema', {
  summary: 'Print the JSON Schema of an interview definition (for editors)',
  usage: 'micro1 schema [--kind interview|webhook]',
  flags: { kind: { type: 'string', value: 'KIND', help: 'interview (default), or webhook for files under webhooks/' } },
  notes: ['Save it and point yaml-language-server at it, e.g. first line of a file:', '  # yaml-language-server: $schema=../micro1.schema.json'],
  async run(values, _positionals, io) {
    const { schemaCommand } = await import('../commands/schema.js');
    const { KINDS } = await import('../kinds/kinds.js');
    const kind = values.kind ?? 'interview';
    if (kind !== 'interview' && !KINDS.some((k) => k.name === kind)) throw usageError(`--kind must be interview or ${KINDS.map((k) => k.name).join(' or ')}, not "${kind}"`, 'schema');
    io.stdout(schemaCommand(kind));
    return EXIT.ok;
  },
});
