// Boot step 1: the filesystems the initramfs did not mount (it brings /proc, /sys and /dev).
// Idempotent: a target that already has the right filesystem is left alone. The data partition
// is found by its GPT label; without it the box runs on the read-only image and the board's
// default config, and says so.
import { mountedAt, type MountSpec } from '../kernel/index.ts';
import type { StepReport } from './report.ts';
import type { BootSystem } from './system.ts';

export const DATA_LABEL = 'data';
export const DATA_MOUNT = '/data';

/** The fixed mounts; the data partition's source is looked up at boot. */
export const SYSTEM_MOUNTS: readonly MountSpec[] = [
  { target: '/dev/pts', fstype: 'devpts', source: 'devpts', options: 'nosuid,noexec,gid=5,mode=0620,ptmxmode=0666' },
  { target: '/run', fstype: 'tmpfs', source: 'tmpfs', options: 'nosuid,nodev,mode=0755' },
  { target: '/tmp', fstype: 'tmpfs', source: 'tmpfs', options: 'nosuid,nodev,mode=1777' },
];
export const DATA_OPTIONS = 'nosuid,nodev,noexec,noatime';
export const DATA_FSTYPE = 'ext4';

export interface MountsResult {
  readonly report: StepReport;
  /** Whether /data holds the data partition (the saved config can be read). */
  readonly dataMounted: boolean;
}

export async function runMounts(sys: BootSystem): Promise<MountsResult> {
  let table;
  try {
    table = sys.mounts();
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return {
      report: { step: 'mounts', status: 'failed', detail: `cannot read the mount table (${why}); nothing mounted, using the board default config` },
      dataMounted: false,
    };
  }
  const mounted: string[] = [];
  const present: string[] = [];
  const failures: string[] = [];
  for (const spec of SYSTEM_MOUNTS) {
    const current = mountedAt(table, spec.target);
    if (current?.fstype === spec.fstype) {
      present.push(spec.target);
      continue;
    }
    const outcome = await sys.mount(spec);
    if (outcome.ok) mounted.push(spec.target);
    else failures.push(`${spec.target}: ${outcome.reason}`);
  }

  let dataMounted = false;
  const current = mountedAt(table, DATA_MOUNT);
  if (current !== undefined && current.fstype === DATA_FSTYPE) {
    present.push(DATA_MOUNT);
    dataMounted = true;
  } else {
    const device = sys.findPartition(DATA_LABEL);
    if (device === undefined) {
      failures.push(`${DATA_MOUNT}: no partition labelled ${DATA_LABEL}`);
    } else {
      // The initramfs loads only what the root needs; ext4 may still be a module.
      if (!sys.filesystemKnown(DATA_FSTYPE)) await sys.loadModules([DATA_FSTYPE]);
      const outcome = await sys.mount({ source: device, target: DATA_MOUNT, fstype: DATA_FSTYPE, options: DATA_OPTIONS });
      if (outcome.ok) {
        mounted.push(`${DATA_MOUNT} (${device})`);
        dataMounted = true;
      } else {
        failures.push(`${DATA_MOUNT} (${device}): ${outcome.reason}`);
      }
    }
  }

  const done = [
    ...(mounted.length > 0 ? [`mounted ${mounted.join(', ')}`] : []),
    ...(present.length > 0 ? [`${present.join(', ')} already mounted`] : []),
  ].join('; ');
  if (failures.length > 0) {
    const consequence = dataMounted ? '' : '; no persistent storage: running on the read-only image with the board default config, nothing is saved';
    return {
      report: { step: 'mounts', status: 'failed', detail: `${failures.join('; ')}${consequence}`, ...(done ? { more: [done] } : {}) },
      dataMounted,
    };
  }
  return { report: { step: 'mounts', status: mounted.length > 0 ? 'changed' : 'ok', detail: done }, dataMounted };
}
