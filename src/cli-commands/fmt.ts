import { CONFIG_FLAG, defineCommand, EXIT } from './define.js';
import { printDiagnostics } from './output.js';

export const fmt = defineCommand('fmt', {
  summary: 'Rewrite definitions and fragments in canonical key order and style, keeping comments',
  usage: 'micro1 fmt [--check]',
  flags: { check: { type: 'boolean', help: 'write nothing; exit 1 listing the files that would change (for CI)' }, config: CONFIG_FLAG },
  notes: ['Files with errors are reported and left as they are.'],
  async run(values, _positionals, io) {
    const { fmtCommand } = await import('../commands/fmt.js');
    const { renderFmtSummary } = await import('../render/render-fmt.js');
    const check = values.check;
    const outcome = await fmtCommand({ cwd: io.cwd, env: io.env, check, ...(values.config ? { configPath: values.config } : {}) });
    await printDiagnostics(io, outcome.diagnostics);
    io.stdout(renderFmtSummary(outcome, check));
    return outcome.diagnostics.length > 0 || (check && outcome.changed.length > 0) ? EXIT.error : EXIT.ok;
  },
});
