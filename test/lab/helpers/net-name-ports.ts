// Lab child: names ports as `stockade boot` does (src/net/ports.ts) in the namespace it runs in.
// argv[2]: the port specs as JSON. Prints one JSON line: the result and the rtnetlink writes
// sent, or {"error": message}.
import { Rtnl } from '../../../src/kernel/rtnetlink/client.ts';
import { netDeviceChain } from '../../../src/kernel/sysfs-net.ts';
import { namePortsWith } from '../../../src/net/ports.ts';
import type { PortSpec } from '../../../src/net/ports.ts';

const specs = JSON.parse(process.argv[2] ?? '[]') as PortSpec[];
const rtnl = Rtnl.open();
try {
  const result = await namePortsWith({ kernel: rtnl, deviceChain: (n) => netDeviceChain(n) }, specs);
  process.stdout.write(`${JSON.stringify({ ...result, writes: rtnl.writes })}\n`);
} catch (e) {
  process.stdout.write(`${JSON.stringify({ error: (e as Error).message, writes: rtnl.writes })}\n`);
} finally {
  rtnl.close();
}
