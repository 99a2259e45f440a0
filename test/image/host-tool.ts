// A host program for a VM that lacks it (strace for the golden captures, keepalived for the
// LVS checker bench; neither belongs in the product image): the binary and the libraries ldd
// names except libc (the VM's own, same Debian release), in one tar to attach as an extra disk
// (the tar is the disk: `tar -xf /dev/vdb -C DIR` in the VM), run with LD_LIBRARY_PATH. Bigger
// files than debugfs' read-back buffer allows on /data, and /data is noexec anyway.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, statSync, truncateSync } from 'node:fs';
import { basename, join } from 'node:path';

export interface HostToolTar {
  /** The tar, padded to whole MiB (a disk image). */
  tar: string;
  /** The binary's path once unpacked under `root` in the VM. */
  binary(root: string): string;
  /** The directory for LD_LIBRARY_PATH once unpacked under `root`. */
  libDir(root: string): string;
}

/** Packs `binary` and its libraries into `dir`/NAME.tar (NAME: the binary's file name). */
export function hostToolTar(binary: string, dir: string): HostToolTar {
  const name = basename(binary);
  const libs = execFileSync('ldd', [binary], { encoding: 'utf8' }).split('\n')
    .map((l) => /=> (\/\S+)/.exec(l)?.[1]).filter((p): p is string => p !== undefined && !/\/libc\.so/.test(p));
  const staging = join(dir, `${name}-tool`);
  mkdirSync(join(staging, name), { recursive: true });
  for (const f of [binary, ...libs]) copyFileSync(f, join(staging, name, basename(f)));
  const tar = join(dir, `${name}.tar`);
  execFileSync('tar', ['-cf', tar, '-C', staging, name]);
  truncateSync(tar, Math.ceil(statSync(tar).size / 1048576 + 1) * 1048576);
  return { tar, binary: (root) => `${root}/${name}/${name}`, libDir: (root) => `${root}/${name}` };
}
