// `stockade lvs plan|apply [FILE]`: the config's virtual services against the kernel's IPVS table.
// plan changes nothing; apply writes only what differs (over generic netlink, never ipvsadm), and
// a refused write undoes the ones before it.
import { EXIT_FAILURE, EXIT_BAD_INPUT, EXIT_OK, UserError, type Command, type Io } from './command.ts';
import { loadOrReport, parseConfigArgs as parseNetArgs } from './config-arg.ts';
import { terminalSafe, type Config } from '../config/index.ts';
import { IpvsClient } from '../kernel/ipvs/index.ts';
import { desiredTable, formatAction, LvsApplyError, LvsManager, planLvs, uncheckedServices } from '../lvs/index.ts';

async function openIpvs(words: string): Promise<IpvsClient> {
  try {
    return await IpvsClient.open();
  } catch (e) {
    throw new UserError(`${words}: ${(e as Error).message}`, EXIT_FAILURE);
  }
}

function warn(file: string, config: Config, io: Io): void {
  for (const w of uncheckedServices(config)) io.err(terminalSafe(`${file}: warning: ${w.pointer}: ${w.message}`) + '\n');
}

const lvsPlan: Command = {
  words: ['lvs', 'plan'],
  usage: '[FILE] [--json]',
  summary: 'print the IPVS services and real servers `lvs apply` would add, change or delete, and why (changes nothing)',
  async run(args: readonly string[], io: Io): Promise<number> {
    const { file, json } = parseNetArgs('lvs plan', args);
    const config = loadOrReport(file, io);
    if (!config) return EXIT_BAD_INPUT;
    const ipvs = await openIpvs('lvs plan');
    try {
      const actions = planLvs(desiredTable(config), await ipvs.table(), { exclusive: config.lvs.exclusive });
      if (json) {
        io.out(JSON.stringify({ file, actions: actions.map((a) => ({ op: a.op, line: formatAction(a), pointer: a.pointer ?? null })) }) + '\n');
        return EXIT_OK;
      }
      warn(file, config, io);
      for (const a of actions) io.out(terminalSafe(formatAction(a)) + '\n');
      io.out(actions.length === 0 ? "no changes: the kernel holds the config's LVS table\n" : `${actions.length} change${actions.length === 1 ? '' : 's'} to write (stockade lvs apply ${terminalSafe(file)})\n`);
      return EXIT_OK;
    } finally {
      ipvs.close();
    }
  },
};

const lvsApply: Command = {
  words: ['lvs', 'apply'],
  usage: '[FILE] [--json]',
  summary: "make the kernel's IPVS table hold the config's virtual services: only what differs is written; a refusal undoes the rest",
  async run(args: readonly string[], io: Io): Promise<number> {
    // STOCKADE_LVS_TRACE=1: where the command's time goes, step by step, on stderr (for profiling).
    const trace = process.env['STOCKADE_LVS_TRACE'] ? (step: string, ms: number): void => io.err(`lvs apply: ${ms.toFixed(1)} ms ${step}\n`) : undefined;
    let t0 = performance.now();
    const step = (name: string): void => {
      const t1 = performance.now();
      trace?.(name, t1 - t0);
      t0 = t1;
    };
    trace?.('from the process start to the command', t0);
    const { file, json } = parseNetArgs('lvs apply', args);
    const config = loadOrReport(file, io);
    if (!config) return EXIT_BAD_INPUT;
    step('load and check the config');
    const ipvs = await openIpvs('lvs apply');
    step('open IPVS');
    const log = (): void => undefined;
    try {
      const manager = new LvsManager(ipvs, config, log, trace ? { trace } : {});
      const { actions } = await manager.apply(config);
      step('apply');
      if (json) {
        io.out(JSON.stringify({ file, writes: ipvs.writes, actions: actions.map((a) => ({ op: a.op, line: formatAction(a), pointer: a.pointer ?? null })) }) + '\n');
        step('print');
        return EXIT_OK;
      }
      warn(file, config, io);
      for (const a of actions) io.out(terminalSafe(formatAction(a)) + '\n');
      io.out(ipvs.writes === 0 ? "no changes: the kernel held the config's LVS table\n" : `${ipvs.writes} write${ipvs.writes === 1 ? '' : 's'} to the kernel\n`);
      return EXIT_OK;
    } catch (e) {
      if (e instanceof LvsApplyError) {
        if (json) io.out(JSON.stringify({ file, error: e.message, pointer: e.pointer ?? null, rolledBack: e.rolledBack }) + '\n');
        throw new UserError(`lvs apply: ${terminalSafe(e.message)}${e.pointer !== undefined ? ` (${e.pointer})` : ''}`, EXIT_FAILURE);
      }
      throw e;
    } finally {
      ipvs.close();
    }
  },
};

export const lvsCommands: readonly Command[] = [lvsPlan, lvsApply];
