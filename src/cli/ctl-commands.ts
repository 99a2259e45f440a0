// `stockade ctl ...`: asks the running daemon over its control socket.
import type { Command } from './command.ts';
import { statusCommand } from './ctl-status.ts';
import type { VrrpInstanceView, VrrpStatusView } from '../control/index.ts';
import { ctlSync } from './ctl-sync.ts';
import { ctlDaemon } from './ctl-daemon.ts';
import { ctlFirewall } from './ctl-firewall.ts';
import { ctlLvs } from './ctl-lvs.ts';
import { ctlSegments } from './ctl-segments.ts';
import { table } from './table.ts';


const ms = (n: number | null): string => (n === null ? '-' : n >= 1000 && n % 1000 === 0 ? `${n / 1000}s` : `${n}ms`);

/** The human view of `vrrp.status`. */
export function formatVrrpStatus(s: VrrpStatusView): string {
  if (!s.running) return 'vrrp: no instances configured\n';
  // The table fits 79 columns with an IPv4 master; the counters go on each instance's own line
  // (wrapped, as every status view's long lines are: ctl-status.ts).
  const head = ['INSTANCE', 'IFACE', 'VRID', 'STATE', 'MASTER', 'PRIO', 'ADVERT', 'DOWN', 'NEXT'];
  const row = (i: VrrpInstanceView): string[] => [
    i.name, i.interface, String(i.vrid), i.state + (i.fault ? '*' : ''), i.masterAddress ?? '-',
    `${i.effectivePriority}/${i.priority}`, `v${i.version} ${ms(i.advertIntervalMs)}`, ms(i.masterDownIntervalMs), ms(i.nextTimerInMs),
  ];
  let out = table([head, ...s.instances.map(row)]);
  for (const i of s.instances) {
    const d = Object.entries(i.drops).map(([k, n]) => `${k}=${n}`).join(' ');
    const drops = Object.values(i.drops).reduce((a, b) => a + b, 0);
    out += `${i.name}: vips ${i.vips.join(' ')} ${i.vipsPresent ? '(present)' : '(absent)'}${i.vmac !== null ? ` on ${i.vmac}` : ''}; adverts in ${i.counters.advertsIn}, out ${i.counters.advertsOut}; transitions ${i.counters.transitions}; priority-0 in/out ${i.counters.priorityZeroIn}/${i.counters.priorityZeroOut}; garps ${i.counters.garpsSent}; drops ${drops}${d ? ` (${d})` : ''}\n`;
  }
  for (const [ifname, d] of Object.entries(s.interfaceDrops)) {
    const t = Object.entries(d).map(([k, n]) => `${k}=${n}`).join(' ');
    if (t) out += `${ifname}: drops before an instance: ${t}\n`;
  }
  const h = s.heartbeats;
  if (h) {
    const d = Object.entries(h.drops).map(([k, n]) => `${k}=${n}`).join(' ');
    out += `heartbeats: ${h.signed ? 'signed' : 'unsigned (can only delay a takeover)'}, ${h.trusted ? 'trusted' : 'not trusted yet'}; sent ${h.sent}, received ${h.received}, last ${ms(h.lastReceivedMsAgo)} ago${d ? `; drops ${d}` : ''}\n`;
  }
  if (s.lag) out += `event-loop lag: p50 ${s.lag.loopP50Ms}ms p99 ${s.lag.loopP99Ms}ms max ${s.lag.loopMaxMs}ms; timer late last ${s.lag.timerLastMs}ms max ${s.lag.timerMaxMs}ms\n`;
  return out;
}

const ctlVrrp = statusCommand('vrrp', 'vrrp.status', "the daemon's VRRP instances: state, master, priority, timers, counters", formatVrrpStatus);

export const ctlCommands: readonly Command[] = [ctlVrrp, ctlSync, ctlFirewall, ctlLvs, ctlSegments, ctlDaemon];
