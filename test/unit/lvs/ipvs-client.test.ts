// IpvsClient.service(): one service and its destinations read by key (a health apply's read), over
// the real NetlinkSocket on a scripted kernel answering with the replies captured from the VM's
// kernel for ipvsadm -L -n: a GET_SERVICE request (not a dump) with the key, and a GET_DEST dump;
// ESRCH (no such service) is undefined, not an error.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants } from 'node:os';
import { decodeMessages } from '../../../src/kernel/netlink/message.ts';
import type { NetlinkMessage } from '../../../src/kernel/netlink/message.ts';
import { NLM_F_CAPPED, NLM_F_DUMP, NLM_F_MULTI, NLMSG_DONE, NLMSG_ERROR } from '../../../src/kernel/netlink/constants.ts';
import { NetlinkSocket } from '../../../src/kernel/netlink/socket.ts';
import { GENL_ID_CTRL, splitGenl } from '../../../src/kernel/netlink/genl.ts';
import { IPVS_CMD_GET_DEST, IPVS_CMD_GET_SERVICE, IPVS_CMD_NEW_DEST, IPVS_CMD_NEW_SERVICE } from '../../../src/kernel/ipvs/constants.ts';
import { decodeDest, decodeService, getServicePayload, IpvsClient, serviceKeyText } from '../../../src/kernel/ipvs/index.ts';
import type { IpvsServiceKey } from '../../../src/kernel/ipvs/index.ts';
import { ackPayload, FakeNetlinkKernel } from '../kernel/fake-netlink-kernel.ts';

interface Step { requests: string[]; replies: string[] }
const steps = JSON.parse(readFileSync(new URL('./fixtures/ipvsadm-requests.json', import.meta.url), 'utf8')) as Record<string, Step>;
/** libnl peeks before it reads: each datagram shows twice in strace. */
const captured = steps['list']!.replies.filter((h, i, all) => h !== all[i - 1]).flatMap((h) => decodeMessages(Buffer.from(h, 'hex')));
/** The IPVS family id of the captured kernel. */
const FAMILY = captured.find((m) => m.type > NLMSG_DONE && m.type !== GENL_ID_CTRL)!.type;
const web: IpvsServiceKey = { protocol: 'tcp', address: '192.0.2.100', port: 80 };
const webService = captured.find((m) => m.type === FAMILY && m.payload[0] === IPVS_CMD_NEW_SERVICE && serviceKeyText(decodeService(splitGenl(m).attrs).key) === serviceKeyText(web))!;
const webDests = captured.filter((m) => m.type === FAMILY && m.payload[0] === IPVS_CMD_NEW_DEST && decodeDest(splitGenl(m).attrs).address.startsWith('198.51.100.') && decodeDest(splitGenl(m).attrs).port === 8080);

const reply = (req: NetlinkMessage, type: number, payload: Buffer, flags = 0): NetlinkMessage => ({ type, flags, seq: req.seq, pid: 4242, payload });

/** The GET_SERVICE and GET_DEST the client sent for one service(). */
async function requests(k: FakeNetlinkKernel): Promise<{ get: NetlinkMessage; dump: NetlinkMessage }> {
  const find = (cmd: number) => k.sent.find((m) => m.type === FAMILY && m.payload[0] === cmd);
  for (let i = 0; i < 100 && !(find(IPVS_CMD_GET_SERVICE) && find(IPVS_CMD_GET_DEST)); i++) await new Promise((r) => setImmediate(r));
  return { get: find(IPVS_CMD_GET_SERVICE)!, dump: find(IPVS_CMD_GET_DEST)! };
}

test('a service is read by its key: GET_SERVICE (no dump) and a GET_DEST dump', async () => {
  const k = new FakeNetlinkKernel();
  const client = new IpvsClient(new NetlinkSocket(k), FAMILY);
  const p = client.service(web, { stats: false });
  const { get, dump } = await requests(k);
  assert.ok(get && dump, 'both requests sent');
  assert.is(get.payload.toString('hex'), getServicePayload(web).toString('hex'));
  assert.is(get.flags & NLM_F_DUMP, 0, 'GET_SERVICE names one service');
  assert.is(dump.flags & NLM_F_DUMP, NLM_F_DUMP);
  k.deliver([reply(get, FAMILY, webService.payload), reply(get, NLMSG_ERROR, ackPayload(get, 0))]);
  k.deliver([...webDests.map((m) => reply(dump, FAMILY, m.payload, NLM_F_MULTI)), reply(dump, NLMSG_DONE, Buffer.alloc(4), NLM_F_MULTI)]);
  const s = await p;
  assert.ok(s);
  assert.equal(s!.key, web);
  assert.is(s!.scheduler, 'rr');
  assert.equal(s!.dests.map((d) => `${d.address}:${d.port} ${d.forward} w${d.weight}`), ['198.51.100.3:8080 nat w1', '198.51.100.2:8080 nat w5'], 'in the kernel\'s order');
  assert.is(client.writes, 0, 'a read is no write');
  client.close();
});

test('a service the kernel lacks (ESRCH; its destination dump is empty) reads as undefined', async () => {
  const k = new FakeNetlinkKernel();
  const client = new IpvsClient(new NetlinkSocket(k), FAMILY);
  const p = client.service(web);
  const { get, dump } = await requests(k);
  k.deliver([reply(get, NLMSG_ERROR, ackPayload(get, -constants.errno.ESRCH), NLM_F_CAPPED)]);
  k.deliver([reply(dump, NLMSG_DONE, Buffer.alloc(4), NLM_F_MULTI)]);
  assert.is(await p, undefined);
  client.close();
});

test('another error on GET_SERVICE fails the read', async () => {
  const k = new FakeNetlinkKernel();
  const client = new IpvsClient(new NetlinkSocket(k), FAMILY);
  const p = client.service(web).then(() => 'read', (e: Error & { code?: string }) => e.code);
  const { get, dump } = await requests(k);
  k.deliver([reply(get, NLMSG_ERROR, ackPayload(get, -constants.errno.EPERM), NLM_F_CAPPED)]);
  k.deliver([reply(dump, NLMSG_DONE, Buffer.alloc(4), NLM_F_MULTI)]);
  assert.is(await p, 'EPERM');
  client.close();
});

test('openLoaded() without ip_vs in /sys/module: undefined, and no netlink asked (the lookup itself would load it)', async () => {
  const sys = mkdtempSync(join(tmpdir(), 'stk-sysmod-'));
  try {
    mkdirSync(join(sys, 'nf_conntrack'));
    let sockets = 0;
    const real = NetlinkSocket.open;
    NetlinkSocket.open = (...args: Parameters<typeof NetlinkSocket.open>) => (sockets++, real(...args));
    try {
      assert.is(await IpvsClient.openLoaded({ sysModuleDir: sys }), undefined);
      assert.is(sockets, 0, 'no netlink socket opened');
    } finally {
      NetlinkSocket.open = real;
    }
  } finally {
    rmSync(sys, { recursive: true, force: true });
  }
});

test.run();
