import { z } from 'zod';
import { BODY, BODY_FIELDS, type BodyField } from './body-model.js';
import { definitionSchema, fragmentSchema } from './interview-schema.js';
import { webhookKind } from '../kinds/webhook.js';

/**
 * The JSON Schemas editors check definition files with (yaml-language-server, the server behind
 * VS Code's YAML extension), derived from the body model like everything else. One entry per kind
 * of file in EDITOR_SCHEMAS: its file name at the project root, the globs that associate it, and
 * how it is built; a new kind of file (webhooks) adds an entry. Pure: the version is passed in.
 */

export type JsonSchema = Record<string, unknown>;

export interface EditorSchemaKind {
  /** The file `micro1 schema --write` and `micro1 init` write at the project root. */
  file: string;
  /**
   * yaml.schemas globs for files under the kind's folder (project-relative, `/`-separated): the
   * interviews folder, or for another kind (webhooks) its own.
   * yaml-language-server ≥ 1.25 matches them with picomatch, each prefixed with `**∕`, and reads a
   * leading `!` as "but not". Two schemas whose globs both match a file are combined with allOf,
   * so the kinds' globs must not overlap.
   */
  globs(folder: string): string[];
  /** Whose folder the globs are under: 'interviews', or another kind's name. */
  folder: string;
  /** The schema without its `$id`, which carries the version. */
  build(): JsonSchema;
}

const DRAFT_7 = 'http://json-schema.org/draft-07/schema#';

/** A fragment is any file under a folder, or with a name, starting with `_` (load-definitions.ts). */
const fragmentGlobs = (dir: string) => [`${dir}/**/_*.yaml`, `${dir}/**/_*.yml`, `${dir}/**/_*/**/*.yaml`, `${dir}/**/_*/**/*.yml`];

export const EDITOR_SCHEMAS = {
  interview: {
    file: 'micro1.schema.json',
    folder: 'interviews',
    globs: (dir) => [`${dir}/**/*.yaml`, `${dir}/**/*.yml`, ...fragmentGlobs(dir).map((g) => `!${g}`)],
    build: (): JsonSchema => {
      const { required: _, ...schema } = objectSchema(definitionSchema);
      // A file that extends a fragment may take its name from it; whether it does, only `validate` can tell.
      return { ...schema, if: { required: ['extends'] }, else: { required: ['interview_name'] } };
    },
  },
  fragment: {
    file: 'micro1.fragment.schema.json',
    folder: 'interviews',
    globs: fragmentGlobs,
    build: (): JsonSchema => objectSchema(fragmentSchema),
  },
  /** `micro1 schema --kind webhook`: the kind's own schema (kinds/webhook.ts), for the webhooks folder. */
  webhook: {
    file: 'micro1.webhook.schema.json',
    folder: webhookKind.name,
    globs: (dir) => [`${dir}/**/*.yaml`, `${dir}/**/*.yml`],
    build: (): JsonSchema => z.toJSONSchema(webhookKind.schema, { target: 'draft-7', io: 'input' }) as JsonSchema,
  },
} as const satisfies Record<string, EditorSchemaKind>;

export type EditorSchemaName = keyof typeof EDITOR_SCHEMAS;
export const EDITOR_SCHEMA_NAMES = Object.keys(EDITOR_SCHEMAS) as EditorSchemaName[];

/** `urn:micro1-sync:<kind>-schema:<version>`: names the kind and the tool version that wrote it. */
export function editorSchemaId(name: EditorSchemaName, version: string): string {
  return `urn:micro1-sync:${name}-schema:${version}`;
}

/** The version in a schema `$id` this tool writes, if it is one. */
export function versionOfSchemaId(id: unknown): string | undefined {
  if (typeof id !== 'string') return undefined;
  return /^urn:micro1-sync:[a-z]+-schema:([0-9A-Za-z.+-]{1,64})$/.exec(id)?.[1];
}

export function editorSchema(name: EditorSchemaName, version: string): JsonSchema {
  const { $schema, ...rest } = EDITOR_SCHEMAS[name].build();
  return { $schema, $id: editorSchemaId(name, version), ...rest };
}

/** The file's text, as `micro1 schema` prints it and `--write` writes it. */
export function editorSchemaText(name: EditorSchemaName, version: string): string {
  return `${JSON.stringify(editorSchema(name, version), null, 2)}\n`;
}

/**
 * `yaml.schemas` for .vscode/settings.json: each schema file (relative to the workspace root) → its
 * globs, under the interviews folder or another kind's (`{ webhook: 'webhooks' }`, its default).
 */
export function editorAssociations(interviewsFolder: string, otherFolders: Readonly<Record<string, string>> = {}): Record<string, string[]> {
  const folderOf = (kind: EditorSchemaKind) => (kind.folder === 'interviews' ? interviewsFolder : (otherFolders[kind.folder] ?? DEFAULT_FOLDERS[kind.folder] ?? kind.folder));
  return Object.fromEntries(EDITOR_SCHEMA_NAMES.map((name) => [`./${EDITOR_SCHEMAS[name].file}`, EDITOR_SCHEMAS[name].globs(folderOf(EDITOR_SCHEMAS[name]).replace(/\/+$/, '') || '.')]));
}

const DEFAULT_FOLDERS: Readonly<Record<string, string>> = { [webhookKind.name]: webhookKind.defaultFolder };

/** Examples for the two keys that are ours, not micro1's. */
const OWN_EXAMPLES: Record<string, unknown[]> = {
  id: ['3f2b9c1e-8d4a-4b6f-9a7e-1c2d3e4f5a6b'],
  extends: ['_shared/engineering.yaml', ['_shared/engineering.yaml', '_shared/proctored.yaml']],
};

function objectSchema(schema: z.ZodObject): JsonSchema {
  const json = z.toJSONSchema(schema, { target: 'draft-7', io: 'input' }) as JsonSchema & { properties: Record<string, JsonSchema> };
  const properties: Record<string, JsonSchema> = {};
  for (const [key, property] of Object.entries(json.properties)) {
    properties[key] = isBodyField(key) ? bodyProperty(key, property) : { title: key, ...property, examples: OWN_EXAMPLES[key] };
  }
  return { ...json, properties };
}

/** A body field, with what an editor shows and completes: its name as title, its default, its example. */
function bodyProperty(field: BodyField, property: JsonSchema): JsonSchema {
  const declared = BODY[field];
  const out: JsonSchema = { title: field, ...property, ...('default' in declared ? { default: declared.default } : {}), examples: [declared.example] };
  const items = property.items as (JsonSchema & { properties: Record<string, JsonSchema> }) | undefined;
  const sample = Array.isArray(declared.example) ? (declared.example[0] as Record<string, unknown> | undefined) : undefined;
  if (items?.properties !== undefined && sample !== undefined) {
    // Completing an item inserts each required key's default, else 0 or "": time 0 is below its
    // minimum. Numbers and choices default to the example's; free text gets only an example.
    const itemProperties = Object.fromEntries(
      Object.entries(items.properties).map(([key, p]) => {
        const value = sample[key];
        if (value === undefined) return [key, p];
        return [key, { ...p, ...(typeof value === 'string' && p.enum === undefined ? {} : { default: value }), examples: [value] }];
      }),
    );
    out.items = { ...items, properties: itemProperties };
  }
  return out;
}

function isBodyField(key: string): key is BodyField {
  return (BODY_FIELDS as readonly string[]).includes(key);
}
