// Sync-link heartbeat codec: round trip, golden bytes, and every malformed input rejected.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeHeartbeat, encodeHeartbeat } from '../../../src/vrrp/heartbeat.ts';

test('golden bytes and round trip', () => {
  const b = encodeHeartbeat({ sequence: 0x01020304, masters: ['vi1', 'vi_ext'] });
  assert.is(Buffer.from(b).toString('hex'), '534b48420102' + '01020304' + '03' + Buffer.from('vi1').toString('hex') + '06' + Buffer.from('vi_ext').toString('hex'));
  assert.equal(decodeHeartbeat(b), { sequence: 0x01020304, masters: ['vi1', 'vi_ext'] });
  assert.equal(decodeHeartbeat(encodeHeartbeat({ sequence: 0, masters: [] })), { sequence: 0, masters: [] });
});

test('malformed: wrong magic or version, truncated, trailing bytes, zero-length name', () => {
  const good = encodeHeartbeat({ sequence: 7, masters: ['a', 'bc'] });
  for (let n = 0; n < good.length; n++) assert.is(decodeHeartbeat(good.subarray(0, n)), undefined, `truncated to ${n}`);
  const bad = (i: number, v: number) => { const c = Uint8Array.from(good); c[i] = v; return c; };
  assert.is(decodeHeartbeat(bad(0, 0)), undefined);
  assert.is(decodeHeartbeat(bad(4, 2)), undefined);
  assert.is(decodeHeartbeat(bad(10, 0)), undefined);
  assert.is(decodeHeartbeat(Uint8Array.from([...good, 0])), undefined);
  // Random bytes never throw.
  for (let i = 0; i < 2000; i++) {
    const r = Uint8Array.from({ length: Math.floor(Math.random() * 40) }, () => Math.floor(Math.random() * 256));
    if (i % 2) r.set([0x53, 0x4b, 0x48, 0x42, 1].slice(0, r.length));
    decodeHeartbeat(r);
  }
});

test.run();
