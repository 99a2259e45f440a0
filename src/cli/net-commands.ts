// `stockade net ...`: the network as the kernel sees it (`net links`), and the network setup
// from the config: `net plan` (what would change, and why; changes nothing) and `net apply`
// (makes the kernel match the config; undoes its own changes if the kernel refuses one).
import { EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK, UserError, type Command, type Io } from './command.ts';
import { interpretOnly } from './v8-flags.ts';
import { terminalSafe } from '../config/index.ts';
import { linkState } from '../kernel/rtnetlink/index.ts';
import { Rtnl, type Link } from '../kernel/rtnetlink/index.ts';
import { loadOrReport, parseConfigArgs } from './config-arg.ts';
import { DhcpEventError, NetApplyError, NetConflictError, actionLine, applyConfigNetwork, applyLease, applyLeaseResolver, changeCount, clearDhcp, describeKernelError, formatActions, formatNotes, parseDhcpEvent, planConfigNetwork, readKernelLinks, type ActionInfo, type DhcpEvent } from '../net/index.ts';
import { runDir } from '../kernel/index.ts';
import { table } from './table.ts';

export function formatLinks(links: readonly Link[]): string {
  const rows = [
    ['INDEX', 'NAME', 'STATE', 'MTU', 'MAC'],
    ...[...links]
      .sort((a, b) => a.index - b.index)
      .map((l) => [String(l.index), l.name, linkState(l.flags), l.mtu === undefined ? '-' : String(l.mtu), l.address ?? '-']),
  ];
  return table(rows);
}

const netLinks: Command = {
  words: ['net', 'links'],
  usage: '[--json]',
  summary: 'list the network interfaces as the kernel reports them',
  async run(args: readonly string[], io: Io): Promise<number> {
    const json = args.includes('--json');
    const unknown = args.filter((a) => a !== '--json');
    if (unknown.length) {
      io.err(`stockade: net links: unexpected argument '${unknown[0]}' (usage: stockade net links [--json])\n`);
      return EXIT_BAD_INPUT;
    }
    const links = await readKernelLinks();
    const rows = links.map((l) => ({
      index: l.index, name: l.name, flags: l.flags, type: l.type, mtu: l.mtu, address: l.address, state: linkState(l.flags),
      ...(l.kind !== undefined ? { kind: l.kind } : {}),
      ...(l.master !== undefined ? { master: l.master } : {}),
      ...(l.alias !== undefined ? { alias: l.alias } : {}),
    }));
    io.out(json ? JSON.stringify(rows) + '\n' : formatLinks(links));
    return EXIT_OK;
  },
};

function lines(io: Io, text: readonly string[], to: 'out' | 'err' = 'out'): void {
  for (const l of text) io[to](terminalSafe(l) + '\n');
}

const netPlan: Command = {
  words: ['net', 'plan'],
  usage: '[FILE] [--json]',
  summary: 'print what `net apply` would change in the network, and why (changes nothing)',
  async run(args: readonly string[], io: Io): Promise<number> {
    interpretOnly();
    const { file, json } = parseConfigArgs('net plan', args);
    const config = loadOrReport(file, io);
    if (config === undefined) return EXIT_BAD_INPUT;
    const plan = await planConfigNetwork(config);
    const infos: ActionInfo[] = plan.actions.map(({ phase, verb, object, detail, why }) => ({ phase, verb, object, why, ...(detail !== undefined ? { detail } : {}) }));
    if (json) {
      io.out(JSON.stringify({ file, changes: infos, warnings: plan.warnings, conflicts: plan.conflicts, dhcp: plan.dhcp }) + '\n');
      return plan.conflicts.length > 0 ? EXIT_FAILURE : EXIT_OK;
    }
    lines(io, formatActions(infos));
    lines(io, formatNotes(plan.warnings, plan.dhcp), 'err');
    if (plan.conflicts.length > 0) {
      lines(io, plan.conflicts.map((c) => `conflict: ${c}`), 'err');
      io.err(`${plan.conflicts.length === 1 ? 'a conflict' : `${plan.conflicts.length} conflicts`}: net apply would change nothing\n`);
      return EXIT_FAILURE;
    }
    io.out(infos.length === 0 ? 'no changes: the kernel matches the config\n' : `${changeCount(infos.length)} to make (stockade net apply ${terminalSafe(file)})\n`);
    return EXIT_OK;
  },
};

const netApply: Command = {
  words: ['net', 'apply'],
  usage: '[FILE] [--json]',
  summary: 'make the network (links, addresses, routes, rules, sysctls) match the config',
  async run(args: readonly string[], io: Io): Promise<number> {
    interpretOnly();
    const { file, json } = parseConfigArgs('net apply', args);
    const config = loadOrReport(file, io);
    if (config === undefined) return EXIT_BAD_INPUT;
    try {
      // STOCKADE_NET_TRACE=1: where the apply's time goes, step by step, on stderr (for profiling).
      const trace = process.env['STOCKADE_NET_TRACE'] ? { trace: (step: string, ms: number) => io.err(`net apply: ${ms.toFixed(1)} ms ${step}\n`) } : {};
      const result = await applyConfigNetwork(config, json ? trace : { ...trace, onAction: (a) => io.out(terminalSafe(actionLine(a)) + '\n') });
      if (json) {
        io.out(JSON.stringify({ file, done: result.done, warnings: result.warnings, dhcp: result.dhcp, dhcpClients: result.dhcpClients ?? [], resolver: result.resolver ?? null, writes: result.writes, ms: Math.round(result.ms * 10) / 10 }) + '\n');
        return EXIT_OK;
      }
      lines(io, formatNotes(result.warnings, result.dhcp), 'err');
      lines(io, [...(result.dhcpClients ?? []), ...(result.resolver !== undefined ? [result.resolver] : [])]);
      io.out(result.done.length === 0 ? 'no changes: the kernel matched the config\n' : `${changeCount(result.done.length)} made\n`);
      return EXIT_OK;
    } catch (e) {
      if (e instanceof NetConflictError) {
        if (json) io.out(JSON.stringify({ file, error: e.message, conflicts: e.conflicts }) + '\n');
        throw new UserError(`net apply: ${e.message}; nothing changed`, EXIT_FAILURE);
      }
      if (e instanceof NetApplyError) {
        if (json) io.out(JSON.stringify({ file, error: e.message, failed: e.failed, undone: e.undone, rollbackProblems: e.rollbackProblems }) + '\n');
        throw new UserError(`net apply: ${e.message}`, EXIT_FAILURE);
      }
      throw e;
    }
  },
};

/** The event from argv and the environment, or a UserError (exit 2) before anything is touched. */
export function dhcpEventFrom(args: readonly string[], env: Readonly<Record<string, string | undefined>>): DhcpEvent {
  try {
    return parseDhcpEvent(args, env);
  } catch (e) {
    if (e instanceof DhcpEventError) throw new UserError(`net dhcp-event: ${e.message}; nothing changed`, EXIT_BAD_INPUT);
    throw e;
  }
}

const netDhcpEvent: Command = {
  words: ['net', 'dhcp-event'],
  usage: 'deconfig|bound|renew|leasefail|nak',
  summary: 'the DHCP client\'s script (busybox udhcpc -s): put the lease on the interface, or take it off',
  async run(args: readonly string[], io: Io, env: Readonly<Record<string, string | undefined>> = process.env): Promise<number> {
    const event = dhcpEventFrom(args, env);
    if (event.kind === 'leasefail' || event.kind === 'nak') {
      // udhcpc follows a NAK with deconfig; a failed attempt leaves the last lease to run out.
      io.out(`${event.interface}: ${event.kind}, nothing to change\n`);
      return EXIT_OK;
    }
    const rtnl = Rtnl.open();
    try {
      const done = event.kind === 'deconfig' ? await clearDhcp(rtnl, event.interface) : await applyLease(rtnl, event.interface, event.lease);
      for (const d of done) io.out(`${terminalSafe(d)}\n`);
      if (event.kind !== 'deconfig') {
        const line = applyLeaseResolver(event.lease, runDir(env));
        if (line !== undefined) io.out(`${terminalSafe(line)}\n`);
      }
      return EXIT_OK;
    } catch (e) {
      if (e instanceof DhcpEventError) throw new UserError(`net dhcp-event: ${e.message}`, EXIT_FAILURE);
      throw new UserError(`net dhcp-event ${event.kind} on ${event.interface}: ${describeKernelError(e)}`, EXIT_FAILURE);
    } finally {
      rtnl.close();
    }
  },
};

export const netCommands: readonly Command[] = [netLinks, netPlan, netApply, netDhcpEvent];
