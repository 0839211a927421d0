import type { z } from 'zod';

/**
 * The seam between micro1-sync and one kind of micro1 configuration.
 *
 * Interviews came first and keep their own, richer pipeline (fragments, pinned ids, moved files,
 * fields the list hides): definitions/ → plan/planner.ts → apply/applier.ts. Every other kind is
 * a flat body with a natural identity, and is described by one `ResourceKind` value: what differs
 * per kind lives here, and the generic stages iterate over `KINDS` (kinds/kinds.ts):
 *
 *   definitions/load-resources.ts   reads `<folder>/**.yaml`, keys from paths, validates via `parse`
 *   plan/resource-planner.ts        pure: files + state entries → create / update / delete / no-op
 *   plan/plan-all.ts                both planners, and `--target KIND:KEY` selection
 *   state/state.ts (version 2)      `state[stateKey]` entries, each with its `kind`
 *   api/client.ts (resource calls)  `endpoints` and `createdId`, same envelope checks
 *   apply/resource-applier.ts       same limiter, retries, journal; unknown-outcome create
 *                                   reconciled through `identity` on the list, never re-sent blindly
 *   render/render-resources.ts      text, Markdown and JSON, `labels`, `prominent` fields
 *   sandbox/                        its own reading of the document (imports nothing here)
 *
 * Adding a kind is one module beside webhook.ts plus its entry in KINDS; no interview file changes.
 * Pure: nothing here (nor in a kind module) does I/O, so the planner may import it.
 */

/** A body as sent to micro1 and kept in state: a flat record of JSON values in `fields` order. */
export type ResourceBody = Readonly<Record<string, string>>;

/** One problem in a definition file, at a path inside it (the loader maps it to a line). */
export interface ResourceIssue {
  path: (string | number)[];
  message: string;
  hint?: string;
  /** Point at the key itself (an unknown key), not its value. */
  atKey?: boolean;
}

export interface ResourceKind {
  /** Singular id: the `kind` in state and JSON, and the prefix of `--target webhook:KEY`. */
  readonly name: string;
  readonly labels: { one: string; many: string };
  /** The config setting naming its folder, and the folder when unset. */
  readonly folderSetting: string;
  readonly defaultFolder: string;
  /** The record in a version-2 state file holding this kind's entries. */
  readonly stateKey: string;
  /** Body fields in request and file order (fmt, import, state); also the keys a file may have. */
  readonly fields: readonly string[];
  /** Fields whose change is shown prominently in a plan (a webhook's url redirects candidate data). */
  readonly prominent: readonly string[];
  /** The per-field schema, for `micro1 schema` and for editors. */
  readonly schema: z.ZodType;
  /** A file's parsed YAML → canonical body, or the issues that stop it. Pure. */
  parse(value: Record<string, unknown>): { body?: ResourceBody; issues: ResourceIssue[] };
  /** What identifies one on micro1 when its id is unknown (a create whose outcome is unknown). */
  identity(body: ResourceBody): string;
  /** The identity as a reader sees it, for messages ("url + event"). */
  readonly identityLabel: string;
  /** A one-line description of the body, for lists (`state list`, unmanaged items). */
  summary(body: ResourceBody): string;
  readonly endpoints: {
    create: string;
    list: string;
    /** Path of one item; `id` is already checked and encoded. */
    item(id: string): string;
  };
  /** The id in a create's answer, if the answer has a usable one. */
  createdId(answer: Record<string, unknown>): string | undefined;
  /** One item of the list answer → id and canonical body; undefined when unusable. */
  fromList(item: unknown): { id: string; body: ResourceBody } | undefined;
}
