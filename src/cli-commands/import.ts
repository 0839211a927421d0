import { visible } from '../render/neutralise.js';
import { CONFIG_FLAG, defineCommand, EXIT, usageError } from './define.js';
import { printDiagnostics } from './output.js';

export const importCmd = defineCommand('import', {
  summary: 'Write a definition for each interview on micro1 not managed yet, and record it in state',
  usage: 'micro1 import [--keyword TEXT] [--dir DIR] [--dry-run] [--force] [--kind interview|webhook]',
  flags: {
    kind: { type: 'string', value: 'KIND', help: 'interview (default), or webhook: write webhooks/<event>-<host>.yaml for each unmanaged webhook' },
    keyword: { type: 'string', value: 'TEXT', help: 'only interviews whose name contains TEXT' },
    dir: { type: 'string', value: 'DIR', help: 'write new files in this folder under the interviews folder (default: the interviews folder itself)' },
    'dry-run': { type: 'boolean', help: 'list what would be written and recorded; write nothing' },
    force: { type: 'boolean', help: 'replace a file that pins a listed id but says something else' },
    config: CONFIG_FLAG,
  },
  notes: [
    'Needs the API key in MICRO1_API_KEY. Writes interviews/<name>.yaml with the id pinned, never',
    'over an existing file (-2, -3… instead, also for names differing only in case), never a name',
    'Windows reserves (con, nul, com1…), skips interviews already in state, and records the rest.',
  ],
  async run(values, _positionals, io) {
    const { importCommand } = await import('../commands/import.js');
    const { renderImportSummary } = await import('../render/render-import.js');
    const { KINDS } = await import('../kinds/kinds.js');
    if (values.kind !== undefined && values.kind !== 'interview' && !KINDS.some((k) => k.name === values.kind)) {
      throw usageError(`--kind must be interview or ${KINDS.map((k) => k.name).join(' or ')}, not "${values.kind}"`, 'import');
    }
    // Not yet for other kinds: refused before anything is read or written, rather than ignored.
    const interviewOnly = values['dry-run'] ? '--dry-run' : values.dir !== undefined ? '--dir' : undefined;
    if (values.kind !== undefined && values.kind !== 'interview' && interviewOnly !== undefined) {
      throw usageError(`${interviewOnly} is for interviews; \`micro1 import --kind ${values.kind}\` writes one file per unmanaged ${values.kind} under its folder, and none over an existing file`, 'import');
    }
    const outcome = await importCommand({
      cwd: io.cwd,
      env: io.env,
      force: values.force,
      dryRun: values['dry-run'],
      ...(values.dir !== undefined ? { dir: values.dir } : {}),
      notice: (message) => io.stderr(`${message}\n`),
      ...(values.config ? { configPath: values.config } : {}),
      ...(values.keyword !== undefined ? { keyword: values.keyword } : {}),
      ...(values.kind !== undefined ? { kind: values.kind } : {}),
    });
    if (outcome.kind === 'invalid') {
      await printDiagnostics(io, outcome.project.diagnostics, 'nothing was imported.');
      return EXIT.error;
    }
    if (outcome.kind === 'imported-resources') {
      const { renderResourceImportSummary } = await import('../render/render-import.js');
      io.stdout(renderResourceImportSummary(outcome.resourceKind, outcome.result, outcome.listed, outcome.statePath));
      return EXIT.ok;
    }
    for (const warning of outcome.listWarnings) io.stderr(`warning: ${visible(warning)}\n`);
    io.stdout(renderImportSummary(outcome.result, outcome.listed, outcome.statePath, outcome.dryRun));
    return EXIT.ok;
  },
});
