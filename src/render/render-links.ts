import { plural } from '../diagnostics.js';
import type { LinkRow } from '../plan/invite-links.js';
import { visible } from './neutralise.js';

/** Where a link would be when none is recorded. */
const NONE = '(no link recorded)';

/** `micro1 links`: key, id and invite link per interview, aligned; then what to do about missing links. */
export function renderLinks(rows: readonly LinkRow[], statePath: string, recorded: number | undefined): string {
  const keys = rows.map((r) => visible(r.key));
  const ids = rows.map((r) => visible(r.id));
  let keyWidth = 0;
  let idWidth = 0;
  for (let i = 0; i < rows.length; i++) {
    keyWidth = Math.max(keyWidth, keys[i]!.length);
    idWidth = Math.max(idWidth, ids[i]!.length);
  }
  const lines = rows.map((r, i) => `${keys[i]!.padEnd(keyWidth)}  ${ids[i]!.padEnd(idWidth)}  ${r.inviteUrl === undefined ? NONE : visible(r.inviteUrl)}`);
  if (recorded !== undefined) lines.push(`Read the links micro1 lists: ${plural(recorded, 'link')} newly recorded in ${visible(statePath)}.`);
  if (rows.length === 0) lines.push(`No interview is managed in ${visible(statePath)} yet: \`micro1 apply\` or \`micro1 import\` records them.`);
  const missing = rows.filter((r) => r.inviteUrl === undefined).length;
  if (missing > 0 && recorded === undefined) lines.push(`${plural(missing, 'interview')} without a recorded link (adopted by a pinned id, or applied by an older micro1-sync): \`micro1 links --refresh\` reads them from micro1.`);
  else if (missing > 0) lines.push(`${plural(missing, 'interview')} still without a link: micro1 did not list one for ${missing === 1 ? 'it' : 'them'}.`);
  return `${lines.join('\n')}\n`;
}

export function linksToJson(rows: readonly LinkRow[]): unknown {
  return rows.map((r) => ({ key: r.key, id: r.id, invite_url: r.inviteUrl ?? null }));
}
