// Seed 001's LVS-NAT checklist (L4-NAT-HOWTO Q.1-Q.4, and reference lvs-firewall.md C.7) as pure
// code: the config's NAT services and facts read from the box -> one line per check, OK or FAIL
// with the fix in one sentence. The facts are gathered by lvs-facts.ts.
import type { Config } from '../config/index.ts';
import { contains, parseIpv4, parsePrefix } from '../common/index.ts';
import { checkPort } from '../lvs/index.ts';

export type Verdict = 'OK' | 'FAIL' | 'SKIP';

export interface DiagnoseLine {
  /** The service name, or "" for the box-wide checks. */
  service: string;
  verdict: Verdict;
  what: string;
  /** One sentence: what to do (FAIL only). */
  fix?: string;
}

export type PortAnswer = 'open' | 'refused' | 'timeout' | 'unreachable' | 'untested';

export interface LvsFacts {
  sysctl(name: string): string | undefined;
  /** Addresses on this box's interfaces. */
  addresses: ReadonlyArray<{ ifname: string; address: string; prefixLength: number }>;
  /** ARP: whether the address answered (complete entry). */
  arp: ReadonlyMap<string, { complete: boolean; device: string }>;
  /** By "address:port" (from this box's own address facing the server), and by
   * "source address:port" (from the service's client-side address, clientSideSource). */
  ports: ReadonlyMap<string, PortAnswer>;
  /** iptables-save -t nat lines, or undefined when it could not be read (with why). */
  natRules: readonly string[] | { error: string };
  modules: ReadonlySet<string>;
}

/** The interface whose subnet holds `address`, from the kernel's addresses. */
export function interfaceFor(facts: LvsFacts, address: string): string | undefined {
  const a = parseIpv4(address);
  if (a === undefined) return undefined;
  for (const x of facts.addresses) {
    const p = parsePrefix(`${x.address}/${x.prefixLength}`);
    if (p && p.length < 32 && contains(p, a)) return x.ifname;
  }
  return undefined;
}

/** The port to probe on a real server: its health check's, else the one it serves on. */
export function checkPortOf(vs: Config['lvs']['virtual_services'][number], rs: Config['lvs']['virtual_services'][number]['real_servers'][number]): number | undefined {
  const p = checkPort(vs, rs);
  if (p !== undefined && p !== 0) return p;
  const own = rs.port ?? vs.port;
  return own === 0 ? undefined : own;
}

/**
 * The address a return-path probe to the service's real servers comes from: the VIP when this box
 * holds it, else this box's own address on the VIP's subnet. A reply to it reaches this box only
 * if the real server routes the clients' side through the director, as LVS-NAT needs.
 */
export function clientSideSource(vs: Config['lvs']['virtual_services'][number], addresses: LvsFacts['addresses']): string | undefined {
  const vip = vs.address;
  if (vip === undefined) return undefined;
  if (addresses.some((a) => a.address === vip)) return vip;
  const v = parseIpv4(vip);
  if (v === undefined) return undefined;
  return addresses.find((x) => {
    const p = parsePrefix(`${x.address}/${x.prefixLength}`);
    return p !== undefined && p.length < 32 && contains(p, v);
  })?.address;
}

/** This box's address a real server should use as its gateway: a VRRP VIP on its subnet, else the box's own. */
function gatewayFor(config: Config, facts: LvsFacts, rsIf: string | undefined, rsAddress: string): string | undefined {
  const a = parseIpv4(rsAddress);
  if (a === undefined) return undefined;
  const inSubnet = (address: string): boolean => facts.addresses.some((x) => {
    const p = parsePrefix(`${x.address}/${x.prefixLength}`);
    const b = parseIpv4(address);
    return x.ifname === rsIf && p !== undefined && b !== undefined && p.length < 32 && contains(p, a) && contains(p, b);
  });
  const vip = config.vrrp.instances.flatMap((i) => i.vips.map((v) => v.split('/')[0]!)).find(inSubnet);
  return vip ?? facts.addresses.find((x) => x.ifname === rsIf && inSubnet(x.address))?.address;
}

const on = (v: string | undefined): boolean => v !== undefined && v.trim() !== '0';

function rpFilter(facts: LvsFacts, ifname: string): number {
  const all = Number(facts.sysctl('net.ipv4.conf.all.rp_filter') ?? 0);
  const dev = Number(facts.sysctl(`net.ipv4.conf.${ifname.replace(/\./g, '/')}.rp_filter`) ?? 0);
  return Math.max(all, dev);
}

/** Whether a nat MASQUERADE or SNAT rule covers traffic from `address` (leaving by `outIf`, when given). */
function natCovers(lines: readonly string[], address: number, outIf?: string): boolean {
  return lines.some((l) => {
    if (!l.startsWith('-A ') || !/ -j (MASQUERADE|SNAT)\b/.test(l)) return false;
    const o = / -o (\S+)/.exec(l);
    if (outIf !== undefined && o && o[1] !== outIf) return false;
    const m = / -s (\S+)/.exec(l);
    if (!m) return true;
    const p = parsePrefix(m[1]!.includes('/') ? m[1]! : `${m[1]}/32`);
    return p !== undefined && contains(p, address);
  });
}

export function lvsChecklist(config: Config, facts: LvsFacts): DiagnoseLine[] {
  const out: DiagnoseLine[] = [];
  const nat = config.lvs.virtual_services.filter((vs) => vs.method === 'nat');
  if (nat.length === 0) {
    out.push({ service: '', verdict: 'SKIP', what: 'no NAT virtual services in the config' });
    return out;
  }
  const box = (verdict: boolean, what: string, fix: string): void => void out.push({ service: '', verdict: verdict ? 'OK' : 'FAIL', what, ...(verdict ? {} : { fix }) });
  box(on(facts.sysctl('net.ipv4.ip_forward')), 'IP forwarding (net.ipv4.ip_forward) is on', 'Set "net.ipv4.ip_forward": 1 in the config\'s sysctls: without it nothing is forwarded to or from the real servers.');
  if (config.sync) {
    box(on(facts.sysctl('net.netfilter.nf_conntrack_tcp_be_liberal')), 'conntrack accepts synced TCP windows (nf_conntrack_tcp_be_liberal)', 'Set "net.netfilter.nf_conntrack_tcp_be_liberal": 1, or connections taken over after a failover are dropped as out of window.');
  }

  for (const vs of nat) {
    const line = (verdict: Verdict, what: string, fix?: string): void => void out.push({ service: vs.name, verdict, what, ...(fix !== undefined && verdict === 'FAIL' ? { fix } : {}) });
    const vip = vs.address;
    const vipIf = vip !== undefined ? facts.addresses.find((a) => a.address === vip)?.ifname : undefined;
    if (vip === undefined) {
      line('SKIP', 'a fwmark service: no VIP to look for');
    } else if (vipIf !== undefined) {
      line('OK', `the VIP ${vip} is held here (on ${vipIf})`);
    } else {
      line('FAIL', `the VIP ${vip} is not on this box`, 'This box is not the MASTER for it (see `stockade ctl vrrp`): run diagnose on the box that holds it, or bring its VRRP instance up.');
    }
    const clientIf = vipIf ?? (vip !== undefined ? interfaceFor(facts, vip) : undefined);
    const from = clientSideSource(vs, facts.addresses);
    if (clientIf !== undefined && rpFilter(facts, clientIf) === 1) {
      line('FAIL', `strict reverse-path filtering (rp_filter 1) on the client side ${clientIf}`, `Set net.ipv4.conf.${clientIf}.rp_filter and net.ipv4.conf.all.rp_filter to 2 (loose) or 0: strict filtering drops requests that arrive on another interface than the route back.`);
    } else if (clientIf !== undefined) {
      line('OK', `rp_filter on the client side ${clientIf} lets requests in`);
    }

    const rsIfs = new Set<string>();
    const unmasqueraded: string[] = [];
    for (const rs of vs.real_servers.filter((r) => r.enabled)) {
      const rsIf = interfaceFor(facts, rs.address);
      const a = parseIpv4(rs.address)!;
      let arpFailed = false;
      if (rsIf === undefined) {
        line('SKIP', `${rs.address} is behind a router: its ARP is not checked`);
      } else {
        rsIfs.add(rsIf);
        const n = facts.arp.get(rs.address);
        arpFailed = !n?.complete;
        if (!arpFailed) line('OK', `${rs.address} answers ARP on ${rsIf}`);
        else line('FAIL', `${rs.address} does not answer ARP on ${rsIf}`, `The real server is down, unplugged or has another address: check that ${rs.address} is configured on it and its link is up.`);
      }
      const port = checkPortOf(vs, rs);
      const key = `${rs.address}:${port}`;
      const answer = port === undefined ? 'untested' : facts.ports.get(key) ?? 'untested';
      if (arpFailed) {
        // Nothing answers at that address at all: its port says nothing more.
      } else if (vs.protocol !== 'tcp' && vs.health_check.port === undefined) {
        line('SKIP', `${key}: a ${vs.protocol} service port is not probed`);
      } else if (answer === 'open') {
        line('OK', `${key} accepts connections`);
        const back = from === undefined ? 'untested' : facts.ports.get(`${from} ${key}`) ?? 'untested';
        const snatted = from !== undefined && Array.isArray(facts.natRules) && natCovers(facts.natRules as readonly string[], parseIpv4(from)!, rsIf);
        if (snatted) {
          // The probe (and the clients' own traffic) leaves SNATed: the server answers this box directly.
          line('SKIP', `${key}: this box SNATs ${from} on the way to it, so its replies come back whatever its gateway`);
        } else if (back === 'open') {
          line('OK', `${key} answers ${from}: its replies to clients come back through this box`);
        } else if (back !== 'untested') {
          const gw = gatewayFor(config, facts, rsIf, rs.address);
          line('FAIL', `${key} answers this box but not the client side ${from} (${back}): its replies to clients do not come back through this box`,
            `Make ${gw !== undefined ? `this director (${gw})` : 'this director'} the default gateway of ${rs.address}: LVS-NAT rewrites the replies only when they pass back through it.`);
        }
      } else if (answer === 'refused') {
        line('FAIL', `${key} refuses connections (TCP reset: nothing listens)`, `Start the service on ${rs.address}, or correct the real server's port in the config.`);
      } else if (answer === 'timeout') {
        line('FAIL', `${key} does not answer`, `A firewall on ${rs.address} drops the connection, or its replies do not come back through this box (its default route must point at this director).`);
      } else if (answer === 'unreachable') {
        line('FAIL', `${key} is unreachable`, `No route to ${rs.address}: add its subnet to an interface or a route to it.`);
      } else {
        line('SKIP', `${rs.address}: no port to probe`);
      }
      if (Array.isArray(facts.natRules) && !natCovers(facts.natRules as readonly string[], a)) unmasqueraded.push(rs.address);
    }
    if (!Array.isArray(facts.natRules)) {
      line('SKIP', `NAT rules not read: ${(facts.natRules as { error: string }).error}`);
    } else if (unmasqueraded.length === 0) {
      line('OK', 'the real servers\' own traffic is masqueraded (MASQUERADE/SNAT)');
    } else {
      line('FAIL', `no MASQUERADE or SNAT for the real servers' own traffic (${unmasqueraded.join(', ')})`, 'Add a firewall.nat masquerade rule for the real servers\' subnet on the outside interface, or the real servers cannot reach clients or the internet themselves (seed Q.1).');
    }
    for (const rsIf of rsIfs) {
      if (rpFilter(facts, rsIf) === 1) {
        line('FAIL', `strict reverse-path filtering (rp_filter 1) on the real servers' side ${rsIf}`, `Set net.ipv4.conf.${rsIf}.rp_filter and net.ipv4.conf.all.rp_filter to 2 (loose) or 0, or replies from real servers routed asymmetrically are dropped.`);
      } else {
        line('OK', `rp_filter on the real servers' side ${rsIf} lets replies in`);
      }
      if (clientIf !== undefined && rsIf === clientIf) {
        const redirects = on(facts.sysctl('net.ipv4.conf.all.send_redirects')) || on(facts.sysctl(`net.ipv4.conf.${rsIf.replace(/\./g, '/')}.send_redirects`));
        if (redirects) line('FAIL', `ICMP redirects are sent on ${rsIf}, where clients and real servers share a segment`, `Set net.ipv4.conf.all.send_redirects and net.ipv4.conf.${rsIf}.send_redirects to 0, or real servers are redirected to answer clients directly, past the director.`);
        else line('OK', `no ICMP redirects on the shared segment ${rsIf}`);
      }
    }
    if (vs.port === 21) {
      if (facts.modules.has('ip_vs_ftp')) line('OK', 'ip_vs_ftp is loaded for FTP on port 21');
      else line('FAIL', 'ip_vs_ftp is not loaded for FTP on port 21', 'Add "ip_vs_ftp" to the config\'s modules, or FTP data connections through the director fail.');
      if (facts.modules.has('nf_conntrack_ftp')) line('OK', 'the conntrack ftp helper is loaded');
      else line('FAIL', 'the conntrack ftp helper is not loaded', 'Add { "helper": "ftp" } to firewall.helpers so FTP data connections are related to their control connection.');
    }
  }
  return out;
}

export function formatChecklist(lines: readonly DiagnoseLine[]): string[] {
  return lines.flatMap((l) => [`${l.verdict.padEnd(4)} ${l.service ? `${l.service}: ` : ''}${l.what}`, ...(l.fix ? [`     fix: ${l.fix}`] : [])]);
}
