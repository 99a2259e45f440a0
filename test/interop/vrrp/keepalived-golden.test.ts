// keepalived from Debian as the peer: its adverts, captured live, still equal the golden fixtures
// in test/unit/vrrp/fixtures/ byte for byte (so the unit tier's goldens stay true to the installed
// keepalived), and each passes Stockade's receive validation.
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { withLab } from '../../lab/harness.ts';
import { VARIANTS, captureGarp, captureVariant, fixturePath, keepalivedVersion, topology } from './keepalived-adverts.ts';
import type { Fixture, GarpFixture } from './keepalived-adverts.ts';
import { garpFrame, parseMac } from '../../../src/vrrp/garp.ts';
import { preCheck } from '../../../src/vrrp/receive.ts';
import { mustParseIpv4 } from '../../../src/vrrp/ipv4.ts';
import { requireLab } from '../../lab/require.ts';

const test = suite('vrrp: keepalived golden adverts');
const ready = requireLab(test, 'interop/vrrp/keepalived-golden', { tools: ['keepalived'] });

if (ready) {
  for (const v of VARIANTS) {
    test(`${v.name}: ${v.what}`, async () => {
      const want = JSON.parse(readFileSync(fixturePath(v.name), 'utf8')) as Fixture;
      if (keepalivedVersion() !== want.keepalived) {
        console.log(`  note: keepalived ${keepalivedVersion()} here, fixtures from ${want.keepalived}`);
      }
      const got = await withLab(topology, (lab) => captureVariant(lab, v));
      assert.equal(got.config, want.config);
      assert.equal(got.packets, want.packets);
      for (const p of got.packets) {
        const r = preCheck({ payload: Buffer.from(p.hex, 'hex'), source: mustParseIpv4(p.source), destination: mustParseIpv4(p.destination), ttl: p.ttl });
        assert.ok(r.ok, `${p.hex}: ${JSON.stringify(r)}`);
      }
    });
  }

  test('gratuitous ARP: keepalived\'s frames equal the fixture once its (random) MAC is put in', async () => {
    const want = JSON.parse(readFileSync(fixturePath('garp'), 'utf8')) as GarpFixture;
    const got = await withLab(topology, (lab) => captureGarp(lab));
    assert.is(got.frames.length, want.frames.length);
    const norm = (hex: string, mac: string) => hex.split(mac.replace(/:/g, '')).join('<mac>');
    assert.equal(got.frames.map((f) => norm(f, got.mac)), want.frames.map((f) => norm(f, want.mac)));
    got.frames.forEach((f, i) => assert.is(Buffer.from(garpFrame(parseMac(got.mac), mustParseIpv4(['192.0.2.100', '192.0.2.102'][i]!))).toString('hex'), f));
  });
}

test.run();
