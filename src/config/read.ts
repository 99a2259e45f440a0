// Reading the config file into text, with a plain one-line error for each way that can fail
// before JSON parsing starts: missing, unreadable, too big, empty, binary, not UTF-8.
import { isUtf8 } from 'node:buffer';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { ConfigError } from './errors.ts';

/** Far above any real config (a full HA layout is a few KiB), low enough to bound memory. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

export type TextResult = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly error: ConfigError };

function fileError(found: string, expected: string, hint?: string): { ok: false; error: ConfigError } {
  return { ok: false, error: { kind: 'file', pointer: '', expected, found, ...(hint ? { hint } : {}) } };
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

const READ_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  ENOTDIR: 'no such file (a parent is not a directory)',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory, not a file',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'file name too long',
  EIO: 'input/output error while reading',
};

/** Reads at most MAX_CONFIG_BYTES + 1 bytes, so /dev/zero or a huge file cannot exhaust memory. */
export function readConfigBytes(path: string): { ok: true; bytes: Uint8Array } | { ok: false; error: ConfigError } {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const stat = fstatSync(fd);
    if (stat.isDirectory()) return fileError('is a directory, not a file', 'a readable JSON config file');
    if (stat.isFile() && stat.size > MAX_CONFIG_BYTES) {
      return fileError(`file is too large (${mib(stat.size)}; the limit is 1 MiB)`, 'a config file of at most 1 MiB');
    }
    const buffer = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > MAX_CONFIG_BYTES) {
        return fileError('file is too large (more than 1 MiB)', 'a config file of at most 1 MiB');
      }
    }
    return { ok: true, bytes: buffer.subarray(0, length) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    return fileError(`cannot read: ${READ_ERRORS[code] ?? (code || 'read error')}`, 'a readable JSON config file');
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Offset of the first byte that is not part of valid UTF-8, or -1. */
export function invalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) [need, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [need, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/** Bytes -> text, refusing what is clearly not a JSON config. Drops a UTF-8 byte-order mark. */
export function decodeConfigBytes(bytes: Uint8Array): TextResult {
  if (bytes.length > MAX_CONFIG_BYTES) {
    return fileError(`file is too large (${mib(bytes.length)}; the limit is 1 MiB)`, 'a config file of at most 1 MiB');
  }
  const nul = bytes.indexOf(0);
  if (nul !== -1) {
    return fileError(`binary data (NUL byte at offset ${nul}), not JSON text`, 'JSON text');
  }
  // isUtf8 (native) answers for the whole file; the offset is looked for only when it says no.
  const bad = isUtf8(bytes) ? -1 : invalidUtf8Offset(bytes);
  if (bad !== -1) {
    const hex = bytes[bad]!.toString(16).padStart(2, '0');
    return fileError(`not UTF-8 text (byte 0x${hex} at offset ${bad}), not JSON text`, 'UTF-8 JSON text', 'save the file as UTF-8');
  }
  // TextDecoder drops a leading byte-order mark.
  const text = new TextDecoder('utf-8').decode(bytes);
  if (/^[ \t\r\n]*$/.test(text)) {
    return fileError('file is empty', 'a JSON object like {"version": 1}');
  }
  return { ok: true, text };
}
