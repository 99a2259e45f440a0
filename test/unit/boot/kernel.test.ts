// The kernel-facing helpers boot uses, against text the kernel and tools print and against
// stand-in /proc, /sys and /dev trees in a temporary directory.
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { filesystemKnown, findPartitionByLabel, mount, mountedAt, parseMountinfo, parseUevent } from '../../../src/kernel/mount.ts';
import { loadModules, moduleSysName, modulePresent } from '../../../src/kernel/modules.ts';
import { readSysctl, sysctlPath, writeSysctl } from '../../../src/kernel/sysctl.ts';
import { currentHostname, setHostname } from '../../../src/kernel/hostname.ts';
import { parseRestoreError, restoreTable } from '../../../src/kernel/iptables-restore.ts';
import { linkStatus } from '../../../src/kernel/link-state.ts';
import { toolArgv, toolMessage } from '../../../src/kernel/tools.ts';
import { tempDir } from './fake-system.ts';

const MOUNTINFO = `22 1 254:2 / / ro,relatime shared:1 - squashfs /dev/vda2 ro
23 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:2 - proc proc rw
24 22 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:3 - sysfs sysfs rw
25 22 0:5 / /dev rw,nosuid,relatime shared:4 - devtmpfs devtmpfs rw,size=498000k,nr_inodes=124500,mode=755
26 25 0:23 / /dev/pts rw,nosuid,noexec,relatime shared:5 - devpts devpts rw,gid=5,mode=620,ptmxmode=666
27 22 0:24 / /run rw,nosuid,nodev shared:6 - tmpfs tmpfs rw,mode=755
28 22 0:25 / /run rw,nosuid,nodev shared:7 - ramfs none rw
29 22 254:4 / /mnt/my\\040disk rw,noatime - ext4 /dev/vda4 rw
garbage line
`;

test('mountinfo: mount point, type and source; escapes undone; the last mount at a point wins', () => {
  const mounts = parseMountinfo(MOUNTINFO);
  assert.is(mounts.length, 8);
  assert.equal(mounts[0], { mountPoint: '/', fstype: 'squashfs', source: '/dev/vda2' });
  assert.equal(mountedAt(mounts, '/dev/pts'), { mountPoint: '/dev/pts', fstype: 'devpts', source: 'devpts' });
  assert.is(mountedAt(mounts, '/run')?.fstype, 'ramfs');
  assert.is(mountedAt(mounts, '/mnt/my disk')?.source, '/dev/vda4');
  assert.is(mountedAt(mounts, '/data'), undefined);
  // Optional fields before the separator are skipped.
  assert.equal(parseMountinfo('30 22 0:26 / /x rw master:1 propagate_from:2 - tmpfs tmpfs rw\n'), [{ mountPoint: '/x', fstype: 'tmpfs', source: 'tmpfs' }]);
});

test('uevent: KEY=VALUE lines', () => {
  const u = parseUevent('MAJOR=254\nMINOR=4\nDEVNAME=vda4\nDEVTYPE=partition\nPARTN=4\nPARTNAME=data\n');
  assert.is(u.get('DEVNAME'), 'vda4');
  assert.is(u.get('PARTNAME'), 'data');
  assert.is(u.get('NOPE'), undefined);
});

test('the data partition: by the udev link when there is one, else by PARTNAME in sysfs', () => {
  const t = tempDir();
  try {
    const dev = join(t.dir, 'dev');
    const sys = join(t.dir, 'sys-class-block');
    mkdirSync(join(dev, 'disk', 'by-partlabel'), { recursive: true });
    for (const [name, uevent] of [
      ['vda', 'MAJOR=254\nMINOR=0\nDEVNAME=vda\nDEVTYPE=disk\n'],
      ['vda2', 'MAJOR=254\nMINOR=2\nDEVNAME=vda2\nDEVTYPE=partition\nPARTN=2\nPARTNAME=root-a\n'],
      ['vda4', 'MAJOR=254\nMINOR=4\nDEVNAME=vda4\nDEVTYPE=partition\nPARTN=4\nPARTNAME=data\n'],
    ] as const) {
      mkdirSync(join(sys, name), { recursive: true });
      t.write(join('sys-class-block', name, 'uevent'), uevent);
    }
    assert.is(findPartitionByLabel('data', { devDir: dev, sysBlockDir: sys }), join(dev, 'vda4'));
    assert.is(findPartitionByLabel('root-a', { devDir: dev, sysBlockDir: sys }), join(dev, 'vda2'));
    assert.is(findPartitionByLabel('vda', { devDir: dev, sysBlockDir: sys }), undefined, 'a disk is not a partition');
    assert.is(findPartitionByLabel('root-b', { devDir: dev, sysBlockDir: sys }), undefined);
    assert.is(findPartitionByLabel('data', { devDir: dev, sysBlockDir: join(t.dir, 'none') }), undefined);
    // With udev the link is used.
    t.write('dev/sdb3', '');
    symlinkSync('../../sdb3', join(dev, 'disk', 'by-partlabel', 'data'));
    assert.is(findPartitionByLabel('data', { devDir: dev, sysBlockDir: sys }), join(dev, 'sdb3'));
  } finally {
    t.cleanup();
  }
});

test('/proc/filesystems: a type counts whether or not it is nodev', () => {
  const t = tempDir();
  try {
    const f = t.write('filesystems', 'nodev\tsysfs\nnodev\ttmpfs\n\text4\n\tsquashfs\nnodev\tdevpts\n');
    assert.ok(filesystemKnown('ext4', f));
    assert.ok(filesystemKnown('tmpfs', f));
    assert.not.ok(filesystemKnown('ext', f));
    assert.not.ok(filesystemKnown('xfs', f));
    assert.not.ok(filesystemKnown('ext4', join(t.dir, 'missing')));
  } finally {
    t.cleanup();
  }
});

test('sysctl names: dots are levels, slashes are dots in a level, nothing leaves /proc/sys', () => {
  assert.is(sysctlPath('net.ipv4.ip_forward'), '/proc/sys/net/ipv4/ip_forward');
  assert.is(sysctlPath('net.ipv4.conf.bond0/10.rp_filter'), '/proc/sys/net/ipv4/conf/bond0.10/rp_filter');
  assert.is(sysctlPath('kernel.hostname', '/x'), '/x/kernel/hostname');
  assert.is(sysctlPath('net.//.//.etc'), undefined);
  assert.is(sysctlPath('net./.x'), undefined);
  assert.is(sysctlPath('net..x'), undefined);
  assert.is(sysctlPath('net.'), undefined);
});

test('sysctl writes: set, already right (by words), and each failure named', () => {
  const t = tempDir();
  try {
    const proc = t.dir;
    mkdirSync(join(proc, 'net', 'ipv4', 'conf', 'bond0.10'), { recursive: true });
    t.write('net/ipv4/ip_forward', '0\n');
    t.write('net/ipv4/tcp_rmem', '4096\t131072\t6291456\n');
    t.write('net/ipv4/conf/bond0.10/rp_filter', '1\n');
    assert.equal(writeSysctl('net.ipv4.ip_forward', 1, proc), { status: 'set' });
    assert.is(readFileSync(join(proc, 'net/ipv4/ip_forward'), 'utf8'), '1');
    assert.equal(writeSysctl('net.ipv4.ip_forward', '1', proc), { status: 'unchanged' });
    assert.equal(writeSysctl('net.ipv4.tcp_rmem', '4096 131072 6291456', proc), { status: 'unchanged' });
    assert.equal(writeSysctl('net.ipv4.conf.bond0/10.rp_filter', 2, proc), { status: 'set' });
    assert.is(readSysctl('net.ipv4.conf.bond0/10.rp_filter', proc), '2');
    assert.equal(writeSysctl('net.ipv4.nope', 1, proc), { status: 'failed', reason: 'no such sysctl' });
    assert.equal(writeSysctl('net.ipv4.conf.eth9.rp_filter', 1, proc), { status: 'failed', reason: 'no such sysctl' });
    assert.equal(writeSysctl('net.ipv4', 1, proc), { status: 'failed', reason: 'not a single parameter (a whole group)' });
    assert.equal(writeSysctl('net.//.x', 1, proc), { status: 'failed', reason: 'not a sysctl name' });
    if (process.getuid?.() !== 0) {
      chmodSync(join(proc, 'net/ipv4/ip_forward'), 0o444);
      assert.equal(writeSysctl('net.ipv4.ip_forward', 0, proc), { status: 'failed', reason: 'not writable' });
    }
  } finally {
    t.cleanup();
  }
});

test('hostname through kernel.hostname', () => {
  const t = tempDir();
  try {
    mkdirSync(join(t.dir, 'kernel'));
    t.write('kernel/hostname', '(none)\n');
    assert.equal(setHostname('fw1', t.dir), { status: 'set' });
    assert.is(currentHostname(t.dir), 'fw1');
    assert.equal(setHostname('fw1', t.dir), { status: 'unchanged' });
  } finally {
    t.cleanup();
  }
});

test('modules: sysfs names use underscores', () => {
  assert.is(moduleSysName('nf-conntrack'), 'nf_conntrack');
  assert.is(moduleSysName('8021q'), '8021q');
  const t = tempDir();
  try {
    mkdirSync(join(t.dir, 'nf_conntrack'));
    assert.ok(modulePresent('nf-conntrack', t.dir));
    assert.not.ok(modulePresent('bonding', t.dir));
  } finally {
    t.cleanup();
  }
});

test('modules: present ones are skipped, the rest go to one modprobe -a; only failures are retried alone', async () => {
  const t = tempDir();
  const savedPath = process.env.PATH;
  try {
    const sysModule = join(t.dir, 'sys-module');
    mkdirSync(join(sysModule, 'nf_tables'), { recursive: true });
    mkdirSync(join(t.dir, 'bin'));
    const log = join(t.dir, 'calls');
    // A stand-in modprobe that "loads" by creating /sys/module/<name> and knows no module "nosuch".
    t.write(
      'bin/modprobe',
      `#!/bin/sh
echo "$*" >> ${log}
[ "$1" = -a ] && shift
[ "$1" = -- ] && shift
rc=0
for m in "$@"; do
  if [ "$m" = nosuch ]; then echo "modprobe: module nosuch not found in modules.dep" >&2; rc=1; continue; fi
  mkdir -p ${sysModule}/$(echo "$m" | tr - _)
done
exit $rc
`,
    );
    chmodSync(join(t.dir, 'bin', 'modprobe'), 0o755);
    process.env.PATH = `${join(t.dir, 'bin')}:${savedPath}`;

    const ok = await loadModules(['nf_tables', 'nf-conntrack', 'bonding', 'bonding'], sysModule);
    assert.equal([...ok], [['nf_tables', { status: 'present' }], ['nf-conntrack', { status: 'loaded' }], ['bonding', { status: 'loaded' }]]);
    assert.is(readFileSync(log, 'utf8'), '-a -- nf-conntrack bonding\n', 'one modprobe run for all, names after --');

    const bad = await loadModules(['8021q', 'nosuch', 'bonding'], sysModule);
    assert.equal([...bad], [
      ['8021q', { status: 'loaded' }],
      ['nosuch', { status: 'failed', reason: 'module nosuch not found in modules.dep' }],
      ['bonding', { status: 'present' }],
    ]);
    assert.is(readFileSync(log, 'utf8'), '-a -- nf-conntrack bonding\n-a -- 8021q nosuch\n-- nosuch\n', 'only the failed one is tried alone');
    assert.equal([...(await loadModules([], sysModule))], []);
  } finally {
    process.env.PATH = savedPath;
    t.cleanup();
  }
});

test('mount: creates the mount point, runs mount -t TYPE -o OPTIONS SOURCE TARGET, words its failure', async () => {
  const t = tempDir();
  const savedPath = process.env.PATH;
  try {
    mkdirSync(join(t.dir, 'bin'));
    const log = join(t.dir, 'calls');
    t.write(
      'bin/mount',
      `#!/bin/sh
echo "$*" >> ${log}
case "$6" in */bad) echo "mount: mounting $5 on $6 failed: Invalid argument" >&2; exit 255;; esac
exit 0
`,
    );
    chmodSync(join(t.dir, 'bin', 'mount'), 0o755);
    process.env.PATH = `${join(t.dir, 'bin')}:${savedPath}`;
    const target = join(t.dir, 'mnt', 'data');
    assert.equal(await mount({ source: '/dev/vda4', target, fstype: 'ext4', options: 'noatime' }), { ok: true });
    assert.ok(existsSync(target), 'the mount point was made');
    assert.equal(await mount({ source: '/dev/vda4', target: join(t.dir, 'bad'), fstype: 'ext4', options: 'noatime' }), {
      ok: false,
      reason: `mounting /dev/vda4 on ${join(t.dir, 'bad')} failed: Invalid argument`,
    });
    assert.is(readFileSync(log, 'utf8'), `-t ext4 -o noatime /dev/vda4 ${target}\n-t ext4 -o noatime /dev/vda4 ${join(t.dir, 'bad')}\n`);
  } finally {
    process.env.PATH = savedPath;
    t.cleanup();
  }
});

const INPUT = `# header
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate BOGUS -j ACCEPT
COMMIT
`;

test('iptables-restore errors: the line named, quoted from the input, with the tool\'s words', () => {
  // As iptables 1.8.9 (nf_tables) prints them.
  assert.equal(
    parseRestoreError('iptables-restore v1.8.9 (nf_tables): Bad ctstate "BOGUS"\nError occurred at line: 7\nTry `iptables-restore -h\' or \'iptables-restore --help\' for more information.\n', INPUT),
    { reason: 'line 7 (-A INPUT -m conntrack --ctstate BOGUS -j ACCEPT): Bad ctstate "BOGUS"', line: 7 },
  );
  assert.equal(parseRestoreError('iptables-restore: line 6 failed: No chain/target/match by that name.\n', INPUT), {
    reason: 'line 6 (-A INPUT -i lo -j ACCEPT): No chain/target/match by that name.',
    line: 6,
  });
  assert.equal(parseRestoreError('iptables-restore: COMMIT expected at line 9\n', INPUT), { reason: 'line 9: COMMIT expected at line 9', line: 9 });
  assert.equal(parseRestoreError('ip6tables-restore v1.8.9 (nf_tables): unknown option "--bad"\nError occurred at line: 2\n', INPUT).reason, 'line 2 (*filter): unknown option "--bad"');
  assert.equal(parseRestoreError('Fatal: cannot open socket: Permission denied\n', INPUT), { reason: 'Fatal: cannot open socket: Permission denied' });
  assert.equal(parseRestoreError('', INPUT), { reason: 'failed with no message' });
});

test('restoreTable refuses input that is not exactly the named table (before running anything)', async () => {
  assert.equal(await restoreTable('ipv4', 'nat', INPUT), { ok: false, reason: 'internal: input for table nat holds *filter' });
  assert.equal(await restoreTable('ipv4', 'filter', INPUT + '*nat\nCOMMIT\n'), { ok: false, reason: 'internal: input for table filter holds *filter, *nat' });
  assert.equal(await restoreTable('ipv6', 'filter', ''), { ok: false, reason: 'internal: input for table filter holds no table' });
});

test('link state from sysfs: up, no-carrier, down, missing', () => {
  const t = tempDir();
  try {
    const make = (name: string, flags: string, carrier?: string): void => {
      mkdirSync(join(t.dir, name));
      t.write(`${name}/flags`, `${flags}\n`);
      t.write(`${name}/address`, '52:54:00:12:34:01\n');
      if (carrier !== undefined) t.write(`${name}/carrier`, `${carrier}\n`);
    };
    make('wan', '0x1003', '1');
    make('lan', '0x1003', '0');
    make('sync', '0x1002');
    assert.equal(linkStatus('wan', t.dir), { name: 'wan', state: 'up', mac: '52:54:00:12:34:01' });
    assert.equal(linkStatus('lan', t.dir), { name: 'lan', state: 'no-carrier', mac: '52:54:00:12:34:01' });
    assert.equal(linkStatus('sync', t.dir), { name: 'sync', state: 'down', mac: '52:54:00:12:34:01' });
    assert.equal(linkStatus('mgmt', t.dir), { name: 'mgmt', state: 'missing' });
    assert.equal(linkStatus('..', t.dir), { name: '..', state: 'missing' });
  } finally {
    t.cleanup();
  }
});

test('tools: found on PATH or in the system directories, else as a busybox applet', () => {
  const t = tempDir();
  try {
    const bin = join(t.dir, 'bin');
    mkdirSync(bin);
    t.write('bin/sometool', '#!/bin/sh\n');
    chmodSync(join(bin, 'sometool'), 0o755);
    t.write('bin/busybox', '#!/bin/sh\n');
    chmodSync(join(bin, 'busybox'), 0o755);
    assert.equal(toolArgv('sometool', bin), [join(bin, 'sometool')]);
    assert.equal(toolArgv('stockade-no-such-applet', bin), [join(bin, 'busybox'), 'stockade-no-such-applet']);
  } finally {
    t.cleanup();
  }
});

test('tool messages: the first line, without the tool\'s name', () => {
  assert.is(toolMessage({ code: 1, stdout: '', stderr: 'modprobe: module bonding not found in modules.dep\n' }, 'modprobe'), 'module bonding not found in modules.dep');
  assert.is(toolMessage({ code: 255, stdout: '', stderr: 'mount: mounting /dev/vda4 on /data failed: Invalid argument\n' }, 'mount'), 'mounting /dev/vda4 on /data failed: Invalid argument');
  assert.is(toolMessage({ code: 3, stdout: '', stderr: '' }, 'mount'), 'mount exited with status 3');
  assert.is(toolMessage({ code: -1, stdout: '', stderr: '', startError: 'mount: not found' }, 'mount'), 'mount: not found');
  assert.is(toolMessage({ code: 137, stdout: '', stderr: '', timedOut: true }, 'modprobe'), 'modprobe did not finish in time');
});

test.run();
