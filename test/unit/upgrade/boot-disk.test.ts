// The slots are looked up on the disk / is mounted from, never by name alone: a box with a second
// Stockade disk (a stick flashed from the same image, listed first by the kernel) still writes its
// own disk; a boot disk with two partitions of one name, or a / on no disk, is refused by name.
// A fake sysfs laid out as the kernel does (/sys/class/block/<part> -> .../block/<disk>/<part>).
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bootDisk, bootDiskPartition, diskPartitions, rootDeviceNumber } from '../../../src/kernel/index.ts';

const tmp = mkdtempSync(join(tmpdir(), 'stockade-boot-disk-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
interface FakeDisk {
  name: string;
  major: number;
  parts: string[];
}

/** A sysfs with these disks (partition i of a disk is <disk><i+1>, minor i+1) and / on `root`. */
function machine(disks: FakeDisk[], root: string): { mountinfo: string; sysDevBlock: string; sysBlockDir: string; devDir: string } {
  const base = join(tmp, `m${n++}`);
  const devices = join(base, 'devices', 'pci0000:00');
  const classBlock = join(base, 'class', 'block');
  const devBlock = join(base, 'dev', 'block');
  mkdirSync(classBlock, { recursive: true });
  mkdirSync(devBlock, { recursive: true });
  let rootNumber = '0:99';
  for (const d of disks) {
    const diskDir = join(devices, `virtio-${d.name}`, 'block', d.name);
    mkdirSync(diskDir, { recursive: true });
    writeFileSync(join(diskDir, 'uevent'), `MAJOR=${d.major}\nMINOR=0\nDEVNAME=${d.name}\nDEVTYPE=disk\n`);
    symlinkSync(diskDir, join(classBlock, d.name));
    symlinkSync(diskDir, join(devBlock, `${d.major}:0`));
    d.parts.forEach((label, i) => {
      const name = `${d.name}${i + 1}`;
      const dir = join(diskDir, name);
      mkdirSync(dir);
      writeFileSync(join(dir, 'partition'), `${i + 1}\n`);
      writeFileSync(join(dir, 'uevent'), `MAJOR=${d.major}\nMINOR=${i + 1}\nDEVNAME=${name}\nDEVTYPE=partition\nPARTN=${i + 1}\nPARTNAME=${label}\n`);
      symlinkSync(dir, join(classBlock, name));
      symlinkSync(dir, join(devBlock, `${d.major}:${i + 1}`));
      if (name === root) rootNumber = `${d.major}:${i + 1}`;
    });
  }
  const mountinfo = join(base, 'mountinfo');
  writeFileSync(mountinfo, [
    `1 0 ${rootNumber} / / ro,relatime - squashfs /dev/${root} ro`,
    '20 1 0:5 / /dev rw - devtmpfs devtmpfs rw',
    '30 1 0:22 / /run rw - tmpfs tmpfs rw',
    '',
  ].join('\n'));
  return { mountinfo, sysDevBlock: devBlock, sysBlockDir: classBlock, devDir: '/dev' };
}

const LAYOUT = ['esp', 'root-a', 'root-b', 'data'];

test('the root mount\'s device number: the last mount at / counts', () => {
  assert.is(rootDeviceNumber('1 0 254:2 / / ro - squashfs /dev/vda2 ro\n5 1 0:3 / /proc rw - proc proc rw\n'), '254:2');
  assert.is(rootDeviceNumber('1 0 0:1 / / rw - rootfs rootfs rw\n9 1 254:3 / / ro - squashfs /dev/vda3 ro\n'), '254:3');
  assert.is(rootDeviceNumber('5 1 0:3 / /proc rw - proc proc rw\n'), undefined);
});

test('a stick flashed from the same image, listed first: the slots come from the disk / is on', () => {
  // vda is the stick (the kernel lists it first), vdb the box's own disk, booted from slot B.
  const where = machine([{ name: 'vda', major: 254, parts: LAYOUT }, { name: 'vdb', major: 253, parts: LAYOUT }], 'vdb3');
  assert.equal(bootDisk(where), { disk: 'vdb', device: '/dev/vdb', root: 'vdb3' });
  assert.is(bootDiskPartition('root-a', where), '/dev/vdb2');
  assert.is(bootDiskPartition('esp', where), '/dev/vdb1');
  assert.is(bootDiskPartition('data', where), '/dev/vdb4');
  assert.equal(diskPartitions('vdb', where).map((p) => `${p.number}:${p.label}`), ['1:esp', '2:root-a', '3:root-b', '4:data']);
});

test('booted from the stick: its own slots, not the internal disk\'s', () => {
  const where = machine([{ name: 'sda', major: 8, parts: LAYOUT }, { name: 'sdb', major: 9, parts: LAYOUT }], 'sda2');
  assert.is(bootDiskPartition('root-b', where), '/dev/sda3');
});

test('two partitions of one name on the boot disk: refused, naming both', () => {
  const where = machine([{ name: 'vda', major: 254, parts: ['esp', 'root-a', 'root-b', 'root-b'] }], 'vda2');
  assert.throws(() => bootDiskPartition('root-b', where), /the boot disk \/dev\/vda has 2 partitions named root-b \(\/dev\/vda3, \/dev\/vda4\): refusing to guess/);
});

test('a name missing on the boot disk is not taken from another disk', () => {
  const where = machine([{ name: 'vda', major: 254, parts: ['esp', 'root-a'] }, { name: 'vdb', major: 253, parts: LAYOUT }], 'vda2');
  assert.throws(() => bootDiskPartition('root-b', where), /no partition named root-b \(GPT PARTLABEL\) on the boot disk \/dev\/vda \(the disk \/ is mounted from\)/);
});

test('/ on no disk (an overlay, a whole-disk filesystem): refused, saying why', () => {
  const noDisk = machine([{ name: 'vda', major: 254, parts: LAYOUT }], 'none');
  assert.throws(() => bootDisk(noDisk), /\/ is not on a disk \(mounted from device 0:99, which is no block device\)/);
  const whole = machine([{ name: 'vda', major: 254, parts: LAYOUT }], 'x');
  writeFileSync(whole.mountinfo, '1 0 254:0 / / ro - ext4 /dev/vda ro\n');
  assert.throws(() => bootDisk(whole), /\/ is mounted from vda, which is not a partition of a disk/);
});

test.run();
