// LVS health checks (each virtual service's health_check block): only the options of the check's
// type, a port to check, a target this box can reach, a regex that compiles, consistent timers,
// a sorry server that is not one of the real servers (keepalived #1816), commands given as
// absolute paths, and ha_suspend only where there is a VIP to follow.
import type { HealthCheck, VirtualService } from '../generated/config.ts';
import { Checker, pointer } from './context.ts';
import { contains, parseIpv4, parsePrefix } from '../../common/index.ts';
import { vipAddresses } from './vrrp.ts';

type Option = keyof HealthCheck;

/** Options that only some check types take, and those types. */
const ONLY_FOR: Array<{ types: readonly HealthCheck['type'][]; options: readonly Option[]; hint: string }> = [
  { types: ['http', 'https'], options: ['path', 'expect_status', 'virtual_host', 'http_version', 'digest', 'regex', 'regex_no_match'], hint: 'set "type": "http" (or "https") to check a URL' },
  { types: ['udp'], options: ['payload', 'expect_reply', 'min_reply_length', 'max_reply_length'], hint: 'set "type": "udp" to send a datagram' },
  { types: ['dns'], options: ['query_name', 'query_type'], hint: 'set "type": "dns" to send a query' },
  { types: ['misc'], options: ['command', 'dynamic_weight'], hint: 'set "type": "misc" to run a program' },
  { types: ['tcp', 'http', 'https', 'udp', 'dns'], options: ['port'], hint: 'ping and misc checks do not connect to a port' },
];

// Options with a schema default count as set only when they differ from it (the filled-in
// config cannot tell a written default from an absent one, and a default changes nothing).
const DEFAULTS: Partial<Record<Option, unknown>> = {
  http_version: '1.0', regex_no_match: false, min_reply_length: 0, max_reply_length: 65507, query_type: 'SOA', dynamic_weight: false,
};

function isSet(hc: HealthCheck, option: Option): boolean {
  const v = hc[option];
  return v !== undefined && (!(option in DEFAULTS) || v !== DEFAULTS[option]);
}

export function checkLvsHealthChecks(c: Checker): void {
  const vips = vipAddresses(c);
  const routes = c.config.routes.map((r) => parsePrefix(r.destination === 'default' ? '0.0.0.0/0' : r.destination)).filter((p) => p !== undefined);
  const reachable = (address: number): boolean =>
    c.connectedSubnet(address) !== undefined || routes.some((p) => contains(p, address)) || c.dhcpInterfaces.size > 0;

  c.config.lvs.virtual_services.forEach((vs, i) => {
    const hc = vs.health_check;
    const at = (...rest: (string | number)[]): string => pointer('lvs', 'virtual_services', i, 'health_check', ...rest);

    for (const rule of ONLY_FOR) {
      if (rule.types.includes(hc.type)) continue;
      for (const option of rule.options) {
        if (isSet(hc, option)) c.fail(at(option), `no ${option} for a ${hc.type} check`, rule.hint);
      }
    }

    if (hc.timeout_s > hc.interval_s) c.fail(at('timeout_s'), `a timeout of at most interval_s (${hc.interval_s})`);
    if (hc.deadline_s !== undefined && hc.deadline_s < hc.timeout_s) c.fail(at('deadline_s'), `a deadline of at least timeout_s (${hc.timeout_s})`, 'the deadline bounds the whole attempt, connecting included');
    if (hc.warmup_s !== undefined && hc.warmup_s > hc.interval_s) c.fail(at('warmup_s'), `a warm-up of at most interval_s (${hc.interval_s})`);
    if (hc.type === 'misc' && hc.command === undefined) c.fail(at('command'), 'the program to run (required for a misc check)', 'e.g. "command": ["/usr/local/bin/check-db", "--quick"]');
    if (hc.regex !== undefined) {
      try {
        new RegExp(hc.regex);
      } catch (e) {
        c.fail(at('regex'), 'a regular expression that compiles', (e as Error).message);
      }
    }
    if (hc.min_reply_length > hc.max_reply_length) c.fail(at('min_reply_length'), `at most max_reply_length (${hc.max_reply_length})`);
    if (hc.query_name !== undefined && hc.query_name.replace(/\.$/, '').split('.').some((l) => l.length > 63)) {
      c.fail(at('query_name'), 'DNS labels of at most 63 characters');
    }
    for (const key of ['command', 'quorum_up', 'quorum_down'] as const) {
      const argv = hc[key];
      if (argv !== undefined && !argv[0]!.startsWith('/')) c.fail(at(key, 0), 'an absolute path to the program', 'commands run without a shell or PATH, and must pass script security');
    }

    // A port to check, and a target this box can reach.
    if (hc.type !== 'none') {
      const target = hc.address;
      if (target !== undefined) {
        c.neighbour(at('address'), target, 'a check address', { onLink: false });
        const a = parseIpv4(target);
        if (a !== undefined && !reachable(a)) c.fail(at('address'), 'a check address on a connected subnet or behind a route', `${target} cannot be reached from this box`);
      } else {
        vs.real_servers.forEach((rs, j) => {
          const a = parseIpv4(rs.address);
          if (a !== undefined && !reachable(a) && !c.localAddresses.has(a)) {
            c.fail(pointer('lvs', 'virtual_services', i, 'real_servers', j, 'address'), `a real server this box can reach to check (${hc.type})`, `${rs.address} is on no connected subnet and no route leads to it`);
          }
        });
      }
      if (!['ping', 'misc'].includes(hc.type) && hc.port === undefined) {
        const j = vs.real_servers.findIndex((rs) => (rs.port ?? vs.port ?? 0) === 0);
        if (j >= 0) c.fail(at('port'), `the port to check (${vs.real_servers[j]!.address} has none: ${vs.fwmark !== undefined ? 'a fwmark service' : 'port 0'})`, 'add "port" to health_check');
      }
    }

    checkFailover(c, vs, i, at, vips);
  });
}

function checkFailover(c: Checker, vs: VirtualService, i: number, at: (...rest: (string | number)[]) => string, vips: Set<number>): void {
  const hc = vs.health_check;
  if (hc.sorry_server) {
    const s = hc.sorry_server;
    const port = s.port ?? vs.port;
    c.neighbour(at('sorry_server', 'address'), s.address, 'a sorry server', { onLink: vs.method === 'dr' });
    const j = vs.real_servers.findIndex((rs) => rs.address === s.address && (rs.port ?? vs.port) === port);
    if (j >= 0) c.fail(at('sorry_server', 'address'), 'a sorry server that is not one of the real servers', `${s.address}${port !== undefined ? `:${port}` : ''} is ${pointer('lvs', 'virtual_services', i, 'real_servers', j)}`);
    if (port === undefined && vs.method === 'nat' && vs.fwmark !== undefined) c.fail(at('sorry_server', 'port'), 'the sorry server\'s port (a fwmark service has none)');
  }
  const total = vs.real_servers.filter((rs) => rs.enabled).reduce((sum, rs) => sum + rs.weight, 0);
  if (hc.quorum + hc.hysteresis > total) {
    c.warn(at('quorum'), `the quorum ${hc.quorum} + hysteresis ${hc.hysteresis} is more than all real servers' weights together (${total}): the service never has its quorum`, hc.sorry_server ? 'the sorry server will always serve' : undefined);
  }
  if (hc.ha_suspend) {
    if (vs.address === undefined) {
      c.fail(at('ha_suspend'), 'ha_suspend only on a service with an address (a VIP)', 'a fwmark service has no address whose holder could be followed');
    } else {
      const a = parseIpv4(vs.address);
      if (a !== undefined && !vips.has(a)) c.warn(at('ha_suspend'), `${vs.address} is not a VRRP VIP, so this box always holds it: ha_suspend changes nothing`);
    }
  }
  if (hc.omega && hc.quorum_down === undefined) c.warn(at('omega'), 'omega runs quorum_down, and there is none');
}
