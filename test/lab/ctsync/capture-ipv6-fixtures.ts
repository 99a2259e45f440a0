// Captures the IPv6 golden bytes in test/unit/ctsync/fixtures/conntrackd-1.4.7-ipv6.json and
// test/unit/ctnetlink/fixtures/kernel-6.18-ipv6.json (not a test; run by hand as root:
// STOCKADE_NATIVE=dist/x64/stockade.node scripts/node-run test/lab/ctsync/capture-ipv6-fixtures.ts).
// As capture-fixtures.ts: two conntrackd instances (FTFW over UDP) on a veth link, tcpdump on the
// peer, IPv6 entries made with conntrack -I on the first host; our dump prints the kernel's
// messages. Prints JSON lines {src, hex} per sync datagram and {kernel, entry} per dumped entry.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { withLab } from '../harness.ts';
import { runHelper } from '../native/addon.ts';
import { PORT, startConntrackd, tempDir } from './peers.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const A = '192.0.2.1';
const B = '192.0.2.2';

await withLab({ hosts: ['a', 'b'], links: [['a:eth0', 'b:eth0']], addresses: { 'a:eth0': [`${A}/24`], 'b:eth0': [`${B}/24`] } }, async (lab) => {
  const pcap = join(tempDir(), 'sync6.pcap');
  const td = lab.spawn('b', ['tcpdump', '-i', 'eth0', '-U', '-w', pcap, 'udp', 'port', String(PORT)]);
  await sleep(800);
  await lab.exec('a', ['ip6tables', '-t', 'nat', '-L']); // NAT entries need the nat table
  const b = await startConntrackd(lab, 'b', B, A);
  const a = await startConntrackd(lab, 'a', A, B);
  await sleep(1500);
  const I = (args: string[]) => lab.exec('a', ['conntrack', '-I', ...args]);
  const est = ['--state', 'ESTABLISHED', '-t', '3600', '-u', 'SEEN_REPLY,ASSURED'];
  await I(['-p', 'tcp', '-s', '2001:db8::10', '-d', '2001:db8:1::20', '--sport', '40000', '--dport', '80', ...est, '-m', '7']);
  await I(['-p', 'tcp', '-s', '2001:db8::30', '-d', '2001:db8:1::30', '--sport', '40001', '--dport', '443', ...est, '--src-nat', '2001:db8:ffff::1']);
  await I(['-p', 'udp', '-s', '2001:db8::32', '-d', '2001:db8:1::32', '--sport', '1000', '--dport', '2000', '-t', '100']);
  await I(['-p', 'icmpv6', '-s', '2001:db8::12', '-d', '2001:db8:1::22', '--icmpv6-type', '128', '--icmpv6-code', '0', '--icmpv6-id', '4660', '-t', '30']);
  await sleep(500);
  await lab.exec('a', ['conntrack', '-D', '-p', 'udp', '-s', '2001:db8::32']);
  await sleep(2500);
  for (const l of await runHelper(lab, 'a', 'ctnetlink-tool.ts', ['dump'])) if (l['hex'] !== undefined) console.log(JSON.stringify({ kernel: l['hex'], entry: l['entry'] }));
  await a.stop();
  await b.stop();
  td.kill('SIGINT');
  await td.exited;
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
