// JSON pointers (RFC 6901): how every config error says where it is.

export function escapeToken(token: string | number): string {
  // Most tokens are indexes and plain keys: no regex for them (a config of 10,000 real servers
  // builds a pointer or more for each while it is checked).
  if (typeof token === 'number') return String(token);
  if (!token.includes('~') && !token.includes('/')) return token;
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function unescapeToken(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** Builds a pointer from path segments: pointer('interfaces', 'bonds', 0) = "/interfaces/bonds/0". */
export function pointer(...segments: readonly (string | number)[]): string {
  return segments.map((s) => '/' + escapeToken(s)).join('');
}

export function splitPointer(ptr: string): string[] {
  if (ptr === '') return [];
  return ptr.slice(1).split('/').map(unescapeToken);
}

export function parentPointer(ptr: string): string {
  const at = ptr.lastIndexOf('/');
  return at <= 0 ? '' : ptr.slice(0, at);
}

/** The value at a pointer, or undefined when there is none. Own properties only. */
export function valueAt(doc: unknown, ptr: string): unknown {
  let node: unknown = doc;
  for (const token of splitPointer(ptr)) {
    if (Array.isArray(node)) {
      if (!/^(0|[1-9][0-9]*)$/.test(token)) return undefined;
      node = node[Number(token)];
    } else if (typeof node === 'object' && node !== null && Object.prototype.hasOwnProperty.call(node, token)) {
      node = (node as Record<string, unknown>)[token];
    } else {
      return undefined;
    }
  }
  return node;
}
