// Lab child: the IPv4 addresses (with their IFA_PROTO mark and lifetime, which iproute2 6.1 does
// not show) and the main table's non-kernel routes of the namespace it runs in, as one JSON line.
import { Rtnl } from '../../../src/kernel/rtnetlink/client.ts';
import { RTPROT_KERNEL } from '../../../src/kernel/rtnetlink/constants.ts';

const rtnl = Rtnl.open();
try {
  const names = new Map((await rtnl.links()).map((l) => [l.index, l.name]));
  const addresses = (await rtnl.addresses()).map((a) => ({
    ifname: names.get(a.index), local: a.local, prefixLength: a.prefixLength, protocol: a.protocol ?? null, valid: a.validLifetime ?? null,
  }));
  const routes = (await rtnl.routes()).filter((r) => r.table === 254 && r.protocol !== RTPROT_KERNEL).map((r) => ({
    dst: r.dstLength === 0 ? 'default' : `${r.dst}/${r.dstLength}`, gateway: r.gateway ?? null, dev: r.oif !== undefined ? names.get(r.oif) : null, protocol: r.protocol,
  }));
  process.stdout.write(`${JSON.stringify({ addresses, routes })}\n`);
} finally {
  rtnl.close();
}
