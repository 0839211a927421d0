import { apply } from './apply.js';
import type { Command } from './define.js';
import { fmt } from './fmt.js';
import { forget } from './forget.js';
import { importCmd } from './import.js';
import { links } from './links.js';
import { init } from './init.js';
import { plan } from './plan.js';
import { sandbox } from './sandbox.js';
import { schema } from './schema.js';
import { state } from './state.js';
import { validate } from './validate.js';

/** Every command, in the order the top help lists them. */
export const COMMANDS: Record<string, Command> = { init, plan, apply, sandbox, validate, forget, import: importCmd, fmt, state, links, schema };

export { EXIT, type Command } from './define.js';
