// Lab child: a netlink socket with the smallest receive buffer joins RTNLGRP_LINK and, before
// reading anything, has `ip -batch` make argv[3] MTU changes on argv[2] (each one an event, far
// more than the buffer holds). Then it reads for 200 ms and prints what the callbacks were.
import { execFileSync } from 'node:child_process';
import { loadNative } from '../../../src/kernel/native.ts';
import { NETLINK_ROUTE } from '../../../src/kernel/netlink/constants.ts';
import { RTNLGRP_LINK } from '../../../src/kernel/rtnetlink/constants.ts';

const READ_MS = 200;
const MAX_CHANGES = 100;
const ifname = process.argv[2] ?? 'eth0';
const changes = Math.min(Number(process.argv[3] ?? 40), MAX_CHANGES);

const sock = loadNative().openNetlink(NETLINK_ROUTE, { rcvbuf: 1 });
sock.addMembership(RTNLGRP_LINK);
const batch = Array.from({ length: changes }, (_, i) => `link set dev ${ifname} mtu ${1300 + i}`).join('\n');
execFileSync('ip', ['-batch', '-'], { input: `${batch}\n` });

const seen: string[] = [];
sock.recvStart((err) => {
  seen.push(err === null ? 'data' : `${err.code}/${err.syscall}/${err.errno}`);
});
setTimeout(() => {
  sock.close();
  process.stdout.write(`${JSON.stringify({ seen })}\n`);
}, READ_MS);
