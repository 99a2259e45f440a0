// `stockade ctl ...`: asks the running daemon over its control socket.
import { EXIT_BAD_INPUT, EXIT_OK, UserError, type Command, type Io } from './command.ts';
import { controlRequest, controlSocketPath } from '../daemon/control.ts';
import type { VrrpInstanceView, VrrpStatusView } from '../daemon/vrrp-status.ts';
import { ctlSync } from './ctl-sync.ts';
import { ctlFirewall } from './ctl-firewall.ts';

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((x, c) => (c === r.length - 1 ? x : x.padEnd(widths[c]!))).join('  ').trimEnd() + '\n').join('');
}

const ms = (n: number | null): string => (n === null ? '-' : n >= 1000 && n % 1000 === 0 ? `${n / 1000}s` : `${n}ms`);

/** The human view of `vrrp.status`. */
export function formatVrrpStatus(s: VrrpStatusView): string {
  if (!s.running) return 'vrrp: no instances configured\n';
  const head = ['INSTANCE', 'IFACE', 'VRID', 'STATE', 'MASTER', 'PRIO', 'ADVERT', 'DOWN', 'NEXT', 'IN', 'OUT', 'DROPS', 'TRANS'];
  const row = (i: VrrpInstanceView): string[] => [
    i.name, i.interface, String(i.vrid), i.state + (i.fault ? '*' : ''), i.masterAddress ?? '-',
    `${i.effectivePriority}/${i.priority}`, `v${i.version} ${ms(i.advertIntervalMs)}`, ms(i.masterDownIntervalMs), ms(i.nextTimerInMs),
    String(i.counters.advertsIn), String(i.counters.advertsOut), String(Object.values(i.drops).reduce((a, b) => a + b, 0)), String(i.counters.transitions),
  ];
  let out = table([head, ...s.instances.map(row)]);
  for (const i of s.instances) {
    const d = Object.entries(i.drops).map(([k, n]) => `${k}=${n}`).join(' ');
    out += `${i.name}: vips ${i.vips.join(' ')} ${i.vipsPresent ? '(present)' : '(absent)'}${i.vmac !== null ? ` on ${i.vmac}` : ''}; priority-0 in/out ${i.counters.priorityZeroIn}/${i.counters.priorityZeroOut}; garps ${i.counters.garpsSent}${d ? `; drops ${d}` : ''}\n`;
  }
  for (const [ifname, d] of Object.entries(s.interfaceDrops)) {
    const t = Object.entries(d).map(([k, n]) => `${k}=${n}`).join(' ');
    if (t) out += `${ifname}: drops before an instance: ${t}\n`;
  }
  if (s.lag) out += `event-loop lag: p50 ${s.lag.loopP50Ms}ms p99 ${s.lag.loopP99Ms}ms max ${s.lag.loopMaxMs}ms; timer late last ${s.lag.timerLastMs}ms max ${s.lag.timerMaxMs}ms\n`;
  return out;
}

const ctlVrrp: Command = {
  words: ['ctl', 'vrrp'],
  usage: '[--json] [--socket PATH]',
  summary: "the daemon's VRRP instances: state, master, priority, timers, counters",
  async run(args: readonly string[], io: Io): Promise<number> {
    let json = false;
    let socket: string | undefined;
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (a === '--json') json = true;
      else if (a === '--socket') {
        socket = args[++i];
        if (socket === undefined) throw new UserError('--socket needs a path', EXIT_BAD_INPUT);
      } else throw new UserError(`unexpected argument '${a}'`, EXIT_BAD_INPUT);
    }
    let status: VrrpStatusView;
    try {
      status = (await controlRequest(controlSocketPath(socket), 'vrrp.status')) as VrrpStatusView;
    } catch (e) {
      throw new UserError((e as Error).message);
    }
    io.out(json ? JSON.stringify(status, null, 2) + '\n' : formatVrrpStatus(status));
    return EXIT_OK;
  },
};

export const ctlCommands: readonly Command[] = [ctlVrrp, ctlSync, ctlFirewall];
