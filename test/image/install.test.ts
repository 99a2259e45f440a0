// Disks on the x86_64 appliance in qemu:
//   - a second disk flashed with the same image (a stick left in the box, /dev/vdb): the system
//     runs from the disk it booted from (/dev/vda), `upgrade status` reads that disk, and
//     `upgrade rollback` switches GRUB's environment there; the stick keeps every byte;
//   - `stockade install /dev/vdb` onto an empty second disk: refusals first (the disk it runs
//     from, a partition), then the install with its progress and read-back; the new disk booted
//     alone comes up from slot A with a sane `upgrade status` and a fresh /data that fills the disk.
import { createHash } from 'node:crypto';
import { closeSync, copyFileSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readBootEnv } from '../../scripts/image/bootenv.ts';
import { ensureImages } from './images.ts';
import { imageFor, startVms, type Vm, type Vms } from './vm.ts';
import { sh } from './upgrade-fixture.ts';

const BOARD = 'x86_64-generic';
const BOOT_TIMEOUT_MS = 600_000;
const INSTALL_TIMEOUT_MS = 900_000;
const MiB = 1 << 20;
/** A command's limit: starting the executable under TCG on a loaded host takes tens of seconds. */
const COMMAND_TIMEOUT_MS = 300_000;

const Disks = suite('image disks');
const tmp = mkdtempSync(join(tmpdir(), 'stockade-install-'));
let vms: Vms | undefined;

Disks.before(async () => {
  await ensureImages([BOARD]);
});

Disks.after(async () => {
  await vms?.destroy();
  // KEEP_VM_LOGS=1 keeps the disks and console logs to look at.
  if (!process.env.KEEP_VM_LOGS) rmSync(tmp, { recursive: true, force: true });
});

/** A directory for one VM run's console logs (kept under the test's temp dir). */
function logs(name: string): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

function sha(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

async function boot(v: Vms): Promise<Vm> {
  const vm = v.vm('box');
  await vm.waitFor(/stockade: boot complete/, BOOT_TIMEOUT_MS);
  await vm.login();
  return vm;
}

Disks('a stick flashed from the same image: root, status and rollback stay on the boot disk; the stick is untouched', async () => {
  const disk = join(tmp, 'disk.img');
  const stick = join(tmp, 'stick.img');
  copyFileSync(imageFor(BOARD), disk);
  copyFileSync(imageFor(BOARD), stick);
  const stickBefore = sha(stick);
  vms = await startVms({ vms: { box: { board: BOARD, image: disk, writable: true, extraDisks: [{ file: stick, writable: true }] } }, logDir: logs('logs-stick') });
  try {
    const vm = await boot(vms);
    // The initramfs found root-a on both disks and says which it took.
    assert.match(vm.console(), /initramfs: \/dev\/vdb2 is also named root-a: using \/dev\/vda2/);
    assert.match(await sh(vm, "basename $(readlink /sys/dev/block/$(awk '$5 == \"/\" {print $3}' /proc/self/mountinfo | tail -1))", COMMAND_TIMEOUT_MS), /^vda2\s*$/m, '/ is the boot disk\'s slot A');
    assert.match(await sh(vm, "awk '$5 == \"/data\" {print $(NF-1)}' /proc/self/mountinfo", COMMAND_TIMEOUT_MS), /^\/dev\/vda4\s*$/m);
    const status = await sh(vm, 'stockade upgrade status', COMMAND_TIMEOUT_MS);
    assert.match(status, /slot A/);
    const r = await vm.run('stockade upgrade rollback --no-reboot', COMMAND_TIMEOUT_MS);
    assert.is(r.code, 0, r.output);
    await sh(vm, 'sync', COMMAND_TIMEOUT_MS);
  } finally {
    await vms.destroy();
    vms = undefined;
  }
  const env = await readBootEnv(disk);
  assert.is(env.ORDER, 'B A', `the boot disk's environment: ${JSON.stringify(env)}`);
  assert.is(sha(stick), stickBefore, 'the stick changed');
});

Disks('stockade install /dev/vdb: refusals, then the disk laid down and read back; booted alone it comes up with a fresh /data', async () => {
  const target = join(tmp, 'new-disk.img');
  const fd = openSync(target, 'w');
  ftruncateSync(fd, 640 * MiB);
  closeSync(fd);
  vms = await startVms({ vms: { box: { board: BOARD, extraDisks: [{ file: target, writable: true }] } }, logDir: logs('logs-install') });
  let out: string;
  try {
    const vm = await boot(vms);
    await sh(vm, 'echo kept-on-the-stick > /data/marker', COMMAND_TIMEOUT_MS);
    const self = await vm.run('stockade install /dev/vda --yes', COMMAND_TIMEOUT_MS);
    assert.is(self.code, 2, self.output);
    assert.match(self.output, /install: \/dev\/vda is the disk this system runs from \(\/ is on it\): refused; nothing written/);
    const part = await vm.run('stockade install /dev/vdb1 --yes', COMMAND_TIMEOUT_MS);
    assert.is(part.code, 2, part.output);
    assert.match(part.output, /\/dev\/vdb1: no such device|\/dev\/vdb1 is a partition/);
    const unconfirmed = await vm.run('stockade install /dev/vdb < /dev/null', COMMAND_TIMEOUT_MS);
    assert.is(unconfirmed.code, 2, unconfirmed.output);
    assert.match(unconfirmed.output, /not confirmed \(type its name, or --yes\); nothing written/);
    const r = await vm.run('stockade install /dev/vdb --yes 2>&1', INSTALL_TIMEOUT_MS);
    out = r.output;
    assert.is(r.code, 0, out);
    // A second install while its new data partition is mounted: refused as in use.
    await sh(vm, 'mkdir -p /tmp/m && mount -t ext4 /dev/vdb4 /tmp/m', COMMAND_TIMEOUT_MS);
    const busy = await vm.run('stockade install /dev/vdb --yes', COMMAND_TIMEOUT_MS);
    assert.match(busy.output, /\/dev\/vdb is in use: mounted at \/tmp\/m; unmount it first/);
    await sh(vm, 'umount /tmp/m && sync', COMMAND_TIMEOUT_MS);
  } finally {
    await vms.destroy();
    vms = undefined;
  }
  assert.match(out, /install: \/dev\/vda \(slot A, stockade [^)]*\)\) -> \/dev\/vdb \(640\.0 MiB\)/);
  assert.match(out, /written 100 %/);
  assert.match(out, /read back 100 %/);
  assert.match(out, /install: [0-9.]+ MiB written and read back identical/);
  assert.match(out, /install: \/dev\/vdb holds this system in slots A and B/);
  assert.equal(await readBootEnv(target), { ORDER: 'A B', A_OK: '1', B_OK: '1', A_TRIES: '3', B_TRIES: '3' });

  vms = await startVms({ vms: { box: { board: BOARD, image: target, writable: true } }, logDir: logs('logs-new') });
  const vm = await boot(vms);
  assert.match(vm.console(), /stockade: boot complete \([^,]+, slot A\)/);
  const status = await sh(vm, 'stockade upgrade status', COMMAND_TIMEOUT_MS);
  assert.match(status, /slot A/);
  assert.match(status, /slot B/);
  const data = await sh(vm, 'ls -a /data; df -k /data | tail -1', COMMAND_TIMEOUT_MS);
  assert.not.match(data, /marker/, '/data is fresh');
  assert.match(data, /keys/);
  const kb = Number(/\s(\d+)\s+\d+\s+\d+\s+\d+%/.exec(data)?.[1] ?? 0);
  assert.ok(kb > 150 * 1024, `/data fills the rest of the disk: ${data}`);
  await vms.destroy();
  vms = undefined;
});

Disks.run();
