// A structural diff of two JSON values, as the operator reads it: lists of named objects are
// matched by name (an instance renamed is one removed and one added, and reordering a list of
// named things is no change), other lists and scalars are compared whole. Paths are RFC 6901
// pointers into the *new* value where it exists, else the old.
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface Difference {
  /** RFC 6901 pointer, e.g. /vrrp/instances/vi1/priority (named list items by name). */
  readonly path: string;
  readonly kind: 'added' | 'removed' | 'changed';
  readonly before?: Json;
  readonly after?: Json;
}

export const escapePointer = (key: string): string => key.replace(/~/g, '~0').replace(/\//g, '~1');

function isObject(v: unknown): v is { [key: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The key a list of objects is matched by, when every item has a distinct string one. */
export function itemKey(list: readonly Json[], keys: readonly string[] = ['name', 'interface']): string | undefined {
  for (const key of keys) {
    const seen = new Set<string>();
    if (list.every((item) => isObject(item) && typeof item[key] === 'string' && !seen.has(item[key] as string) && seen.add(item[key] as string))) return key;
  }
  return undefined;
}

export function equalJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equalJson(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => equalJson(a[k], b[k]));
  }
  return false;
}

export function diffJson(before: Json | undefined, after: Json | undefined, path = ''): Difference[] {
  if (before === undefined && after === undefined) return [];
  if (before === undefined) return [{ path, kind: 'added', after: after! }];
  if (after === undefined) return [{ path, kind: 'removed', before }];
  if (equalJson(before, after)) return [];
  if (isObject(before) && isObject(after)) {
    const out: Difference[] = [];
    const keys = [...Object.keys(before), ...Object.keys(after).filter((k) => !(k in before))];
    for (const k of keys) out.push(...diffJson(before[k], after[k], `${path}/${escapePointer(k)}`));
    return out;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const key = itemKey(before.length > 0 ? before : after);
    if (key !== undefined && itemKey(after, [key]) === key && itemKey(before, [key]) === key) {
      const named = (list: Json[]): Map<string, Json> => new Map(list.map((item) => [(item as { [k: string]: Json })[key] as string, item]));
      const a = named(before);
      const b = named(after);
      const out: Difference[] = [];
      for (const [name, item] of a) out.push(...diffJson(item, b.get(name), `${path}/${escapePointer(name)}`));
      for (const [name, item] of b) if (!a.has(name)) out.push({ path: `${path}/${escapePointer(name)}`, kind: 'added', after: item });
      return out;
    }
  }
  if (Array.isArray(before) && Array.isArray(after) && [...before, ...after].every(isObject)) return listDiff(before, after, path);
  return [{ path, kind: 'changed', before, after }];
}

/**
 * Lists of unnamed objects (firewall rules, routes): the longest common subsequence is kept, the
 * rest is removed (paths: index in the old list) or added (index in the new list), so inserting one
 * rule shows one added rule, not every rule after it changed.
 */
function listDiff(before: Json[], after: Json[], path: string): Difference[] {
  const same = (i: number, j: number): boolean => equalJson(before[i], after[j]);
  // The common head and tail are matched first: a change at one place in a long list (one public
  // address appended to a thousand) costs the length of the list, not its square.
  let head = 0;
  while (head < before.length && head < after.length && same(head, head)) head++;
  let tail = 0;
  while (tail < before.length - head && tail < after.length - head && same(before.length - 1 - tail, after.length - 1 - tail)) tail++;
  const n = before.length - tail;
  const m = after.length - tail;
  // What is left between them is a few hundred items at most: O(n*m) is fine.
  const lcs: number[][] = Array.from({ length: n - head + 1 }, () => new Array<number>(m - head + 1).fill(0));
  const at = (i: number, j: number): number => lcs[i - head]![j - head]!;
  for (let i = n - 1; i >= head; i--) for (let j = m - 1; j >= head; j--) lcs[i - head]![j - head] = same(i, j) ? at(i + 1, j + 1) + 1 : Math.max(at(i + 1, j), at(i, j + 1));
  const out: Difference[] = [];
  let i = head;
  let j = head;
  while (i < n || j < m) {
    if (i < n && j < m && same(i, j)) { i++; j++; continue; }
    if (j < m && (i >= n || at(i, j + 1) >= at(i + 1, j))) out.push({ path: `${path}/${j}`, kind: 'added', after: after[j++]! });
    else out.push({ path: `${path}/${i}`, kind: 'removed', before: before[i++]! });
  }
  return out;
}
