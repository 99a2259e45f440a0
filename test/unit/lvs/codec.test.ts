// The IPVS codec against golden bytes captured from Debian's ipvsadm 1.31 in the x86_64 VM
// (test/image/lvs-capture.ts): each request we build is the payload ipvsadm sent, byte for byte,
// and the kernel's dump replies it read decode into the table that `ipvsadm -L -n` printed, which
// our view prints again byte for byte.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { decodeMessages } from '../../../src/kernel/netlink/message.ts';
import type { NetlinkMessage } from '../../../src/kernel/netlink/message.ts';
import { attrNested, attrU16, attrU32, decodeAttributes } from '../../../src/kernel/netlink/attributes.ts';
import { GENL_ID_CTRL, splitGenl } from '../../../src/kernel/netlink/genl.ts';
import * as C from '../../../src/kernel/ipvs/codec.ts';
import { IPVS_CMD_GET_SERVICE } from '../../../src/kernel/ipvs/constants.ts';
import type { IpvsServiceKey, IpvsTableService } from '../../../src/kernel/ipvs/index.ts';
import { formatIpvsadmList, tableView } from '../../../src/lvs/index.ts';

interface Step { args: string; requests: string[]; replies: string[]; output: string }
const steps = JSON.parse(readFileSync(new URL('./fixtures/ipvsadm-requests.json', import.meta.url), 'utf8')) as Record<string, Step>;
const views = JSON.parse(readFileSync(new URL('./fixtures/ipvsadm-views.json', import.meta.url), 'utf8')) as { views: Record<string, string>; listRequests: string[]; listReplies: string[] };

/** The IPVS messages of a step (not the controller's family lookups), GET_INFO left out unless asked. */
function ipvsRequests(hex: readonly string[], keepInfo = false): NetlinkMessage[] {
  return hex.flatMap((h) => decodeMessages(Buffer.from(h, 'hex'))).filter((m) => m.type !== GENL_ID_CTRL && (keepInfo || m.payload[0] !== 15));
}

const web: IpvsServiceKey = { protocol: 'tcp', address: '192.0.2.100', port: 80 };
const mask24 = Buffer.from([255, 255, 255, 0]).readUInt32LE(0);

/** Step -> the payloads our codec builds for the same command. */
const expected: Record<string, Buffer[]> = {
  'new-service-tcp': [C.newServicePayload({ key: web, scheduler: 'wlc', flags: 0, timeout: 0, netmask: 0xffffffff, pe: '' })],
  'new-dest-nat': [C.newDestPayload(web, { address: '198.51.100.2', port: 8080, forward: 'nat', weight: 3, upperThreshold: 0, lowerThreshold: 0 })],
  'set-service-persistent': [C.setServicePayload({ key: web, scheduler: 'rr', flags: 1, timeout: 300, netmask: mask24, pe: '' })],
  'set-dest-thresholds': [C.setDestPayload(web, { address: '198.51.100.2', port: 8080, forward: 'nat', weight: 5, upperThreshold: 100, lowerThreshold: 50 })],
  'new-dest-nat-2': [C.newDestPayload(web, { address: '198.51.100.3', port: 8080, forward: 'nat', weight: 1, upperThreshold: 0, lowerThreshold: 0 })],
  'new-service-fwmark-sh': [C.newServicePayload({ key: { fwmark: 7, family: 'inet' }, scheduler: 'sh', flags: 0x18, timeout: 0, netmask: 0xffffffff, pe: '' })],
  'new-dest-tun-gue': [C.newDestPayload({ fwmark: 7, family: 'inet' }, { address: '198.51.100.4', port: 0, forward: 'tun', weight: 2, upperThreshold: 0, lowerThreshold: 0, tunnel: { type: 'gue', port: 6080, csum: 'csum' } })],
  'new-dest-dr': [C.newDestPayload({ fwmark: 7, family: 'inet' }, { address: '198.51.100.5', port: 0, forward: 'dr', weight: 4, upperThreshold: 0, lowerThreshold: 0 })],
  'new-service-udp-ops': [C.newServicePayload({ key: { protocol: 'udp', address: '192.0.2.100', port: 53 }, scheduler: 'rr', flags: 4, timeout: 0, netmask: 0xffffffff, pe: '' })],
  'new-service-sctp': [C.newServicePayload({ key: { protocol: 'sctp', address: '192.0.2.101', port: 3868 }, scheduler: 'mh', flags: 0x10, timeout: 0, netmask: 0xffffffff, pe: '' })],
  'del-dest': [C.delDestPayload(web, { address: '198.51.100.3', port: 8080 })],
  'del-service': [C.delServicePayload({ protocol: 'udp', address: '192.0.2.100', port: 53 })],
  'set-timeouts': [C.setTimeoutsPayload({ tcp: 901, tcpFin: 121, udp: 301 })],
  'start-daemon': [C.newDaemonPayload({ state: 'master', interface: 'lan', syncId: 7 })],
  'list-daemon': [C.getDaemonsPayload()],
  'stop-daemon': [C.delDaemonPayload('master')],
  'flush': [C.flushPayload()],
};

for (const [name, want] of Object.entries(expected)) {
  test(`request bytes: ipvsadm ${steps[name]!.args}`, () => {
    const got = ipvsRequests(steps[name]!.requests);
    assert.is(got.length, want.length, `${name}: ${got.length} IPVS requests captured`);
    got.forEach((m, i) => {
      assert.is(m.payload.toString('hex'), want[i]!.toString('hex'), `${name} request ${i}`);
    });
  });
}

test('the list requests: GET_INFO, a service dump, a destination dump per service', () => {
  const got = ipvsRequests(steps['list']!.requests, true);
  assert.is(got[0]!.payload.toString('hex'), C.getInfoPayload().toString('hex'));
  assert.is(got[1]!.payload.toString('hex'), C.getServicesPayload().toString('hex'));
  const keys: IpvsServiceKey[] = [web, { protocol: 'udp', address: '192.0.2.100', port: 53 }, { protocol: 'sctp', address: '192.0.2.101', port: 3868 }, { fwmark: 7, family: 'inet' }];
  assert.equal(got.slice(2).map((m) => m.payload.toString('hex')), keys.map((k) => C.getDestsPayload(k).toString('hex')));
});

test('GET_SERVICE of one service carries the key nest ipvsadm\'s GET_DEST requests carry (the kernel reads only the key)', () => {
  const got = ipvsRequests(steps['list']!.requests, true).slice(2);
  const keys: IpvsServiceKey[] = [web, { protocol: 'udp', address: '192.0.2.100', port: 53 }, { protocol: 'sctp', address: '192.0.2.101', port: 3868 }, { fwmark: 7, family: 'inet' }];
  keys.forEach((k, i) => {
    const captured = Buffer.from(got[i]!.payload);
    captured[0] = IPVS_CMD_GET_SERVICE; // in place of IPVS_CMD_GET_DEST
    assert.is(C.getServicePayload(k).toString('hex'), captured.toString('hex'));
  });
});

/**
 * The table ipvsadm read. ipvsadm opens a socket per message, so sequence numbers repeat across
 * sockets, and libnl peeks (MSG_PEEK) before it reads, so each datagram shows twice in strace.
 * Its requests and replies go strictly in turn: each request's replies are the next ones with its
 * type and sequence number, up to NLMSG_DONE for a dump.
 */
function tableFrom(requestsHex: readonly string[], repliesHex: readonly string[]): { info: C.IpvsInfo; table: IpvsTableService[] } {
  const reqs = ipvsRequests(requestsHex, true);
  const datagrams = repliesHex.filter((h, i) => h !== repliesHex[i - 1]);
  const replies = datagrams.flatMap((h) => decodeMessages(Buffer.from(h, 'hex')));
  let at = 0;
  let info: C.IpvsInfo | undefined;
  const services: IpvsTableService[] = [];
  for (const req of reqs) {
    const cmd = req.payload[0];
    const mine: NetlinkMessage[] = [];
    for (; at < replies.length; at++) {
      const m = replies[at]!;
      if (m.seq !== req.seq) continue;
      if (m.type === req.type) {
        mine.push(m);
        if (cmd === 15) { at++; break; }
      } else if (m.type === 3 && cmd !== 15) { at++; break; }
    }
    for (const m of mine) {
      const attrs = splitGenl(m).attrs;
      if (cmd === 15) info = C.decodeInfo(attrs);
      else if (cmd === 4) services.push({ ...C.decodeService(attrs), dests: [] });
      else if (cmd === 8) {
        // Which service: the key in the GET_DEST request.
        const nest = decodeAttributes(splitGenl(req).attrs).find((a) => a.type === 1)!;
        const f = new Map(attrNested(nest).map((a) => [a.type, a]));
        const fw = f.has(5) ? attrU32(f.get(5)!) : 0;
        const key = fw !== 0 ? `fwmark ${fw}` : `${attrU16(f.get(2)!)} ${f.get(3)!.data.subarray(0, 4).join('.')}:${f.get(4)!.data.readUInt16BE(0)}`;
        const svc = services.find((s) => ('fwmark' in s.key ? `fwmark ${s.key.fwmark}` : `${{ tcp: 6, udp: 17, sctp: 132 }[s.key.protocol]} ${s.key.address}:${s.key.port}`) === key);
        if (!svc) throw new Error(`GET_DEST for ${key}: no such service dumped`);
        svc.dests.push(C.decodeDest(attrs));
      }
    }
  }
  if (!info) throw new Error('no GET_INFO reply captured');
  return { info, table: services };
}

test('decoded dump replies print exactly as ipvsadm -L -n did (during the capture steps)', () => {
  const { info, table } = tableFrom(steps['list']!.requests, steps['list']!.replies);
  assert.is(formatIpvsadmList(tableView(info, table)), steps['list']!.output);
});

test('decoded dump replies print exactly as ipvsadm -L -n, --stats, --rate, --exact', () => {
  const { info, table } = tableFrom(views.listRequests, views.listReplies);
  const v = tableView(info, table);
  assert.is(formatIpvsadmList(v), views.views['-L -n']);
  assert.is(formatIpvsadmList(v, { stats: true }), views.views['-L -n --stats']);
  assert.is(formatIpvsadmList(v, { rate: true }), views.views['-L -n --rate']);
  assert.is(formatIpvsadmList(v, { stats: true, exact: true }), views.views['-L -n --exact --stats']);
});

test('64-bit counters come from STATS64', () => {
  const { table } = tableFrom(views.listRequests, views.listReplies);
  for (const s of table) assert.is(typeof s.stats.inBytes, 'bigint');
});

test.run();
