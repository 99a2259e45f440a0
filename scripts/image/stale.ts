// Whether a board's image is older than what it is built from (the executables, the board files,
// rootfs/ and the builder itself). Debian packages are not looked at: a rebuild picks up new ones.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Files in scripts/image/ that run VMs or edit images but do not shape what is built. */
const NOT_INPUTS = new Set(['start.ts', 'qemu.ts', 'bootenv.ts']);

function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let m = 0;
  for (const name of readdirSync(path)) if (!NOT_INPUTS.has(name)) m = Math.max(m, newest(join(path, name)));
  return m;
}

export function imagePath(root: string, board: string): string {
  return join(root, 'dist', 'images', board, `stockade-${board}.img`);
}

/** Why the image must be (re)built, or undefined when it is up to date. */
export function staleReason(root: string, board: string, arch: string, boardDir = join(root, 'board', board)): string | undefined {
  const image = imagePath(root, board);
  if (!existsSync(image)) return `${image} does not exist`;
  const built = statSync(image).mtimeMs;
  const inputs = [
    join(root, 'dist', arch, 'stockade'), join(root, 'dist', arch, 'stockade.node'), join(root, 'dist', arch, 'serialport.node'), boardDir,
    join(root, 'rootfs'), join(root, 'scripts', 'image'), join(root, 'scripts', 'build-image'),
  ];
  const newer = inputs.filter((p) => newest(p) > built);
  return newer.length > 0 ? `older than ${newer.map((p) => p.slice(root.length + 1)).join(', ')}` : undefined;
}
