// Captures real kernel netlink replies as hex, for the golden fixtures of the unit tests
// (test/unit/kernel/fixtures/netlink-golden.ts). Run inside a fresh lab namespace, never the
// root one: it sends requests the kernel must reject. Prints one JSON object.
//   STOCKADE_NATIVE=dist/x64/stockade.node scripts/node-run test/lab/helpers/native-capture.ts
import { execFileSync } from 'node:child_process';
import { loadNative } from '../../../src/kernel/native.ts';
import type { NativeNetlinkSocket } from '../../../src/kernel/native.ts';
import { AttributeEncoder } from '../../../src/kernel/netlink/attributes.ts';
import {
  NETLINK_CAP_ACK, NETLINK_EXT_ACK, NETLINK_ROUTE, NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL,
  NLM_F_REQUEST, NLMSG_DONE, NLMSG_ERROR, SOL_NETLINK,
} from '../../../src/kernel/netlink/constants.ts';
import { decodeMessages, encodeMessage } from '../../../src/kernel/netlink/message.ts';
import {
  IFF_UP, IFLA_IFNAME, IFLA_INFO_KIND, IFLA_LINKINFO, IFLA_MTU, RTM_GETLINK, RTM_NEWLINK, RTM_SETLINK,
} from '../../../src/kernel/rtnetlink/constants.ts';
import { encodeIfinfomsg } from '../../../src/kernel/rtnetlink/link.ts';

const TIMEOUT_MS = 3000;

/** Sends one request and collects datagrams until an ack/error or DONE for its seq. */
function exchange(sock: NativeNetlinkSocket, type: number, flags: number, seq: number, payload: Buffer): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const got: string[] = [];
    const timer = setTimeout(() => { sock.recvStop(); reject(new Error(`no answer to seq ${seq}`)); }, TIMEOUT_MS);
    sock.recvStart((err, data) => {
      if (err !== null) { clearTimeout(timer); sock.recvStop(); reject(err); return; }
      got.push(data.toString('hex'));
      if (decodeMessages(data).some((m) => m.seq === seq && (m.type === NLMSG_ERROR || m.type === NLMSG_DONE))) {
        clearTimeout(timer);
        sock.recvStop();
        resolve(got);
      }
    });
    sock.send(encodeMessage({ type, flags, seq, pid: 0, payload }));
  });
}

const native = loadNative();
const full = native.openNetlink(NETLINK_ROUTE);
full.setOption(SOL_NETLINK, NETLINK_EXT_ACK, 1);
const capped = native.openNetlink(NETLINK_ROUTE);
capped.setOption(SOL_NETLINK, NETLINK_EXT_ACK, 1);
capped.setOption(SOL_NETLINK, NETLINK_CAP_ACK, 1);

// lo up: an ack (error 0) we can capture, and lo gets IFF_UP in the dump below.
const up = encodeIfinfomsg(0, 1);
up.writeUInt32LE(IFF_UP, 8);
up.writeUInt32LE(IFF_UP, 12);
const ack = await exchange(full, RTM_SETLINK, NLM_F_REQUEST | NLM_F_ACK, 1, up);

const dump = await exchange(full, RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 2, encodeIfinfomsg());

// IFLA_MTU must be a u32; a u16 fails policy validation: message, offset and policy TLVs.
const badMtu = Buffer.concat([encodeIfinfomsg(0, 1), new AttributeEncoder().u16(IFLA_MTU, 1280).encode()]);
const policyErrorFull = await exchange(full, RTM_SETLINK, NLM_F_REQUEST | NLM_F_ACK, 3, badMtu);
const policyErrorCapped = await exchange(capped, RTM_SETLINK, NLM_F_REQUEST | NLM_F_ACK, 4, badMtu);

// An unknown link kind: an error with a message and no offset.
const badKind = Buffer.concat([encodeIfinfomsg(), new AttributeEncoder()
  .string(IFLA_IFNAME, 'golden0')
  .nested(IFLA_LINKINFO, (e) => e.string(IFLA_INFO_KIND, 'nosuchkind'))
  .encode()]);
const kindError = await exchange(capped, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, 5, badKind);

full.close();
capped.close();
process.stdout.write(`${JSON.stringify({
  kernel: execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim(),
  ack, dump, policyErrorFull, policyErrorCapped, kindError,
}, null, 1)}\n`);
