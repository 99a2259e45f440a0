// After `stockade install` wrote a disk's partition table: the kernel is told to read it (busybox
// blockdev --rereadpt; Node has no ioctl), the data partition gets a fresh filesystem (busybox
// mke2fs: ext2, which boot mounts with the ext4 driver like the image's own ext4) and the
// directories a new box's /data starts with, made through a private mount that is undone.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { filesystemKnown, mount } from './mount.ts';
import { loadModules } from './modules.ts';
import { runTool, toolMessage } from './tools.ts';

const SETTLE_MS = 10_000;

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** The device node of partition `number` of `disk` (vdb -> vdb4, nvme0n1 -> nvme0n1p4). */
function partitionNode(disk: string, number: number): string {
  return /\d$/.test(disk) ? `${disk}p${number}` : `${disk}${number}`;
}

/** Makes the kernel read `disk`'s new table and waits for partition `number`'s device node. */
export async function rereadPartitions(disk: string, number: number): Promise<string> {
  const r = await runTool('blockdev', ['--rereadpt', `/dev/${disk}`]);
  if (r.code !== 0) throw new Error(`/dev/${disk}: the kernel did not read the new partition table (${toolMessage(r, 'blockdev')})`);
  const name = partitionNode(disk, number);
  const deadline = Date.now() + SETTLE_MS;
  while (!existsSync(`/sys/class/block/${name}`) || !existsSync(`/dev/${name}`)) {
    if (Date.now() > deadline) throw new Error(`/dev/${name}: did not appear after the new partition table was read`);
    await sleep(100);
  }
  return `/dev/${name}`;
}

/** The partition's GPT name as the kernel read it (sysfs uevent PARTNAME). */
export function partitionName(device: string): string | undefined {
  const name = device.replace(/^\/dev\//, '');
  try {
    return /^PARTNAME=(.*)$/m.exec(readFileSync(`/sys/class/block/${name}/uevent`, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

/**
 * A fresh filesystem labelled `label` on `device`, holding `dirs` (path -> mode), owned by root.
 * The mount it uses for that is private (a new directory under /run) and undone before return.
 */
export async function makeDataFilesystem(device: string, label: string, dirs: Record<string, number>): Promise<void> {
  const mk = await runTool('mke2fs', ['-F', '-L', label, device], { timeoutMs: 120_000 });
  if (mk.code !== 0) throw new Error(`${device}: mke2fs failed (${toolMessage(mk, 'mke2fs')})`);
  const base = existsSync('/run') ? '/run' : '/tmp';
  const at = mkdtempSync(join(base, 'stockade-install-'));
  try {
    if (!filesystemKnown('ext4')) await loadModules(['ext4']);
    const m = await mount({ source: device, target: at, fstype: 'ext4', options: 'nosuid,nodev,noexec' });
    if (!m.ok) throw new Error(`${device}: cannot mount the new filesystem (${m.reason})`);
    try {
      for (const [dir, mode] of Object.entries(dirs)) mkdirSync(join(at, dir), { recursive: true, mode });
    } finally {
      const u = await runTool('umount', [at]);
      if (u.code !== 0) throw new Error(`${device}: cannot unmount ${at} (${toolMessage(u, 'umount')})`);
    }
  } finally {
    rmdirSync(at);
  }
}
