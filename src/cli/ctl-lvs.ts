// `stockade ctl lvs [--stats|--rate|-c] [--exact] [--json]` and `ctl lvs events`: the daemon's IPVS
// table exactly as `ipvsadm -L -n` prints it (scripts parse that text), then the check state of
// every configured real server; the connection entries like `ipvsadm -L -n -c`; the recent
// real-server state changes with their reasons.
import { EXIT_BAD_INPUT, EXIT_OK, UserError, type Command, type Io } from './command.ts';
import { controlRequest, controlSocketPath } from '../control/index.ts';
import { formatIpvsadmConnections, formatIpvsadmList, type LvsEvent, type LvsStatusView, type ListOptions } from '../lvs/index.ts';
import type { IpvsConnection } from '../kernel/ipvs/index.ts';
import { terminalSafe } from '../config/index.ts';

/** The block below the ipvsadm text: per real server its state, weight and why. */
export function formatCheckState(s: LvsStatusView): string {
  let out = '\nReal servers (state weight reason):\n';
  if (s.servers.length === 0) out += '  none configured\n';
  const w = Math.max(0, ...s.servers.map((x) => x.server.length));
  for (const x of s.servers) out += `  ${x.server.padEnd(w)}  ${x.state.padEnd(9)} ${String(x.weight).padEnd(6)} ${x.reason}\n`;
  if (s.checks !== null && s.checks.services.length > 0) {
    out += 'Services (health checks):\n';
    const n = Math.max(...s.checks.services.map((x) => x.name.length));
    for (const x of s.checks.services) {
      const q = x.quorumUp ? `quorum up (live weight ${x.liveWeight}, quorum ${x.quorum})` : `quorum LOST (live weight ${x.liveWeight}, quorum ${x.quorum})${x.sorryServerIn ? ': sorry server in' : ''}`;
      out += `  ${x.name.padEnd(n)}  ${q}${x.suspended ? '; checks paused: the VIP is not held here (ha_suspend)' : ''}\n`;
    }
    out += `checks: ${Object.entries(s.checks.counters).map(([k, v]) => `${k}=${v}`).join(' ')}\n`;
  }
  const h = s.fromHealth;
  const ms = (x: number): string => x.toFixed(1);
  out += `table: applies=${s.applies} writes=${s.writes}; from health checks: applies=${h.applies} updates=${h.updates} coalesced=${h.coalesced} lastMs=${h.lastLatencyMs === null ? '-' : ms(h.lastLatencyMs)} maxMs=${ms(h.maxLatencyMs)}\n`;
  if (s.sync !== null) {
    const d = s.sync.daemons.map((x) => `${x.state} sync daemon (mcast=${x.interface}, syncid=${x.syncId})`).join('; ') || 'no sync daemon running';
    out += `sync: follows ${s.sync.unit} (${s.sync.role ?? 'no state yet'}); ${d}\n`;
  }
  for (const warning of s.warnings) out += `warning: ${warning}\n`;
  if (s.lastError !== null) out += `lvs: NOT APPLIED: ${s.lastError}\n`;
  return out.split('\n').map(terminalSafe).join('\n');
}

export function formatEvents(e: { events: LvsEvent[]; dropped: number; max: number }): string {
  let out = e.events.length === 0 ? 'no real-server events\n' : '';
  for (const x of e.events) out += terminalSafe(`${x.at} ${x.server} ${x.up ? 'UP' : 'DOWN'}${x.weight !== null ? ` weight ${x.weight}` : ''}: ${x.reason}`) + '\n';
  if (e.dropped > 0) out += `(${e.dropped} older events dropped; the last ${e.max} are kept)\n`;
  return out;
}

export const ctlLvs: Command = {
  words: ['ctl', 'lvs'],
  usage: '[events] [--stats|--rate|-c] [--exact] [--json] [--socket PATH]',
  summary: "the daemon's IPVS table as `ipvsadm -L -n` prints it (--stats, --rate, -c connections), then each real server's check state; `events`: recent state changes",
  async run(args: readonly string[], io: Io): Promise<number> {
    let json = false;
    let socket: string | undefined;
    let events = false;
    let conns = false;
    const o: ListOptions = {};
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (a === '--json') json = true;
      else if (a === 'events' && i === 0) events = true;
      else if (a === '--stats') o.stats = true;
      else if (a === '--rate') o.rate = true;
      else if (a === '--exact') o.exact = true;
      else if (a === '-c' || a === '--connection') conns = true;
      else if (a === '-n' || a === '--numeric') continue; // always numeric, as ipvsadm -n
      else if (a === '--socket') {
        socket = args[++i];
        if (socket === undefined) throw new UserError('--socket needs a path', EXIT_BAD_INPUT);
      } else throw new UserError(`ctl lvs: unexpected argument '${a}'`, EXIT_BAD_INPUT);
    }
    if (o.stats && o.rate) throw new UserError('ctl lvs: --stats or --rate, not both', EXIT_BAD_INPUT);
    const path = controlSocketPath(socket);
    const ask = async (method: string): Promise<unknown> => {
      try {
        // The daemon answers after a dump of the kernel's table, queued behind any apply in
        // progress: seconds on a loaded emulated box (5 s, the default, was seen to run out).
        return await controlRequest(path, method, undefined, 60_000);
      } catch (e) {
        throw new UserError((e as Error).message);
      }
    };
    if (events) {
      const e = (await ask('lvs.events')) as { events: LvsEvent[]; dropped: number; max: number };
      io.out(json ? JSON.stringify(e, null, 2) + '\n' : formatEvents(e));
      return EXIT_OK;
    }
    if (conns) {
      const c = (await ask('lvs.connections')) as IpvsConnection[];
      io.out(json ? JSON.stringify(c, null, 2) + '\n' : formatIpvsadmConnections(c));
      return EXIT_OK;
    }
    const s = (await ask('lvs.status')) as LvsStatusView;
    io.out(json ? JSON.stringify(s, null, 2) + '\n' : formatIpvsadmList(s, o) + formatCheckState(s));
    return EXIT_OK;
  },
};
