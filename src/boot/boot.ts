// `stockade boot`: the sequence init runs once at startup, in the order of src/boot/plan.ts.
// Every step prints its line as it finishes; a step that fails, even by a bug, is reported and
// boot goes on, so the firewall step is always reached and the box always ends fail-closed.
// Exit status: 0, or 1 when the board file is unusable or the base firewall could not be
// loaded (init carries on either way).
import { EXIT_FAILURE, EXIT_OK, type Io } from '../common/index.ts';
import { builtInConfig, type Board, type ConfigChoice } from '../config/index.ts';
import { slotFromCmdline } from './cmdline.ts';
import { runMounts } from './mounts.ts';
import type { BootOptions } from './options.ts';
import { bootPlan, type BootStep } from './plan.ts';
import { formatStep, type StepReport } from './report.ts';
import { runBoard, runConfig } from './sources.ts';
import { runFirewall, runHostname, runModules, runNetwork, runPorts, runSsh, type FirewallResult } from './steps.ts';
import { bootCompleteLine, formatSummary, type PortSummary } from './summary.ts';
import type { BootSystem } from './system.ts';

function internal(step: BootStep, err: unknown): StepReport {
  return { step, status: 'failed', detail: `internal error: ${err instanceof Error ? err.message : String(err)}` };
}

function configText(choice: ConfigChoice): string {
  if (choice.source === 'saved') return choice.file!;
  if (choice.source === 'default') return `board default ${choice.file} (${choice.why})`;
  return `built-in minimal config (${choice.why})`;
}

/** Every default, no management interface: what boot uses when no config file can be. */
function builtInChoice(why: string): ConfigChoice {
  return { config: builtInConfig(), source: 'built-in', why };
}

/** What the steps hand on to the later ones and to the summary. */
interface BootState {
  dataMounted: boolean;
  board: Board | undefined;
  choice: ConfigChoice;
  /** The sysctls are set by the network apply; its step line is filled in there. */
  sysctlsReport: StepReport;
  firewall: FirewallResult;
}

/** Step lines as they finish: the time between reports is each step's. */
interface Reporter {
  readonly reports: StepReport[];
  readonly stepMs: Array<[BootStep, number]>;
  readonly startupMs: number;
  report(r: StepReport): void;
}

export async function runBoot(options: BootOptions, sys: BootSystem, io: Io, version: string): Promise<number> {
  const reporter = stepReporter(sys, io);
  const state: BootState = {
    dataMounted: true, // skipping the mounts step means "already mounted"
    board: undefined,
    choice: builtInChoice('no config step ran'),
    sysctlsReport: { step: 'sysctls', status: 'skipped', detail: '--skip network: the network apply sets them' },
    firewall: {
      report: { step: 'firewall', status: 'skipped', detail: '--skip firewall: the rules were left as they were' },
      state: 'skipped',
      summary: 'not touched (--skip firewall)',
    },
  };
  await runSteps(options, bootSteps(options, sys, state), bugEffects(state), state, reporter);
  await printSummary(options, sys, io, state, reporter, version);
  return reporter.reports.some((r) => r.critical) ? EXIT_FAILURE : EXIT_OK;
}

function stepReporter(sys: BootSystem, io: Io): Reporter {
  const startupMs = sys.now();
  let last = startupMs;
  const reports: StepReport[] = [];
  const stepMs: Array<[BootStep, number]> = [];
  return {
    reports, stepMs, startupMs,
    report(r) {
      const now = sys.now();
      stepMs.push([r.step, now - last]);
      last = now;
      reports.push(r);
      io.out(formatStep(r));
    },
  };
}

type Steps = Record<BootStep, () => Promise<StepReport> | StepReport>;
type BugEffects = Partial<Record<BootStep, (err: unknown) => Partial<StepReport>>>;

/** Each step, and what it hands on in `state`. */
function bootSteps(options: BootOptions, sys: BootSystem, state: BootState): Steps {
  return {
    mounts: async () => {
      const result = await runMounts(sys);
      state.dataMounted = result.dataMounted;
      return result.report;
    },
    board: () => {
      const result = runBoard(options.boardFile);
      state.board = result.board;
      return result.report;
    },
    config: () => {
      const result = runConfig(options, state.dataMounted);
      state.choice = result.choice;
      return result.report;
    },
    modules: () => runModules(sys, state.board, state.choice.config),
    ports: () => runPorts(sys, state.board, state.choice.config),
    network: async () => {
      const network = await runNetwork(sys, state.choice.config);
      state.sysctlsReport = network.sysctls;
      return network.report;
    },
    sysctls: () => state.sysctlsReport,
    hostname: () => runHostname(sys, state.choice.config),
    firewall: async () => {
      state.firewall = await runFirewall(sys, state.choice.config);
      return state.firewall.report;
    },
    ssh: () => runSsh(sys, state.choice.config, state.dataMounted),
  };
}

/** What a step that throws (a bug) leaves behind, beyond its report. */
function bugEffects(state: BootState): BugEffects {
  return {
    mounts: () => {
      state.dataMounted = false;
      return {};
    },
    board: () => ({ critical: true }),
    config: () => {
      state.choice = builtInChoice('the config could not be loaded');
      return {};
    },
    network: () => {
      state.sysctlsReport = { step: 'sysctls', status: 'failed', detail: 'not set: the network step failed (see its line)' };
      return {};
    },
    firewall: () => {
      state.firewall = { report: state.firewall.report, state: 'open', summary: 'NOT APPLIED: the box is not protected' };
      return { critical: true };
    },
  };
}

/** The plan's steps in order, each reported; a skipped one says so, a throwing one is a bug's report. */
async function runSteps(options: BootOptions, steps: Steps, onBug: BugEffects, state: BootState, reporter: Reporter): Promise<void> {
  for (const { step, run } of bootPlan(options.skip)) {
    if (!run) {
      reporter.report(step === 'firewall' ? state.firewall.report : { step, status: 'skipped', detail: `--skip ${step}` });
      continue;
    }
    try {
      reporter.report(await steps[step]());
    } catch (err) {
      reporter.report({ ...internal(step, err), ...(onBug[step]?.(err) ?? {}) });
    }
  }
}

/** The console summary: ports, addresses, slot, config, firewall, failures, then the boot-complete line. */
async function printSummary(options: BootOptions, sys: BootSystem, io: Io, state: BootState, reporter: Reporter, version: string): Promise<void> {
  const config = state.choice.config;
  const ports: PortSummary[] = (state.board?.ports ?? []).map((p) => {
    try {
      const status = sys.linkStatus(p.label);
      return { label: p.label, state: status.state, ...(status.mac ? { mac: status.mac } : {}) };
    } catch {
      return { label: p.label, state: 'unknown' };
    }
  });
  let addresses: Array<{ ifname: string; cidrs: string[] }> = [];
  try {
    addresses = await sys.addresses();
  } catch {
    // The summary is informative only; the network step's own report says what went wrong.
  }
  const slot = slotFromCmdline(sys.readText(options.cmdlineFile));
  io.out(
    formatSummary({
      hostname: config.system.hostname,
      board: state.board?.name,
      slot,
      config: configText(state.choice),
      ports,
      addresses,
      firewall: state.firewall.summary,
      failures: reporter.reports.filter((r) => r.status === 'failed').map((r) => `${r.step}: ${r.detail}`),
      elapsedMs: sys.now(),
      startupMs: reporter.startupMs,
      stepMs: reporter.stepMs,
    }),
  );
  io.out(bootCompleteLine(version, slot));
}
