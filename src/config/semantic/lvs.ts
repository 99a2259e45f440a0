// LVS: each virtual service is either address+port or a fwmark, lives on a VIP or an address
// of the box, is defined once, and has distinct real servers that are not the box itself.
import { Checker, checkUnique, pointer } from './context.ts';
import { parseIpv4 } from '../../common/index.ts';
import { vipAddresses } from './vrrp.ts';

export function checkLvs(c: Checker): void {
  const services = c.config.lvs.virtual_services;
  const vips = vipAddresses(c);
  checkUnique(
    c,
    services,
    (s) => s.name,
    (i) => pointer('lvs', 'virtual_services', i, 'name'),
    'a service name used once',
    (j) => `already the name of ${pointer('lvs', 'virtual_services', j)}`,
  );
  checkUnique(
    c,
    services,
    (s) => (s.fwmark !== undefined ? `fwmark ${s.fwmark}` : s.address !== undefined && s.port !== undefined ? `${s.protocol} ${s.address}:${s.port}` : undefined),
    (i) => pointer('lvs', 'virtual_services', i, services[i]!.fwmark !== undefined ? 'fwmark' : 'address'),
    'a service defined once',
    (j, key) => `${key} is already ${pointer('lvs', 'virtual_services', j)}`,
  );

  services.forEach((vs, i) => {
    const at = (...rest: (string | number)[]): string => pointer('lvs', 'virtual_services', i, ...rest);
    if (vs.address !== undefined && vs.fwmark !== undefined) {
      c.fail(at('fwmark'), 'either address and port, or fwmark, not both');
    } else if (vs.address === undefined && vs.fwmark === undefined) {
      c.fail(at(), 'an address and port, or a fwmark', 'add "address" and "port" (or "fwmark")');
    }
    if (vs.fwmark !== undefined && vs.port !== undefined) {
      c.fail(at('port'), 'no port with fwmark', 'the firewall mark selects the traffic');
    }
    if (vs.address !== undefined) {
      if (vs.port === undefined) {
        c.fail(at('port'), 'the service port (required with address)');
      } else if (vs.port === 0 && vs.persistence_s === 0) {
        c.fail(at('port'), 'a port from 1 to 65535 (0, all ports, needs persistence_s)');
      }
      const address = parseIpv4(vs.address);
      if (address !== undefined && !vips.has(address) && !c.localAddresses.has(address)) {
        c.fail(at('address'), 'a VRRP VIP or a static address of this box', 'add it to the vips of the VRRP instance facing the clients');
      }
    }
    const hc = vs.health_check;
    if (hc.type !== 'http') {
      if (hc.path !== undefined) c.fail(at('health_check', 'path'), `no path for a ${hc.type} check`, 'set "type": "http" to check a URL');
      if (hc.expect_status !== undefined) c.fail(at('health_check', 'expect_status'), `no expect_status for a ${hc.type} check`, 'set "type": "http" to check a URL');
    }
    if (hc.timeout_s > hc.interval_s) {
      c.fail(at('health_check', 'timeout_s'), `a timeout of at most interval_s (${hc.interval_s})`);
    }

    const seen = new Map<string, number>();
    vs.real_servers.forEach((rs, j) => {
      const rat = (key: string): string => at('real_servers', j, key);
      const port = rs.port ?? vs.port;
      const key = `${rs.address}:${port ?? ''}`;
      const first = seen.get(key);
      if (first !== undefined) {
        c.fail(rat('address'), 'a real server listed once per service', `${rs.address}${port !== undefined ? `:${port}` : ''} is already ${at('real_servers', first)}`);
        return;
      }
      seen.set(key, j);
      const address = parseIpv4(rs.address);
      if (address !== undefined && vips.has(address)) {
        c.fail(rat('address'), 'a real server address, not a VIP of this box');
        return;
      }
      c.neighbour(rat('address'), rs.address, 'a real server', { onLink: vs.method === 'dr' });
      if (vs.method === 'dr' && rs.port !== undefined && vs.port !== undefined && vs.port !== 0 && rs.port !== vs.port) {
        c.fail(rat('port'), `the service's port ${vs.port} (dr cannot change ports)`, 'use method nat to map ports');
      }
    });
  });
}
