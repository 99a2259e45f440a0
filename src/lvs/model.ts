// The IPVS table the config asks for: one service per virtual service, one destination per
// enabled real server that its health allows, with the ports, flags and tunnel settings ipvsadm
// would write (DR/TUN keep the service's port; a fwmark service's DR/TUN servers get port 0).
// Pure: config and health in, table out.
import type { Config } from '../config/index.ts';
import { parseIpv4 } from '../common/index.ts';
import { IP_VS_SVC_F_ONEPACKET, IP_VS_SVC_F_PERSISTENT, IP_VS_SVC_F_SCHED1, IP_VS_SVC_F_SCHED2, IP_VS_SVC_F_SCHED3, destKeyText, serviceKeyText, type IpvsDestSpec, type IpvsServiceKey, type IpvsServiceSpec } from '../kernel/ipvs/index.ts';

export type VirtualServiceConfig = Config['lvs']['virtual_services'][number];
export type RealServerConfig = VirtualServiceConfig['real_servers'][number];

export interface DesiredDest extends IpvsDestSpec {
  /** JSON pointer of the real server in the config. */
  pointer: string;
}

export interface DesiredService extends IpvsServiceSpec {
  name: string;
  pointer: string;
  dests: DesiredDest[];
}

/**
 * A service's destinations as the checkers decide them (src/lvs/checkers' runner.table(): live
 * servers with their weights, failed ones removed or at weight 0, the sorry server alone while the
 * quorum is lost). When given for a service it replaces the configured servers.
 */
export interface CheckedDestination {
  address: string;
  port: number;
  weight: number;
  /** The sorry server (not a configured real server). */
  sorry?: true;
}

/** Names a real server across config reloads: "<service name> <address>:<port>". */
export function serverId(vs: VirtualServiceConfig, rs: RealServerConfig): string {
  return `${vs.name} ${rs.address}:${realServerPort(vs, rs)}`;
}

const SCHED_FLAG_BITS: Record<string, number> = {
  'flag-1': IP_VS_SVC_F_SCHED1, 'flag-2': IP_VS_SVC_F_SCHED2, 'flag-3': IP_VS_SVC_F_SCHED3,
  'sh-fallback': IP_VS_SVC_F_SCHED1, 'sh-port': IP_VS_SVC_F_SCHED2, 'mh-fallback': IP_VS_SVC_F_SCHED1, 'mh-port': IP_VS_SVC_F_SCHED2,
};

export function serviceKey(vs: VirtualServiceConfig): IpvsServiceKey {
  if (vs.fwmark !== undefined) return { fwmark: vs.fwmark, family: 'inet' };
  return { protocol: vs.protocol, address: vs.address!, port: vs.port ?? 0 };
}

/** The port IPVS holds for the server: its own under NAT, the service's otherwise (as ipvsadm forces). */
export function realServerPort(vs: VirtualServiceConfig, rs: RealServerConfig): number {
  if (vs.method === 'nat') return rs.port ?? vs.port ?? 0;
  return vs.fwmark !== undefined ? 0 : vs.port ?? 0;
}

export function serviceSpec(vs: VirtualServiceConfig): IpvsServiceSpec {
  let flags = 0;
  for (const f of vs.scheduler_flags) flags |= SCHED_FLAG_BITS[f] ?? 0;
  if (vs.persistence_s > 0) flags |= IP_VS_SVC_F_PERSISTENT;
  if (vs.one_packet) flags |= IP_VS_SVC_F_ONEPACKET;
  const mask = vs.persistence_netmask !== undefined ? parseIpv4(vs.persistence_netmask) : undefined;
  return {
    key: serviceKey(vs),
    scheduler: vs.scheduler,
    flags,
    timeout: vs.persistence_s,
    // The kernel keeps the mask in network order in a u32 attribute: 255.255.255.0 reads back
    // as 0x00ffffff on a little-endian host (what ipvsadm prints with inet_ntoa).
    netmask: mask === undefined ? 0xffffffff : Buffer.from([mask >>> 24, (mask >>> 16) & 255, (mask >>> 8) & 255, mask & 255]).readUInt32LE(0),
    pe: '',
  };
}

export function destSpec(vs: VirtualServiceConfig, rs: RealServerConfig, weight: number): IpvsDestSpec {
  const d: IpvsDestSpec = {
    address: rs.address,
    port: realServerPort(vs, rs),
    forward: vs.method,
    weight,
    upperThreshold: rs.upper_threshold,
    lowerThreshold: rs.lower_threshold,
  };
  if (vs.method === 'tun') d.tunnel = { type: vs.tunnel.type, port: vs.tunnel.port ?? 0, csum: vs.tunnel.checksum };
  return d;
}

/**
 * The desired table. `checked(service)` gives a service's destinations as its health checks
 * decide them; without it (no checker result, or `stockade lvs apply`) every enabled real server
 * at its configured weight. `only`: just the services of these names (a health apply).
 */
export function desiredTable(
  config: Config,
  checked: (service: string) => readonly CheckedDestination[] | undefined = () => undefined,
  only?: ReadonlySet<string>,
): DesiredService[] {
  return config.lvs.virtual_services.flatMap((vs, i) => {
    if (only !== undefined && !only.has(vs.name)) return [];
    const pointer = `/lvs/virtual_services/${i}`;
    const fromCheckers = checked(vs.name);
    if (fromCheckers !== undefined) {
      const dests = fromCheckers.map((c): DesiredDest => {
        const j = vs.real_servers.findIndex((rs) => rs.address === c.address && realServerPort(vs, rs) === c.port);
        const rs = vs.real_servers[j] ?? { address: c.address, port: c.port, weight: c.weight, enabled: true, upper_threshold: 0, lower_threshold: 0 };
        return { ...destSpec(vs, rs, c.weight), pointer: j >= 0 ? `${pointer}/real_servers/${j}` : pointer };
      });
      return { ...serviceSpec(vs), name: vs.name, pointer, dests };
    }
    const dests: DesiredDest[] = [];
    vs.real_servers.forEach((rs, j) => {
      if (rs.enabled) dests.push({ ...destSpec(vs, rs, rs.weight), pointer: `${pointer}/real_servers/${j}` });
    });
    return { ...serviceSpec(vs), name: vs.name, pointer, dests };
  });
}

export { serviceKeyText, destKeyText };
