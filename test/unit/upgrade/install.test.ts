// The streaming installer with a fake slot that records every write and every boot-environment
// change: verify before write (a bad chunk is never written, nor anything after it), the order
// mark-bad -> writes -> flush -> read back -> switch, truncation, board, downgrade and epoch.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BundleFault, bytesSource, install, type InstallRequest, type RunningSystem } from '../../../src/upgrade/index.ts';
import { FakeSlot, defaultKey, makeBundle, makeKey } from './make.ts';

const trusted = [defaultKey().public];
const running: RunningSystem = { board: 'x86_64-generic', version: '1.1.0', epochFloor: 3, allowDowngrade: false };

function request(bytes: Uint8Array, slot: FakeSlot, over: Partial<InstallRequest> = {}): InstallRequest {
  return { source: bytesSource(bytes, 333), trusted, running, runningSlot: 'A', writer: slot, boot: slot, ...over };
}

async function refused(bytes: Uint8Array, slot: FakeSlot, over: Partial<InstallRequest> = {}): Promise<string> {
  try {
    await install(request(bytes, slot, over));
  } catch (err) {
    if (err instanceof BundleFault) return err.message;
    throw err;
  }
  throw new Error('installed');
}

test('installs: mark bad, every chunk written once in order, flush, read back, then one switch', async () => {
  const b = makeBundle();
  const slot = new FakeSlot();
  const progress: number[] = [];
  const report = await install(request(b.bytes, slot, { onProgress: (p) => p.phase === 'write' && progress.push(p.done) }));
  assert.is(report.slot, 'B');
  assert.is(report.bytes, b.payload.length);
  assert.equal(slot.disk.subarray(0, b.payload.length), b.payload);
  assert.equal(slot.log.map((e) => e.op), ['mark-bad', 'write', 'write', 'write', 'flush', 'try-once']);
  assert.equal(slot.writes().map((w) => [w.offset, w.bytes.length]), [[0, 512], [512, 512], [1024, 100]]);
  assert.equal(slot.log.at(-1), { op: 'try-once', slot: 'B', running: 'A' });
  assert.equal(progress, [512, 1024, 1124]);
});

test('a flipped bit in any payload chunk: refused before that chunk is written; only good chunks before it were', async () => {
  const b = makeBundle();
  for (let byte = b.payloadOffset; byte < b.bytes.length; byte++) {
    for (let bit = 0; bit < 8; bit++) {
      const bad = Uint8Array.from(b.bytes);
      bad[byte]! ^= 1 << bit;
      const slot = new FakeSlot();
      const message = await refused(bad, slot);
      const chunk = Math.floor((byte - b.payloadOffset) / 512);
      if (!message.includes(`part rootfs, chunk ${chunk}: sha256`)) assert.unreachable(`byte ${byte}: ${message}`);
      const writes = slot.writes();
      if (writes.length !== chunk) assert.unreachable(`byte ${byte}: ${writes.length} chunks written, expected ${chunk}`);
      for (const w of writes) {
        if (!Buffer.from(w.bytes).equals(Buffer.from(b.payload.subarray(w.offset, w.offset + w.bytes.length)))) assert.unreachable(`byte ${byte}: a changed byte was written`);
      }
      if (slot.log.some((e) => e.op === 'try-once')) assert.unreachable(`byte ${byte}: switched`);
      // A bad first chunk: nothing at all changed, not even the slot's boot entry.
      if (chunk === 0 && slot.log.length !== 0) assert.unreachable(`byte ${byte}: ${slot.log.map((e) => e.op).join(',')}`);
    }
  }
});

test('a flipped bit in header, manifest or signature: refused with nothing written and GRUB untouched', async () => {
  const b = makeBundle();
  for (let byte = 0; byte < b.payloadOffset; byte++) {
    for (let bit = 0; bit < 8; bit++) {
      const bad = Uint8Array.from(b.bytes);
      bad[byte]! ^= 1 << bit;
      const slot = new FakeSlot();
      await refused(bad, slot);
      if (slot.log.length !== 0) assert.unreachable(`byte ${byte} bit ${bit}: ${slot.log.map((e) => e.op).join(',')}`);
    }
  }
});

test('truncated anywhere: refused naming where the input ended; never switched', async () => {
  const b = makeBundle();
  for (const n of [0, 10, 47, 48, 100, b.payloadOffset - 1, b.payloadOffset, b.payloadOffset + 511, b.payloadOffset + 512, b.bytes.length - 1]) {
    const slot = new FakeSlot();
    const message = await refused(b.bytes.subarray(0, n), slot);
    if (n === 0) assert.match(message, /not a stockade bundle: it is empty/);
    else if (n >= 16) assert.match(message, new RegExp(`truncated: the input ends at byte ${n}`));
    assert.not.ok(slot.log.some((e) => e.op === 'try-once'));
    assert.ok(slot.writes().every((w) => w.offset + w.bytes.length <= n - b.payloadOffset), `n=${n}`);
  }
  const longer = new Uint8Array(b.bytes.length + 10);
  longer.set(b.bytes);
  const slot = new FakeSlot();
  assert.match(await refused(longer, slot), /more bytes after the payload's end/);
  assert.not.ok(slot.log.some((e) => e.op === 'try-once'));
});

test('keys: none configured refused before reading; a wrong key refused; either of two trusted keys accepted', async () => {
  const b = makeBundle();
  let read = false;
  const source = { read: async () => { read = true; return new Uint8Array(0); } };
  assert.match(await refused(b.bytes, new FakeSlot(), { trusted: [], source }), /no trusted keys configured \(upgrade.trusted_keys\): upgrades are refused/);
  assert.not.ok(read);
  const other = makeKey('other');
  const slot = new FakeSlot();
  assert.match(await refused(makeBundle({ key: other }).bytes, slot), /which is not trusted/);
  assert.is(slot.log.length, 0);
  await install(request(makeBundle({ key: other }).bytes, new FakeSlot(), { trusted: [trusted[0]!, other.public] }));
});

test('board, downgrade and security epoch', async () => {
  const cases: Array<[Parameters<typeof makeBundle>[0], Partial<RunningSystem>, RegExp | null]> = [
    [{ board: 'arm64-generic' }, {}, /the bundle is for board arm64-generic; this box is x86_64-generic/],
    [{ version: '1.0.9' }, {}, /version 1.0.9 is older than the running 1.1.0 \(set upgrade.allow_downgrade to install it\)/],
    [{ version: '1.0.9' }, { allowDowngrade: true }, null],
    [{ version: '1.1.0' }, {}, null],
    [{ version: '1.1.0-rc.1' }, {}, /older than the running 1.1.0/],
    [{ version: '1.1.1-rc.1' }, {}, null],
    [{ epoch: 2 }, {}, /security epoch 2 is below this box's floor 3: refused \(allow_downgrade does not relax the epoch\)/],
    [{ epoch: 2, version: '9.0.0' }, { allowDowngrade: true }, /below this box's floor 3/],
    [{ epoch: 2, version: '1.0.0' }, { allowDowngrade: true }, /below this box's floor 3/],
    [{ epoch: 4 }, {}, null],
  ];
  for (const [spec, over, want] of cases) {
    const slot = new FakeSlot();
    const req = { running: { ...running, ...over } };
    if (want === null) {
      await install(request(makeBundle(spec).bytes, slot, req));
      assert.equal(slot.log.at(-1)?.op, 'try-once');
    } else {
      assert.match(await refused(makeBundle(spec).bytes, slot, req), want);
      assert.is(slot.log.length, 0, JSON.stringify(spec));
    }
  }
});

test('a slot too small, or the running slot, is refused before anything is written', async () => {
  const b = makeBundle();
  const small = new FakeSlot('B', 1000);
  assert.match(await refused(b.bytes, small), /1124 bytes do not fit slot B \(1000 bytes\)/);
  assert.is(small.log.length, 0);
  const same = new FakeSlot('A');
  assert.match(await refused(b.bytes, same), /slot A is the running slot/);
  assert.is(same.log.length, 0);
});

test('read back differs (the device lost a write): refused, slot stays marked bad, no switch', async () => {
  const slot = new FakeSlot();
  slot.corruptOnRead = true;
  assert.match(await refused(makeBundle().bytes, slot), /slot B read back with sha256 [0-9a-f]{64}, not the [0-9a-f]{64} written: the slot stays marked bad/);
  assert.equal(slot.log.map((e) => e.op), ['mark-bad', 'write', 'write', 'write', 'flush']);
});

test.run();
