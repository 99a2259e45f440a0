// A cpio "newc" archive (the initramfs format the kernel unpacks), written here rather than with
// cpio(1) so that it needs no privileges: every entry is owned by root and /dev/console is a real
// character device even when the build runs as an ordinary user.
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

export type CpioEntry =
  | { type: 'dir'; path: string; mode: number }
  | { type: 'file'; path: string; mode: number; data: Uint8Array }
  | { type: 'symlink'; path: string; target: string }
  | { type: 'chardev'; path: string; mode: number; major: number; minor: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

function header(fields: number[], name: string): Buffer {
  const nameBytes = Buffer.from(name + '\0');
  const hex = fields.map((f) => (f >>> 0).toString(16).padStart(8, '0')).join('');
  // magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor,
  // namesize, check
  const head = Buffer.from('070701' + hex, 'ascii');
  return Buffer.concat([head, nameBytes, Buffer.alloc(pad4(head.length + nameBytes.length))]);
}

/** The archive of `entries` (in order: parents before children), with a fixed mtime. */
export function writeCpio(entries: readonly CpioEntry[], mtime = 0): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  for (const e of entries) {
    const name = e.path.replace(/^\/+/, '');
    let mode: number;
    let data: Uint8Array = new Uint8Array(0);
    let rdev = [0, 0];
    switch (e.type) {
      case 'dir': mode = S_IFDIR | e.mode; break;
      case 'file': mode = S_IFREG | e.mode; data = e.data; break;
      case 'symlink': mode = S_IFLNK | 0o777; data = Buffer.from(e.target); break;
      case 'chardev': mode = S_IFCHR | e.mode; rdev = [e.major, e.minor]; break;
    }
    const nlink = e.type === 'dir' ? 2 : 1;
    parts.push(header([ino++, mode, 0, 0, nlink, mtime, data.length, 0, 0, rdev[0]!, rdev[1]!, Buffer.byteLength(name) + 1, 0], name));
    parts.push(Buffer.from(data), Buffer.alloc(pad4(data.length)));
  }
  parts.push(header([0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 'TRAILER!!!'.length + 1, 0], 'TRAILER!!!'));
  return Buffer.concat(parts);
}

/** Entries for everything under dir (files, directories, symlinks), as `prefix/...`, sorted. */
export function treeEntries(dir: string, prefix = ''): CpioEntry[] {
  const out: CpioEntry[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    const path = prefix ? `${prefix}/${name}` : name;
    const st = lstatSync(full);
    if (st.isSymbolicLink()) out.push({ type: 'symlink', path, target: readlinkSync(full) });
    else if (st.isDirectory()) {
      out.push({ type: 'dir', path, mode: st.mode & 0o7777 });
      out.push(...treeEntries(full, path));
    } else if (st.isFile()) out.push({ type: 'file', path, mode: st.mode & 0o7777, data: readFileSync(full) });
  }
  return out;
}
