// The whole `stockade boot` sequence in-process against a fake system: what it prints, what it
// asks of the kernel and in which order, how it falls back, and that it always ends fail-closed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runBoot } from '../../../src/boot/boot.ts';
import { parseBootArgs } from '../../../src/boot/options.ts';
import { baseRuleset } from '../../../src/firewall/index.ts';
import { loadConfigText } from '../../../src/config/load.ts';
import { NetlinkError } from '../../../src/kernel/netlink/ack.ts';
import { capture, fakeSystem, tempDir, type FakeSystem } from './fake-system.ts';

const fixtures = join(import.meta.dirname, '..', '..', 'fixtures', 'boot');
const BOARD = join(fixtures, 'board.json');
const CONFIG = join(fixtures, 'config.json');
const DEFAULT = join(fixtures, 'default-config.json');

function readyFake(): FakeSystem {
  const sys = fakeSystem();
  sys.nics = { mgmt: 'eth0', wan: 'eth1', lan: 'eth2' };
  sys.links = {
    mgmt: { name: 'mgmt', state: 'up', mac: '52:54:00:12:34:01' },
    wan: { name: 'wan', state: 'no-carrier', mac: '52:54:00:12:34:02' },
    lan: { name: 'lan', state: 'down', mac: '52:54:00:12:34:03' },
  };
  sys.modules = { nf_tables: { status: 'present' } };
  return sys;
}

async function boot(sys: FakeSystem, args: string[] = []): Promise<{ code: number; out: string }> {
  const io = capture();
  // The fixtures unless the test names its own file.
  const defaults = [['--board', BOARD], ['--config', CONFIG], ['--default-config', DEFAULT]].filter(([flag]) => !args.includes(flag!)).flat();
  const options = parseBootArgs([...defaults, ...args]);
  const code = await runBoot(options, sys, io, '1.2.3');
  assert.is(io.stderr, '', 'boot writes only to stdout (the console)');
  return { code, out: io.stdout.replaceAll(fixtures, 'FIX') };
}

test('a first boot: every step in order, one line each, then the summary and the last line', async () => {
  const sys = readyFake();
  const { code, out } = await boot(sys);
  assert.is(code, 0);
  assert.fixture(
    out,
    `stockade: mounts    changed  mounted /dev/pts, /run, /tmp, /data (/dev/vda4)
stockade: board     ok       test-board (x64, 3 ports) from FIX/board.json
stockade: config    ok       FIX/config.json
stockade: modules   changed  3 loaded, 1 already present: nf_conntrack, nft_ct, 8021q
stockade: ports     changed  named mgmt <- eth0, wan <- eth1, lan <- eth2
stockade: network   changed  3 changes: change port mgmt, change port wan, change port lan
stockade: sysctls   changed  2 set, 0 already right
stockade: hostname  changed  fw1
stockade: firewall  changed  fail-closed base rules loaded (IPv4, IPv6); open: SSH tcp/22 from 192.0.2.0/24, 198.51.100.7 and ping in on mgmt
stockade: ssh       changed  dropbear on port 22, every address; 1 key, no passwords
stockade:   mgmt has no static address; the firewall lets SSH in on mgmt only
stockade:   host key made: /data/ssh/dropbear_ed25519_host_key
stockade:   host key SHA256:4f7aXouqSgUkXTAeDT24Z5snrWEdpMCT1zveJDer2gQ
stockade: summary
  hostname   fw1
  board      test-board
  slot       A
  config     FIX/config.json
  ports      mgmt  52:54:00:12:34:01  up
             wan   52:54:00:12:34:02  no-carrier
             lan   52:54:00:12:34:03  down
  addresses  none
  firewall   fail-closed; open: SSH tcp/22 from 192.0.2.0/24, 198.51.100.7 and
             ping in on mgmt
  failures   none
  boot time  42 ms since the process started (runtime start 42)
stockade: boot complete (1.2.3, slot A)
`,
  );
  assert.equal(sys.calls, [
    'mount devpts devpts /dev/pts nosuid,noexec,gid=5,mode=0620,ptmxmode=0666',
    'mount tmpfs tmpfs /run nosuid,nodev,mode=0755',
    'mount tmpfs tmpfs /tmp nosuid,nodev,mode=1777',
    'mount ext4 /dev/vda4 /data nosuid,nodev,noexec,noatime',
    'modprobe nf_tables nf_conntrack nft_ct 8021q',
    'namePorts mgmt,wan,lan',
    'network',
    'sysctl net.ipv4.ip_forward=1',
    'sysctl net.ipv4.conf.all.rp_filter=2',
    'hostname fw1',
    'restore ipv4 filter',
    'restore ipv6 filter',
    'ssh -F -E -s -g -j -k -m -I 1800 -r /data/ssh/dropbear_ed25519_host_key -p 22',
  ]);
  // What reached iptables-restore is the pure generator's text.
  const loaded = loadConfigText(readFileSync(CONFIG, 'utf8'));
  assert.ok(loaded.ok);
  if (!loaded.ok) return;
  const expected = baseRuleset(loaded.config);
  assert.equal(sys.restored, expected.map((t) => ({ family: t.family, table: t.table, text: t.text })));
});

test('the summary lists the IPv4 addresses the interfaces have', async () => {
  const sys = readyFake();
  sys.addressList = [{ ifname: 'mgmt', cidrs: ['192.0.2.1/24'] }, { ifname: 'wan', cidrs: ['198.51.100.2/30', '198.51.100.6/30'] }];
  const { out } = await boot(sys);
  assert.match(out, /^  addresses  mgmt 192\.0\.2\.1\/24\n {13}wan 198\.51\.100\.2\/30 198\.51\.100\.6\/30$/m);
  sys.addresses = async () => {
    throw new Error('no netlink');
  };
  assert.match((await boot(sys)).out, /^  addresses  none$/m);
});

test('a second run changes nothing and says so: mounts, names, sysctls and hostname are ok', async () => {
  const sys = readyFake();
  await boot(sys);
  sys.nics = { mgmt: 'mgmt', wan: 'wan', lan: 'lan' };
  sys.modules = { nf_tables: { status: 'present' }, nf_conntrack: { status: 'present' }, nft_ct: { status: 'present' }, '8021q': { status: 'present' } };
  sys.calls = [];
  const { code, out } = await boot(sys);
  assert.is(code, 0);
  assert.match(out, /^stockade: mounts {4}ok {7}\/dev\/pts, \/run, \/tmp, \/data already mounted$/m);
  assert.match(out, /^stockade: modules {3}ok {7}0 loaded, 4 already present$/m);
  assert.match(out, /^stockade: ports {5}ok {7}mgmt, wan, lan already named$/m);
  assert.match(out, /^stockade: sysctls {3}ok {7}0 set, 2 already right$/m);
  assert.match(out, /^stockade: hostname {2}ok {7}fw1$/m);
  assert.not.ok(sys.calls.some((c) => c.startsWith('mount ')), 'nothing is mounted twice');
  // The firewall is always (re)loaded: the kernel's copy may have been changed since.
  assert.ok(sys.calls.includes('restore ipv4 filter'));
});

test('an invalid saved config: the board default is used, the first errors are shown, the file is untouched', async () => {
  const t = tempDir();
  try {
    const bad = `{
  "version": 1,
  "system": { "hostname": "fw_1" },
  "management": { "api_port": "8443", "interfaces": [] }
}
`;
    const saved = t.write('config.json', bad);
    const sys = readyFake();
    const { code, out } = await boot(sys, ['--config', saved]);
    assert.is(code, 0, 'a fallback config is not a reason to fail boot');
    const lines = out.split('\n');
    const at = lines.findIndex((l) => l.startsWith('stockade: config'));
    assert.is(lines[at], `stockade: config    failed   ${saved} is invalid (2 errors); using the board default FIX/default-config.json (the saved file is left as it is)`);
    assert.match(lines[at + 1]!, new RegExp(`^stockade:   ${saved}:3:27: /system/hostname: expected a host name .*; found "fw_1"$`));
    assert.match(lines[at + 2]!, new RegExp(`^stockade:   ${saved}:4:31: /management/api_port: expected an integer from 1 to 65535; found "8443"\\. hint: write the number without quotes: 8443$`));
    assert.not.match(out, /at .*\.ts:\d+/, 'no stack trace');
    // The path may wrap onto the next line: how long it is depends on where the tree is checked out.
    assert.match(out, /^  config {5}board default( |$)/m);
    assert.match(out, /^ {13}(.* )?invalid \(2 errors\)\)$/m, 'the summary says why (wrapped to 80 columns)');
    assert.match(out, /^  hostname {3}stockade$/m);
    assert.match(out, /^  failures {3}config: /m);
    assert.is(readFileSync(saved, 'utf8'), bad, 'the saved file is left as it was');
    // The default's management settings are what the firewall opens: ping on mgmt, and no SSH
    // (the default has no key; nothing listens on management.api_port).
    assert.match(sys.restored[0]!.text, /^-A STOCKADE-INPUT -i mgmt -p icmp -m icmp --icmp-type 8 -m comment --comment "\/management" -j ACCEPT$/m);
    assert.not.match(sys.restored[0]!.text, /-p tcp/);
  } finally {
    t.cleanup();
  }
});

test('an unparseable saved config reports the syntax error with its position', async () => {
  const t = tempDir();
  try {
    const saved = t.write('config.json', '{"version": 1,}');
    const { out } = await boot(readyFake(), ['--config', saved]);
    assert.match(out, new RegExp(`stockade:   ${saved}:1:15: \\(top level\\): expected a property name in double quotes; found '}'`));
  } finally {
    t.cleanup();
  }
});

test('no saved config (a box never configured): the board default, and that is not a failure', async () => {
  const { code, out } = await boot(readyFake(), ['--config', '/nonexistent/config.json']);
  assert.is(code, 0);
  assert.match(out, /^stockade: config {4}ok {7}no saved config at \/nonexistent\/config\.json; using the board default FIX\/default-config\.json$/m);
  assert.match(out, /^  failures {3}none$/m);
});

test('no data partition: boot goes on read-only with the board default, without reading /data', async () => {
  const sys = readyFake();
  sys.partitions = {};
  const { code, out } = await boot(sys);
  assert.is(code, 0);
  assert.match(out, /^stockade: mounts {4}failed {3}\/data: no partition labelled data; no persistent storage: running on the read-only image with the board default config, nothing is saved$/m);
  assert.match(out, /^stockade:   mounted \/dev\/pts, \/run, \/tmp$/m);
  assert.match(out, /^stockade: config {4}ok {7}the data partition is not mounted; using the board default FIX\/default-config\.json$/m);
  assert.match(out, /^  hostname {3}stockade$/m, 'the saved config (hostname fw1) was not used');
});

test('a data partition that does not mount is reported with mount\'s reason', async () => {
  const sys = readyFake();
  sys.mountFailures['/data'] = 'mounting /dev/vda4 on /data failed: Invalid argument';
  const { out } = await boot(sys);
  assert.match(out, /^stockade: mounts {4}failed {3}\/data \(\/dev\/vda4\): mounting \/dev\/vda4 on \/data failed: Invalid argument; no persistent storage/m);
});

test('an unusable default config too: the built-in minimal config, console only', async () => {
  const t = tempDir();
  try {
    const def = t.write('default.json', '{"version": 1, "management": {"interfaces": ["nope"]}}');
    const sys = readyFake();
    const { code, out } = await boot(sys, ['--config', '/nonexistent/config.json', '--default-config', def]);
    assert.is(code, 0);
    assert.match(out, /^stockade: config {4}failed {3}no saved config at \/nonexistent\/config\.json; the board default .* cannot be used either: using the built-in minimal config \(console access only\)$/m);
    assert.match(out, /^stockade: {3}.*default\.json:1:46: \/management\/interfaces\/0: /m);
    assert.match(out, /^stockade: firewall {2}changed {2}fail-closed base rules loaded \(IPv4, IPv6\); open: nothing in \(no management interface: console only\)$/m);
    assert.not.match(sys.restored[0]!.text, /--dport/);
  } finally {
    t.cleanup();
  }
});

test('the base rules fail: lockdown (loopback only) is loaded, boot says so loudly and exits 1', async () => {
  const sys = readyFake();
  sys.restoreFailures = [{ match: /^ipv4 .*--ctstate/s, reason: 'line 7 (-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT): No such file or directory' }];
  const { code, out } = await boot(sys);
  assert.is(code, 1);
  assert.match(out, /^stockade: firewall {2}failed {3}base rules failed: ipv4 filter: line 7 \(-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\): No such file or directory$/m);
  assert.match(out, /^stockade: {3}LOCKDOWN over IPv4: everything but loopback is dropped; the box is reachable from its console only$/m);
  assert.match(out, /^  firewall {3}LOCKDOWN over IPv4 \(base rules failed\): console access only;\n {13}fail-closed over IPv6$/m);
  assert.match(out, /stockade: boot complete \(1\.2\.3, slot A\)\n$/, 'the last line is still the boot-complete line');
  assert.equal(sys.restored.map((r) => `${r.family} ${r.text.split('\n').filter((l) => l.startsWith('-A')).length}`), ['ipv6 4', 'ipv4 1']);
});

test('no firewall can be loaded for a family: NOT PROTECTED over it, exit 1', async () => {
  const sys = readyFake();
  sys.restoreFailures = [{ match: /^ipv4 /, reason: 'cannot run iptables-restore (iptables-restore: not found)' }];
  const { code, out } = await boot(sys);
  assert.is(code, 1);
  assert.match(out, /^stockade: firewall {2}failed {3}base rules failed: ipv4 filter: cannot run iptables-restore \(iptables-restore: not found\); ipv4 lockdown: cannot run/m);
  assert.match(out, /^stockade: {3}THE BOX IS NOT PROTECTED over IPv4: no fail-closed firewall is loaded$/m);
  assert.match(out, /^  firewall {3}NOT APPLIED over IPv4: not protected; fail-closed over IPv6$/m);
  sys.restoreFailures = [{ match: /./, reason: 'nf_tables: Operation not supported' }];
  const none = await boot(sys);
  assert.match(none.out, /^stockade: {3}THE BOX IS NOT PROTECTED over IPv4 and IPv6: no fail-closed firewall is loaded$/m);
});

test('a bad board file: a clear error naming the file, pointer and problem; the rest still ends fail-closed; exit 1', async () => {
  const t = tempDir();
  try {
    const board = JSON.parse(readFileSync(BOARD, 'utf8'));
    board.ports[1].label = 'mgmt';
    board.ports[2].mac = '52:54:00:12:34:zz';
    const file = t.write('board.json', JSON.stringify(board, null, 2));
    const sys = readyFake();
    const { code, out } = await boot(sys, ['--board', file]);
    assert.is(code, 1);
    assert.match(out, new RegExp(`^stockade: board {5}failed {3}${file}: 1 error; the board's modules and port names are not applied$`, 'm'));
    assert.match(out, new RegExp(`^stockade: {3}${file}:\\d+:\\d+: /ports/2/mac: expected a MAC address like 52:54:00:12:34:01; found "52:54:00:12:34:zz"$`, 'm'));
    assert.match(out, /^stockade: modules {3}failed {3}no usable board file: no modules loaded$/m);
    assert.match(out, /^stockade: ports {5}failed {3}no usable board file: ports keep their kernel names$/m);
    assert.match(out, /^stockade: firewall {2}changed /m);
    assert.match(out, /^  board {6}unknown \(board file unusable\)$/m);
    assert.not.ok(sys.calls.some((c) => c.startsWith('modprobe') || c.startsWith('namePorts')));
  } finally {
    t.cleanup();
  }
});

test('a missing board file says so in one line', async () => {
  const { code, out } = await boot(readyFake(), ['--board', '/nonexistent/board.json']);
  assert.is(code, 1);
  assert.match(out, /^stockade: board {5}failed {3}\/nonexistent\/board\.json: cannot read: no such file; the board's modules and port names are not applied$/m);
});

test('missing modules, missing NICs and failing sysctls are reported by name; boot goes on', async () => {
  const sys = readyFake();
  sys.modules['8021q'] = { status: 'failed', reason: 'module 8021q not found in modules.dep' };
  delete sys.nics['lan'];
  sys.sysctlFailures['net.ipv4.conf.all.rp_filter'] = 'no such sysctl';
  const { code, out } = await boot(sys);
  assert.is(code, 0);
  assert.match(out, /^stockade: modules {3}failed {3}1 missing: 8021q \(module 8021q not found in modules\.dep\); 2 loaded, 1 already present$/m);
  assert.match(out, /^stockade: ports {5}failed {3}no NIC for lan \(path 0000:00:05\.0\); named mgmt <- eth0, wan <- eth1$/m);
  assert.match(out, /^stockade: network {3}changed  2 changes: change port mgmt, change port wan\nstockade: {3}port lan: no such interface; it and what is configured on it are skipped$/m);
  assert.match(out, /^stockade: sysctls {3}failed {3}1 failed: net\.ipv4\.conf\.all\.rp_filter \(no such key here\); 1 set, 0 already right$/m);
  assert.match(out, /^  failures {3}modules: /m);
  assert.match(out, /^ {13}ports: no NIC for lan/m);
  assert.match(out, /^ {13}sysctls: 1 failed/m);
});

/** The fixture config with a bond over wan and lan, two VLANs on it and addresses on them. */
function bondedConfig(dir: { write(name: string, text: string): string }): string {
  const config = JSON.parse(readFileSync(CONFIG, 'utf8'));
  config.interfaces.bonds = [{ name: 'bond0', mode: 'active-backup', members: ['wan', 'lan'], primary: 'wan' }];
  config.interfaces.vlans = [{ name: 'ext', parent: 'bond0', id: 10 }, { name: 'int', parent: 'bond0', id: 20 }];
  config.addresses = [{ interface: 'ext', static: ['198.51.100.1/24'] }, { interface: 'int', static: ['192.0.2.129/25'] }];
  return dir.write('bonded.json', JSON.stringify(config));
}

test('the network: boot builds a bond with VLANs and their addresses (the net apply), then the sysctls; a second boot changes nothing', async () => {
  const t = tempDir();
  try {
    const sys = readyFake();
    const file = bondedConfig(t);
    const { code, out } = await boot(sys, ['--config', file]);
    assert.is(code, 0);
    const line = /^stockade: network {3}changed  (\d+) changes: create bond bond0, /m.exec(out);
    assert.ok(line, out);
    const k = sys.kernel;
    const bond = k.byName('bond0')!;
    assert.is(k.byName('wan')!.master, bond.index);
    assert.is(k.byName('lan')!.master, bond.index);
    assert.equal(['ext', 'int'].map((n) => [k.byName(n)!.parent, k.byName(n)!.vlan?.id]), [[bond.index, 10], [bond.index, 20]]);
    assert.equal(k.addressList.map((a) => `${a.local}/${a.prefixLength}`).sort(), ['192.0.2.129/25', '198.51.100.1/24']);
    // After the links, in the order of the plan: the network, then the sysctls, then the rest.
    assert.ok(sys.calls.indexOf('network') > sys.calls.indexOf('namePorts mgmt,wan,lan'));
    assert.ok(sys.calls.indexOf('sysctl net.ipv4.ip_forward=1') > sys.calls.indexOf('network'));
    assert.ok(sys.calls.indexOf('restore ipv4 filter') > sys.calls.indexOf('hostname fw1'));
    assert.match(out, /^stockade: sysctls {3}changed  2 set, 0 already right$/m);

    sys.nics = { mgmt: 'mgmt', wan: 'wan', lan: 'lan' };
    const writes = k.writes;
    const again = await boot(sys, ['--config', file]);
    assert.match(again.out, /^stockade: network {3}ok {7}no change$/m);
    assert.match(again.out, /^stockade: sysctls {3}ok {7}0 set, 2 already right$/m);
    assert.is(k.writes, writes, 'no netlink write on the second boot');
  } finally {
    t.cleanup();
  }
});

test('the kernel refuses a network change: the apply is undone, the line names the object and reason, sysctls are not set, the firewall still loads', async () => {
  const t = tempDir();
  try {
    const sys = readyFake();
    sys.kernel.failWith = (op) => (op.op === 'create vlan' && op.name === 'int' ? new NetlinkError(-16, 16, { message: 'injected: device busy' }) : undefined);
    const { code, out } = await boot(sys, ['--config', bondedConfig(t)]);
    assert.is(code, 0, 'boot goes on: the box is safe behind the firewall');
    assert.match(out, /^stockade: network {3}failed {3}create vlan int .*the kernel refused: .*device busy.*undone$/m);
    assert.match(out, /^stockade: sysctls {3}failed {3}not set: the network apply failed \(see the network line\)$/m);
    assert.match(out, /^stockade: firewall {2}changed  fail-closed base rules loaded/m);
    assert.is(sys.kernel.byName('bond0'), undefined, 'the bond made by this apply is gone again');
    assert.is(sys.kernel.byName('ext'), undefined);
    assert.is(sys.sysctls['net.ipv4.ip_forward'], undefined, 'forwarding was not turned on');
    assert.match(out, /^  failures {3}network: create vlan int/m);
  } finally {
    t.cleanup();
  }
});

test('--skip network leaves the network and its sysctls alone, and says so', async () => {
  const sys = readyFake();
  const { code, out } = await boot(sys, ['--skip', 'network']);
  assert.is(code, 0);
  assert.match(out, /^stockade: network {3}skipped  --skip network$/m);
  assert.match(out, /^stockade: sysctls {3}skipped  --skip network: the network apply sets them$/m);
  assert.not.ok(sys.calls.some((c) => c === 'network' || c.startsWith('sysctl ')));
});

test('the config\'s modules load after the board\'s, each once', async () => {
  const t = tempDir();
  try {
    const config = JSON.parse(readFileSync(CONFIG, 'utf8'));
    config.modules = ['nf_conntrack_ftp', '8021q'];
    const file = t.write('config.json', JSON.stringify(config));
    const sys = readyFake();
    await boot(sys, ['--config', file]);
    assert.equal(sys.calls.filter((c) => c.startsWith('modprobe')), ['modprobe nf_tables nf_conntrack nft_ct 8021q nf_conntrack_ftp']);
    // Without a board, the config's modules still load.
    sys.calls = [];
    const { out } = await boot(sys, ['--config', file, '--board', '/nonexistent/board.json']);
    assert.equal(sys.calls.filter((c) => c.startsWith('modprobe')), ['modprobe nf_conntrack_ftp 8021q']);
    assert.match(out, /^stockade: modules {3}failed {3}no usable board file: only the config's modules; 2 loaded, 0 already present$/m);
  } finally {
    t.cleanup();
  }
});

test('a step that throws is reported and boot still reaches the firewall', async () => {
  const sys = readyFake();
  sys.namePorts = async () => {
    throw new Error('netlink socket: EPERM');
  };
  sys.mounts = () => {
    throw new Error('ENOENT: /proc/self/mountinfo');
  };
  const { code, out } = await boot(sys);
  assert.is(code, 0);
  assert.match(out, /^stockade: mounts {4}failed {3}cannot read the mount table \(ENOENT: \/proc\/self\/mountinfo\); nothing mounted, using the board default config$/m);
  assert.match(out, /^stockade: ports {5}failed {3}cannot name the ports: netlink socket: EPERM$/m);
  assert.match(out, /^stockade: firewall {2}changed /m);
});

test('a firewall step that throws counts as not protected: exit 1', async () => {
  const sys = readyFake();
  sys.restoreTable = async () => {
    throw new Error('spawn EAGAIN');
  };
  const { code, out } = await boot(sys);
  assert.is(code, 1);
  assert.match(out, /^stockade: firewall {2}failed {3}internal error: spawn EAGAIN$/m);
  assert.match(out, /^  firewall {3}NOT APPLIED: the box is not protected$/m);
});

test('--skip firewall leaves the rules alone and says so', async () => {
  const sys = readyFake();
  const { code, out } = await boot(sys, ['--skip', 'firewall']);
  assert.is(code, 0);
  assert.match(out, /^stockade: firewall {2}skipped  --skip firewall: the rules were left as they were$/m);
  assert.match(out, /^  firewall {3}not touched \(--skip firewall\)$/m);
  assert.not.ok(sys.calls.some((c) => c.startsWith('restore')));
});

test('--skip leaves steps out and says so; nothing of theirs is asked of the kernel', async () => {
  const sys = readyFake();
  const { code, out } = await boot(sys, ['--skip', 'mounts,modules,ports,hostname']);
  assert.is(code, 0);
  for (const step of ['mounts', 'modules', 'ports', 'hostname']) {
    assert.match(out, new RegExp(`^stockade: ${step.padEnd(9)} skipped  --skip ${step}$`, 'm'));
  }
  assert.equal(sys.calls, ['network', 'sysctl net.ipv4.ip_forward=1', 'sysctl net.ipv4.conf.all.rp_filter=2', 'restore ipv4 filter', 'restore ipv6 filter', 'ssh -F -E -s -g -j -k -m -I 1800 -r /data/ssh/dropbear_ed25519_host_key -p 22']);
  // Skipping mounts means "already mounted": the saved config is read.
  assert.match(out, /^  hostname {3}fw1$/m);
});

test('the slot comes from the kernel command line; without it, slot ?', async () => {
  const sys = readyFake();
  sys.files['/proc/cmdline'] = 'root=PARTLABEL=root-b stockade.slot=B quiet';
  assert.match((await boot(sys)).out, /stockade: boot complete \(1\.2\.3, slot B\)\n$/);
  sys.files['/proc/cmdline'] = 'root=/dev/vda2';
  const { out } = await boot(sys);
  assert.match(out, /^  slot {7}\? \(no stockade\.slot= on the kernel command line\)$/m);
  assert.match(out, /stockade: boot complete \(1\.2\.3, slot \?\)\n$/);
  const { out: other } = await boot(sys, ['--cmdline', '/elsewhere']);
  assert.match(other, /slot \?\)\n$/);
});

test.run();
