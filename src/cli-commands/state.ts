import { CONFIG_FLAG, defineCommand, EXIT, usageError } from './define.js';

export const state = defineCommand('state', {
  summary: 'List, show, remove or rename entries of the state file (sends nothing to micro1)',
  usage: 'micro1 state list | show KEY | rm KEY... | mv OLD NEW | merge BASE OURS THEIRS',
  positionals: true,
  args: {
    list: 'every managed interview: key, id, when it was applied',
    'show KEY': 'one entry: id, files, and the body last applied',
    'rm KEY...': 'stop managing these interviews; they stay on micro1',
    'mv OLD NEW': 'record an interview (or webhook:KEY) under a new key (its file was renamed without a pinned id)',
    'merge BASE OURS THEIRS': 'git merge driver: merge two states three-way by key into OURS (see docs/ci.md)',
  },
  flags: { json: { type: 'boolean', help: 'list and show as JSON' }, config: CONFIG_FLAG },
  notes: ['rm and mv take the state lock and write the state atomically.'],
  async run(values, positionals, io) {
    const [sub, ...args] = positionals;
    const commands = await import('../commands/state.js');
    const render = await import('../render/render-state.js');
    const base = { cwd: io.cwd, env: io.env, notice: (message: string) => io.stderr(`${message}\n`), ...(values.config ? { configPath: values.config } : {}) };
    const expect = (ok: boolean, usage: string) => {
      if (!ok) throw usageError(`usage: micro1 state ${usage}`, 'state');
    };
    const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
    if (sub === 'list') {
      expect(args.length === 0, 'list');
      const { state, statePath } = await commands.stateListCommand(base);
      io.stdout(values.json ? json(render.stateListToJson(state)) : render.renderStateList(state, statePath));
    } else if (sub === 'show') {
      expect(args.length === 1, 'show KEY');
      if (args[0]!.includes(':')) {
        const other = await commands.stateShowResourceCommand({ ...base, label: args[0]! });
        if (other !== undefined) {
          io.stdout(values.json ? json({ key: other.label, ...other.entry }) : render.renderResourceEntry(other.label, other.entry, other.file));
          return EXIT.ok;
        }
      }
      const shown = await commands.stateShowCommand({ ...base, key: args[0]! });
      io.stdout(values.json ? json({ key: shown.key, ...shown.entry }) : render.renderStateEntry(shown.key, shown.entry, shown.file));
    } else if (sub === 'rm') {
      expect(args.length > 0, 'rm KEY...');
      const { removed, statePath } = await commands.stateRmCommand({ ...base, keys: args });
      io.stdout(render.renderStateRm(removed, statePath));
    } else if (sub === 'mv') {
      expect(args.length === 2, 'mv OLD NEW');
      const moved = await commands.stateMvCommand({ ...base, from: args[0]!, to: args[1]! });
      io.stdout(render.renderStateMv(moved, moved.statePath));
    } else if (sub === 'merge') {
      expect(args.length === 3, 'merge BASE OURS THEIRS');
      const merged = commands.stateMergeCommand({ cwd: io.cwd, base: args[0]!, ours: args[1]!, theirs: args[2]! });
      io.stdout(`Merged the state by key: ${merged.interviews} interviews, serial ${merged.serial}.\n`);
    } else {
      throw usageError(sub === undefined ? 'state needs a subcommand: list, show, rm, mv or merge' : `Unknown state subcommand "${sub}": use list, show, rm, mv or merge`, 'state');
    }
    return EXIT.ok;
  },
});
