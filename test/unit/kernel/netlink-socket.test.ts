// NetlinkSocket against a fake kernel: seq matching, acks, errors, dumps, events, overruns, timeouts.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { constants } from 'node:os';
import { AttributeEncoder } from '../../../src/kernel/netlink/attributes.ts';
import { NetlinkError } from '../../../src/kernel/netlink/ack.ts';
import {
  NETLINK_CAP_ACK, NETLINK_EXT_ACK, NETLINK_GET_STRICT_CHK, NLM_F_ACK, NLM_F_ACK_TLVS, NLM_F_CAPPED, NLM_F_DUMP,
  NLM_F_DUMP_INTR, NLM_F_MULTI, NLM_F_REQUEST, NLMSG_DONE, NLMSG_ERROR, NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS, SOL_NETLINK,
} from '../../../src/kernel/netlink/constants.ts';
import type { NetlinkMessage } from '../../../src/kernel/netlink/message.ts';
import { NetlinkSocket } from '../../../src/kernel/netlink/socket.ts';
import { decodeMessages } from '../../../src/kernel/netlink/message.ts';
import { RTM_GETLINK, RTM_NEWLINK, RTM_SETLINK, RTNLGRP_LINK } from '../../../src/kernel/rtnetlink/constants.ts';
import { listLinks } from '../../../src/kernel/rtnetlink/link.ts';
import { ackPayload, FakeNetlinkKernel } from './fake-netlink-kernel.ts';
import * as g from './fixtures/netlink-golden.ts';

const test = suite('NetlinkSocket');

function setup(opts: ConstructorParameters<typeof NetlinkSocket>[1] = {}) {
  const k = new FakeNetlinkKernel();
  const s = new NetlinkSocket(k, opts);
  return { k, s };
}

const flush = () => new Promise((r) => setImmediate(r));
const reply = (req: NetlinkMessage, type: number, payload: Buffer, flags = 0): NetlinkMessage =>
  ({ type, flags, seq: req.seq, pid: 4242, payload });

test('sets ext ack and cap ack by default, strict check on request', () => {
  assert.equal(setup().k.options, [[SOL_NETLINK, NETLINK_EXT_ACK, 1], [SOL_NETLINK, NETLINK_CAP_ACK, 1]]);
  assert.equal(setup({ extAck: false, capAck: false, strictCheck: true }).k.options, [[SOL_NETLINK, NETLINK_GET_STRICT_CHK, 1]]);
});

test('request: sends REQUEST|ACK with a fresh seq and resolves on the ack', async () => {
  const { k, s } = setup();
  const p = s.request(RTM_SETLINK, Buffer.alloc(16));
  const req = k.lastSent();
  assert.is(req.type, RTM_SETLINK);
  assert.is(req.flags, NLM_F_REQUEST | NLM_F_ACK);
  assert.is.not(req.seq, 0);
  assert.ok(k.receiving, 'receives while waiting');
  k.deliver([reply(req, NLMSG_ERROR, ackPayload(req, 0), NLM_F_CAPPED)]);
  assert.equal(await p, []);
  assert.not.ok(k.receiving, 'stops receiving when nothing is pending');
});

test('request: replies before the ack are returned', async () => {
  const { k, s } = setup();
  const p = s.request(RTM_GETLINK, Buffer.alloc(16));
  const req = k.lastSent();
  k.deliver([reply(req, RTM_NEWLINK, Buffer.alloc(16)), reply(req, NLMSG_ERROR, ackPayload(req, 0))]);
  const got = await p;
  assert.is(got.length, 1);
  assert.is(got[0]!.type, RTM_NEWLINK);
});

test('request: an error ack rejects with NetlinkError carrying the kernel message and offset', async () => {
  const { k, s } = setup();
  const p = s.request(RTM_SETLINK, Buffer.alloc(16));
  const req = k.lastSent();
  const tlvs = new AttributeEncoder().string(NLMSGERR_ATTR_MSG, 'Invalid MTU').u32(NLMSGERR_ATTR_OFFS, 32).encode();
  k.deliver([reply(req, NLMSG_ERROR, ackPayload(req, -constants.errno.EINVAL, tlvs), NLM_F_CAPPED | NLM_F_ACK_TLVS)]);
  const err = await p.then(() => undefined, (e: unknown) => e);
  assert.instance(err, NetlinkError);
  const ne = err as NetlinkError;
  assert.is(ne.code, 'EINVAL');
  assert.is(ne.errno, -constants.errno.EINVAL);
  assert.is(ne.kernelMessage, 'Invalid MTU');
  assert.is(ne.offset, 32);
  assert.is(ne.requestType, RTM_SETLINK);
  assert.match(ne.message, /Invalid MTU/);
});

test('replies are matched by seq when they interleave', async () => {
  const { k, s } = setup();
  const p1 = s.request(RTM_GETLINK, Buffer.alloc(16));
  const r1 = k.lastSent();
  const p2 = s.request(RTM_GETLINK, Buffer.alloc(16));
  const r2 = k.lastSent();
  assert.is.not(r1.seq, r2.seq);
  k.deliver([reply(r2, RTM_NEWLINK, Buffer.from('bbbb')), reply(r1, RTM_NEWLINK, Buffer.from('aaaa'))]);
  k.deliver([reply(r2, NLMSG_ERROR, ackPayload(r2, 0)), reply(r1, NLMSG_ERROR, ackPayload(r1, 0))]);
  assert.is((await p1)[0]!.payload.toString(), 'aaaa');
  assert.is((await p2)[0]!.payload.toString(), 'bbbb');
});

test('dump: collects multi-part replies across datagrams until DONE', async () => {
  const { k, s } = setup();
  const p = s.dump(RTM_GETLINK, Buffer.alloc(16));
  const req = k.lastSent();
  assert.is(req.flags, NLM_F_REQUEST | NLM_F_DUMP);
  k.deliver([reply(req, RTM_NEWLINK, Buffer.from('1111'), NLM_F_MULTI), reply(req, RTM_NEWLINK, Buffer.from('2222'), NLM_F_MULTI)]);
  k.deliver([reply(req, RTM_NEWLINK, Buffer.from('3333'), NLM_F_MULTI)]);
  k.deliver([reply(req, NLMSG_DONE, Buffer.alloc(4), NLM_F_MULTI)]);
  assert.equal((await p).map((m) => m.payload.toString()), ['1111', '2222', '3333']);
});

test('dump: a failed DONE status rejects; an interrupted dump rejects with EINTR', async () => {
  const { k, s } = setup();
  const p = s.dump(RTM_GETLINK, Buffer.alloc(16));
  let req = k.lastSent();
  const bad = Buffer.alloc(4);
  bad.writeInt32LE(-constants.errno.EPERM);
  k.deliver([reply(req, NLMSG_DONE, bad, NLM_F_MULTI)]);
  await p.then(() => assert.unreachable(), (e: NetlinkError) => assert.is(e.code, 'EPERM'));

  const q = s.dump(RTM_GETLINK, Buffer.alloc(16));
  await flush();
  req = k.lastSent();
  k.deliver([reply(req, RTM_NEWLINK, Buffer.alloc(4), NLM_F_MULTI | NLM_F_DUMP_INTR), reply(req, NLMSG_DONE, Buffer.alloc(4), NLM_F_MULTI)]);
  await q.then(() => assert.unreachable(), (e: NetlinkError) => {
    assert.is(e.code, 'EINTR');
    assert.match(e.message, /interrupted/);
  });
});

test('dumps run one at a time; requests do not wait for them', async () => {
  const { k, s } = setup();
  const d1 = s.dump(RTM_GETLINK, Buffer.alloc(16));
  const d2 = s.dump(RTM_GETLINK, Buffer.alloc(16));
  const r = s.request(RTM_SETLINK, Buffer.alloc(16));
  await flush();
  assert.equal(k.sent.map((m) => m.type), [RTM_GETLINK, RTM_SETLINK]);
  const [first, setl] = k.sent;
  k.deliver([reply(setl!, NLMSG_ERROR, ackPayload(setl!, 0))]);
  await r;
  k.deliver([reply(first!, NLMSG_DONE, Buffer.alloc(4), NLM_F_MULTI)]);
  await d1;
  await flush();
  assert.is(k.sent.length, 3);
  const second = k.lastSent();
  k.deliver([reply(second, NLMSG_DONE, Buffer.alloc(4), NLM_F_MULTI)]);
  assert.equal(await d2, []);
});

test('dumpEach streams messages; a throwing handler ends the dump with its error', async () => {
  const { k, s } = setup();
  const seen: string[] = [];
  const p = s.dumpEach(RTM_GETLINK, Buffer.alloc(16), (m) => seen.push(m.payload.toString()));
  let req = k.lastSent();
  k.deliver([reply(req, RTM_NEWLINK, Buffer.from('x'), NLM_F_MULTI), reply(req, RTM_NEWLINK, Buffer.from('y'), NLM_F_MULTI)]);
  k.deliver([reply(req, NLMSG_DONE, Buffer.alloc(4), NLM_F_MULTI)]);
  await p;
  assert.equal(seen, ['x', 'y']);

  const q = s.dumpEach(RTM_GETLINK, Buffer.alloc(16), () => { throw new Error('handler broke'); });
  await flush();
  req = k.lastSent();
  k.deliver([reply(req, RTM_NEWLINK, Buffer.from('x'), NLM_F_MULTI)]);
  await q.then(() => assert.unreachable(), (e: Error) => assert.is(e.message, 'handler broke'));
});

test('multicast messages are events, even when their seq collides with a request', async () => {
  const { k, s } = setup();
  const events: Array<[number, number]> = [];
  s.on('message', (m, group) => events.push([m.type, group]));
  s.subscribe(RTNLGRP_LINK);
  assert.ok(k.groups.has(RTNLGRP_LINK));
  const p = s.request(RTM_SETLINK, Buffer.alloc(16));
  const req = k.lastSent();
  k.deliver([{ type: RTM_NEWLINK, flags: 0, seq: req.seq, pid: 0, payload: Buffer.alloc(16) }], { group: RTNLGRP_LINK });
  k.deliver([reply(req, NLMSG_ERROR, ackPayload(req, 0))]);
  await p;
  assert.equal(events, [[RTM_NEWLINK, RTNLGRP_LINK]]);
  assert.ok(k.receiving, 'keeps receiving for the group');
  s.unsubscribe(RTNLGRP_LINK);
  assert.not.ok(k.receiving);
});

test('datagrams from a process other than the kernel are dropped', async () => {
  const { k, s } = setup({ timeoutMs: 30 });
  const p = s.request(RTM_SETLINK, Buffer.alloc(16));
  const req = k.lastSent();
  k.deliver([reply(req, NLMSG_ERROR, ackPayload(req, 0))], { pid: 999 });
  assert.is(s.foreignDatagrams, 1);
  await p.then(() => assert.unreachable(), (e: Error & { code?: string }) => assert.is(e.code, 'ETIMEDOUT'));
});

test('timeouts reject with ETIMEDOUT; late replies are counted as stray', async () => {
  const { k, s } = setup();
  const p = s.request(RTM_SETLINK, Buffer.alloc(16), { timeoutMs: 20 });
  const req = k.lastSent();
  const err = await p.then(() => undefined, (e: Error & { code?: string; syscall?: string }) => e);
  assert.is(err?.code, 'ETIMEDOUT');
  assert.is(err?.syscall, 'netlink');
  assert.not.ok(k.receiving);
  const other = s.request(RTM_SETLINK, Buffer.alloc(16));
  k.deliver([reply(req, NLMSG_ERROR, ackPayload(req, 0))]);
  assert.is(s.strayMessages, 1);
  const r2 = k.lastSent();
  k.deliver([reply(r2, NLMSG_ERROR, ackPayload(r2, 0))]);
  await other;
});

// Real timers: each gap is well inside the timeout (150 ms of 400, room for a loaded machine's
// late timers) while the whole dump takes longer than it; a failure is a failed test, not an
// unhandled rejection that ends the tier.
test('dump timeout is per part: a slow but steady dump completes', async () => {
  const { k, s } = setup({ timeoutMs: 400 });
  const p = s.dump(RTM_GETLINK, Buffer.alloc(16));
  p.catch(() => undefined);
  const req = k.lastSent();
  for (let i = 0; i < 4; i++) {
    await new Promise((r) => setTimeout(r, 150));
    k.deliver([reply(req, RTM_NEWLINK, Buffer.alloc(4), NLM_F_MULTI)]);
  }
  k.deliver([reply(req, NLMSG_DONE, Buffer.alloc(4), NLM_F_MULTI)]);
  assert.is((await p).length, 4);
});

test('ENOBUFS without groups fails pending requests at once', async () => {
  const { k, s } = setup();
  const p = s.request(RTM_SETLINK, Buffer.alloc(16));
  k.fail(constants.errno.ENOBUFS);
  await p.then(() => assert.unreachable(), (e: Error & { code?: string }) => assert.is(e.code, 'ENOBUFS'));
});

test('ENOBUFS with groups is an error event (events were lost), requests keep waiting', async () => {
  const { k, s } = setup();
  const errors: string[] = [];
  s.on('error', (e: Error & { code?: string }) => errors.push(e.code ?? '?'));
  s.subscribe(RTNLGRP_LINK);
  const p = s.request(RTM_SETLINK, Buffer.alloc(16));
  const req = k.lastSent();
  k.fail(constants.errno.ENOBUFS);
  assert.equal(errors, ['ENOBUFS']);
  k.deliver([reply(req, NLMSG_ERROR, ackPayload(req, 0))]);
  await p;
});

test('ENOBUFS with groups and no error listener throws, like an unhandled emitter error', () => {
  const { k, s } = setup();
  s.subscribe(RTNLGRP_LINK);
  assert.throws(() => k.fail(constants.errno.ENOBUFS), /ENOBUFS/);
});

test('a send failure rejects the request with the system error', async () => {
  const { k, s } = setup();
  k.sendError = Object.assign(new Error('sendto EAGAIN'), { code: 'EAGAIN', errno: -11, syscall: 'sendto' });
  await s.request(RTM_SETLINK, Buffer.alloc(16)).then(() => assert.unreachable(), (e: Error & { code?: string }) => assert.is(e.code, 'EAGAIN'));
  assert.not.ok(k.receiving);
});

test('close rejects pending requests with ECANCELED and closes the transport', async () => {
  const { k, s } = setup();
  const p = s.request(RTM_SETLINK, Buffer.alloc(16));
  s.close();
  await p.then(() => assert.unreachable(), (e: Error & { code?: string }) => assert.is(e.code, 'ECANCELED'));
  assert.ok(k.closed);
  assert.ok(s.closed);
  await s.request(RTM_SETLINK, Buffer.alloc(16)).then(() => assert.unreachable(), (e: Error & { code?: string }) => assert.is(e.code, 'EBADF'));
  assert.throws(() => s.subscribe(1), /closed/);
  s.close();
});

test('sequence numbers are fresh per request and never 0', () => {
  const { k, s } = setup();
  const seen = new Set<number>();
  for (let i = 0; i < 5; i++) {
    void s.request(RTM_SETLINK, Buffer.alloc(16)).catch(() => undefined);
    seen.add(k.lastSent().seq);
  }
  assert.is(seen.size, 5);
  assert.not.ok(seen.has(0));
  s.close();
});

test('listLinks over the golden dump replayed by the fake kernel', async () => {
  const { k, s } = setup();
  const p = listLinks(s);
  const req = k.lastSent();
  assert.is(req.type, RTM_GETLINK);
  assert.is(req.flags, NLM_F_REQUEST | NLM_F_DUMP);
  // ifinfomsg + IFLA_EXT_MASK (no statistics in the dump).
  assert.is(req.payload.length, 24);
  // Replay the captured datagrams with their seq rewritten to ours.
  for (const hex of [g.DUMP_LINKS_PART, g.DUMP_LINKS_DONE]) {
    const d = g.bytes(hex);
    let off = 0;
    for (const m of decodeMessages(d)) {
      d.writeUInt32LE(req.seq, off + 8);
      off += (16 + m.payload.length + 3) & ~3;
    }
    k.deliverRaw(d);
  }
  const links = await p;
  assert.equal(links.map((l) => [l.index, l.name]), [[1, 'lo'], [100, 'eth0'], [102, 'eth1']]);
});

test('cork/uncork: requests go out in one datagram, each with its own seq, each settled by its own ack or error', async () => {
  const { k, s } = setup();
  s.cork();
  const ps = [1, 2, 3].map(() => s.request(RTM_SETLINK, Buffer.alloc(16)));
  ps.forEach((p) => p.catch(() => undefined));
  assert.equal(k.datagrams, [], 'nothing sent while corked');
  s.uncork();
  assert.equal(k.datagrams, [3]);
  assert.is(s.datagramsSent, 1);
  const seqs = k.sent.map((m) => m.seq);
  assert.is(new Set(seqs).size, 3, 'a seq each');
  // One ack for the datagram: the last message asks for it; the kernel reports a failure of any.
  assert.equal(k.sent.map((m) => m.flags), [NLM_F_REQUEST, NLM_F_REQUEST, NLM_F_REQUEST | NLM_F_ACK]);
  // (Acking each anyway, as a kernel asked for acks would, changes nothing.)
  const [a, b, c] = k.sent as [NetlinkMessage, NetlinkMessage, NetlinkMessage];
  k.deliver([reply(a, NLMSG_ERROR, ackPayload(a, 0), NLM_F_CAPPED)]);
  k.deliver([reply(b, NLMSG_ERROR, ackPayload(b, -constants.errno.EBUSY), NLM_F_CAPPED)]);
  k.deliver([reply(c, NLMSG_ERROR, ackPayload(c, 0), NLM_F_CAPPED)]);
  const r = await Promise.allSettled(ps);
  assert.equal(r.map((x) => x.status), ['fulfilled', 'rejected', 'fulfilled']);
  assert.instance((r[1] as PromiseRejectedResult).reason, NetlinkError);
  assert.is(Math.abs(((r[1] as PromiseRejectedResult).reason as NetlinkError).errno), constants.errno.EBUSY);
});

test('cork: nests; a dump flushes what was queued first and goes alone; a batch is split at 64 KiB', async () => {
  const { k, s } = setup();
  s.cork();
  s.cork();
  const first = s.request(RTM_SETLINK, Buffer.alloc(16));
  s.uncork();
  assert.equal(k.datagrams, [], 'the outer cork still holds');
  const dump = s.dump(RTM_GETLINK, Buffer.alloc(16));
  assert.equal(k.datagrams, [1, 1], 'the queued request, then the dump');
  assert.ok((k.sent[1]!.flags & NLM_F_DUMP) !== 0);
  const big = Array.from({ length: 5 }, () => s.request(RTM_SETLINK, Buffer.alloc(20_000)));
  s.uncork();
  assert.equal(k.datagrams, [1, 1, 3, 2]);
  for (const m of k.sent) {
    if ((m.flags & NLM_F_DUMP) !== 0) k.deliver([reply(m, NLMSG_DONE, Buffer.alloc(4), NLM_F_MULTI)]);
    else k.deliver([reply(m, NLMSG_ERROR, ackPayload(m, 0), NLM_F_CAPPED)]);
  }
  await Promise.all([first, dump, ...big]);
});

test('cork: a batch shares one timeout per length: the unanswered time out (each on its own), the answered do not', async () => {
  const { k, s } = setup({ timeoutMs: 30 });
  s.cork();
  const ps = [s.request(RTM_SETLINK, Buffer.alloc(16)), s.request(RTM_SETLINK, Buffer.alloc(16)), s.request(RTM_SETLINK, Buffer.alloc(16), { timeoutMs: 5000 })];
  s.uncork();
  assert.equal(k.datagrams, [3]);
  const [a, , c] = k.sent as [NetlinkMessage, NetlinkMessage, NetlinkMessage];
  k.deliver([reply(a, NLMSG_ERROR, ackPayload(a, 0), NLM_F_CAPPED)]);
  const r = await Promise.allSettled(ps.slice(0, 2));
  assert.equal(r.map((x) => x.status), ['fulfilled', 'rejected']);
  assert.is(((r[1] as PromiseRejectedResult).reason as { code?: string }).code, 'ETIMEDOUT');
  // The third has its own (longer) timeout: still waiting, then answered.
  k.deliver([reply(c, NLMSG_ERROR, ackPayload(c, 0), NLM_F_CAPPED)]);
  await ps[2];
  assert.not.ok(k.receiving, 'nothing left waiting');
});

test('dump timeout is renewed per datagram: a datagram of many parts counts once', async () => {
  const { k, s } = setup({ timeoutMs: 400 });
  const p = s.dump(RTM_GETLINK, Buffer.alloc(16));
  p.catch(() => undefined);
  const req = k.lastSent();
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 150));
    k.deliver(Array.from({ length: 5 }, () => reply(req, RTM_NEWLINK, Buffer.alloc(4), NLM_F_MULTI)));
  }
  k.deliver([reply(req, NLMSG_DONE, Buffer.alloc(4), NLM_F_MULTI)]);
  assert.is((await p).length, 15);
  // And a dump that stops sending parts still times out.
  const q = s.dump(RTM_GETLINK, Buffer.alloc(16));
  const req2 = k.lastSent();
  k.deliver([reply(req2, RTM_NEWLINK, Buffer.alloc(4), NLM_F_MULTI), reply(req2, RTM_NEWLINK, Buffer.alloc(4), NLM_F_MULTI)]);
  await q.then(() => assert.unreachable(), (e: Error & { code?: string }) => assert.is(e.code, 'ETIMEDOUT'));
});

test('cork: the batch\'s one ack settles the requests before it that had no error (a GET with its reply)', async () => {
  const { k, s } = setup();
  s.cork();
  const get = s.request(RTM_GETLINK, Buffer.alloc(16));
  const bad = s.request(RTM_SETLINK, Buffer.alloc(16));
  const ok = s.request(RTM_SETLINK, Buffer.alloc(16));
  const last = s.request(RTM_SETLINK, Buffer.alloc(16));
  s.uncork();
  const [g1, b1, , l1] = k.sent as [NetlinkMessage, NetlinkMessage, NetlinkMessage, NetlinkMessage];
  // What a kernel sends for that datagram: the GET's object, the error of the failed one, the last's ack.
  k.deliver([
    reply(g1, RTM_NEWLINK, Buffer.alloc(16)),
    reply(b1, NLMSG_ERROR, ackPayload(b1, -constants.errno.EEXIST), NLM_F_CAPPED),
    reply(l1, NLMSG_ERROR, ackPayload(l1, 0), NLM_F_CAPPED),
  ]);
  const r = await Promise.allSettled([get, bad, ok, last]);
  assert.equal(r.map((x) => x.status), ['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
  assert.is(((r[0] as PromiseFulfilledResult<NetlinkMessage[]>).value).length, 1, 'the GET has its object');
  assert.is(Math.abs(((r[1] as PromiseRejectedResult).reason as NetlinkError).errno), constants.errno.EEXIST);
  assert.not.ok(k.receiving, 'nothing left waiting');
});

test('cork: while corked, the requests of each turn of the event loop go out together at its end (wave by wave)', async () => {
  const { k, s } = setup();
  s.cork();
  const first = [s.request(RTM_GETLINK, Buffer.alloc(16)), s.request(RTM_GETLINK, Buffer.alloc(16))];
  assert.equal(k.datagrams, [], 'not at once');
  await flush();
  assert.equal(k.datagrams, [2], 'at the end of the turn, still corked');
  // Replies come; what the callers make next goes out together too.
  const next = Promise.all(first).then(() => Promise.all([s.request(RTM_SETLINK, Buffer.alloc(16)), s.request(RTM_SETLINK, Buffer.alloc(16))]));
  const [a, b] = k.sent as [NetlinkMessage, NetlinkMessage];
  k.deliver([reply(a, RTM_NEWLINK, Buffer.alloc(16)), reply(b, RTM_NEWLINK, Buffer.alloc(16)), reply(b, NLMSG_ERROR, ackPayload(b, 0), NLM_F_CAPPED)]);
  await flush();
  await flush();
  assert.equal(k.datagrams, [2, 2]);
  const [, , c, d] = k.sent as [NetlinkMessage, NetlinkMessage, NetlinkMessage, NetlinkMessage];
  k.deliver([reply(d, NLMSG_ERROR, ackPayload(d, 0), NLM_F_CAPPED)]);
  await next;
  assert.ok(c.seq < d.seq);
  s.uncork();
  assert.equal(k.datagrams, [2, 2], 'nothing left for uncork');
});

test('cork: a batch whose ack never comes does not succeed: closing fails all of it', async () => {
  const { k, s } = setup();
  s.cork();
  const ps = [s.request(RTM_SETLINK, Buffer.alloc(16)), s.request(RTM_SETLINK, Buffer.alloc(16))];
  s.uncork();
  assert.equal(k.datagrams, [2]);
  s.close();
  const r = await Promise.allSettled(ps);
  assert.equal(r.map((x) => x.status), ['rejected', 'rejected']);
});

test('cork: a send error fails every request of that datagram; close drops the queue', async () => {
  const { k, s } = setup();
  s.cork();
  const ps = [s.request(RTM_SETLINK, Buffer.alloc(16)), s.request(RTM_SETLINK, Buffer.alloc(16))];
  k.sendError = Object.assign(new Error('injected'), { code: 'ENOBUFS', errno: -105, syscall: 'send' }) as never;
  s.uncork();
  const r = await Promise.allSettled(ps);
  assert.equal(r.map((x) => x.status), ['rejected', 'rejected']);
  k.sendError = undefined;
  s.cork();
  const queued = s.request(RTM_SETLINK, Buffer.alloc(16));
  s.close();
  await queued.then(() => assert.unreachable('a queued request outlived close'), (e: Error) => assert.match(e.message, /closed/));
  s.uncork();
  assert.equal(k.datagrams, [], 'nothing was sent after close');
});

/** Blocks the thread for `ms`: the kernel's work inside send(), or any long synchronous stretch. */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* spin */ }
}

/**
 * A kernel that does each datagram's work inside send() (taking `sendMs`, as IPVS does for
 * hundreds of commands under emulation) and acks the last message when the process next polls
 * the socket: the ack is in the receive queue, read after the event loop's timers phase.
 */
class SlowKernel extends FakeNetlinkKernel {
  readonly sendMs: number;
  constructor(sendMs: number) {
    super();
    this.sendMs = sendMs;
  }
  override send(data: Uint8Array): number {
    const n = super.send(data);
    busy(this.sendMs);
    const last = this.lastSent();
    setImmediate(() => this.deliver([reply(last, NLMSG_ERROR, ackPayload(last, 0), NLM_F_CAPPED)]));
    return n;
  }
}

// The partial LVS apply seen under load: the flush's later sends outlasted the first datagram's
// timeout, whose timer then fired before the socket holding its ack was read; its requests failed
// with ETIMEDOUT although the kernel had carried them out.
test('cork: a flush whose sends outlast the timeout: every request settles by its ack, none times out', async () => {
  await flush(); // from the check phase: what is queued now runs after the next timers phase
  const k = new SlowKernel(40);
  const s = new NetlinkSocket(k, { timeoutMs: 30 });
  s.cork();
  // 40 KiB each: any two exceed the 64 KiB batch limit, so three datagrams.
  const ps = [0, 1, 2].map(() => s.request(RTM_SETLINK, Buffer.alloc(40 * 1024)));
  s.uncork();
  assert.equal(k.datagrams, [1, 1, 1]);
  const r = await Promise.allSettled(ps);
  assert.equal(r.map((x) => (x.status === 'rejected' ? String((x.reason as Error).message) : x.status)), ['fulfilled', 'fulfilled', 'fulfilled']);
  assert.is(s.strayMessages, 0);
});

test('a reply waiting in the socket when the loop comes back past the deadline settles the request', async () => {
  await flush();
  const { k, s } = setup({ timeoutMs: 20 });
  const p = s.request(RTM_SETLINK, Buffer.alloc(16));
  const req = k.lastSent();
  // The reply is read at the next poll; the loop is busy past the deadline before it.
  setImmediate(() => k.deliver([reply(req, NLMSG_ERROR, ackPayload(req, 0), NLM_F_CAPPED)]));
  busy(50);
  assert.equal(await p, []);
  assert.is(s.strayMessages, 0);
});

test.run();
