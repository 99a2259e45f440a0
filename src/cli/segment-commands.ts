// `stockade segment ...`: runtime operations on the segments (issue 17). Each one is sent to the
// daemon, which makes the edit on the config it runs (src/segments/operations.ts says what
// cannot be done, naming it), checks the whole result as `config validate` does and applies it
// as a config transaction: the daemon applies only what the edit changes (one chain, one address, one DHCP
// server) and the commit-confirm window applies as to any other change.
import { EXIT_BAD_INPUT, EXIT_OK, UserError, type Command, type Io } from './command.ts';
import type { SegmentRule } from '../config/index.ts';
import { controlRequest, controlSocketPath } from '../control/index.ts';
import type { SegmentOp } from '../segments/index.ts';
import { reportApply, type ApplyAnswer } from './config-tx-commands.ts';
import { parseFlags, type Flags } from './options.ts';

type Parsed = Flags;

const COMMON = ['--socket', '--who'];

async function run(p: Parsed, op: SegmentOp, what: string, io: Io): Promise<number> {
  const socket = controlSocketPath(p.flags.get('--socket'));
  const who = p.flags.get('--who') ?? `segment (uid ${process.getuid?.() ?? '?'})`;
  // The daemon makes the edit on the config it runs and checks the result whole (one check, no
  // whole config across the socket twice): see segments.op in src/daemon/segments.ts.
  const answer = (await controlRequest(socket, 'segments.op', { op, who, what }, 120_000).catch((e: Error) => {
    throw new UserError(e.message);
  })) as ApplyAnswer & { refused?: string };
  if (answer.refused !== undefined) {
    io.err(`${answer.refused}\n`);
    throw new UserError(`${what}: not applied`, EXIT_BAD_INPUT);
  }
  reportApply(answer, answer.changed ? `${what}:` : `${what}: already so, nothing to do`, io);
  return EXIT_OK;
}

function need(p: Parsed, n: number, usage: string): string[] {
  if (p.positional.length !== n) throw new UserError(`usage: stockade ${usage}`, EXIT_BAD_INPUT);
  return p.positional;
}

function command(words: string[], usage: string, summary: string, valued: string[], make: (p: Parsed) => SegmentOp): Command {
  const cmd: Command = {
    words,
    usage: `${usage} [--who NAME] [--socket PATH]`,
    summary,
    async run(args, io) {
      const p = parseFlags(cmd, args, [...valued, ...COMMON]);
      const op = make(p);
      return run(p, op, `stockade ${words.join(' ')} ${p.positional.join(' ')}`.trim(), io);
    },
  };
  return cmd;
}

function int(text: string | undefined, what: string): number {
  if (text === undefined || !/^\d{1,5}$/.test(text)) throw new UserError(`${what}: a whole number, not ${JSON.stringify(text ?? '')}`, EXIT_BAD_INPUT);
  return Number(text);
}

export const segmentCommands: readonly Command[] = [
  command(['segment', 'group', 'add'], 'SEGMENT GROUP --id N [--interface IF]', 'add a security group to a managed segment (--interface: its VLAN or bridge; managed_novlan: the segment\'s)', ['--id', '--interface'], (p) => {
    const [segment, name] = need(p, 2, 'segment group add SEGMENT GROUP --id N [--interface IF]');
    const iface = p.flags.get('--interface');
    return { op: 'group-add', segment: segment!, group: { name: name!, id: int(p.flags.get('--id'), '--id'), ...(iface !== undefined ? { interface: iface } : {}) } };
  }),
  command(['segment', 'group', 'del'], 'SEGMENT GROUP', 'remove a group (refused while a rule names it or its hosts hold public addresses)', [], (p) => {
    const [segment, group] = need(p, 2, 'segment group del SEGMENT GROUP');
    return { op: 'group-del', segment: segment!, group: group! };
  }),
  command(['segment', 'host', 'add'], 'SEGMENT MAC IP [--group GROUP] [--name NAME]', 'add a fixed MAC -> IP host (to a group of a managed segment, or a static segment)', ['--group', '--name'], (p) => {
    const [segment, mac, ip] = need(p, 3, 'segment host add SEGMENT MAC IP [--group GROUP] [--name NAME]');
    const group = p.flags.get('--group');
    const name = p.flags.get('--name');
    return { op: 'host-add', segment: segment!, ...(group !== undefined ? { group } : {}), host: { mac: mac!, ip: ip!, ...(name !== undefined ? { name } : {}) } };
  }),
  command(['segment', 'host', 'del'], 'SEGMENT MAC', 'remove a host (refused while it holds a public address)', [], (p) => {
    const [segment, mac] = need(p, 2, 'segment host del SEGMENT MAC');
    return { op: 'host-del', segment: segment!, mac: mac! };
  }),
  command(['segment', 'rule', 'add'], 'SEGMENT GROUP (--source CIDR | --from GROUP) [--protocol tcp|udp|icmp] [--ports P[-Q]]', "open a group to a source network or another group", ['--source', '--from', '--protocol', '--ports'], (p) => {
    const [segment, group] = need(p, 2, 'segment rule add SEGMENT GROUP (--source CIDR | --from GROUP) [--protocol P] [--ports P[-Q]]');
    const rule: Partial<SegmentRule> = {};
    const source = p.flags.get('--source');
    const from = p.flags.get('--from');
    const protocol = p.flags.get('--protocol');
    const ports = p.flags.get('--ports');
    if (source !== undefined) rule.source = source;
    if (from !== undefined) rule.group = from;
    if (protocol !== undefined) rule.protocol = protocol as SegmentRule['protocol'];
    if (ports !== undefined) rule.ports = /^\d+$/.test(ports) ? Number(ports) : ports;
    return { op: 'rule-add', segment: segment!, group: group!, rule };
  }),
  command(['segment', 'rule', 'del'], 'SEGMENT GROUP INDEX', "remove a group's rule (numbered from 0, as `ctl segments --json` lists them)", [], (p) => {
    const [segment, group, index] = need(p, 3, 'segment rule del SEGMENT GROUP INDEX');
    return { op: 'rule-del', segment: segment!, group: group!, index: int(index, 'INDEX') };
  }),
  command(['segment', 'ip', 'assign'], 'SEGMENT PUBLIC HOST', 'map a public address from the pool 1:1 onto a host', [], (p) => {
    const [segment, address, host] = need(p, 3, 'segment ip assign SEGMENT PUBLIC HOST');
    return { op: 'ip-assign', segment: segment!, address: address!, host: host! };
  }),
  command(['segment', 'ip', 'unassign'], 'SEGMENT PUBLIC', 'remove a public address mapping', [], (p) => {
    const [segment, address] = need(p, 2, 'segment ip unassign SEGMENT PUBLIC');
    return { op: 'ip-unassign', segment: segment!, address: address! };
  }),
];
