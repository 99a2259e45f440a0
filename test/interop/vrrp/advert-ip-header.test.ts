// The IPv4 header of Stockade's adverts against Debian keepalived's, side by side in one capture
// (tcpdump -v on a third host): TOS 0xc0 (internetwork control), TTL 255, no DF. keepalived builds
// the header itself (vrrp_build_ip4()); Stockade's raw socket gets the same through IP_TOS and
// IP_MTU_DISCOVER. Different VRIDs, so the two are not in one election.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Topology } from '../../lab/harness.ts';
import { startDaemon, waitState, withDaemonLab } from '../../lab/helpers/stockade-daemon.ts';
import { keepalivedConf, startKeepalived } from '../../lab/helpers/keepalived.ts';
import { requireLab } from '../../lab/require.ts';

const test = suite('vrrp: adverts\' IPv4 header as keepalived\'s');
const ready = requireLab(test, 'interop/vrrp/advert-ip-header', { tools: ['keepalived', 'tcpdump'] });

const topo: Topology = {
  hosts: ['ka', 'st', 'obs', 'sw'],
  links: [['ka:eth0', 'sw:p1'], ['st:eth0', 'sw:p2'], ['obs:eth0', 'sw:p3']],
  bridges: [{ at: 'sw', name: 'br0', ports: ['p1', 'p2', 'p3'] }],
  addresses: { 'ka:eth0': ['192.0.2.1/24'], 'st:eth0': ['192.0.2.2/24'], 'obs:eth0': ['192.0.2.10/24'] },
};

const KEEPALIVED_CONF = keepalivedConf({
  routerId: 'stockade_ip_header',
  instance: { state: 'MASTER', interface: 'eth0', vrid: 61, priority: 200, version: 3, advertInt: 0.1, vips: ['192.0.2.101/24'] },
});

interface Header { tos: string; ttl: number; flags: string; source: string }

/** tcpdump -v prints "(tos 0xc0, ttl 255, id 23, offset 0, flags [none], proto VRRP (112), length 32)" then the addresses. */
function headers(text: string): Header[] {
  const re = /\(tos (0x[0-9a-f]+), ttl (\d+), id \d+, offset \d+, flags \[([^\]]*)\], proto VRRP \(112\), length \d+\)\s+(\S+) > 224\.0\.0\.18/g;
  return [...text.matchAll(re)].map((m) => ({ tos: m[1]!, ttl: Number(m[2]), flags: m[3]!, source: m[4]! }));
}

if (ready) {
  test('TOS 0xc0, TTL 255, DF clear: Stockade\'s adverts carry the header keepalived\'s do', async () => {
    await withDaemonLab(topo, 'stk-vrrp-iphdr-', async (lab, dir) => {
      const ka = startKeepalived(lab, 'ka', dir, KEEPALIVED_CONF);
      const st = startDaemon(lab, dir, { host: 'st', address: '192.0.2.2', priority: 200 });
      try {
        await waitState(lab, st, 'MASTER');
        const r = await lab.exec('obs', ['timeout', '5', 'tcpdump', '-i', 'eth0', '-v', '-n', '-l', '-c', '20', 'ip proto 112'], { check: false, timeoutMs: 10_000 });
        const hs = headers(r.stdout);
        const kaHs = hs.filter((h) => h.source === '192.0.2.1');
        const stHs = hs.filter((h) => h.source === '192.0.2.2');
        assert.ok(kaHs.length >= 3 && stHs.length >= 3, `adverts from both in the capture: ${r.stdout}\nkeepalived: ${ka.stderr()}`);
        const shape = (h: Header) => ({ tos: h.tos, ttl: h.ttl, flags: h.flags });
        assert.equal(shape(kaHs[0]!), { tos: '0xc0', ttl: 255, flags: 'none' }, 'keepalived 2.2.7 as the reference says');
        for (const h of stHs) assert.equal(shape(h), shape(kaHs[0]!));
      } finally {
        ka.kill('SIGTERM');
        st.proc.kill('SIGTERM');
        await Promise.all([ka.exited, st.proc.exited]);
      }
    });
  });
}

test.run();
