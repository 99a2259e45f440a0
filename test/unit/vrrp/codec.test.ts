// The codec against golden adverts captured from Debian's keepalived 2.2.7 in the lab
// (fixtures/keepalived-*.json, each with the keepalived.conf that produced it; recapture with
// `scripts/node-run test/interop/vrrp/keepalived-adverts.ts --write`).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeAdvert, encodeAdvert, simplePasswordBytes } from '../../../src/vrrp/codec.ts';
import { internetChecksum, vrrpChecksum } from '../../../src/vrrp/checksum.ts';
import { formatIpv4, mustParseIpv4 } from '../../../src/vrrp/ipv4.ts';
import { validateAdvert } from '../../../src/vrrp/receive.ts';
import type { ReceiveConfig } from '../../../src/vrrp/receive.ts';

interface Fixture {
  name: string;
  keepalived: string;
  config: string;
  packets: Array<{ source: string; destination: string; ttl: number; hex: string }>;
}

const dir = join(import.meta.dirname, 'fixtures');
const fixtures = new Map<string, Fixture>(
  readdirSync(dir).filter((f) => f.startsWith('keepalived-') && f.endsWith('.json') && f !== 'keepalived-garp.json')
    .map((f) => { const x = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Fixture; return [x.name, x]; }),
);
const fx = (name: string): Fixture => {
  const f = fixtures.get(name);
  if (!f) throw new Error(`no fixture ${name}`);
  return f;
};
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const ip = mustParseIpv4;

/** What the keepalived.conf of a fixture says, read back from the config text itself. */
function confOf(f: Fixture) {
  const num = (k: string) => Number(new RegExp(`\\n\\s*${k} (\\S+)`).exec(f.config)![1]);
  const vips = [...f.config.matchAll(/^\s+(192\.0\.2\.\d+)\/24$/gm)].map((m) => m[1]!);
  const pass = /\n\s+auth_pass (\S+)/.exec(f.config)?.[1];
  return { vrid: num('virtual_router_id'), priority: num('priority'), advertS: num('advert_int'), version: num('version'), vips, pass };
}

test('fixtures exist for each captured variant', () => {
  assert.equal([...fixtures.keys()].sort(), ['v2-none', 'v2-pass', 'v3-pseudo-header', 'v3-unicast']);
  for (const f of fixtures.values()) assert.is(f.keepalived, '2.2.7');
});

for (const f of fixtures.values()) {
  test(`${f.name}: decodes to what its keepalived.conf says; the last advert is priority 0 (SIGTERM)`, () => {
    const c = confOf(f);
    f.packets.forEach((p, i) => {
      const d = decodeAdvert(Buffer.from(p.hex, 'hex'));
      assert.ok(d.ok);
      if (!d.ok) return;
      const a = d.advert;
      assert.is(a.version, c.version);
      assert.is(a.vrid, c.vrid);
      assert.is(a.priority, i === f.packets.length - 1 ? 0 : c.priority);
      assert.is(a.intervalCs, Math.round(c.advertS * 100));
      assert.equal(a.addresses.map(formatIpv4), c.vips);
      assert.is(d.trailer.length, 0);
      assert.is(p.ttl, 255);
      if (c.version === 2) {
        assert.is(a.authType, c.pass ? 1 : 0);
        // keepalived sends the first 8 characters of auth_pass, zero-padded
        assert.is(hex(a.authData), hex(c.pass ? simplePasswordBytes(c.pass) : new Uint8Array(8)));
      }
    });
  });

  test(`${f.name}: encodeAdvert reproduces every captured packet byte for byte`, () => {
    const c = confOf(f);
    for (const p of f.packets) {
      const prio = Buffer.from(p.hex, 'hex')[2]!;
      const bytes = encodeAdvert({
        version: c.version as 2 | 3, vrid: c.vrid, priority: prio, intervalCs: Math.round(c.advertS * 100),
        addresses: c.vips.map(ip), ...(c.pass ? { authType: 1, authData: simplePasswordBytes(c.pass) } : {}),
      }, { checksum: 'pseudo-header', source: ip(p.source), destination: ip(p.destination) });
      assert.is(hex(bytes), p.hex);
    }
  });
}

test('v2 checksum is over the message only (keepalived 2.2.7)', () => {
  for (const name of ['v2-none', 'v2-pass']) {
    for (const p of fx(name).packets) assert.is(internetChecksum(Buffer.from(p.hex, 'hex')), 0);
  }
});

test('v3 checksum from keepalived includes the IPv4 pseudo-header, with the real unicast destination', () => {
  for (const name of ['v3-pseudo-header', 'v3-unicast']) {
    for (const p of fx(name).packets) {
      const b = Buffer.from(p.hex, 'hex');
      assert.is.not(internetChecksum(b), 0, 'not message-only');
      assert.is(vrrpChecksum(b, 'pseudo-header', ip(p.source), ip(p.destination)), b.readUInt16BE(6));
    }
  }
  // unicast: the multicast group in the pseudo-header (keepalived <= 1.3.6) would not match
  const u = fx('v3-unicast').packets[0]!;
  const b = Buffer.from(u.hex, 'hex');
  assert.is.not(vrrpChecksum(b, 'pseudo-header', ip(u.source), ip('224.0.0.18')), b.readUInt16BE(6));
});

test('v3 message-only convention (v3_checksum_as_v2, RFC 9568): encode and verify', () => {
  const fields = { version: 3 as const, vrid: 53, priority: 200, intervalCs: 10, addresses: [ip('192.0.2.100'), ip('192.0.2.102')] };
  const src = ip('192.0.2.1');
  const dst = ip('224.0.0.18');
  const msg = encodeAdvert(fields, { checksum: 'message', source: src, destination: dst });
  assert.is(internetChecksum(msg), 0);
  // same bytes as keepalived's v3 advert except the checksum field
  const ka = Buffer.from(fx('v3-pseudo-header').packets[0]!.hex, 'hex');
  assert.is(hex(msg.subarray(0, 6)), hex(ka.subarray(0, 6)));
  assert.is(hex(msg.subarray(8)), hex(ka.subarray(8)));
  assert.is.not(hex(msg.subarray(6, 8)), hex(ka.subarray(6, 8)));
});

const base = (over: Partial<ReceiveConfig> = {}): ReceiveConfig => ({
  version: 3, intervalCs: 10, checksum: 'pseudo-header', addresses: [ip('192.0.2.100'), ip('192.0.2.102')],
  multicastGroup: ip('224.0.0.18'), unicastPeers: [], ownAddresses: [ip('192.0.2.2')], ...over,
});
const pkt = (p: { source: string; destination: string; ttl: number; hex: string }, over: { ttl?: number; hex?: string } = {}) => ({
  payload: Buffer.from(over.hex ?? p.hex, 'hex'), source: ip(p.source), destination: ip(p.destination), ttl: over.ttl ?? p.ttl,
});

test('validateAdvert accepts keepalived adverts with matching configuration', () => {
  const v3 = fx('v3-pseudo-header').packets[0]!;
  assert.ok(validateAdvert(pkt(v3), base(), 0).ok);
  const v2 = fx('v2-pass').packets[0]!;
  const r = validateAdvert(pkt(v2), base({ version: 2, intervalCs: 200, v2Password: simplePasswordBytes('secret12'), addresses: [ip('192.0.2.100'), ip('192.0.2.101')] }), 0);
  assert.ok(r.ok, JSON.stringify(r));
  const u = fx('v3-unicast').packets[0]!;
  assert.ok(validateAdvert(pkt(u), base({ intervalCs: 100, addresses: [ip('192.0.2.100')], unicastPeers: [ip('192.0.2.1')] }), 0).ok);
});

test('validateAdvert: every drop has its named reason', () => {
  const v3 = fx('v3-pseudo-header').packets[0]!;
  const v2 = fx('v2-none').packets[0]!;
  const v2pass = fx('v2-pass').packets[0]!;
  const v2cfg = (o: Partial<ReceiveConfig> = {}) => base({ version: 2, intervalCs: 100, addresses: [ip('192.0.2.100')], ...o });
  const reason = (r: ReturnType<typeof validateAdvert>) => (r.ok ? 'ok' : r.reason);
  assert.is(reason(validateAdvert(pkt(v3, { hex: '3135c802' }), base(), 0)), 'too_short');
  assert.is(reason(validateAdvert(pkt(v3, { hex: `4${v3.hex.slice(1)}` }), base(), 0)), 'version');
  assert.is(reason(validateAdvert(pkt(v3, { hex: `32${v3.hex.slice(2)}` }), base(), 0)), 'type');
  assert.is(reason(validateAdvert(pkt(v3, { hex: v3.hex.slice(0, -2) }), base(), 0)), 'length');
  assert.is(reason(validateAdvert(pkt(v3, { hex: `${v3.hex}00` }), base(), 0)), 'length');
  assert.is(reason(validateAdvert(pkt(v3, { ttl: 254 }), base(), 0)), 'ttl');
  assert.is(reason(validateAdvert(pkt(v2), base(), 0)), 'version_mismatch');
  assert.is(reason(validateAdvert(pkt(v2), v2cfg({ v2Password: simplePasswordBytes('x') }), 0)), 'auth_type');
  assert.is(reason(validateAdvert(pkt(v2pass), v2cfg({ intervalCs: 200, v2Password: simplePasswordBytes('secret13'), addresses: [ip('192.0.2.100'), ip('192.0.2.101')] }), 0)), 'auth_password');
  assert.is(reason(validateAdvert(pkt(v2), v2cfg({ intervalCs: 200 }), 0)), 'interval');
  assert.is(reason(validateAdvert(pkt(v3), base({ checksum: 'message' }), 0)), 'checksum_convention');
  const badSum = v3.hex.slice(0, 12) + 'ffff' + v3.hex.slice(16);
  assert.is(reason(validateAdvert(pkt(v3, { hex: badSum }), base(), 0)), 'checksum');
  assert.is(reason(validateAdvert(pkt(v3), base({ multicastGroup: ip('224.0.0.19') }), 0)), 'destination');
  assert.is(reason(validateAdvert(pkt(v3), base({ unicastPeers: [ip('192.0.2.1')] }), 0)), 'destination');
  const u = fx('v3-unicast').packets[0]!;
  assert.is(reason(validateAdvert(pkt(u), base({ intervalCs: 100, addresses: [ip('192.0.2.100')], unicastPeers: [ip('192.0.2.9')] }), 0)), 'unicast_source');
  assert.is(reason(validateAdvert(pkt(u), base({ intervalCs: 100, addresses: [ip('192.0.2.100')] }), 0)), 'destination');
  assert.is(reason(validateAdvert(pkt(v3), base({ ownAddresses: [ip('192.0.2.1')] }), 0)), 'own_address');
  assert.is(reason(validateAdvert(pkt(v3), base({ addresses: [ip('192.0.2.100')] }), 0)), 'address_count');
  assert.is(reason(validateAdvert(pkt(v3), base({ addresses: [ip('192.0.2.100'), ip('192.0.2.103')] }), 0)), 'address_list');
  assert.is(reason(validateAdvert(pkt(v3), base({ ownerIgnoresAdverts: true }), 0)), 'owner');
  // address order does not matter
  assert.is(reason(validateAdvert(pkt(v3), base({ addresses: [ip('192.0.2.102'), ip('192.0.2.100')] }), 0)), 'ok');
  // interval 0 (v3): would make Master_Down_Interval just the skew
  const zero = encodeAdvert({ version: 3, vrid: 53, priority: 200, intervalCs: 10, addresses: [ip('192.0.2.100'), ip('192.0.2.102')] }, { source: ip('192.0.2.1'), destination: ip('224.0.0.18') });
  zero[4] = 0; zero[5] = 0;
  new DataView(zero.buffer).setUint16(6, vrrpChecksum(zero, 'pseudo-header', ip('192.0.2.1'), ip('224.0.0.18')));
  assert.is(reason(validateAdvert(pkt(v3, { hex: hex(zero) }), base(), 0)), 'interval_zero');
  // unicast adverts are not held to TTL 255
  assert.is(reason(validateAdvert(pkt(u, { ttl: 64 }), base({ intervalCs: 100, addresses: [ip('192.0.2.100')], unicastPeers: [ip('192.0.2.1')] }), 0)), 'ok');
  // IPsec AH (type 2) is not supported
  const ah = Buffer.from(v2.hex, 'hex'); ah[4] = 2;
  assert.is(reason(validateAdvert(pkt(v2, { hex: ah.toString('hex') }), v2cfg(), 0)), 'auth_type');
});

test('encodeAdvert refuses what the wire cannot carry', () => {
  const o = { source: 1, destination: 2 };
  assert.throws(() => encodeAdvert({ version: 2, vrid: 1, priority: 100, intervalCs: 50, addresses: [] }, o));
  assert.throws(() => encodeAdvert({ version: 3, vrid: 1, priority: 100, intervalCs: 4096, addresses: [] }, o));
  assert.throws(() => encodeAdvert({ version: 3, vrid: 0, priority: 100, intervalCs: 100, addresses: [] }, o));
  assert.throws(() => encodeAdvert({ version: 3, vrid: 1, priority: 256, intervalCs: 100, addresses: [] }, o));
});

test.run();
