// ajv's errors -> stockade's ConfigError: one per place, worded from the schema itself
// (describe.ts), with the value found and a hint where a likely fix is known.
import type { SchemaError } from './generated/validate.js';
import type { ConfigError } from './errors.ts';
import { configSchema, describeExpected as describeIn, describeFound, propertyNamesOf, safeText, schemaAt as schemaIn, type SchemaNode } from './describe.ts';
import { escapeToken, valueAt } from './pointer.ts';
import { didYouMean } from './suggest.ts';

export type Locate = (pointer: string, at: 'key' | 'value') => { line: number; column: number } | undefined;

const OBJECT_KEYWORDS = new Set(['required', 'additionalProperties', 'propertyNames', 'minProperties', 'maxProperties']);

const IPV4 = /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/;

function located(error: Omit<ConfigError, 'kind'>, at: 'key' | 'value', locate: Locate): ConfigError {
  const position = locate(error.pointer, at);
  return { kind: 'schema', ...error, ...(position ?? {}) };
}

function withHint(hint: string | undefined): { hint?: string } {
  return hint ? { hint } : {};
}

/** The schema's x-aliases: names other tools use for an enum value (conntrackd's "nack" is ftfw). */
function aliasFor(node: SchemaNode, value: string | number): string | undefined {
  const aliases = node['x-aliases'];
  if (typeof aliases !== 'object' || aliases === null) return undefined;
  const key = String(value);
  const target = Object.prototype.hasOwnProperty.call(aliases, key) ? (aliases as Record<string, unknown>)[key] : undefined;
  return typeof target === 'string' ? `did you mean ${JSON.stringify(target)}?` : undefined;
}

/** A hint for a value of the wrong type or form, when the fix is obvious. */
function valueHint(node: SchemaNode, value: unknown): string | undefined {
  const types = Array.isArray(node['type']) ? (node['type'] as unknown[]) : [node['type']];
  const enumValues = Array.isArray(node['enum']) ? (node['enum'] as unknown[]) : [];
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if ((types.includes('integer') || types.includes('number') || enumValues.some((v) => typeof v === 'number')) && /^-?[0-9]+(\.[0-9]+)?$/.test(trimmed)) {
      return `write the number without quotes: ${trimmed}`;
    }
    if (types.includes('boolean') && (trimmed === 'true' || trimmed === 'false')) return `write ${trimmed} without quotes`;
    const alias = aliasFor(node, value);
    if (alias !== undefined) return alias;
    const candidates = enumValues.filter((v): v is string => typeof v === 'string');
    if (candidates.length > 0) return didYouMean(value, candidates);
    const expected = node['x-expected'];
    if (typeof expected === 'string') {
      if (/CIDR|network like/.test(expected) && !expected.includes('address or CIDR') && IPV4.test(value)) {
        return `add the prefix length, like ${value}/24`;
      }
      if (/^an IPv4 address like/.test(expected) && value.includes('/') && IPV4.test(value.split('/')[0] ?? '')) {
        return `write the address without the prefix length: ${value.split('/')[0]}`;
      }
      if (/interface/.test(expected) && value.length > 15) return 'Linux interface names have at most 15 characters';
    }
  }
  if (typeof value === 'number') {
    const alias = aliasFor(node, value);
    if (alias !== undefined) return alias;
  }
  if (types.includes('array') && !Array.isArray(value) && value !== undefined && typeof value !== 'object') {
    return `write a list: [${JSON.stringify(value)}]`;
  }
  if (typeof value === 'boolean' && types.includes('integer')) return `write ${value ? 1 : 0} for ${String(value)}`;
  if (types.includes('string') && (typeof value === 'number' || typeof value === 'boolean')) {
    return `write it in double quotes: "${String(value)}"`;
  }
  return undefined;
}

/** `root` is the schema the errors came from: the config schema unless given (the board file's). */
export function schemaErrors(errors: readonly SchemaError[], doc: unknown, locate: Locate, root: SchemaNode = configSchema): ConfigError[] {
  const schemaAt = (pointer: string): SchemaNode | undefined => schemaIn(pointer, root);
  const describeExpected = (node: SchemaNode): string => describeIn(node, root);
  const out: ConfigError[] = [];
  const seen = new Set<string>();
  const add = (error: ConfigError): void => {
    if (seen.has(error.pointer)) return; // one error per place: describeExpected covers every rule there
    seen.add(error.pointer);
    out.push(error);
  };
  // propertyNames reports twice: the failure inside the name schema (at the object's path, with
  // propertyName set only when ajv inlined that schema) and its own; keep the latter.
  const namesFailed = new Set(errors.filter((e) => e.keyword === 'propertyNames').map((e) => e.instancePath));
  for (const e of errors) {
    if (e.propertyName !== undefined) continue;
    if (namesFailed.has(e.instancePath) && !OBJECT_KEYWORDS.has(e.keyword)) continue;
    const params = e.params;
    switch (e.keyword) {
      case 'required': {
        const missing = String(params['missingProperty']);
        const pointer = `${e.instancePath}/${escapeToken(missing)}`;
        const node = schemaAt(pointer);
        add(located({ pointer, expected: `${node ? describeExpected(node) : 'a value'} (required)`, found: 'nothing' }, 'value', locate));
        break;
      }
      case 'additionalProperties': {
        const name = String(params['additionalProperty']);
        const pointer = `${e.instancePath}/${escapeToken(name)}`;
        const parent = schemaAt(e.instancePath);
        const known = parent ? propertyNamesOf(parent).filter((k) => k !== '$schema') : [];
        add(
          located(
            {
              pointer,
              expected: known.length > 0 ? `one of the known properties: ${known.join(', ')}` : 'no properties here',
              found: `unknown property ${safeText(JSON.stringify(name))}`,
              ...withHint(didYouMean(name, known)),
            },
            'key',
            locate,
          ),
        );
        break;
      }
      case 'propertyNames': {
        const name = String(params['propertyName']);
        const pointer = `${e.instancePath}/${escapeToken(name)}`;
        const names = schemaAt(e.instancePath)?.['propertyNames'];
        const expected = names && typeof names === 'object' ? describeExpected(names as SchemaNode) : 'a valid property name';
        add(located({ pointer, expected, found: `property name ${safeText(JSON.stringify(name))}` }, 'key', locate));
        break;
      }
      case 'uniqueItems': {
        const node = schemaAt(e.instancePath);
        const value = valueAt(doc, e.instancePath);
        add(
          located(
            {
              pointer: e.instancePath,
              expected: node ? describeExpected(node) : 'a list without repeats',
              found: describeFound(value),
              hint: `items ${[Number(params['i']), Number(params['j'])].sort((a, b) => a - b).join(' and ')} are the same`,
            },
            'value',
            locate,
          ),
        );
        break;
      }
      default: {
        const node = schemaAt(e.instancePath);
        const value = valueAt(doc, e.instancePath);
        add(
          located(
            {
              pointer: e.instancePath,
              expected: node ? describeExpected(node) : 'a valid value',
              found: describeFound(value),
              ...withHint(node ? valueHint(node, value) : undefined),
            },
            'value',
            locate,
          ),
        );
      }
    }
  }
  return out;
}
