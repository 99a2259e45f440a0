// NetlinkSocket.sendBatch: one datagram of caller-encoded requests, one promise, each failure
// by seq; plain requests on the same socket keep their own replies.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NLM_F_ACK, NLM_F_CAPPED, NLM_F_REQUEST, NLMSG_ERROR } from '../../../src/kernel/netlink/constants.ts';
import { encodeMessages } from '../../../src/kernel/netlink/message.ts';
import type { NetlinkMessage } from '../../../src/kernel/netlink/message.ts';
import { NetlinkSocket } from '../../../src/kernel/netlink/socket.ts';
import { ackPayload, FakeNetlinkKernel } from './fake-netlink-kernel.ts';

const reply = (req: NetlinkMessage, error: number): NetlinkMessage => ({ type: NLMSG_ERROR, flags: NLM_F_CAPPED, seq: req.seq, pid: 0, payload: ackPayload(req, error) });

test('errors go to onError by seq; the last message alone asks for the ack that resolves', async () => {
  const k = new FakeNetlinkKernel();
  const sock = new NetlinkSocket(k);
  const msgs = [0, 1, 2, 3].map((i) => ({ type: 0x100, flags: NLM_F_REQUEST, seq: sock.nextSeq(), pid: 0, payload: Buffer.from([i, 0, 0, 0]) }));
  const datagram = encodeMessages(msgs);
  const errors: Array<[number, number]> = [];
  const done = sock.sendBatch(datagram, 3 * 20, (seq, error) => errors.push([seq, error]));
  const other = sock.request(0x200, Buffer.alloc(4));
  assert.equal(k.datagrams, [4, 1]);
  assert.equal(k.sent.slice(0, 4).map((m) => (m.flags & NLM_F_ACK) !== 0), [false, false, false, true]);
  const [m1, , , m3] = k.sent;
  let settled = false;
  void done.then(() => { settled = true; });
  k.deliver([reply(m1!, -17)]);
  await Promise.resolve();
  assert.not.ok(settled, 'an error before the last ack does not settle the batch');
  k.deliver([reply(k.sent[4]!, 0), reply(m3!, -2)]);
  await done;
  await other;
  assert.equal(errors, [[m1!.seq, -17], [m3!.seq, -2]]);
  assert.is(sock.strayMessages, 0);
});

test('no reply in time rejects the batch (its outcome is unknown)', async () => {
  const k = new FakeNetlinkKernel();
  const sock = new NetlinkSocket(k);
  const m = { type: 0x100, flags: NLM_F_REQUEST, seq: sock.nextSeq(), pid: 0, payload: Buffer.alloc(4) };
  await sock.sendBatch(encodeMessages([m]), 0, () => {}, { timeoutMs: 5 }).then(
    () => assert.unreachable('must reject'),
    (e: Error & { code?: string }) => assert.is(e.code, 'ETIMEDOUT'),
  );
});

test.run();
