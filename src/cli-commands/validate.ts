import { countLine } from '../diagnostics.js';
import { CONFIG_FLAG, defineCommand, EXIT } from './define.js';
import { printDiagnostics } from './output.js';

export const validate = defineCommand('validate', {
  summary: 'Check every definition and the state file; send nothing',
  usage: 'micro1 validate [--json]',
  flags: { json: { type: 'boolean', help: 'print the diagnostics as JSON' }, config: CONFIG_FLAG },
  async run(values, _positionals, io) {
    const { validateCommand, validationToJson, resourceCounts } = await import('../commands/validate.js');
    const outcome = await validateCommand({ cwd: io.cwd, env: io.env, ...(values.config ? { configPath: values.config } : {}) });
    const { diagnostics, definitions, config } = outcome.project;
    const gh = await import('../render/github.js');
    const github = gh.githubContext(io.env);
    if (github.annotations) io.annotate(gh.diagnosticAnnotations(diagnostics, (file) => gh.repoPath(config.projectRoot, file, github.workspace)));
    if (values.json) io.stdout(`${JSON.stringify(validationToJson(outcome), null, 2)}\n`);
    await printDiagnostics(io, diagnostics);
    const { KINDS } = await import('../kinds/kinds.js');
    const counts = resourceCounts(outcome.project.resources);
    const others = KINDS.filter((k) => counts[k.labels.many] !== undefined).map((k) => `, ${counts[k.labels.many]} valid ${counts[k.labels.many] === 1 ? k.labels.one : k.labels.many}`);
    const summary = `${definitions.length} valid interview${definitions.length === 1 ? '' : 's'}${others.join('')}; ${countLine(diagnostics)}.`;
    (values.json ? io.stderr : io.stdout)(`${summary}\n`);
    return outcome.valid ? EXIT.ok : EXIT.error;
  },
});
