import type { ValueShape } from '../definitions/body-model.js';

/**
 * A check that a value has a shape (state.ts's fast path, before zod is asked why not), compiled
 * into one plain function per object and list: `o["interview_name"]` at a site of its own stays
 * monomorphic, where one generic loop over the fields (`o[field.key]`) was a megamorphic lookup
 * per value, a fifth of reading a 10,000-interview state.
 *
 * The generated code holds nothing but the declaration's own field names (as JSON string
 * literals) and the kinds' fixed tests; enum values are data (sets passed in), never code. Where
 * code generation is disallowed (`--disallow-code-generation-from-strings`), the check says no,
 * and the state is checked by zod instead: slower, never wrong.
 */
export function shapeChecker(shape: ValueShape): (value: unknown) => boolean {
  const sets: ReadonlySet<unknown>[] = [];
  const functions: string[] = [];
  const test = (node: ValueShape, value: string): string => {
    switch (node.kind) {
      case 'string':
      case 'boolean':
      case 'number':
        return `typeof ${value} === '${node.kind}'`;
      case 'enum':
        sets.push(new Set(node.values));
        return `sets[${sets.length - 1}].has(${value})`;
      case 'list': {
        const name = `list${functions.length}`;
        const at = functions.push('') - 1;
        functions[at] = `function ${name}(a) {
  if (!Array.isArray(a)) return false;
  for (let i = 0; i < a.length; i++) { const x = a[i]; if (!(${test(node.item, 'x')})) return false; }
  return true;
}`;
        return `${name}(${value})`;
      }
      case 'object': {
        const name = `object${functions.length}`;
        const at = functions.push('') - 1;
        const fields = Object.entries(node.fields).map(([key, field]) => {
          const missing = field.optional ? 'false' : 'true';
          return `  x = o[${JSON.stringify(key)}]; if (x === undefined ? ${missing} : !(${test(field.shape, 'x')})) return false;`;
        });
        functions[at] = `function ${name}(o) {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return false;
  let x;
${fields.join('\n')}
  return true;
}`;
        return `${name}(${value})`;
      }
    }
  };
  const top = test(shape, 'v');
  try {
    return new Function('sets', `'use strict';\n${functions.join('\n')}\nreturn (v) => ${top};`)(sets) as (value: unknown) => boolean;
  } catch {
    return () => false;
  }
}
