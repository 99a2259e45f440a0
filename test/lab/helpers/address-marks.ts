// Lab child: the IPv4 addresses of the namespace it runs in, with their IFA_PROTO mark (iproute2
// 6.1 does not show it), as one JSON line [{ifname, local, prefixLength, protocol}].
import { Rtnl } from '../../../src/kernel/rtnetlink/client.ts';

const rtnl = Rtnl.open();
try {
  const names = new Map((await rtnl.links()).map((l) => [l.index, l.name]));
  const out = (await rtnl.addresses()).map((a) => ({ ifname: names.get(a.index), local: a.local, prefixLength: a.prefixLength, protocol: a.protocol ?? null }));
  process.stdout.write(`${JSON.stringify(out)}\n`);
} finally {
  rtnl.close();
}
