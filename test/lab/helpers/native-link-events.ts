// Lab child: subscribes to RTNLGRP_LINK, prints {"ready":true}, then prints each RTM_NEWLINK
// event for the interface named in argv[2] as a JSON line until one has the MTU in argv[3];
// exits 0 then, or 3 after argv[4] ms (default 10000).
import { NETLINK_ROUTE } from '../../../src/kernel/netlink/constants.ts';
import { NetlinkSocket } from '../../../src/kernel/netlink/socket.ts';
import { RTM_NEWLINK, RTNLGRP_LINK } from '../../../src/kernel/rtnetlink/constants.ts';
import { decodeLink } from '../../../src/kernel/rtnetlink/link.ts';

const [ifname, mtuText, limitText] = process.argv.slice(2);
const wantMtu = Number(mtuText);
const sock = NetlinkSocket.open(NETLINK_ROUTE);
const timer = setTimeout(() => {
  process.stdout.write(`${JSON.stringify({ timeout: true })}\n`);
  process.exit(3);
}, Number(limitText ?? 10_000));
sock.on('error', (err) => {
  process.stdout.write(`${JSON.stringify({ error: (err as Error & { code?: string }).code ?? err.message })}\n`);
});
sock.on('message', (m, group) => {
  if (m.type !== RTM_NEWLINK) return;
  const link = decodeLink(m);
  if (link.name !== ifname) return;
  process.stdout.write(`${JSON.stringify({ group, pid: m.pid, link })}\n`);
  if (link.mtu === wantMtu) {
    clearTimeout(timer);
    sock.close(); // nothing else keeps the loop alive: the process exits by itself
  }
});
sock.subscribe(RTNLGRP_LINK);
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
