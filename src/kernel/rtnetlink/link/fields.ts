// How a link kind's options are read: a table of [attribute type, field, reader] per nest, decoded
// in one pass over an index of the nest (no Attribute objects: dumps of hundreds of links).
import { indexAttributes, u16At, u32At, u8At, wantedTypes } from '../../netlink/attributes.ts';
import { NetlinkParseError } from '../../netlink/message.ts';
import { macAt } from '../../../common/index.ts';

/** u8 / u16 / u32 (host order), bool (a u8), be16, mac (6 bytes as text). */
export type Reader = 'u8' | 'u16' | 'u32' | 'bool' | 'be16' | 'mac';

export interface FieldSpec {
  readonly fields: ReadonlyArray<readonly [type: number, key: string, read: Reader]>;
  readonly types: Uint8Array;
  /** indexAttributes' table, reused (decodeFields does not nest). */
  readonly at: Int32Array;
}

export function fieldSpec(fields: FieldSpec['fields']): FieldSpec {
  const types = wantedTypes(fields.map(([t]) => t));
  return { fields, types, at: new Int32Array(2 * types.length) };
}

/** The fields of `spec` found in the nest p[start, end) (absent ones are left out). */
export function decodeFields<T>(p: Buffer, start: number, end: number, spec: FieldSpec): T {
  const at = spec.at;
  indexAttributes(p, start, end, spec.types, at);
  const o: Record<string, number | boolean | string> = {};
  for (const [type, key, read] of spec.fields) {
    const s = at[2 * type]!;
    if (s < 0) continue;
    const e = at[2 * type + 1]!;
    switch (read) {
      case 'u8': o[key] = u8At(p, type, s, e); break;
      case 'bool': o[key] = u8At(p, type, s, e) !== 0; break;
      case 'u16': o[key] = u16At(p, type, s, e); break;
      case 'u32': o[key] = u32At(p, type, s, e); break;
      case 'be16':
        if (e - s < 2) throw new NetlinkParseError(`attribute ${type}: be16 needs 2 bytes, has ${e - s}`, 0);
        o[key] = (p[s]! << 8) | p[s + 1]!;
        break;
      case 'mac': o[key] = macAt(p, s, e); break;
    }
  }
  return o as T;
}
