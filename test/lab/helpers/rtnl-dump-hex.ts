// Lab child for the rtnetlink golden fixtures: dumps links, IPv4 addresses, routes (all tables)
// and rules of the namespace it runs in, and prints each message as hex with what identifies
// it, one JSON line per message. Optionally first adds an address with IFA_PROTO (which
// iproute2 6.1 cannot): argv[2] = "proto-address:<ifname>:<cidr>:<proto>".
import { Rtnl } from '../../../src/kernel/rtnetlink/client.ts';
import { decodeAddress, encodeAddressDumpRequest } from '../../../src/kernel/rtnetlink/address.ts';
import { RTM_GETADDR, RTM_GETLINK, RTM_GETROUTE, RTM_GETRULE } from '../../../src/kernel/rtnetlink/constants.ts';
import { decodeLink, encodeLinkDumpRequest } from '../../../src/kernel/rtnetlink/link.ts';
import { decodeRoute, encodeRouteDumpRequest } from '../../../src/kernel/rtnetlink/route.ts';
import { decodeRule, encodeRuleDumpRequest } from '../../../src/kernel/rtnetlink/rule.ts';
import { encodeMessage } from '../../../src/kernel/netlink/message.ts';
import type { NetlinkMessage } from '../../../src/kernel/netlink/message.ts';

const rtnl = Rtnl.open();
const hex = (m: NetlinkMessage): string => encodeMessage({ ...m, seq: 0, pid: 0 }).toString('hex');
const out = (o: unknown): void => void process.stdout.write(`${JSON.stringify(o)}\n`);
try {
  const extra = process.argv[2];
  if (extra?.startsWith('proto-address:')) {
    const [, ifname, cidr, proto] = extra.split(':');
    const [local, len] = cidr!.split('/');
    const link = (await rtnl.links()).find((l) => l.name === ifname)!;
    await rtnl.addAddress({ index: link.index, local: local!, prefixLength: Number(len), protocol: Number(proto) });
  }
  for (const m of await rtnl.sock.dump(RTM_GETLINK, encodeLinkDumpRequest())) out({ what: 'link', key: decodeLink(m).name, hex: hex(m) });
  for (const m of await rtnl.sock.dump(RTM_GETADDR, encodeAddressDumpRequest())) {
    const a = decodeAddress(m);
    out({ what: 'address', key: `${a.local}/${a.prefixLength}`, hex: hex(m) });
  }
  for (const m of await rtnl.sock.dump(RTM_GETROUTE, encodeRouteDumpRequest())) {
    const r = decodeRoute(m);
    out({ what: 'route', key: `${r.table} ${r.dst ?? 'default'}/${r.dstLength} ${r.type}`, hex: hex(m) });
  }
  for (const m of await rtnl.sock.dump(RTM_GETRULE, encodeRuleDumpRequest())) out({ what: 'rule', key: String(decodeRule(m).priority ?? 0), hex: hex(m) });
} finally {
  rtnl.close();
}
