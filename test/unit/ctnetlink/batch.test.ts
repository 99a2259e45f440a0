// CtBatchWriter against a fake kernel: many messages per send, only the last asks for an ack,
// errors come back per message by sequence number, lost replies fail the batch.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CtBatchWriter, CtEventStream, RecvGate } from '../../../src/kernel/ctnetlink/socket.ts';
import type { CtBatchItem } from '../../../src/kernel/ctnetlink/socket.ts';
import { NLM_F_ACK, NLMSG_ERROR } from '../../../src/kernel/netlink/constants.ts';
import type { NetlinkMessage } from '../../../src/kernel/netlink/message.ts';
import { NetlinkSocket } from '../../../src/kernel/netlink/socket.ts';
import { encodeEntry } from '../../../src/kernel/ctnetlink/entry.ts';
import { FakeNetlinkKernel } from '../kernel/fake-netlink-kernel.ts';

const test = suite('ctnetlink batch writer and event stream');

const item = (i: number, op: CtBatchItem['op'] = 'create'): CtBatchItem => ({
  op, entry: { orig: { src: '192.0.2.1', dst: '192.0.2.2', proto: 17, sport: 1000 + i, dport: 53 }, status: 8, timeout: 30 },
});

/** NLMSG_ERROR for request `req` with errno (0 = ack). */
function ack(req: NetlinkMessage, errno: number): NetlinkMessage {
  const p = Buffer.alloc(4 + 16);
  p.writeInt32LE(-errno, 0);
  p.writeUInt32LE(16, 4);
  p.writeUInt16LE(req.type, 8);
  p.writeUInt16LE(req.flags, 10);
  p.writeUInt32LE(req.seq, 12);
  return { type: NLMSG_ERROR, flags: 0x100, seq: req.seq, pid: 4242, payload: p };
}

/** A kernel that answers each send like ctnetlink: errors for `failing` sports, an ack for NLM_F_ACK. */
function kernel(failing: Set<number>, errno = 17): { k: FakeNetlinkKernel; sends: number[] } {
  const k = new FakeNetlinkKernel();
  const sends: number[] = [];
  const orig = k.send.bind(k);
  k.send = (data: Uint8Array): number => {
    const before = k.sent.length;
    const n = orig(data);
    const msgs = k.sent.slice(before);
    sends.push(msgs.length);
    queueMicrotask(() => {
      const replies: NetlinkMessage[] = [];
      for (const m of msgs) {
        const sport = m.payload.readUInt16BE(4 + 4 + 20 + 4 + 5 + 3 + 4); // orig tuple's first port
        if (failing.has(sport)) replies.push(ack(m, errno));
        else if ((m.flags & NLM_F_ACK) !== 0) replies.push(ack(m, 0));
      }
      k.deliver(replies);
    });
    return n;
  };
  return { k, sends };
}

test('many messages per send; only the last of each asks for an ack; failures name their item', async () => {
  const { k, sends } = kernel(new Set([1005, 1150]));
  const w = new CtBatchWriter(k, { maxBatchBytes: 4096 });
  const items = Array.from({ length: 200 }, (_, i) => item(i));
  const r = await w.apply(items);
  assert.is(r.sent, 200);
  assert.ok(r.sends > 1 && r.sends < 20, `${r.sends} sends`);
  assert.equal(sends.reduce((a, b) => a + b, 0), 200);
  assert.is(k.sent.filter((m) => (m.flags & NLM_F_ACK) !== 0).length, r.sends, 'one ack request per send');
  assert.equal(r.failed.map((f) => [f.item.entry.orig.sport, f.error]), [[1005, -17], [1150, -17]]);
});

test('the first port offset used by the fake kernel is right', () => {
  const p = encodeEntry(item(7).entry);
  assert.is(p.readUInt16BE(4 + 4 + 20 + 4 + 5 + 3 + 4), 1007);
});

test('an entry that cannot be encoded fails alone (EINVAL); the rest is sent', async () => {
  const { k } = kernel(new Set());
  const w = new CtBatchWriter(k);
  const bad: CtBatchItem = { op: 'create', entry: { orig: { src: '192.0.2.1', dst: 'nope', proto: 17, sport: 1, dport: 2 } } };
  const r = await w.apply([item(1), bad, item(2)]);
  assert.equal(r.failed.map((f) => f.error), [-22]);
  assert.is(k.sent.length, 2);
  assert.equal((await w.apply([bad])).failed.length, 1, 'a batch of only bad items');
});

test('a failing last message still completes its send (the error is its ack)', async () => {
  const { k } = kernel(new Set([1009]), 2);
  const w = new CtBatchWriter(k, { maxBatchBytes: 1 << 20 });
  const r = await w.apply(Array.from({ length: 10 }, (_, i) => item(i, 'delete')));
  assert.equal(r.failed.map((f) => f.error), [-2]);
  assert.is(r.sends, 1);
});

test('lost replies (ENOBUFS) fail the batch instead of hanging', async () => {
  const k = new FakeNetlinkKernel();
  const w = new CtBatchWriter(k);
  const p = w.apply([item(1)]);
  queueMicrotask(() => k.fail(105));
  await p.then(() => assert.unreachable('must reject'), (e: Error & { code?: string }) => assert.is(e.code, 'ENOBUFS'));
});

test('event stream: decodes by group, counts undecodable, reports overruns', () => {
  const k = new FakeNetlinkKernel();
  const ev = new CtEventStream(new NetlinkSocket(k), undefined, k, 1 << 16);
  assert.equal([...k.groups].sort(), [1, 2, 3]);
  const got: string[] = [];
  let overruns = 0;
  ev.on('entry', (kind, e) => got.push(`${kind}:${e.orig.sport}`));
  ev.on('overrun', () => overruns++);
  const payload = encodeEntry(item(5).entry);
  k.deliver([{ type: 0x100, flags: 0, seq: 0, pid: 0, payload }], { group: 1 });
  k.deliver([{ type: 0x102, flags: 0, seq: 0, pid: 0, payload }], { group: 3 });
  k.deliver([{ type: 0x100, flags: 0, seq: 0, pid: 0, payload: Buffer.from('07000000', 'hex') }], { group: 2 });
  k.deliver([{ type: 0x100, flags: 0, seq: 0, pid: 0, payload: Buffer.from('0200', 'hex') }], { group: 2 });
  k.fail(105);
  assert.equal(got, ['new:1005', 'destroy:1005']);
  assert.equal([ev.unsupported, ev.malformed, overruns, ev.overruns], [1, 1, 1, 1]);
  assert.is(ev.growRcvbuf(1 << 20), 1 << 17);
  assert.equal(k.options.at(-1), [1, 33, 1 << 17]);
  assert.is(ev.growRcvbuf(1 << 17), undefined, 'at the maximum');
});

test('event stream: pause() stops reading until resume(), through the gate under the netlink socket', () => {
  const k = new FakeNetlinkKernel();
  const gate = new RecvGate(k);
  const ev = new CtEventStream(new NetlinkSocket(gate), undefined, gate, 1 << 16);
  const got: number[] = [];
  ev.on('entry', (_kind, e) => got.push(e.orig.sport!));
  const msg = (i: number) => [{ type: 0x100, flags: 0, seq: 0, pid: 0, payload: encodeEntry(item(i).entry) }];
  assert.ok(k.receiving);
  k.deliver(msg(1), { group: 1 });
  ev.pause();
  assert.ok(gate.paused);
  assert.not.ok(k.receiving, 'the socket is not read while paused');
  ev.pause();
  ev.resume();
  assert.ok(k.receiving);
  k.deliver(msg(2), { group: 1 });
  ev.resume();
  assert.equal(got, [1001, 1002]);
  ev.close();
  assert.not.ok(k.receiving);
});

test('event stream: events caused by skipPortId are counted and dropped before decoding', () => {
  const k = new FakeNetlinkKernel();
  const ev = new CtEventStream(new NetlinkSocket(k), undefined, k, 1 << 16);
  ev.skipPortId = 4242;
  const got: number[] = [];
  ev.on('entry', (_kind, _e, m) => got.push(m.pid));
  const payload = encodeEntry(item(5).entry);
  k.deliver([{ type: 0x100, flags: 0, seq: 0, pid: 4242, payload }], { group: 1 });
  // undecodable, but skipped before decoding: not counted as malformed
  k.deliver([{ type: 0x100, flags: 0, seq: 0, pid: 4242, payload: Buffer.from('0200', 'hex') }], { group: 2 });
  k.deliver([{ type: 0x100, flags: 0, seq: 0, pid: 7, payload }], { group: 1 });
  assert.equal(got, [7]);
  assert.equal([ev.skipped, ev.malformed], [2, 0]);
});

test.run();
