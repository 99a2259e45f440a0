// `stockade lvs plan|apply [FILE]`: the config's virtual services against the kernel's IPVS table.
// plan changes nothing; apply writes only what differs (over generic netlink, never ipvsadm), and
// a refused write undoes the ones before it. When the daemon runs LVS, apply goes through it, so
// the health checks' state is kept (a server checked down stays out): FILE's lvs section the
// same as the daemon's -> the daemon's own apply (lvs.apply); different -> a config transaction
// of the running config with FILE's lvs section (confirm or it reverts). Without such a daemon
// the command writes the table itself, every enabled server as up, and warns so.
import { EXIT_FAILURE, EXIT_BAD_INPUT, EXIT_OK, UserError, type Command, type Io } from './command.ts';
import { loadOrReport, parseConfigArgs as parseNetArgs } from './config-arg.ts';
import { withoutTurbofan } from './v8-flags.ts';
import { terminalSafe, type Config } from '../config/index.ts';
import { IpvsClient, type IpvsKernel } from '../kernel/ipvs/index.ts';
import { controlRequest, controlSocketPath } from '../control/index.ts';
import { desiredTable, formatAction, LvsApplyError, LvsManager, planLvs, uncheckedServices } from '../lvs/index.ts';

/** What the commands need of IPVS: IpvsClient on the box, a fake in unit tests (lvsCommandsWith). */
export type IpvsHandle = IpvsKernel & { readonly writes: number; close(): void };
/** `loadModule: false` (plan, which changes nothing): undefined when IPVS is not loaded. */
export type IpvsOpener = (opts: { loadModule: boolean }) => Promise<IpvsHandle | undefined>;

const openKernel: IpvsOpener = (opts) => (opts.loadModule ? IpvsClient.open() : IpvsClient.openLoaded());

async function openIpvs(words: string, open: IpvsOpener, loadModule: boolean): Promise<IpvsHandle | undefined> {
  try {
    return await open({ loadModule });
  } catch (e) {
    throw new UserError(`${words}: ${(e as Error).message}`, EXIT_FAILURE);
  }
}

/** When plan found no IPVS: the table it compared with is empty, and why. */
const NOT_LOADED = 'IPVS is not loaded (module ip_vs): the kernel holds no virtual services; lvs apply loads it';

function warn(file: string, config: Config, io: Io): void {
  for (const w of uncheckedServices(config)) io.err(terminalSafe(`${file}: warning: ${w.pointer}: ${w.message}`) + '\n');
}

/** The daemon's running config when the daemon runs LVS (virtual services or IPVS sync), else undefined. */
async function daemonWithLvs(): Promise<Config | undefined> {
  let answer: { config: Config };
  try {
    // A daemon busy with checks and applies on a loaded box can take seconds to answer (5 s ran out).
    answer = (await controlRequest(controlSocketPath(undefined), 'config.running', undefined, 60_000)) as { config: Config };
  } catch (e) {
    if (/the daemon is not running/.test((e as Error).message)) return undefined;
    throw new UserError(`lvs apply: ${(e as Error).message}`, EXIT_FAILURE);
  }
  const lvs = answer.config.lvs;
  return lvs.virtual_services.length > 0 || lvs.sync !== undefined ? answer.config : undefined;
}

interface ActionLine { op: string; line: string; pointer: string | null }

/** `lvs apply` through the running daemon (see the top of the file). */
async function applyThroughDaemon(file: string, config: Config, running: Config, json: boolean, io: Io): Promise<number> {
  const socket = controlSocketPath(undefined);
  // A thousand services take a while under emulation: the daemon answers when its apply is done.
  const timeoutMs = 600_000;
  if (JSON.stringify(running.lvs) === JSON.stringify(config.lvs)) {
    let r: { writes: number; actions: ActionLine[] };
    try {
      r = (await controlRequest(socket, 'lvs.apply', undefined, timeoutMs)) as typeof r;
    } catch (e) {
      throw new UserError(`lvs apply: ${terminalSafe((e as Error).message)}`, EXIT_FAILURE);
    }
    if (json) {
      io.out(JSON.stringify({ file, via: 'daemon', writes: r.writes, actions: r.actions }) + '\n');
      return EXIT_OK;
    }
    for (const a of r.actions) io.out(terminalSafe(a.line) + '\n');
    io.out(r.writes === 0 ? "no changes: the kernel held the config's LVS table (applied by the daemon, its health checks kept)\n"
      : `${r.writes} write${r.writes === 1 ? '' : 's'} to the kernel (by the daemon, its health checks kept)\n`);
    return EXIT_OK;
  }
  // Another lvs section: the running config with this one, as a transaction (only /lvs differs).
  const text = JSON.stringify({ ...running, lvs: config.lvs });
  let r: { changed: boolean; applied?: string[]; pending?: { windowS: number; leftS: number }; revision?: number };
  try {
    r = (await controlRequest(socket, 'config.apply', { text, source: `lvs apply ${file.slice(0, 150)}` }, timeoutMs)) as typeof r;
  } catch (e) {
    throw new UserError(`lvs apply: the daemon refused the change: ${terminalSafe((e as Error).message)}`, EXIT_FAILURE);
  }
  if (json) {
    io.out(JSON.stringify({ file, via: 'transaction', changed: r.changed, applied: r.applied ?? [], pending: r.pending ?? null, revision: r.revision ?? null }) + '\n');
    return EXIT_OK;
  }
  io.out(`${terminalSafe(file)}: its lvs section applied by the daemon as a config transaction (the rest of the running config kept)\n`);
  if (r.pending) io.out(`Confirm with \`stockade config confirm\` within ${r.pending.leftS} s, or it reverts (\`stockade config abort\` reverts now).\n`);
  else if (r.revision !== undefined) io.out(`Saved as revision ${r.revision}.\n`);
  return EXIT_OK;
}

/** The lvs commands over `open`'s IPVS (the kernel's by default). */
export function lvsCommandsWith(open: IpvsOpener): readonly Command[] {
  return [lvsPlan(open), lvsApply(open)];
}

const lvsPlan = (open: IpvsOpener): Command => ({
  words: ['lvs', 'plan'],
  usage: '[FILE] [--json]',
  summary: 'print the IPVS services and real servers `lvs apply` would add, change or delete, and why (changes nothing)',
  async run(args: readonly string[], io: Io): Promise<number> {
    withoutTurbofan();
    const { file, json } = parseNetArgs('lvs plan', args);
    const config = loadOrReport(file, io);
    if (!config) return EXIT_BAD_INPUT;
    // Not loading ip_vs for a look: a plan changes nothing, the kernel's modules included.
    const ipvs = await openIpvs('lvs plan', open, false);
    try {
      const actions = planLvs(desiredTable(config), ipvs === undefined ? [] : await ipvs.table(), { exclusive: config.lvs.exclusive });
      if (json) {
        io.out(JSON.stringify({ file, ipvsLoaded: ipvs !== undefined, actions: actions.map((a) => ({ op: a.op, line: formatAction(a), pointer: a.pointer ?? null })) }) + '\n');
        return EXIT_OK;
      }
      warn(file, config, io);
      if (ipvs === undefined) io.out(`${NOT_LOADED}\n`);
      for (const a of actions) io.out(terminalSafe(formatAction(a)) + '\n');
      io.out(actions.length === 0 ? "no changes: the kernel holds the config's LVS table\n" : `${actions.length} change${actions.length === 1 ? '' : 's'} to write (stockade lvs apply ${terminalSafe(file)})\n`);
      return EXIT_OK;
    } finally {
      ipvs?.close();
    }
  },
});

const lvsApply = (open: IpvsOpener): Command => ({
  words: ['lvs', 'apply'],
  usage: '[FILE] [--json]',
  summary: "make the kernel's IPVS table hold the config's virtual services: only what differs is written; a refusal undoes the rest",
  async run(args: readonly string[], io: Io): Promise<number> {
    withoutTurbofan();
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
    const running = await daemonWithLvs();
    if (running !== undefined) return applyThroughDaemon(file, config, running, json, io);
    const ipvs = await openIpvs('lvs apply', open, true);
    if (ipvs === undefined) throw new Error('lvs apply: IPVS opened without loading ip_vs'); // the opener's contract: loads or throws
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
});

export const lvsCommands: readonly Command[] = lvsCommandsWith(openKernel);
