// The image builder's pure parts: apt sources, module selection, the cpio writer, the GRUB
// environment and config, the disk layout, and the qemu command line.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { debianSourcesFor, parseDeb822, parseOneLine, toDeb822 } from '../../../scripts/image/sources.ts';
import { moduleName, parseModulesDep, selectModules } from '../../../scripts/image/modules.ts';
import { writeCpio } from '../../../scripts/image/cpio.ts';
import { parseGrubEnv } from '../../../scripts/image/bootenv.ts';
import { grubConfig, INITIAL_ENV } from '../../../scripts/image/grub.ts';
import { layout, stableGuid } from '../../../scripts/image/disk.ts';
import { pciSlot, qemuArgv } from '../../../scripts/image/qemu.ts';
import { linkApplets } from '../../../scripts/image/rootfs.ts';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Board } from '../../../src/config/board.ts';

test('deb822 and one-line sources: the host release\'s Debian suites, renamed to the image\'s', () => {
  const deb822 = parseDeb822([
    'Types: deb deb-src', 'URIs: http://deb.debian.org/debian', 'Suites: trixie trixie-updates trixie-backports',
    'Components: main contrib', 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg', '',
    'Types: deb', 'URIs: http://example.org/other', 'Suites: nodistro', 'Components: main', '',
    'Enabled: no', 'Types: deb', 'URIs: http://off', 'Suites: trixie', 'Components: main',
  ].join('\n'), 'a.sources');
  const oneLine = parseOneLine('deb [arch=amd64 signed-by=/k.gpg] http://security.debian.org/debian-security trixie-security main\n# deb http://x trixie main\n', 'b.list');
  const kept = debianSourcesFor([...deb822, ...oneLine], 'trixie', 'bookworm');
  assert.equal(kept.map((s) => [s.uris, s.suites, s.components]), [
    [['http://deb.debian.org/debian'], ['bookworm', 'bookworm-updates'], ['main']],
    [['http://security.debian.org/debian-security'], ['bookworm-security'], ['main']],
  ]);
  const text = toDeb822(kept);
  assert.match(text, /Signed-By: \/usr\/share\/keyrings\/debian-archive-keyring.gpg/);
  assert.match(text, /Signed-By: \/k.gpg/);
  assert.not.match(text, /^Architectures:|arch=/m);
});

test('modules: the wanted ones plus their dependencies; built-in and unknown names told apart', () => {
  const deps = parseModulesDep([
    'kernel/net/8021q/8021q.ko: kernel/net/802/garp.ko kernel/net/llc/llc.ko',
    'kernel/net/802/garp.ko: kernel/net/llc/llc.ko',
    'kernel/net/llc/llc.ko:',
    'kernel/drivers/net/bonding/bonding.ko: kernel/net/tls/tls.ko',
    'kernel/net/tls/tls.ko:',
    'kernel/net/netfilter/xt_tcpudp.ko:',
  ].join('\n'));
  const sel = selectModules(['8021q', 'xt-tcpudp', 'unix', 'nosuch'], deps, new Set(['unix']));
  assert.equal(sel.files, ['kernel/net/802/garp.ko', 'kernel/net/8021q/8021q.ko', 'kernel/net/llc/llc.ko', 'kernel/net/netfilter/xt_tcpudp.ko']);
  assert.equal(sel.builtin, ['unix']);
  assert.equal(sel.unknown, ['nosuch']);
  assert.is(moduleName('kernel/crypto/crc32c-intel.ko.xz'), 'crc32c_intel');
});

test('cpio newc: headers, names and data padded to 4 bytes, a char device, the trailer', () => {
  const out = writeCpio([
    { type: 'dir', path: 'dev', mode: 0o755 },
    { type: 'chardev', path: 'dev/console', mode: 0o600, major: 5, minor: 1 },
    { type: 'file', path: 'init', mode: 0o755, data: Buffer.from('#!/bin/sh\n') },
    { type: 'symlink', path: 'sbin', target: 'bin' },
  ]);
  const entries: Array<{ name: string; mode: number; size: number; rdev: [number, number]; data: string }> = [];
  let at = 0;
  for (;;) {
    assert.is(out.toString('latin1', at, at + 6), '070701');
    const f = (i: number) => parseInt(out.toString('latin1', at + 6 + i * 8, at + 14 + i * 8), 16);
    const nameSize = f(11);
    const name = out.toString('latin1', at + 110, at + 110 + nameSize - 1);
    let pos = at + 110 + nameSize;
    pos += (4 - (pos % 4)) % 4;
    const size = f(6);
    entries.push({ name, mode: f(1), size, rdev: [f(9), f(10)], data: out.toString('latin1', pos, pos + size) });
    pos += size;
    pos += (4 - (pos % 4)) % 4;
    at = pos;
    if (name === 'TRAILER!!!') break;
  }
  assert.is(at, out.length);
  assert.equal(entries.map((e) => e.name), ['dev', 'dev/console', 'init', 'sbin', 'TRAILER!!!']);
  assert.is(entries[1]!.mode, 0o020600);
  assert.equal(entries[1]!.rdev, [5, 1]);
  assert.is(entries[2]!.data, '#!/bin/sh\n');
  assert.is(entries[3]!.mode, 0o120777);
  assert.is(entries[3]!.data, 'bin');
});

test('GRUB environment block: parsed as grub-editenv writes it', () => {
  const block = '# GRUB Environment Block\nORDER=B A\nA_OK=1\nB_TRIES=2\n' + '#'.repeat(100);
  assert.equal(parseGrubEnv(block), { ORDER: 'B A', A_OK: '1', B_TRIES: '2' });
});

test('GRUB config: reads the slot variables, counts tries down, boots the slot from its partition', () => {
  const cfg = grubConfig('console=ttyS0,115200');
  for (const v of Object.keys(INITIAL_ENV)) assert.match(cfg, new RegExp(`\\b${v}\\b`));
  assert.match(cfg, /load_env --file \$prefix\/grubenv ORDER A_OK B_OK A_TRIES B_TRIES/);
  assert.match(cfg, /save_env --file \$prefix\/grubenv A_TRIES B_TRIES/);
  assert.match(cfg, /if \[ "\$A_TRIES" = 3 \]; then slot=A; A_TRIES=2/);
  assert.match(cfg, /linux \(\$disk,gpt3\)\/boot\/vmlinuz console=ttyS0,115200 stockade\.slot=B/);
  assert.match(cfg, /initrd \(\$disk,gpt2\)\/boot\/initrd\.img/);
});

test('disk layout: 1 MiB aligned partitions in order, room for the backup GPT', () => {
  const l = layout([
    { name: 'esp', type: 'EF00', sizeMiB: 32, content: '' },
    { name: 'root-a', type: '8300', sizeMiB: 192, content: '' },
  ]);
  assert.equal(l.partitions.map((p) => [p.number, p.offset / 1048576]), [[1, 1], [2, 33]]);
  assert.is(l.totalBytes, (1 + 32 + 192 + 1) * 1048576);
  assert.is(stableGuid('x'), stableGuid('x'));
  assert.match(stableGuid('x'), /^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/);
});

test('qemu command line: NICs where the board says, by PCI slot or by MAC; disk and RNG elsewhere', () => {
  const board = {
    name: 't', arch: 'x64', debian_arch: 'amd64', kernel_package: 'k', modules: [],
    console: { device: 'ttyS0', baud: 115200 },
    ports: [{ label: 'wan', path: '0000:00:04.0' }, { label: 'lan', mac: '52:54:00:00:00:02' }, { label: 'sync', path: '0000:00:03.0' }],
    partitions: { esp_mb: 8, root_mb: 16, data_mb: 8 },
    qemu: { system: 'qemu-system-x86_64', machine: 'q35', memory_mb: 256, nic_model: 'virtio-net-pci' },
  } as Board;
  const argv = qemuArgv({ board, image: '/i.img', varsFile: '/v.fd', console: ['-serial', 'stdio'], nets: { wan: { type: 'udp', localPort: 1000, remotePort: 1001 } } });
  const devices = argv.filter((_, i) => argv[i - 1] === '-device');
  assert.equal(devices, [
    'virtio-blk-pci,drive=disk,addr=0x2',
    'virtio-net-pci,netdev=net0,mac=52:54:00:53:00:01,addr=0x4,romfile=',
    'virtio-net-pci,netdev=net1,mac=52:54:00:00:00:02,addr=0x5,romfile=',
    'virtio-net-pci,netdev=net2,mac=52:54:00:53:00:03,addr=0x3,romfile=',
    'virtio-rng-pci,addr=0x6',
  ]);
  assert.ok(argv.includes('socket,id=net0,udp=127.0.0.1:1001,localaddr=127.0.0.1:1000'));
  assert.ok(argv.includes('if=none,id=disk,format=raw,file=/i.img,snapshot=on'));
  assert.is(pciSlot('0000:00:1f.0'), 31);
  assert.is(pciSlot('0000:01:00.0'), undefined);
});

test('busybox applet links: never over a real file, nor where a package has the name in the other bin directory', () => {
  const stage = mkdtempSync(join(tmpdir(), 'stockade-applets-'));
  try {
    mkdirSync(join(stage, 'usr/bin'), { recursive: true });
    mkdirSync(join(stage, 'usr/sbin'), { recursive: true });
    writeFileSync(join(stage, 'usr/bin/busybox'), '');
    writeFileSync(join(stage, 'usr/bin/ip'), ''); // iproute2's /bin/ip, merged into /usr
    writeFileSync(join(stage, 'usr/bin/iptables'), '');
    const n = linkApplets(stage, ['/bin/sh', '/sbin/ip', '/usr/bin/iptables', '/sbin/modprobe']);
    assert.is(n, 2);
    assert.is(readlinkSync(join(stage, 'usr/bin/sh')), 'busybox');
    assert.is(readlinkSync(join(stage, 'usr/sbin/modprobe')), '../bin/busybox');
    assert.not.ok(existsSync(join(stage, 'usr/sbin/ip')), 'busybox ip would come first in PATH and shadow iproute2');
    assert.ok(lstatSync(join(stage, 'usr/bin/iptables')).isFile());
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
});

test.run();
