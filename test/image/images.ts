// The images the image tier boots: built (scripts/build-image --if-stale) when missing or older
// than what they are made from, so `npm test` works from a fresh clone.
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { join } from 'node:path';
import { boardFile, imageFor, root } from './vm.ts';

export const BOARDS = ['x86_64-generic', 'arm64-generic'] as const;

/** Why the image tier cannot run here (a missing qemu or firmware), or undefined. */
export function imageTierUnavailable(): string | undefined {
  for (const name of BOARDS) {
    const q = boardFile(name).qemu;
    if (!q) return `board ${name} has no qemu section`;
    if (spawnSync('sh', ['-c', `command -v ${q.system}`]).status !== 0) return `${q.system} not found (scripts/setup-host installs it)`;
    for (const f of [q.firmware_code, q.firmware_vars]) {
      if (f && !existsSync(f)) return `${f} not found (scripts/setup-host installs the firmware)`;
    }
  }
  for (const arch of ['x64', 'arm64']) {
    const exe = join(root, 'dist', arch, 'stockade');
    try {
      accessSync(exe, constants.X_OK);
    } catch {
      return `${exe} is not built (npm run build)`;
    }
  }
  return undefined;
}

/** Builds the boards' images that are missing or stale, in parallel; rejects naming the failure. */
export async function ensureImages(boards: readonly string[] = BOARDS): Promise<void> {
  await Promise.all(boards.map((board) => new Promise<void>((resolve, reject) => {
    const child = spawn(join(root, 'scripts', 'build-image'), ['--board', board, '--if-stale'], { stdio: ['ignore', 'inherit', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      process.stderr.write(d);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0 && existsSync(imageFor(board))) resolve();
      else reject(new Error(`scripts/build-image --board ${board} failed (exit ${code}):\n${err.trim().split('\n').slice(-8).join('\n')}`));
    });
  })));
}

/** `stockade --version` of a built executable (arm64 through qemu-user). */
export function versionOf(arch: 'x64' | 'arm64'): string {
  const exe = join(root, 'dist', arch, 'stockade');
  const r = arch === process.arch
    ? spawnSync(exe, ['--version'], { encoding: 'utf8', timeout: 60_000 })
    : spawnSync('qemu-aarch64-static', ['-L', '/usr/aarch64-linux-gnu', exe, '--version'], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${exe} --version failed: ${r.stderr}`);
  return r.stdout.trim();
}
