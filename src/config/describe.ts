// Words for errors: what the schema expects at a place ("an integer from 1 to 255") and what
// was found there, abbreviated and safe to print on a terminal.
//
// The schema has no oneOf/anyOf, so the schema for any place in a document is found by walking
// the document's pointer through properties / additionalProperties / items and $ref.
import { schema as generatedSchema } from './generated/schema.js';
import { splitPointer } from './pointer.ts';
import { terminalSafe } from './terminal-text.ts';

export type SchemaNode = { readonly [keyword: string]: unknown };

export const configSchema: SchemaNode = generatedSchema;

function isNode(value: unknown): value is SchemaNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A node with its local $ref resolved; keywords next to the $ref win (description, default). */
export function deref(node: SchemaNode, root: SchemaNode = configSchema): SchemaNode {
  let current = node;
  for (let hops = 0; hops < 16 && typeof current['$ref'] === 'string'; hops++) {
    const ref = current['$ref'];
    if (!ref.startsWith('#/')) break;
    let target: unknown = root;
    for (const token of splitPointer(ref.slice(1))) target = isNode(target) ? target[token] : undefined;
    if (!isNode(target)) break;
    const { $ref: _ignored, ...siblings } = current;
    current = { ...target, ...siblings };
  }
  return current;
}

/** The schema that applies to the value at `pointer`, or undefined outside the schema. */
export function schemaAt(pointer: string, root: SchemaNode = configSchema): SchemaNode | undefined {
  let node: SchemaNode | undefined = deref(root, root);
  for (const token of splitPointer(pointer)) {
    if (!node) return undefined;
    node = childSchema(node, token, root);
  }
  return node;
}

function childSchema(node: SchemaNode, token: string, root: SchemaNode): SchemaNode | undefined {
  const properties = node['properties'];
  if (isNode(properties) && Object.prototype.hasOwnProperty.call(properties, token)) {
    const sub = properties[token];
    return isNode(sub) ? deref(sub, root) : undefined;
  }
  if (/^(0|[1-9][0-9]*)$/.test(token) && isNode(node['items'])) return deref(node['items'], root);
  const extra = node['additionalProperties'];
  return isNode(extra) ? deref(extra, root) : undefined;
}

/** Property names an object schema allows, in schema order. */
export function propertyNamesOf(node: SchemaNode): string[] {
  const properties = node['properties'];
  return isNode(properties) ? Object.keys(properties) : [];
}

function typesOf(node: SchemaNode): string[] {
  const t = node['type'];
  return typeof t === 'string' ? [t] : Array.isArray(t) ? t.filter((x): x is string => typeof x === 'string') : [];
}

function num(node: SchemaNode, keyword: string): number | undefined {
  const v = node[keyword];
  return typeof v === 'number' ? v : undefined;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function rangeText(node: SchemaNode, noun: string): string {
  const min = num(node, 'minimum');
  const max = num(node, 'maximum');
  const step = num(node, 'multipleOf');
  let text =
    min !== undefined && max !== undefined
      ? `${noun} from ${min} to ${max}`
      : min !== undefined
        ? `${noun} of at least ${min}`
        : max !== undefined
          ? `${noun} of at most ${max}`
          : noun;
  if (step !== undefined) text += ` in steps of ${step}`;
  return text;
}

/** What a schema node accepts, in words. `root` resolves its $refs (the config schema unless given). */
export function describeExpected(input: SchemaNode, root: SchemaNode = configSchema): string {
  const node = deref(input, root);
  const custom = node['x-expected'];
  if (typeof custom === 'string') return custom;
  if ('const' in node) return JSON.stringify(node['const']);
  const values = node['enum'];
  if (Array.isArray(values)) return `one of: ${values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ')}`;
  const parts = typesOf(node).map((type) => describeType(node, type, root));
  if (parts.length === 0) return 'a valid value';
  return parts.join(' or ');
}

function describeType(node: SchemaNode, type: string, root: SchemaNode): string {
  switch (type) {
    case 'integer':
      return rangeText(node, 'an integer');
    case 'number':
      return rangeText(node, 'a number');
    case 'boolean':
      return 'true or false';
    case 'null':
      return 'null';
    case 'string': {
      const max = num(node, 'maxLength');
      const min = num(node, 'minLength');
      if (min !== undefined && max !== undefined) return `a string of ${min} to ${max} characters`;
      if (max !== undefined) return `a string of at most ${plural(max, 'character')}`;
      if (min !== undefined) return `a string of at least ${plural(min, 'character')}`;
      return 'a string';
    }
    case 'array': {
      const min = num(node, 'minItems');
      const max = num(node, 'maxItems');
      let text = 'a list';
      if (min !== undefined && max !== undefined) text += ` of ${min} to ${max} items`;
      else if (min !== undefined && min > 0) text += ` of at least ${plural(min, 'item')}`;
      else if (max !== undefined) text += ` of at most ${plural(max, 'item')}`;
      if (node['uniqueItems'] === true) text += ' without repeats';
      const items = node['items'];
      if (isNode(items)) {
        const each = describeExpected(items, root);
        if (each !== 'a valid value') text += `, each ${each}`;
      }
      return text;
    }
    case 'object':
      return 'an object';
    default:
      return type;
  }
}

const MAX_FOUND = 60;

/**
 * The value found, as compact JSON cut to about 60 characters, with its size when cut:
 * `"abc…" (200 characters)`, `{"name":"bond0","mode":… (object, 5 properties)`, `nothing`.
 */
export function describeFound(value: unknown): string {
  if (value === undefined) return 'nothing';
  const out: string[] = [];
  let length = 0;
  const budget = MAX_FOUND + 1;
  const push = (s: string): boolean => {
    out.push(s);
    length += s.length;
    return length < budget;
  };
  const write = (v: unknown): boolean => {
    if (Array.isArray(v)) {
      if (!push('[')) return false;
      for (let i = 0; i < v.length; i++) {
        if (i > 0 && !push(',')) return false;
        if (!write(v[i])) return false;
      }
      return push(']');
    }
    if (typeof v === 'object' && v !== null) {
      if (!push('{')) return false;
      let first = true;
      for (const [k, x] of Object.entries(v)) {
        if (!first && !push(',')) return false;
        first = false;
        if (!push(JSON.stringify(k) + ':')) return false;
        if (!write(x)) return false;
      }
      return push('}');
    }
    return push(typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v === null ? JSON.stringify(v) ?? 'null' : String(v));
  };
  const complete = write(value);
  let text = out.join('');
  if (!complete || text.length > MAX_FOUND) {
    text = text.slice(0, MAX_FOUND - 1).replace(/[\ud800-\udbff]$/, '') + '…';
    if (typeof value === 'string') text += ` (${plural([...value].length, 'character')})`;
    else if (Array.isArray(value)) text += ` (list of ${plural(value.length, 'item')})`;
    else if (typeof value === 'object' && value !== null) text += ` (object with ${plural(Object.keys(value).length, 'property').replace('propertys', 'properties')})`;
  }
  return safeText(text);
}

/** Escapes what a terminal would act on (control and bidi characters); JSON already escaped most. */
export function safeText(text: string): string {
  return terminalSafe(text);
}
