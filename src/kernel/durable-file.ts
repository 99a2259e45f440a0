// Files that must survive a power cut whole: written to a temp file in the same directory,
// fsynced, renamed over the old one, and the directory fsynced, so after a crash the path holds
// either the old content or the new, never a torn mix. A writer killed between the temp file and
// the rename leaves its temp behind; the next write of the same file removes the temps of writers
// no longer running, so kill -9 and power cuts do not pile them up on /data.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { processAlive } from './process-alive.ts';

const tempName = (path: string, pid: number): string => join(dirname(path), `.${basename(path)}.${pid}.tmp`);

/** Temps of `path` left by writers that are gone (pid not running). */
function removeStaleTemps(path: string): void {
  const prefix = `.${basename(path)}.`;
  for (const name of listDir(dirname(path))) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const pid = Number(name.slice(prefix.length, -'.tmp'.length));
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !processAlive(pid)) rmSync(join(dirname(path), name), { force: true });
  }
}

export function writeFileDurably(path: string, data: string | Uint8Array, mode = 0o644): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  removeStaleTemps(path);
  const tmp = tempName(path, process.pid);
  const fd = openSync(tmp, 'w', mode);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const d = openSync(dir, 'r');
  try {
    fsyncSync(d);
  } finally {
    closeSync(d);
  }
}

/**
 * Replaced whole, never seen half-written by a reader, but not fsynced: for files under /run
 * (tmpfs, gone at reboot anyway), where a power cut has nothing to tear.
 */
export function writeFileAtomically(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  removeStaleTemps(path);
  const tmp = tempName(path, process.pid);
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

export function readTextIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export function listDir(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir) : [];
}

export function removeFile(path: string): void {
  rmSync(path, { force: true });
}

/** The real files behind a RevisionFiles-shaped interface. */
export const durableFiles = { list: listDir, read: readTextIfExists, write: (p: string, t: string) => writeFileDurably(p, t), remove: removeFile };

/** The audit log's files (src/apply/audit.ts): appends are fsynced, renames skip a missing file. */
export const auditFiles = {
  size: (p: string): number => {
    try {
      return statSync(p).size;
    } catch {
      return 0;
    }
  },
  append: (p: string, text: string): void => {
    mkdirSync(dirname(p), { recursive: true });
    const fd = openSync(p, 'a', 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  },
  rename: (from: string, to: string): void => {
    if (existsSync(from)) renameSync(from, to);
  },
  remove: removeFile,
};
