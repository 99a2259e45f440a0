import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RecordStore } from '../../../src/ctsync/compact-cache.ts';
import { entryKey } from '../../../src/ctsync/convert.ts';
import type { SyncEntry } from '../../../src/ctsync/wire/codec.ts';

const full: SyncEntry = {
  src: '192.0.2.1', dst: '198.51.100.2', proto: 6, sport: 40000, dport: 443, status: 0x1ba,
  tcpState: 3, wscaleOrig: 7, wscaleReply: 9, timeout: 431999, mark: 0xdeadbeef, zone: 65535,
  snat: '203.0.113.9', dnat: '203.0.113.10', spat: 1, dpat: 65535,
  natSeqAdj: [1, 2, 3, 4, 5, 6], helper: 'ftp', labels: Buffer.alloc(16, 0xa5),
  synproxy: { its: 1, isn: 2, tsoff: 3 }, master: { src: '192.0.2.1', dst: '198.51.100.2', proto: 6, sport: 1, dport: 21 },
};

test('every field comes back as it went in, with its times', () => {
  const s = new RecordStore({ limit: 10 });
  assert.is(s.set(full, 5, 7), 'created');
  assert.equal(s.get(full), { entry: full, createdAt: 5, updatedAt: 7 });
  const icmp: SyncEntry = { src: '192.0.2.1', dst: '192.0.2.2', proto: 1, icmpType: 8, icmpCode: 0, icmpId: 4242, status: 8 };
  s.set(icmp, 1, 1);
  assert.equal(s.get(icmp)!.entry, icmp, 'icmp fields');
  const bare: SyncEntry = { src: '0.0.0.0', dst: '255.255.255.255', proto: 47, status: 0 };
  s.set(bare, 1, 1);
  assert.equal(s.get(bare)!.entry, bare, 'absent fields stay absent');
  assert.is(s.size, 3);
});

test('an update keeps the creation time; a changed key is another entry', () => {
  const s = new RecordStore({ limit: 10 });
  s.set(full, 5, 5);
  assert.is(s.set({ ...full, tcpState: 5, helper: undefined } as SyncEntry, 9, 9), 'updated');
  const got = s.get(full)!;
  assert.is(got.createdAt, 5);
  assert.is(got.updatedAt, 9);
  assert.is(got.entry.tcpState, 5);
  assert.is(s.set({ ...full, zone: 1 }, 9, 9), 'created', 'the zone is part of the key');
  assert.is(s.size, 2);
});

test('entries a record cannot hold are kept whole and found by the same key', () => {
  const s = new RecordStore({ limit: 10 });
  const v6: SyncEntry = { src: '2001:db8::1', dst: '2001:db8::2', proto: 17, sport: 1, dport: 2, status: 0 };
  const odd: SyncEntry = { src: '192.0.2.1', dst: '192.0.2.2', proto: 47, sport: 5, status: 0 }; // ports on GRE
  s.set(v6, 1, 1);
  s.set(odd, 1, 1);
  assert.equal(s.get(v6)!.entry, v6);
  assert.equal(s.get(odd)!.entry, odd);
  // The same key moving between the two forms is still one entry.
  const fit: SyncEntry = { src: '192.0.2.1', dst: '192.0.2.2', proto: 47, status: 1 };
  assert.is(s.set(fit, 2, 2), 'updated');
  assert.is(s.size, 2);
  assert.is(s.get(fit)!.createdAt, 1);
  assert.ok(s.delete(v6));
  assert.not.ok(s.has(v6));
});

test('the limit refuses new entries but not updates', () => {
  const s = new RecordStore({ limit: 2 });
  s.set({ ...full, sport: 1 }, 0, 0);
  s.set({ ...full, sport: 2 }, 0, 0);
  assert.is(s.set({ ...full, sport: 3 }, 0, 0), 'full');
  assert.is(s.set({ ...full, sport: 2, mark: 1 }, 1, 1), 'updated');
  assert.is(s.size, 2);
});

/** A seeded generator: the same sequence every run. */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x / 2 ** 32;
  };
}

test('many inserts, updates and deletes agree with a plain map (growth, reused slots)', () => {
  const r = rng(7);
  const s = new RecordStore({ limit: 1e6 });
  const model = new Map<string, SyncEntry>();
  for (let i = 0; i < 60000; i++) {
    const e: SyncEntry = {
      src: `192.0.2.${Math.floor(r() * 4)}`, dst: `198.51.100.${Math.floor(r() * 256)}`, proto: r() < 0.8 ? 6 : 17,
      sport: Math.floor(r() * 64), dport: 80, status: Math.floor(r() * 1000),
      ...(r() < 0.5 ? { timeout: Math.floor(r() * 1e5) } : {}),
    };
    const key = entryKey(e);
    if (r() < 0.3) {
      assert.is(s.delete(e), model.delete(key));
    } else {
      assert.is(s.set(e, i, i), model.has(key) ? 'updated' : 'created');
      model.set(key, e);
    }
  }
  assert.is(s.size, model.size);
  const seen = new Map<string, SyncEntry>();
  for (const c of s.values()) seen.set(entryKey(c.entry), c.entry);
  assert.equal(seen, model);
  assert.is(s.deleteWhere((c) => c.entry.proto === 17), [...model.values()].filter((e) => e.proto === 17).length);
  assert.is(s.size, [...model.values()].filter((e) => e.proto === 6).length);
  for (const e of model.values()) assert.is(s.has(e), e.proto === 6);
  s.clear();
  assert.is(s.size, 0);
  assert.is([...s.values()].length, 0);
});

test.run();
