// The appliance images booted in qemu (TCG), three VMs at once:
//   x64a  x86_64-generic, slot A (the image as built; writes discarded)
//   x64b  x86_64-generic, a copy of the image whose GRUB environment says ORDER="B A"
//   arm   arm64-generic, slot A
// x64a:sync and x64b:sync are joined by a qemu UDP socket link. As root, the VMs run inside a lab
// namespace where x64a:mgmt, arm:mgmt and a lab host are on one bridge (taps).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readBootEnv, setBootEnv } from '../../scripts/image/bootenv.ts';
import { Lab, labAvailable } from '../lab/harness.ts';
import { ensureImages, versionOf } from './images.ts';
import { imageFor, root, startVms } from './vm.ts';
import type { Vm, Vms } from './vm.ts';
import { loud } from '../loud-hook.ts';

/**
 * From qemu start to the boot-complete line; about 20 s alone, more with three VMs on two cores. A
 * hang guard, not a figure: the image tier runs this beside another lane of VMs (test/run.ts).
 */
const BOOT_TIMEOUT_MS = 600_000;
const LOADED = ['bonding', '8021q', 'ip_vs'];

interface Manifest {
  board: string;
  stockade: { version: string; version_line: string };
  packages: Array<{ name: string; version: string; sha256: string }>;
}

function manifestOf(board: string): Manifest {
  return JSON.parse(readFileSync(join(root, 'dist', 'images', board, 'manifest.json'), 'utf8')) as Manifest;
}

const ctx: {
  tmp?: string;
  vms?: Vms;
  lab?: Lab;
  bootB?: string;
  booted: Map<string, Promise<{ line: string; seconds: number }>>;
  loggedIn: Map<string, Promise<void>>;
} = { booted: new Map(), loggedIn: new Map() };

function vm(name: string): Vm {
  if (!ctx.vms) throw new Error('the VMs did not start');
  return ctx.vms.vm(name);
}

/** Waits for a VM's boot-complete line once (all tests share the result). */
function bootComplete(name: string): Promise<{ line: string; seconds: number }> {
  let p = ctx.booted.get(name);
  if (!p) {
    const v = vm(name);
    p = v.waitFor(/stockade: boot complete \(([^,]+), slot ([AB?])\)/, BOOT_TIMEOUT_MS).then((m) => ({ line: m[0], seconds: v.uptime() }));
    ctx.booted.set(name, p);
  }
  return p;
}

function loggedIn(name: string): Promise<void> {
  let p = ctx.loggedIn.get(name);
  if (!p) {
    p = bootComplete(name).then(() => vm(name).login());
    ctx.loggedIn.set(name, p);
  }
  return p;
}

async function sh(name: string, command: string, timeoutMs = 60_000): Promise<string> {
  await loggedIn(name);
  const r = await vm(name).run(command, timeoutMs);
  assert.is(r.code, 0, `${name}: \`${command}\` exited ${r.code}:\n${r.output}`);
  return r.output;
}

const Boot = suite('image boot');

Boot.before(loud('boot', async () => {
  await ensureImages();
  ctx.tmp = mkdtempSync(join(tmpdir(), 'stockade-image-'));
  ctx.bootB = join(ctx.tmp, 'slot-b.img');
  execFileSync('cp', ['--sparse=always', imageFor('x86_64-generic'), ctx.bootB]);
  await setBootEnv(ctx.bootB, { ORDER: 'B A' });
  const useLab = labAvailable().ok;
  if (useLab) {
    ctx.lab = await Lab.create({
      hosts: ['sw', 'h1'],
      links: [['sw:p1', 'h1:eth0']],
      bridges: [{ at: 'sw', name: 'br0', ports: ['p1'] }],
      addresses: { 'h1:eth0': ['198.51.100.10/24'] },
    });
  }
  ctx.vms = await startVms({
    vms: {
      x64a: { board: 'x86_64-generic' },
      x64b: { board: 'x86_64-generic', image: ctx.bootB, writable: true },
      arm: { board: 'arm64-generic' },
    },
    links: [['x64a:sync', 'x64b:sync']],
    ...(ctx.lab ? { bridges: { br0: ['x64a:mgmt', 'arm:mgmt'] }, lab: { lab: ctx.lab, host: 'sw' } } : {}),
  });
}));

Boot.after(async () => {
  let failed = false;
  for (const [name, p] of ctx.booted) {
    const r = await p.catch(() => undefined);
    if (r) process.stdout.write(`  ${name}: boot complete ${r.seconds.toFixed(1)} s after qemu start\n`);
    else failed = true;
  }
  await ctx.vms?.destroy(failed);
  await ctx.lab?.destroy();
  if (ctx.tmp) rmSync(ctx.tmp, { recursive: true, force: true });
});

Boot('x86_64: slot A boots to the boot-complete line', async () => {
  const { line } = await bootComplete('x64a');
  assert.is(line, `stockade: boot complete (${manifestOf('x86_64-generic').stockade.version}, slot A)`);
});

Boot('x86_64: bonding, 8021q and ip_vs are loaded', async () => {
  const modules = (await sh('x64a', 'cat /proc/modules')).split('\n').map((l) => l.split(' ')[0]);
  for (const m of LOADED) assert.ok(modules.includes(m), `${m} not in /proc/modules`);
  // max_bonds=0 (rootfs/etc/modprobe.d/bonding.conf): no stray bond0 the config did not ask for.
  assert.not.match(await sh('x64a', 'ls /sys/class/net'), /\bbond0\b/);
});

Boot('x86_64: stockade --version inside is the build\'s', async () => {
  const inside = (await sh('x64a', 'stockade --version')).trim();
  assert.is(inside, manifestOf('x86_64-generic').stockade.version_line);
  assert.is(inside, versionOf('x64'));
});

Boot('x86_64: init runs stockade daemon, which answers on its control socket', async () => {
  // The daemon starts after `boot complete` and answers "the daemon is starting" until it has (a
  // few seconds of the emulated CPU): that answer is waited out, a bounded number of times; any
  // other failure fails at once.
  const status = JSON.parse(await sh('x64a', "(for i in $(seq 120); do stockade ctl vrrp --json 2>/tmp/ctl.err && exit 0; grep -q 'the daemon is starting' /tmp/ctl.err || break; sleep 0.2; done; cat /tmp/ctl.err; exit 1)", 180_000));
  assert.ok(Array.isArray(status.instances), 'ctl vrrp answered with an instance list');
  assert.match(await sh('x64a', 'cat /run/stockade.log'), /stockade\[\d+\]: info: vrrp: no instances configured/);
});

Boot('x86_64: the ports carry their labels, on the PCI slots the board names', async () => {
  const out = await sh('x64a', 'for i in wan lan sync mgmt; do echo "$i $(basename $(dirname $(readlink -f /sys/class/net/$i/device)))"; done');
  assert.is(out, 'wan 0000:00:03.0\nlan 0000:00:04.0\nsync 0000:00:05.0\nmgmt 0000:00:06.0\n');
});

Boot('x86_64: the manifest inside lists the packages and the stockade build', async () => {
  const inside = JSON.parse(await sh('x64a', 'cat /usr/share/stockade/manifest.json')) as Manifest;
  assert.equal(inside, manifestOf('x86_64-generic'));
  const names = inside.packages.map((p) => p.name);
  for (const p of ['busybox-static', 'iptables', 'libc6', 'libstdc++6', 'grub-efi-amd64-bin']) assert.ok(names.includes(p), `${p} missing`);
  assert.ok(names.some((n) => /^linux-image-6\.1\./.test(n)), 'no kernel package');
  for (const p of inside.packages) assert.match(p.sha256, /^[0-9a-f]{64}$/);
});

Boot('a qemu socket link joins two VMs (x64a:sync <-> x64b:sync)', async () => {
  // The base firewall drops what arrives on sync; the test lets ping in.
  await sh('x64a', 'ip addr add 203.0.113.1/30 dev sync && ip link set sync up && iptables -I INPUT -i sync -p icmp -j ACCEPT');
  await sh('x64b', 'ip addr add 203.0.113.2/30 dev sync && ip link set sync up && iptables -I INPUT -i sync -p icmp -j ACCEPT');
  await sh('x64a', 'ping -c 1 -W 3 203.0.113.2 >/dev/null || ping -c 3 -W 3 203.0.113.2');
});

// GRUB takes one of B's tries; B is good and not on an upgrade trial, so `stockade boot` gives it
// back (boots count only during a trial, src/upgrade/lifecycle.ts): a box rebooted often never
// falls back to the other slot.
Boot('GRUB environment ORDER="B A": slot B boots, and a good slot keeps all its tries', async () => {
  const { line } = await bootComplete('x64b');
  assert.ok(line.endsWith(', slot B)'), line);
  assert.match(await sh('x64b', 'cat /proc/cmdline'), /stockade\.slot=B/);
  assert.match(await sh('x64b', 'mount'), /^\/dev\/vda3 on \/ type squashfs \(ro/m);
  await vm('x64b').kill();
  const env = await readBootEnv(ctx.bootB!);
  assert.equal(env, { ORDER: 'B A', A_OK: '1', B_OK: '1', A_TRIES: '3', B_TRIES: '3' });
});

Boot('arm64: slot A boots to the boot-complete line, ports labelled by MAC', async () => {
  const { line } = await bootComplete('arm');
  const manifest = manifestOf('arm64-generic');
  assert.is(line, `stockade: boot complete (${manifest.stockade.version}, slot A)`);
  assert.is((await sh('arm', 'stockade --version')).trim(), manifest.stockade.version_line);
  const macs = await sh('arm', 'for i in wan lan sync mgmt; do echo "$i $(cat /sys/class/net/$i/address)"; done');
  assert.is(macs, 'wan 52:54:00:a6:40:01\nlan 52:54:00:a6:40:02\nsync 52:54:00:a6:40:03\nmgmt 52:54:00:a6:40:04\n');
});

if (labAvailable().ok) {
  Boot('taps on a lab bridge: a lab host reaches two VMs\' mgmt ports', async () => {
    await sh('x64a', 'ip addr add 198.51.100.1/24 dev mgmt && ip link set mgmt up');
    await sh('arm', 'ip addr add 198.51.100.3/24 dev mgmt && ip link set mgmt up');
    for (const ip of ['198.51.100.1', '198.51.100.3']) {
      await ctx.lab!.waitFor(`ping ${ip} from h1`, async () => (await ctx.lab!.exec('h1', ['ping', '-c', '1', '-W', '1', ip], { check: false })).code === 0, { timeoutMs: 30_000, intervalMs: 500 });
    }
  });
}

Boot.run();
