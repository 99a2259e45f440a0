// lstat(2) and realpath(3) as the script-security check (src/vrrp/notify.ts commandProblem) needs
// them: one path element's owner, mode and kind without following links, and the resolved path;
// undefined when it does not exist. Shared by VRRP's scripts and the LVS MISC checks.
import { lstatSync, realpathSync } from 'node:fs';

export interface PathStat {
  kind: 'dir' | 'file' | 'symlink' | 'other';
  uid: number;
  gid: number;
  /** st_mode's permission bits (with sticky 0o1000). */
  mode: number;
}

export function lstatOf(p: string): PathStat | undefined {
  try {
    const st = lstatSync(p);
    const kind = st.isDirectory() ? 'dir' : st.isFile() ? 'file' : st.isSymbolicLink() ? 'symlink' : 'other';
    return { kind, uid: st.uid, gid: st.gid, mode: st.mode & 0o7777 };
  } catch {
    return undefined;
  }
}

export function realpathOf(p: string): string | undefined {
  try {
    return realpathSync.native(p);
  } catch {
    return undefined;
  }
}
