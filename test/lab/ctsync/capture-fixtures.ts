// Re-captures the golden bytes under test/unit/ctsync/fixtures and test/unit/ctnetlink/fixtures
// (not a test; run by hand as root: scripts/node-run test/lab/ctsync/capture-fixtures.ts).
// Two conntrackd instances (FTFW over UDP, TCPWindowTracking on) on a veth link; tcpdump on the
// peer writes the sync datagrams; conntrack -I/-U/-D makes the entries on the first host, plus
// one entry with connlabels created over our own ctnetlink batch; our dump prints the kernel's
// messages. Prints JSON lines {src, hex} per sync message and {kernel} per dumped entry; the
// fixture files hold these, named by hand.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withLab } from '../harness.ts';
import { runHelper } from '../native/addon.ts';
import { PORT, startConntrackd, tempDir } from './peers.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const A = '192.0.2.1';
const B = '192.0.2.2';

await withLab({ hosts: ['a', 'b'], links: [['a:eth0', 'b:eth0']], addresses: { 'a:eth0': [`${A}/24`], 'b:eth0': [`${B}/24`] } }, async (lab) => {
  const pcap = join(tempDir(), 'sync.pcap');
  const td = lab.spawn('b', ['tcpdump', '-i', 'eth0', '-U', '-w', pcap, 'udp', 'port', String(PORT)]);
  await sleep(800);
  // Labels need the connlabel extension in this namespace: a rule that uses it.
  await lab.exec('a', ['iptables', '-A', 'INPUT', '-m', 'connlabel', '--label', '33', '--set']);
  const b = await startConntrackd(lab, 'b', B, A, '  Options { TCPWindowTracking on }');
  const a = await startConntrackd(lab, 'a', A, B, '  Options { TCPWindowTracking on }');
  await sleep(1500);
  const I = (args: string[]) => lab.exec('a', ['conntrack', '-I', ...args]);
  const est = ['--state', 'ESTABLISHED', '-t', '3600', '-u', 'SEEN_REPLY,ASSURED'];
  await I(['-p', 'tcp', '-s', '192.0.2.10', '-d', '198.51.100.20', '--sport', '40000', '--dport', '80', ...est, '-m', '7']);
  await I(['-p', 'tcp', '-s', '192.0.2.30', '-d', '198.51.100.30', '--sport', '40001', '--dport', '443', ...est, '--src-nat', '203.0.113.1:61000']);
  await I(['-p', 'tcp', '-s', '192.0.2.31', '-d', '203.0.113.5', '--sport', '40002', '--dport', '8080', ...est, '--dst-nat', '198.51.100.31:80']);
  await I(['-p', 'udp', '-s', '192.0.2.32', '-d', '198.51.100.32', '--sport', '1000', '--dport', '2000', '-t', '100', '-w', '5']);
  await I(['-p', 'icmp', '-s', '192.0.2.12', '-d', '198.51.100.22', '--icmp-type', '8', '--icmp-code', '0', '--icmp-id', '4660', '-t', '30']);
  const labels = Buffer.alloc(16);
  labels.writeUInt32LE(1, 0);
  labels.writeUInt32LE(2, 4);
  const f = join(tempDir(), 'labels.json');
  writeFileSync(f, JSON.stringify([{ op: 'create', entry: {
    orig: { src: '198.51.100.50', dst: '203.0.113.50', proto: 17, sport: 1111, dport: 2222 },
    reply: { src: '203.0.113.50', dst: '198.51.100.50', proto: 17, sport: 2222, dport: 1111 }, status: 8, timeout: 100, labels,
  } }]));
  await runHelper(lab, 'a', 'ctnetlink-tool.ts', ['batch', f]);
  await sleep(500);
  await lab.exec('a', ['conntrack', '-U', '-p', 'tcp', '-s', '192.0.2.10', '-d', '198.51.100.20', '--sport', '40000', '--dport', '80', '-m', '9']);
  await sleep(300);
  await lab.exec('a', ['conntrack', '-D', '-p', 'udp', '-s', '192.0.2.32']);
  await sleep(2500);
  for (const l of await runHelper(lab, 'a', 'ctnetlink-tool.ts', ['dump'])) if (l['hex'] !== undefined) console.log(JSON.stringify({ kernel: l['hex'], entry: l['entry'] }));
  await a.stop();
  await b.stop();
  td.kill('SIGINT');
  await td.exited;
  // pcap: 24-byte file header, then per record 16 bytes + the frame (Ethernet, IPv4, UDP).
  const p = readFileSync(pcap);
  for (let off = 24; off + 16 <= p.length;) {
    const incl = p.readUInt32LE(off + 8);
    const frame = p.subarray(off + 16, off + 16 + incl);
    off += 16 + incl;
    const ip = frame.subarray(14);
    const ihl = (ip[0]! & 15) * 4;
    console.log(JSON.stringify({ src: [...ip.subarray(12, 16)].join('.'), hex: ip.subarray(ihl + 8).toString('hex') }));
  }
});
