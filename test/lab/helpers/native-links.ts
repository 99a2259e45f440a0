// Lab child: lists the links of its namespace over NETLINK_ROUTE and prints them as one JSON line.
import { NETLINK_ROUTE } from '../../../src/kernel/netlink/constants.ts';
import { NetlinkSocket } from '../../../src/kernel/netlink/socket.ts';
import { listLinks } from '../../../src/kernel/rtnetlink/link.ts';

const sock = NetlinkSocket.open(NETLINK_ROUTE);
try {
  process.stdout.write(`${JSON.stringify({ portId: sock.portId, links: await listLinks(sock) })}\n`);
} finally {
  sock.close();
}
