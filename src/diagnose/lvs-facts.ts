// Reads what the LVS-NAT checklist needs from this box: sysctls, addresses, a TCP connect to
// each real server's check port (which also makes the kernel ARP for it), the same connect from
// the service's client-side address (the seed's tcpdump step: the reply reaches that address only
// if the real server routes it back through this box), then the ARP table, the nat table
// (iptables-save) and the loaded modules.
import type { Config } from '../config/index.ts';
import { modulePresent, readArpTable, readSysctl, runTool, toolMessage } from '../kernel/index.ts';
import { Rtnl } from '../kernel/rtnetlink/index.ts';
import { connectOnly } from '../kernel/probes/index.ts';
import { checkPortOf, clientSideSource } from './lvs-checklist.ts';
import type { LvsFacts, PortAnswer } from './lvs-checklist.ts';

const PROBE_TIMEOUT_MS = 1500;

async function probe(address: string, port: number, localAddress?: string): Promise<PortAnswer> {
  try {
    await connectOnly({ address, port, ...(localAddress !== undefined ? { localAddress } : {}) }, PROBE_TIMEOUT_MS, new AbortController().signal);
    return 'open';
  } catch (e) {
    const m = (e as Error).message;
    if (/refused/.test(m)) return 'refused';
    if (/unreachable/.test(m)) return 'unreachable';
    return 'timeout';
  }
}

export async function gatherLvsFacts(config: Config): Promise<LvsFacts> {
  const rtnl = Rtnl.open();
  let addresses: LvsFacts['addresses'];
  try {
    const links = new Map((await rtnl.links()).map((l) => [l.index, l.name]));
    addresses = (await rtnl.addresses()).filter((a) => a.local !== undefined).map((a) => ({ ifname: links.get(a.index) ?? `#${a.index}`, address: a.local!, prefixLength: a.prefixLength }));
  } finally {
    rtnl.close();
  }
  const targets = new Map<string, { address: string; port: number; from?: string }>();
  for (const vs of config.lvs.virtual_services) {
    if (vs.method !== 'nat') continue;
    const from = clientSideSource(vs, addresses);
    for (const rs of vs.real_servers) {
      const port = checkPortOf(vs, rs);
      if (!rs.enabled || port === undefined) continue;
      targets.set(`${rs.address}:${port}`, { address: rs.address, port });
      if (from !== undefined) targets.set(`${from} ${rs.address}:${port}`, { address: rs.address, port, from });
    }
  }
  // In parallel: each may wait for its timeout (and for ARP to give up).
  const ports = new Map(await Promise.all([...targets].map(async ([k, t]) => [k, await probe(t.address, t.port, t.from)] as const)));
  const save = await runTool('iptables-save', ['-t', 'nat']);
  const natRules = save.code === 0 ? save.stdout.split('\n') : { error: toolMessage(save, 'iptables-save') };
  return {
    sysctl: (name) => readSysctl(name),
    addresses,
    arp: readArpTable(),
    ports,
    natRules,
    modules: new Set(['ip_vs_ftp', 'nf_conntrack_ftp'].filter((m) => modulePresent(m))),
  };
}
