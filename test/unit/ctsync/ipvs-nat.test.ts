// IPVS-NAT connections in conntrack sync, from a kernel entry captured on the image test's director
// (fixtures/ipvs-nat-6.1.json: Debian's 6.1 kernel, net.ipv4.vs.conntrack=1, a client's flow
// through the LVS-NAT virtual service, SNATed to the WAN VIP on its way to the real server):
// the real server rides as the DNAT address although IPVS sets no IPS_DST_NAT, the filter keeps
// the flow for a configured virtual service only, and the peer's create request rebuilds the
// director's reply tuple (not a kernel DNAT).
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isIpvsNat, toCtEntry, toSyncEntry } from '../../../src/ctsync/convert.ts';
import { compileFilter, filterEntry } from '../../../src/ctsync/filter.ts';
import { lvsNatDestinations, ownAddresses } from '../../../src/ctsync/from-config.ts';
import { decodeDatagram, encodeData } from '../../../src/ctsync/wire/codec.ts';
import { IPS_DST_NAT, IPS_SRC_NAT } from '../../../src/ctsync/wire/constants.ts';
import { decodeEntry } from '../../../src/kernel/ctnetlink/entry.ts';
import { haConfig } from '../ha-config.ts';

interface Fixture {
  facts: { client: string; vip: string; port: number; server: string; snat: string };
  messages: Array<{ name: string; hex: string }>;
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/ipvs-nat-6.1.json', import.meta.url), 'utf8')) as Fixture;
const { client, vip, port, server, snat } = fixture.facts;
const kernel = (name: string) => decodeEntry(Buffer.from(fixture.messages.find((m) => m.name === name)!.hex, 'hex'));

const test = suite('ctsync IPVS-NAT');

test('what the director\'s kernel holds: client -> VIP, reply from the real server (SNATed), no IPS_DST_NAT', () => {
  const k = kernel('dump-ipvs-nat-snat');
  assert.equal([k.orig.src, k.orig.dst, k.orig.dport], [client, vip, port]);
  assert.equal([k.reply!.src, k.reply!.sport, k.reply!.dst], [server, port, snat]);
  assert.is(k.status! & IPS_DST_NAT, 0);
  assert.is(k.status! & IPS_SRC_NAT, IPS_SRC_NAT);
});

test('sent with the real server as DNAT (status as the kernel has it), through the wire unchanged', () => {
  const k = kernel('dump-ipvs-nat-snat');
  const s = toSyncEntry(k);
  assert.equal([s.dnat, s.dpat, s.snat, s.status], [server, undefined, snat, k.status]);
  assert.ok(isIpvsNat(s));
  const m = decodeDatagram(encodeData('new', s, 1)).messages[0]!;
  assert.is(m.kind, 'data');
  if (m.kind === 'data') assert.equal(m.entry, s);
});

test('kept for a configured LVS-NAT virtual service only; the VIP\'s other ports stay the box\'s own', () => {
  const s = toSyncEntry(kernel('dump-ipvs-nat-snat'));
  const own = { ignoreAddresses: [vip, snat] };
  assert.is(filterEntry(compileFilter({ ...own, keepDestinations: [{ proto: 6, address: vip, port }] }), s), 'sync');
  assert.is(filterEntry(compileFilter(own), s), 'ignored-address', 'a virtual service the config does not have (ipvsadm\'s)');
  assert.is(filterEntry(compileFilter({ ...own, keepDestinations: [{ proto: 6, address: vip, port: port + 1 }] }), s), 'ignored-address');
  // Without the real server (IPVS leaves one-packet services' entries alone) the entry is the
  // box's own: committed on the peer it would shadow the real server's replies.
  const { dnat: _, ...bare } = s;
  assert.is(filterEntry(compileFilter({ ...own, keepDestinations: [{ proto: 6, address: vip, port }] }), bare), 'ignored-address');
});

test('the peer\'s create request: the director\'s reply tuple before its SNAT, the SNAT asked of the kernel, no DNAT', () => {
  const k = kernel('dump-ipvs-nat-snat');
  const e = toCtEntry(toSyncEntry(k));
  assert.equal(e.orig, k.orig);
  // The kernel's SNAT setup turns this reply tuple into k.reply (the SNAT address and port as destination).
  assert.equal(e.reply, { src: server, dst: client, proto: 6, sport: port, dport: k.orig.sport });
  assert.equal(e.natSrc, { ip: snat, ...(k.reply!.dport !== k.orig.sport ? { port: k.reply!.dport } : {}) });
  assert.is(e.natDst, undefined, 'no kernel DNAT: IPVS rewrites the packets on the new master as it did on the old');
});

test('the config\'s LVS-NAT virtual services are kept, DR and fwmark ones not; the VIPs stay own addresses', () => {
  const c = haConfig((raw) => {
    raw.lvs.virtual_services.push({ name: 'dr', address: '203.0.113.10', port: 8443, method: 'dr', health_check: { type: 'none' }, real_servers: [{ address: '198.51.100.11' }] });
    raw.lvs.virtual_services.push({ name: 'fw', fwmark: 7, health_check: { type: 'none' }, real_servers: [{ address: '198.51.100.11' }] });
    raw.lvs.virtual_services.push({ name: 'dns', address: '203.0.113.10', protocol: 'udp', port: 53, health_check: { type: 'none' }, real_servers: [{ address: '198.51.100.11' }] });
  });
  assert.equal(lvsNatDestinations(c), [
    { proto: 6, address: '203.0.113.10', port: 80 }, { proto: 6, address: '203.0.113.10', port: 443 }, { proto: 17, address: '203.0.113.10', port: 53 },
  ]);
  assert.ok(!ownAddresses(c).includes(server));
});

test.run();
