// Conversion kernel <-> protocol (checked against what conntrackd sent for the same kernel
// entries), filters, caches, and the HMAC + replay-window wrapper.
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DatagramAuth } from '../../../src/ctsync/auth.ts';
import { EntryCache } from '../../../src/ctsync/cache.ts';
import { toCtEntry, toSyncEntry } from '../../../src/ctsync/convert.ts';
import { compileFilter, filterEntry, parseNet } from '../../../src/ctsync/filter.ts';
import { decodeDatagram, encodeData, ip4Bytes } from '../../../src/ctsync/wire/codec.ts';
import { parseIpv4 } from '../../../src/common/ipv4.ts';
import type { SyncEntry } from '../../../src/ctsync/wire/codec.ts';
import { decodeEntry } from '../../../src/kernel/ctnetlink/entry.ts';

const kernel = (JSON.parse(readFileSync(new URL('../ctnetlink/fixtures/kernel-6.18.json', import.meta.url), 'utf8')) as { messages: Array<{ name: string; hex: string }> }).messages;
const ctd = (JSON.parse(readFileSync(new URL('./fixtures/conntrackd-1.4.7.json', import.meta.url), 'utf8')) as { datagrams: Array<{ name: string; hex: string }> }).datagrams;
const kEntry = (n: string) => decodeEntry(Buffer.from(kernel.find((m) => m.name === n)!.hex, 'hex'));
const cEntry = (n: string): SyncEntry => {
  const m = decodeDatagram(Buffer.from(ctd.find((d) => d.name === n)!.hex, 'hex')).messages[0]!;
  if (m.kind !== 'data') throw new Error('data');
  return m.entry;
};

const test = suite('ctsync parts');

test('a kernel event converts to what conntrackd put on the wire for the same entry', () => {
  for (const [k, c] of [['event-new-tcp', 'new-tcp-hello'], ['event-new-udp', 'new-udp-hello'], ['event-new-icmp', 'new-icmp-hello']] as const) {
    const ours = toSyncEntry(kEntry(k));
    const theirs = cEntry(c);
    delete theirs.synproxy; // conntrackd forwards the kernel's all-zero synproxy nest; we do not
    assert.equal(ours, theirs, k);
    // and the bytes match, but for the synproxy attribute (16 bytes) and the header's flags
    const wire = encodeData('new', ours, 1).subarray(8).toString('hex');
    const ref = Buffer.from(ctd.find((d) => d.name === c)!.hex, 'hex');
    assert.is(wire, ref.subarray(8, ref.length - 16).toString('hex'));
  }
});

test('labels: the kernel\'s host-order bitmap becomes big-endian words, exactly as conntrackd sent them', () => {
  const ours = toSyncEntry(kEntry('dump-udp-labels'));
  const theirs = cEntry('new-udp-labels');
  assert.is(ours.labels!.toString('hex'), '00000001000000020000000000000000');
  assert.is(ours.labels!.toString('hex'), theirs.labels!.toString('hex'));
  assert.is(toCtEntry(theirs).labels!.toString('hex'), kEntry('dump-udp-labels').labels!.toString('hex'), 'and back for the commit');
});

test('NAT: the reply tuple yields SNAT / DNAT address and port, as conntrackd sends them', () => {
  const snat = toSyncEntry({
    orig: { src: '192.0.2.30', dst: '198.51.100.30', proto: 6, sport: 40001, dport: 443 },
    reply: { src: '198.51.100.30', dst: '203.0.113.1', proto: 6, sport: 443, dport: 61000 },
    status: 0x19e, timeout: 3600, mark: 0, tcp: { state: 3 },
  });
  const ref = cEntry('new-tcp-snat');
  assert.equal([snat.snat, snat.spat, snat.dnat], [ref.snat, ref.spat, undefined]);
  const back = toCtEntry(ref);
  assert.equal(back.natSrc, { ip: '203.0.113.1', port: 61000 });
  assert.equal(back.reply, { src: '198.51.100.30', dst: '192.0.2.30', proto: 6, sport: 443, dport: 40001 });
  assert.equal(back.tcp, { state: 3, flagsOrig: { flags: 8, mask: 8 }, flagsReply: { flags: 8, mask: 8 }, wscaleOrig: 0, wscaleReply: 0 });
  const dnat = toCtEntry(cEntry('new-tcp-dnat'));
  assert.equal(dnat.natDst, { ip: '198.51.100.31', port: 80 });
});

test('commit timeout: the synced timeout minus the age, CommitTimeout, floor of 60 s', () => {
  const e = cEntry('new-udp-hello');
  assert.is(toCtEntry(e).timeout, 100);
  assert.is(toCtEntry(e, { age: 30.5 }).timeout, 70);
  assert.is(toCtEntry(e, { age: 500 }).timeout, 60);
  assert.is(toCtEntry(e, { timeout: 5 }).timeout, 5);
  assert.is(toCtEntry({ ...e, status: e.status | 1 }).status! & 1, 0, 'IPS_EXPECTED cleared');
});

test('filters: addresses and CIDRs as original or reply source (as conntrackd), protocols, TCP states', () => {
  const tcp = cEntry('new-tcp-hello');
  const udp = cEntry('new-udp-hello');
  const snat = cEntry('new-tcp-snat');
  assert.is(filterEntry(compileFilter({}), tcp), 'sync');
  assert.is(filterEntry(compileFilter({ ignoreAddresses: ['192.0.2.10'] }), tcp), 'ignored-address');
  assert.is(filterEntry(compileFilter({ ignoreAddresses: ['198.51.100.0/24'] }), tcp), 'ignored-address');
  assert.is(filterEntry(compileFilter({ ignoreAddresses: ['198.51.101.0/24', '192.0.3.10'] }), tcp), 'sync');
  // A flow SNATed to an ignored address (a VIP) is still synced: it is neither source.
  assert.is(filterEntry(compileFilter({ ignoreAddresses: [snat.snat!] }), snat), 'sync', 'the SNAT address does not count');
  assert.is(filterEntry(compileFilter({ ignoreAddresses: [snat.src] }), snat), 'ignored-address');
  assert.is(filterEntry(compileFilter({ ignoreAddresses: [snat.dst] }), snat), 'ignored-address', 'the reply source');
  // A kernel DNAT sets IPS_DST_NAT (0x20); a reply source changed without it is IPVS-NAT's (below).
  const dnat = { ...tcp, status: tcp.status | 0x20, dnat: '203.0.113.77' };
  assert.is(filterEntry(compileFilter({ ignoreAddresses: [tcp.dst] }), dnat), 'sync', 'with DNAT the reply source is the new destination');
  assert.is(filterEntry(compileFilter({ ignoreAddresses: ['203.0.113.77'] }), dnat), 'ignored-address');
  assert.is(filterEntry(compileFilter({ ignoreAddresses: ['0.0.0.0/0'] }), udp), 'ignored-address');
  assert.is(filterEntry(compileFilter({ ignoreProtocols: [17] }), udp), 'ignored-protocol');
  assert.is(filterEntry(compileFilter({ protocols: [6] }), udp), 'ignored-protocol');
  assert.is(filterEntry(compileFilter({ tcpStates: [3] }), tcp), 'sync');
  assert.is(filterEntry(compileFilter({ tcpStates: [1, 2] }), tcp), 'ignored-state');
  assert.is(filterEntry(compileFilter({ tcpStates: [1, 2] }), udp), 'sync', 'states apply to TCP only');
  assert.throws(() => compileFilter({ ignoreAddresses: ['192.0.2.0/33'] }));
});

test('filters: an LVS-NAT flow (IPVS sets no IPS_DST_NAT: the VIP, an own address, is its destination) is kept for a configured virtual service', () => {
  // What ctnetlink shows for an IPVS-NAT connection: orig client -> VIP:80, reply real server -> client, no NAT bits.
  const flow = toSyncEntry({ orig: { src: '192.0.2.10', dst: '192.0.2.1', proto: 6, sport: 40000, dport: 80 }, reply: { src: '198.51.100.10', dst: '192.0.2.10', proto: 6, sport: 8080, dport: 40000 }, status: 0x18e, tcp: { state: 3 } } as never);
  const own = { ignoreAddresses: ['192.0.2.1', '198.51.100.1'] };
  assert.is(filterEntry(compileFilter(own), flow), 'ignored-address', 'without the service: dropped as the box\'s own');
  const vs = { ...own, keepDestinations: [{ proto: 6, address: '192.0.2.1', port: 80 }] };
  assert.is(filterEntry(compileFilter(vs), flow), 'sync');
  assert.is(filterEntry(compileFilter(vs), { ...flow, dport: 22 }), 'ignored-address', 'another port of the VIP (a management session) stays the box\'s own');
  assert.is(filterEntry(compileFilter(vs), { ...flow, proto: 17 }), 'ignored-address', 'another protocol');
  assert.is(filterEntry(compileFilter({ ...own, keepDestinations: [{ proto: 6, address: '192.0.2.1', port: 0 }] }), { ...flow, dport: 443 }), 'sync', 'port 0: every port');
  assert.is(filterEntry(compileFilter(vs), { ...flow, src: '198.51.100.1' }), 'ignored-address', 'from an own address: still the box\'s own');
});

test('IPv4 parsing: dotted quads only (the fast path of filters and the wire encoder)', () => {
  assert.is(parseIpv4('0.0.0.0'), 0);
  assert.is(parseIpv4('255.255.255.255'), 0xffffffff);
  assert.is(parseIpv4('192.0.2.1'), 0xc0000201);
  assert.is(parseIpv4('0.1.1.1'), 0x00010101);
  assert.is(parseIpv4('010.1.1.1'), undefined, 'leading zeros are ambiguous (octal to inet_aton): refused');
  for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.0.0.1', '1..2.3', '.1.2.3', '1.2.3.', '1.2.3.4 ', ' 1.2.3.4', '1.2.3.0004', 'a.b.c.d', '1.2.3.-4', '1e2.1.1.1']) {
    assert.is(parseIpv4(bad), undefined, bad);
  }
  const out = Buffer.alloc(6);
  ip4Bytes('198.51.100.7', out, 1);
  assert.is(out.toString('hex'), '00c633640700');
  assert.throws(() => ip4Bytes('198.51.100', out, 0), /not an IPv4 address/);
  assert.equal(parseNet('198.51.100.0/24'), { base: 0xc6336400, mask: 0xffffff00 });
  assert.throws(() => parseNet('198.51.100.0/'), /CIDR/);
});

test('cache: create, update, destroy, expiry by the synced timeout, limit, statistics', () => {
  const c = new EntryCache('external', { limit: 2 });
  const udp = cEntry('new-udp-hello'); // timeout 100
  const tcp = cEntry('new-tcp-hello'); // timeout 3600
  assert.is(c.upsert(udp, 0), 'created');
  assert.is(c.upsert({ ...udp, mark: 3 }, 10_000), 'updated');
  assert.is(c.get(udp)!.entry.mark, 3);
  assert.is(c.upsert(tcp, 0), 'created');
  assert.is(c.upsert(cEntry('new-icmp-hello'), 0), 'full');
  assert.is(Math.round(c.remaining(c.get(udp)!, 60_000)), 50);
  assert.is(c.expire(109_000), 0);
  assert.is(c.expire(110_001), 1);
  assert.is(c.remove(tcp), true);
  assert.is(c.remove(tcp), false);
  assert.equal(c.stats, { active: 0, created: 2, updated: 1, destroyed: 1, expired: 1, full: 1 });
});

/** Two ends with a fake wall clock; b has heard a and a has heard b (the handshake done). */
function authPair(key = Buffer.alloc(32, 7), clock = { ms: 1_000_000 }) {
  const a = new DatagramAuth({ key, self: '192.0.2.1', peer: '192.0.2.2', replayWindow: 64, clock: () => clock.ms });
  const b = new DatagramAuth({ key, self: '192.0.2.2', peer: '192.0.2.1', replayWindow: 64, clock: () => clock.ms });
  a.verify(b.probe());
  b.verify(a.probe());
  return { a, b, clock, key };
}

test('auth: signed datagrams verify; tampered, foreign-key, short and replayed ones are dropped and counted', () => {
  const { a, b, key } = authPair();
  const p1 = a.sign(Buffer.from('hello'));
  const p2 = a.sign(Buffer.from('world'));
  assert.is(b.verify(p2)!.toString(), 'world');
  assert.is(b.verify(p1)!.toString(), 'hello', 'reordered within the window');
  assert.is(b.verify(p1), undefined, 'replay');
  const bad = Buffer.from(a.sign(Buffer.from('x'))); bad[0]! ^= 1;
  assert.is(b.verify(bad), undefined);
  assert.is(b.verify(Buffer.alloc(10)), undefined);
  const other = new DatagramAuth({ key: Buffer.alloc(32, 8), self: '192.0.2.1', peer: '192.0.2.2' });
  assert.is(b.verify(other.sign(Buffer.from('x'))), undefined);
  // far behind the window
  for (let i = 0; i < 70; i++) b.verify(a.sign(Buffer.from('more')));
  assert.is(b.verify(p2), undefined);
  assert.equal(b.stats.drops, { 'auth-short': 1, 'auth-bad-tag': 2, 'auth-reflected': 0, 'auth-replayed': 2, 'auth-stale': 0 });
  assert.throws(() => new DatagramAuth({ key: Buffer.alloc(16), self: 'a', peer: 'b' }));
  void key;
});

test('auth: a datagram reflected back to its sender is rejected (the MAC binds the direction)', () => {
  const { a, b } = authPair();
  const toB = a.sign(Buffer.from('ack 1-300'));
  assert.is(a.verify(toB), undefined, 'our own datagram, sent back to us');
  assert.is(a.stats.drops['auth-reflected'], 1);
  assert.is(b.verify(toB)!.toString(), 'ack 1-300', 'the same datagram, where it was meant to go');
  // Another pair sharing the key: its datagrams do not verify here either.
  const c = new DatagramAuth({ key: Buffer.alloc(32, 7), self: '192.0.2.9', peer: '192.0.2.2' });
  assert.is(b.verify(c.sign(Buffer.from('x'))), undefined);
  assert.is(b.stats.drops['auth-bad-tag'], 1);
});

test('auth over multicast: the receiver id is the group, the sender is named by the datagram\'s source address', () => {
  const key = Buffer.alloc(32, 7);
  const a = new DatagramAuth({ key, self: '192.0.2.1', peer: '', group: '225.0.0.50' });
  const b = new DatagramAuth({ key, self: '192.0.2.2', peer: '', group: '225.0.0.50' });
  a.verify(b.probe(), '192.0.2.2');
  b.verify(a.probe(), '192.0.2.1');
  const d = a.sign(Buffer.from('x'));
  assert.is(b.verify(d, '192.0.2.9'), undefined, 'claimed by another sender');
  assert.is(b.verify(d, '192.0.2.1')!.toString(), 'x');
  assert.is(a.verify(a.sign(Buffer.from('y')), '192.0.2.2'), undefined, 'our own, sent back with the peer as source');
  assert.is(a.stats.drops['auth-reflected'], 1);
});

test('auth: a restarted receiver accepts no replay; the peer is accepted again once it echoes the new life', () => {
  const { a, key, clock } = authPair();
  const captured = a.sign(Buffer.from('old news'));
  clock.ms += 5_000;
  // b restarts: no window, no memory.
  const b2 = new DatagramAuth({ key, self: '192.0.2.2', peer: '192.0.2.1', clock: () => clock.ms });
  assert.is(b2.verify(captured), undefined, 'captured before the restart');
  assert.is(b2.stats.drops['auth-stale'], 1);
  assert.ok(b2.probeDue, 'b2 must make itself heard');
  // a fresh datagram from a, sent before a heard b2: authentic, but cannot prove it is not a replay
  assert.is(b2.verify(a.sign(Buffer.from('too early'))), undefined);
  // b2 speaks; a hears it; a's next datagram echoes b2's counter and is accepted
  assert.ok(a.verify(b2.probe()) !== undefined);
  assert.is(b2.verify(a.sign(Buffer.from('fresh')))!.toString(), 'fresh');
  assert.is(b2.verify(captured), undefined, 'still a replay afterwards');
  assert.is(b2.stats.drops['auth-stale'], 3);
  // The sender's counter keeps growing across its own restart (from the clock).
  const a2 = new DatagramAuth({ key, self: '192.0.2.1', peer: '192.0.2.2', clock: () => clock.ms });
  a2.verify(b2.probe());
  assert.is(b2.verify(a2.sign(Buffer.from('after a restart')))!.toString(), 'after a restart');
});

test.run();
