// IpvsClient.writeAll(): an apply's writes over the real NetlinkSocket on a scripted kernel. They
// go out as many per datagram as fit in 64 KiB, only each datagram's last message asking for an
// ack; a refusal is named with ipvsadm's words for that write; with stopAtFailure nothing is sent
// after the datagram that held it, and those writes say they were not sent.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { constants } from 'node:os';
import type { NetlinkMessage } from '../../../src/kernel/netlink/message.ts';
import { NLM_F_ACK, NLM_F_CAPPED, NLMSG_ERROR } from '../../../src/kernel/netlink/constants.ts';
import { NetlinkSocket } from '../../../src/kernel/netlink/socket.ts';
import { IpvsClient, IpvsError } from '../../../src/kernel/ipvs/index.ts';
import type { IpvsWrite } from '../../../src/kernel/ipvs/index.ts';
import { writePayload } from '../../../src/kernel/ipvs/codec.ts';
import { ackPayload, FakeNetlinkKernel } from '../kernel/fake-netlink-kernel.ts';

const FAMILY = 0x25;
const key = { protocol: 'tcp' as const, address: '192.0.2.1', port: 80 };
const writes: IpvsWrite[] = Array.from({ length: 3000 }, (_, i) => ({
  op: 'add-dest', key, dest: { address: `198.51.100.${1 + (i % 250)}`, port: 8000 + Math.floor(i / 250), weight: 1, forward: 'nat', upperThreshold: 0, lowerThreshold: 0, tunnelType: 'ipip', tunnelPort: 0, tunnelFlags: 0 },
} as IpvsWrite));

/** Answers every datagram sent so far and not yet answered: `errors` by message index, then the ack. */
function answer(k: FakeNetlinkKernel, from: { msg: number; dgram: number }, errors: Map<number, number>): void {
  for (; from.dgram < k.datagrams.length; from.dgram++) {
    const msgs = k.sent.slice(from.msg, from.msg + k.datagrams[from.dgram]!);
    from.msg += msgs.length;
    const replies: NetlinkMessage[] = [];
    msgs.forEach((m, j) => {
      const idx = from.msg - msgs.length + j;
      const err = errors.get(idx);
      if (err !== undefined) replies.push({ type: NLMSG_ERROR, flags: NLM_F_CAPPED, seq: m.seq, pid: 0, payload: ackPayload(m, -err) });
      else if (m.flags & NLM_F_ACK) replies.push({ type: NLMSG_ERROR, flags: NLM_F_CAPPED, seq: m.seq, pid: 0, payload: ackPayload(m, 0) });
    });
    k.deliver(replies);
  }
}

async function run(errors: Map<number, number>, stopAtFailure: boolean): Promise<{ k: FakeNetlinkKernel; out: Array<Error | undefined>; client: IpvsClient }> {
  const k = new FakeNetlinkKernel();
  const client = new IpvsClient(new NetlinkSocket(k), FAMILY);
  const p = client.writeAll(writes, { stopAtFailure });
  const from = { msg: 0, dgram: 0 };
  let out: Array<Error | undefined> | undefined;
  void p.then((o) => (out = o));
  for (let i = 0; i < 1000 && out === undefined; i++) {
    answer(k, from, errors);
    await new Promise((r) => setImmediate(r));
  }
  assert.ok(out, 'writeAll never finished');
  return { k, out: out!, client };
}

test('3,000 writes: a few datagrams of up to 64 KiB, one ack asked for in each, every write done', async () => {
  const { k, out, client } = await run(new Map(), true);
  assert.is(k.sent.length, 3000);
  assert.ok(k.datagrams.length > 1 && k.datagrams.length < 20, `${k.datagrams.length} datagrams`);
  let at = 0;
  for (const n of k.datagrams) {
    const acks = k.sent.slice(at, at + n).map((m) => (m.flags & NLM_F_ACK) !== 0);
    assert.equal(acks.map((a, j) => (a ? j : -1)).filter((j) => j >= 0), [n - 1], 'only the last message of a datagram asks for an ack');
    at += n;
  }
  assert.ok(out.every((e) => e === undefined));
  assert.is(client.writes, 3000);
  // Written straight into the reused datagram buffer: each message is the write's own payload
  // (the golden-byte one), those that led a new datagram after not fitting included.
  k.sent.forEach((m, i) => assert.ok(m.payload.equals(writePayload(writes[i]!)), `write ${i}: payload differs`));
  assert.is(new Set(k.sent.map((m) => m.seq)).size, 3000, 'a seq each');
  client.close();
});

test('a refusal is named for its write; with stopAtFailure later datagrams are not sent', async () => {
  const { k, out, client } = await run(new Map([[5, constants.errno.EEXIST]]), true);
  const first = k.datagrams[0]!;
  assert.is(k.sent.length, first, 'only the first datagram went out');
  assert.instance(out[5], IpvsError);
  assert.is(out[5]!.message, 'IPVS add destination 198.51.100.6:8000 to tcp 192.0.2.1:80: Destination already exists (EEXIST)');
  assert.ok(out.slice(0, first).every((e, i) => (i === 5) === (e !== undefined)), 'the rest of its datagram was done');
  assert.ok(out.slice(first).every((e) => e instanceof IpvsError && /not sent: an earlier write failed/.test(e.message)));
  client.close();
});

test('without stopAtFailure every write is sent and only the refused ones fail', async () => {
  const { k, out, client } = await run(new Map([[5, constants.errno.EEXIST], [2999, constants.errno.ESRCH]]), false);
  assert.is(k.sent.length, 3000);
  assert.equal(out.flatMap((e, i) => (e === undefined ? [] : [i])), [5, 2999]);
  assert.match(out[2999]!.message, /Service not defined \(ESRCH\)/);
  client.close();
});

test.run();
