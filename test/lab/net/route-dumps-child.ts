// Lab child for route-dumps.test.ts: route dumps with filters on a strict socket (what the
// reconcile reads) and on a plain one, in the namespace it runs in. Prints one JSON line:
// for each filter, the routes Rtnl returns and how many messages the kernel sent.
import { Rtnl } from '../../../src/kernel/rtnetlink/client.ts';
import { AF_INET, RTM_GETROUTE } from '../../../src/kernel/rtnetlink/constants.ts';
import { encodeRouteDumpRequest } from '../../../src/kernel/rtnetlink/route.ts';
import type { RouteDumpFilter } from '../../../src/kernel/rtnetlink/route.ts';

const filters: RouteDumpFilter[] = JSON.parse(process.argv[2] ?? '[]');
const out: Record<string, unknown> = {};
for (const strict of [true, false]) {
  const rtnl = strict ? Rtnl.openStrict() : Rtnl.open();
  try {
    out[strict ? 'strict' : 'plain'] = await Promise.all(filters.map(async (f) => {
      let sent: number | string;
      try {
        sent = (await rtnl.sock.dump(RTM_GETROUTE, encodeRouteDumpRequest(AF_INET, f))).length;
      } catch (e) {
        sent = (e as { code?: string }).code ?? String(e);
      }
      const routes = (await rtnl.routes(AF_INET, f)).map((r) => `${r.table} ${r.protocol} ${r.dst ?? 'default'}/${r.dstLength}`).sort();
      return { sent, routes };
    }));
  } finally {
    rtnl.close();
  }
}
process.stdout.write(`${JSON.stringify(out)}\n`);
