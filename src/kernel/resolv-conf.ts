// The resolver's file: /run/resolv.conf (the image's /etc/resolv.conf links there), or under
// STOCKADE_RUN_DIR (tests). Written whole through a rename, so a reader never sees half of it.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { readTextIfExists, writeFileAtomically } from './durable-file.ts';
import { runDir } from './udhcpc.ts';

function resolvConfPath(dir = runDir()): string {
  return join(dir, 'resolv.conf');
}

export function readResolvConf(dir = runDir()): string | undefined {
  return readTextIfExists(resolvConfPath(dir));
}

export function writeResolvConf(text: string, dir = runDir()): void {
  writeFileAtomically(resolvConfPath(dir), text);
}

export function removeResolvConf(dir = runDir()): void {
  rmSync(resolvConfPath(dir), { force: true });
}
