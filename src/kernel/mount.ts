// Mounts: what is mounted (/proc/self/mountinfo), finding a partition by its GPT label, and
// mounting. Node has no binding for mount(2), so mounting spawns `mount` (busybox's on the
// appliance: one small static program already in the image, instead of a native-addon syscall
// that only boot would use).
import { mkdirSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { runTool, toolMessage } from './tools.ts';

export interface MountEntry {
  readonly mountPoint: string;
  readonly fstype: string;
  readonly source: string;
}

/** Undoes mountinfo's octal escapes (\040 is a space, \134 a backslash). */
function unescapeField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/**
 * /proc/self/mountinfo lines: `ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE
 * SOURCE SUPEROPTIONS`. Lines that do not have that shape are skipped.
 */
export function parseMountinfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const dash = fields.indexOf('-', 6);
    if (fields.length < 10 || dash === -1 || dash + 2 >= fields.length) continue;
    entries.push({ mountPoint: unescapeField(fields[4]!), fstype: fields[dash + 1]!, source: unescapeField(fields[dash + 2]!) });
  }
  return entries;
}

export function readMounts(mountinfo = '/proc/self/mountinfo'): MountEntry[] {
  return parseMountinfo(readFileSync(mountinfo, 'utf8'));
}

/** What is visible at `target`: the last mount there hides the earlier ones. */
export function mountedAt(mounts: readonly MountEntry[], target: string): MountEntry | undefined {
  for (let i = mounts.length - 1; i >= 0; i--) if (mounts[i]!.mountPoint === target) return mounts[i];
  return undefined;
}

/** KEY=VALUE lines of a sysfs uevent file. */
export function parseUevent(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return out;
}

export interface PartitionLookup {
  readonly devDir?: string;
  readonly sysBlockDir?: string;
}

/**
 * The device node of the partition whose GPT name (PARTLABEL) is `label`: the udev link
 * /dev/disk/by-partlabel/<label> where udev runs, else the partition whose sysfs uevent says
 * PARTNAME=<label> (busybox systems have no udev links).
 */
export function findPartitionByLabel(label: string, where: PartitionLookup = {}): string | undefined {
  const devDir = where.devDir ?? '/dev';
  const sysBlockDir = where.sysBlockDir ?? '/sys/class/block';
  try {
    return realpathSync(join(devDir, 'disk', 'by-partlabel', label));
  } catch {
    // No udev: look in sysfs.
  }
  let names: string[];
  try {
    names = readdirSync(sysBlockDir);
  } catch {
    return undefined;
  }
  for (const name of names.sort()) {
    let uevent: Map<string, string>;
    try {
      uevent = parseUevent(readFileSync(join(sysBlockDir, name, 'uevent'), 'utf8'));
    } catch {
      continue;
    }
    if (uevent.get('DEVTYPE') === 'partition' && uevent.get('PARTNAME') === label) {
      return join(devDir, uevent.get('DEVNAME') ?? name);
    }
  }
  return undefined;
}

/** Whether the kernel knows the filesystem type now (built in or its module loaded). */
export function filesystemKnown(fstype: string, procFilesystems = '/proc/filesystems'): boolean {
  try {
    return readFileSync(procFilesystems, 'utf8').split('\n').some((l) => l.split('\t').pop() === fstype);
  } catch {
    return false;
  }
}

export interface MountSpec {
  readonly source: string;
  readonly target: string;
  readonly fstype: string;
  readonly options: string;
}

export type MountOutcome = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const READ_ONLY_ROOT = new Set(['EROFS']);

/** Creates the mount point if it is missing (a read-only root must already have it). */
export function ensureMountPoint(target: string): MountOutcome {
  try {
    mkdirSync(target, { recursive: true });
    return { ok: true };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    if (READ_ONLY_ROOT.has(code)) return { ok: false, reason: `mount point ${target} is missing on the read-only root` };
    return { ok: false, reason: `cannot create mount point ${target} (${code})` };
  }
}

export async function mount(spec: MountSpec): Promise<MountOutcome> {
  const point = ensureMountPoint(spec.target);
  if (!point.ok) return point;
  const result = await runTool('mount', ['-t', spec.fstype, '-o', spec.options, spec.source, spec.target]);
  if (result.code === 0) return { ok: true };
  return { ok: false, reason: toolMessage(result, 'mount') };
}
