// The built `stockade boot` inside a lab namespace, as init would run it but without mounts and
// modules (the host's, not the namespace's): it names veths by their MAC, builds the config's
// network (an address on wan, by the net apply) with its net.* sysctls in the namespace, and
// loads the fail-closed base firewall there; the SSH port on the management interface
// answers the allowed host only. Every run is inside `unshare --uts`, so the hostname it sets
// is the run's own, never the host's; the configs here hold only net.* sysctls (per namespace).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { withLab, type Lab } from '../harness.ts';
import { baseRuleset } from '../../../src/firewall/index.ts';
import { loadConfigText } from '../../../src/config/load.ts';
import { requireLab } from '../require.ts';
import { loud } from '../../loud-hook.ts';

const root = join(import.meta.dirname, '..', '..', '..');
const bin = process.env.STOCKADE_BIN ?? join(root, 'dist', 'x64', 'stockade');
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
const ready = requireLab(test, 'lab/boot/boot', { tools: ['iptables', 'ping', 'unshare'] });

/** The SSH port the firewall opens (nothing of dropbear runs here: the ssh step is skipped, it would write the host's /run and /data). */
const API_PORT = 8443;
/** An OpenSSH public key (ssh-keygen -t ed25519): with one, SSH runs and its port is opened. */
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKtXqLSihHJzSa1sMHJzNh1TiMhIGWeFp8O9fAtCgbT0 admin@laptop';
const OTHER_PORT = 9000;
const DEFAULT_API_PORT = 9443;

/** fw's mgmt port faces admin (192.0.2.0/24), its wan port faces outsider (198.51.100.0/24). */
const topology = {
  hosts: ['fw', 'admin', 'outsider'],
  links: [['fw:eth0', 'admin:eth0'], ['fw:eth1', 'outsider:eth0']] as Array<[string, string]>,
  addresses: {
    'fw:eth0': ['192.0.2.1/24'],
    'fw:eth1': ['198.51.100.1/24'],
    // .10 is the allowed management source, .11 is not.
    'admin:eth0': ['192.0.2.10/24', '192.0.2.11/24'],
    'outsider:eth0': ['198.51.100.2/24'],
  },
};

function board(ports: Array<{ label: string; mac?: string; path?: string }>): unknown {
  return {
    name: 'lab-board',
    arch: 'x64',
    debian_arch: 'amd64',
    kernel_package: 'linux-image-amd64',
    modules: [],
    console: { device: 'ttyS0', baud: 115200 },
    ports,
    partitions: { esp_mb: 32, root_mb: 192, data_mb: 64 },
  };
}

const savedConfig = {
  version: 1,
  system: { hostname: 'fw-lab' },
  interfaces: { ports: [{ name: 'mgmt' }, { name: 'wan' }] },
  // A second address on wan: the network step's own (the harness gave wan .1).
  addresses: [{ interface: 'wan', static: ['198.51.100.5/24'] }],
  // net.* only: these keys are the namespace's own.
  sysctls: { 'net.ipv4.ip_forward': 1, 'net.ipv4.conf.mgmt.rp_filter': 2, 'net.ipv4.conf.wan.accept_redirects': 0 },
  management: { interfaces: ['mgmt'], allowed_sources: ['192.0.2.10'], ssh_port: API_PORT, ssh_authorized_keys: [KEY] },
};

const defaultConfig = {
  version: 1,
  system: { hostname: 'fw-default' },
  interfaces: { ports: [{ name: 'mgmt' }, { name: 'wan' }] },
  sysctls: { 'net.ipv4.ip_forward': 0 },
  management: { interfaces: ['mgmt'], ssh_port: DEFAULT_API_PORT, ssh_authorized_keys: [KEY] },
};

interface Files {
  dir: string;
  board: string;
  config: string;
  defaults: string;
  cmdline: string;
}

function writeFiles(dir: string, ports: Array<{ label: string; mac?: string; path?: string }>): Files {
  const files = {
    dir,
    board: join(dir, 'board.json'),
    config: join(dir, 'config.json'),
    defaults: join(dir, 'default-config.json'),
    cmdline: join(dir, 'cmdline'),
  };
  writeFileSync(files.board, JSON.stringify(board(ports), null, 2));
  writeFileSync(files.config, JSON.stringify(savedConfig, null, 2));
  writeFileSync(files.defaults, JSON.stringify(defaultConfig, null, 2));
  writeFileSync(files.cmdline, 'BOOT_IMAGE=/vmlinuz root=PARTLABEL=root-b ro console=ttyS0,115200 stockade.slot=B\n');
  return files;
}

interface BootRun {
  code: number;
  out: string;
  /** The hostname inside the run's own UTS namespace after boot. */
  hostname: string;
}

/** `stockade boot` in host's namespace, in a UTS namespace of its own, without mounts and modules. */
async function runBoot(lab: Lab, host: string, f: Files, extra: string[] = []): Promise<BootRun> {
  const script = '"$0" boot "$@"; code=$?; echo "@hostname=$(cat /proc/sys/kernel/hostname)"; exit $code';
  const args = ['--board', f.board, '--config', f.config, '--default-config', f.defaults, '--cmdline', f.cmdline, '--skip', 'mounts,modules,ssh', ...extra];
  const r = await lab.exec(host, ['unshare', '--uts', 'sh', '-c', script, bin, ...args], { check: false });
  const m = /^@hostname=(.*)$/m.exec(r.stdout);
  return { code: r.code, out: r.stdout.replace(/^@hostname=.*\n/m, '') + r.stderr, hostname: m?.[1] ?? '' };
}

async function macOf(lab: Lab, host: string, ifname: string): Promise<string> {
  const links = JSON.parse((await lab.exec(host, ['ip', '-j', 'link', 'show', 'dev', ifname])).stdout) as Array<{ address: string }>;
  return links[0]!.address;
}

/** The rule and policy lines of `iptables-save` (or ip6tables-save), comments and counters left out. */
async function savedRules(lab: Lab, host: string, tool: 'iptables-save' | 'ip6tables-save'): Promise<string[]> {
  const text = (await lab.exec(host, [tool, '-t', 'filter'])).stdout;
  return text.split('\n').filter((l) => l.startsWith(':') || l.startsWith('-A') || l.startsWith('*') || l === 'COMMIT');
}

function ruleLines(text: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(':') || l.startsWith('-A') || l.startsWith('*') || l === 'COMMIT');
}

const SERVER = `
const net = require('node:net');
for (const port of process.argv.slice(1)) net.createServer((s) => s.end('hello\\n')).listen(Number(port), '0.0.0.0');
process.stdout.write('listening\\n');
`;

const CLIENT = `
const net = require('node:net');
const [host, port, localAddress] = process.argv.slice(1);
const s = net.connect({ host, port: Number(port), localAddress });
const done = (what) => { process.stdout.write(what + '\\n'); process.exit(0); };
s.setTimeout(700, () => done('timeout'));
s.on('data', () => done('open'));
s.on('error', (e) => done(e.code));
`;

async function tcp(lab: Lab, host: string, to: string, port: number, from: string): Promise<string> {
  return (await lab.exec(host, [process.execPath, '-e', CLIENT, to, String(port), from])).stdout.trim();
}

async function pings(lab: Lab, host: string, to: string): Promise<boolean> {
  return (await lab.exec(host, ['ping', '-c1', '-W1', to], { check: false })).code === 0;
}

if (ready && !existsSync(bin)) {
  test('stockade boot lab tests need the built executable', () => {
    assert.unreachable(`${bin} is missing: npm run build`);
  });
} else if (ready) {
  let tmp: string;
  test.before(loud('stockade boot (lab)', () => {
    tmp = mkdtempSync(join(tmpdir(), 'stockade-lab-boot-'));
  }));
  test.after(() => {
    rmSync(tmp, { recursive: true, force: true });
  });

  test('boot names the ports by MAC, sets sysctls and hostname, loads the base firewall; only the allowed host reaches the API', async () => {
    const hostForwarding = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
    const hostName = hostname();
    await withLab(topology, async (lab) => {
      // MACs as the board would give them; one in upper case (matched without regard to case).
      const f = writeFiles(tmp, [
        { label: 'mgmt', mac: await macOf(lab, 'fw', 'eth0') },
        { label: 'wan', mac: (await macOf(lab, 'fw', 'eth1')).toUpperCase() },
      ]);
      const run = await runBoot(lab, 'fw', f);
      process.stdout.write(`\n--- stockade boot in lab host fw ---\n${run.out}---\n`);
      assert.is(run.code, 0, run.out);

      // One line per step, in order.
      const steps = run.out.split('\n').filter((l) => /^stockade: \S+ +(ok|changed|failed|skipped) /.test(l)).map((l) => l.split(/\s+/).slice(1, 3).join(' '));
      assert.equal(steps, ['mounts skipped', 'board ok', 'config ok', 'modules skipped', 'ports changed', 'network changed', 'sysctls changed', 'hostname changed', 'firewall changed', 'ssh skipped']);
      assert.match(run.out, /^stockade: network {3}changed  1 change: create address 198\.51\.100\.5\/24 on wan$/m);
      assert.match(run.out, /^stockade: ports {5}changed  named mgmt <- eth0, wan <- eth1$/m);
      assert.match(run.out, /^stockade: sysctls {3}changed  \d set, \d already right$/m);
      assert.match(run.out, /^stockade: hostname  changed  fw-lab$/m);

      // The summary, and the last line.
      assert.match(run.out, /^  hostname {3}fw-lab$/m);
      assert.match(run.out, /^  board {6}lab-board$/m);
      assert.match(run.out, /^  slot {7}B$/m);
      assert.match(run.out, new RegExp(`^  config {5}${f.config}$`, 'm'));
      assert.match(run.out, /^  ports {6}mgmt  [0-9a-f:]{17}  up\n {13}wan {3}[0-9a-f:]{17}  up$/m);
      assert.match(run.out, /^  addresses  mgmt 192\.0\.2\.1\/24\n {13}wan 198\.51\.100\.1\/24 198\.51\.100\.5\/24$/m);
      assert.match(run.out.replace(/\n {13}/g, ' '), /^  firewall {3}fail-closed; open: SSH tcp\/8443 from 192\.0\.2\.10 and ping in on mgmt$/m);
      assert.match(run.out, /^  failures {3}none$/m);
      assert.ok(run.out.endsWith(`stockade: boot complete (${version}, slot B)\n`), run.out);
      // The summary reports the boot's own time; how long it is belongs to a benchmark, not here.
      assert.match(run.out, /^  boot time  \d+ ms since the process started/m);

      // The links carry their labels; the hostname was set (in the run's UTS namespace only).
      const names = JSON.parse((await lab.exec('fw', ['ip', '-j', 'link', 'show'])).stdout).map((l: { ifname: string }) => l.ifname);
      assert.equal(names.sort(), ['lo', 'mgmt', 'wan']);
      assert.is(run.hostname, 'fw-lab');
      assert.is(hostname(), hostName, 'the host keeps its hostname');

      // The sysctls, inside the namespace only.
      const sysctl = async (name: string): Promise<string> => (await lab.exec('fw', ['sysctl', '-n', name])).stdout.trim();
      assert.is(await sysctl('net.ipv4.ip_forward'), '1');
      assert.is(await sysctl('net.ipv4.conf.mgmt.rp_filter'), '2');
      assert.is(await sysctl('net.ipv4.conf.wan.accept_redirects'), '0');
      assert.is(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8'), hostForwarding, 'the root namespace is untouched');

      // What the kernel holds is what was generated, line for line, with DROP policies.
      const loaded = loadConfigText(JSON.stringify(savedConfig));
      assert.ok(loaded.ok);
      if (!loaded.ok) return;
      const [v4, v6] = baseRuleset(loaded.config);
      const saved4 = await savedRules(lab, 'fw', 'iptables-save');
      assert.equal(saved4, ruleLines(v4!.text));
      assert.ok(saved4.includes(':INPUT DROP [0:0]') && saved4.includes(':FORWARD DROP [0:0]') && saved4.includes(':OUTPUT ACCEPT [0:0]'));
      assert.ok(saved4.includes(`-A STOCKADE-INPUT -s 192.0.2.10/32 -i mgmt -p tcp -m tcp --dport ${API_PORT} -m comment --comment "/management/ssh_port" -j ACCEPT`));
      assert.equal(await savedRules(lab, 'fw', 'ip6tables-save'), ruleLines(v6!.text));

      // The management port answers the allowed source only; other ports and hosts get nothing.
      const server = lab.spawn('fw', [process.execPath, '-e', SERVER, String(API_PORT), String(OTHER_PORT)]);
      await lab.waitFor('the test server in fw', () => server.stdout().includes('listening'));
      assert.is(await tcp(lab, 'admin', '192.0.2.1', API_PORT, '192.0.2.10'), 'open', 'allowed host reaches the SSH port');
      assert.is(await tcp(lab, 'admin', '192.0.2.1', OTHER_PORT, '192.0.2.10'), 'timeout', 'another port is dropped');
      assert.is(await tcp(lab, 'admin', '192.0.2.1', API_PORT, '192.0.2.11'), 'timeout', 'a source not allowed is dropped');
      assert.is(await tcp(lab, 'outsider', '198.51.100.1', API_PORT, '198.51.100.2'), 'timeout', 'not on the wan port');
      assert.ok(await pings(lab, 'admin', '192.0.2.1'), 'ping on the management interface');
      assert.not.ok(await pings(lab, 'outsider', '198.51.100.1'), 'no ping on wan');
      // Replies to the box's own traffic come back (established); loopback works.
      assert.ok(await pings(lab, 'fw', '192.0.2.10'), 'fw pings out and gets the reply');
      assert.is(await tcp(lab, 'fw', '127.0.0.1', OTHER_PORT, '127.0.0.1'), 'open', 'loopback is open');

      // A second run is idempotent: names, network and sysctls are already right.
      const again = await runBoot(lab, 'fw', f);
      assert.is(again.code, 0, again.out);
      assert.match(again.out, /^stockade: ports {5}ok {7}mgmt, wan already named$/m);
      assert.match(again.out, /^stockade: network {3}ok {7}no change$/m);
      assert.match(again.out, /^stockade: sysctls {3}ok {7}0 set, 3 already right$/m);
      assert.equal(await savedRules(lab, 'fw', 'iptables-save'), ruleLines(v4!.text), 'the table is replaced, not appended to');
    });
  });

  test('an invalid saved config: boot uses the board default, says why, and leaves the saved file as it was', async () => {
    await withLab(topology, async (lab) => {
      const f = writeFiles(tmp, [
        { label: 'mgmt', mac: await macOf(lab, 'fw', 'eth0') },
        { label: 'wan', mac: await macOf(lab, 'fw', 'eth1') },
      ]);
      const bad = '{\n  "version": 1,\n  "management": { "interfaces": ["mgmt"], "api_port": 70000 }\n}\n';
      writeFileSync(f.config, bad);
      const run = await runBoot(lab, 'fw', f);
      process.stdout.write(`\n--- stockade boot with an invalid saved config ---\n${run.out}---\n`);
      assert.is(run.code, 0, run.out);
      assert.match(run.out, new RegExp(`^stockade: config {4}failed {3}${f.config} is invalid \\(1 error\\); using the board default ${f.defaults} \\(the saved file is left as it is\\)$`, 'm'));
      assert.match(run.out, new RegExp(`^stockade: {3}${f.config}:3:55: /management/api_port: expected an integer from 1 to 65535; found 70000$`, 'm'));
      assert.not.match(run.out, /\n\s+at /, 'no stack trace');
      assert.is(readFileSync(f.config, 'utf8'), bad, 'the saved file is unchanged');
      assert.is(run.hostname, 'fw-default');
      assert.match(run.out, /^  hostname {3}fw-default$/m);
      assert.is((await lab.exec('fw', ['sysctl', '-n', 'net.ipv4.ip_forward'])).stdout.trim(), '0');
      // The default's management port is the one opened.
      const saved = await savedRules(lab, 'fw', 'iptables-save');
      assert.ok(saved.includes(`-A STOCKADE-INPUT -i mgmt -p tcp -m tcp --dport ${DEFAULT_API_PORT} -m comment --comment "/management/ssh_port" -j ACCEPT`), saved.join('\n'));
      assert.not.ok(saved.some((l) => l.includes(`--dport ${API_PORT}`)));
      assert.ok(run.out.endsWith(`stockade: boot complete (${version}, slot B)\n`));
    });
  });

  test('a bad board file: a clear error naming the file, pointer and problem; the firewall is still fail-closed; exit 1', async () => {
    await withLab({ hosts: ['fw'], links: [['fw:eth0', 'fw:eth1']] }, async (lab) => {
      const mac = await macOf(lab, 'fw', 'eth0');
      // Two ports with one MAC: no port map can be trusted.
      const f = writeFiles(tmp, [
        { label: 'mgmt', mac },
        { label: 'wan', mac: mac.toUpperCase() },
      ]);
      const run = await runBoot(lab, 'fw', f);
      process.stdout.write(`\n--- stockade boot with a bad board file ---\n${run.out}---\n`);
      assert.is(run.code, 1, run.out);
      assert.match(run.out, new RegExp(`^stockade: board {5}failed {3}${f.board}: 1 error; the board's modules and port names are not applied$`, 'm'));
      assert.match(run.out, new RegExp(`^stockade: {3}${f.board}:\\d+:\\d+: /ports/1/mac: expected a MAC address not used by another port; found "${mac.toUpperCase()}" again\\. hint: port 0 \\(mgmt\\) has it too$`, 'm'));
      assert.match(run.out, /^stockade: ports {5}failed {3}no usable board file: ports keep their kernel names$/m);
      const names = JSON.parse((await lab.exec('fw', ['ip', '-j', 'link', 'show'])).stdout).map((l: { ifname: string }) => l.ifname);
      assert.ok(names.includes('eth0') && names.includes('eth1'), 'nothing was renamed');
      const saved = await savedRules(lab, 'fw', 'iptables-save');
      assert.ok(saved.includes(':INPUT DROP [0:0]') && saved.includes(':FORWARD DROP [0:0]'), saved.join('\n'));
      assert.ok(run.out.endsWith(`stockade: boot complete (${version}, slot B)\n`));
    });
  });

  test('bad flags, or not on an appliance without --board: exit 2, nothing done', async () => {
    await withLab({ hosts: ['fw'] }, async (lab) => {
      const r = await lab.exec('fw', [bin, 'boot', '--skip', 'everything'], { check: false });
      assert.is(r.code, 2);
      assert.match(r.stderr, /^stockade: boot: --skip: unknown step 'everything'/);
      assert.is(r.stdout, '');
      if (!existsSync('/usr/share/stockade')) {
        const refused = await lab.exec('fw', [bin, 'boot', '--skip', 'mounts,modules,hostname'], { check: false });
        assert.is(refused.code, 2);
        assert.match(refused.stderr, /^stockade: boot: this is not a stockade appliance .* name the board with --board FILE\n$/);
        assert.is(refused.stdout, '');
      }
      const saved = (await lab.exec('fw', ['iptables-save'])).stdout;
      assert.not.match(saved, /DROP/, 'no firewall was loaded');
    });
  });
}

test.run();
