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
import { runFirewall, runHostname, runModules, runNetwork, runPorts, type FirewallResult } from './steps.ts';
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

export async function runBoot(options: BootOptions, sys: BootSystem, io: Io, version: string): Promise<number> {
  const reports: StepReport[] = [];
  // Steps run one after another and report when done: the time between reports is each one's.
  const startupMs = sys.now();
  let last = startupMs;
  const stepMs: Array<[BootStep, number]> = [];
  const report = (r: StepReport): void => {
    const now = sys.now();
    stepMs.push([r.step, now - last]);
    last = now;
    reports.push(r);
    io.out(formatStep(r));
  };

  // What the steps hand on to the later ones.
  let dataMounted = true; // skipping the mounts step means "already mounted"
  let board: Board | undefined;
  let choice: ConfigChoice = builtInChoice('no config step ran');
  // The sysctls are set by the network apply; its step line is filled in there.
  let sysctlsReport: StepReport = { step: 'sysctls', status: 'skipped', detail: '--skip network: the network apply sets them' };
  let firewall: FirewallResult = {
    report: { step: 'firewall', status: 'skipped', detail: '--skip firewall: the rules were left as they were' },
    state: 'skipped',
    summary: 'not touched (--skip firewall)',
  };

  const steps: Record<BootStep, () => Promise<StepReport> | StepReport> = {
    mounts: async () => {
      const result = await runMounts(sys);
      dataMounted = result.dataMounted;
      return result.report;
    },
    board: () => {
      const result = runBoard(options.boardFile);
      board = result.board;
      return result.report;
    },
    config: () => {
      const result = runConfig(options, dataMounted);
      choice = result.choice;
      return result.report;
    },
    modules: () => runModules(sys, board, choice.config),
    ports: () => runPorts(sys, board),
    network: async () => {
      const network = await runNetwork(sys, choice.config);
      sysctlsReport = network.sysctls;
      return network.report;
    },
    sysctls: () => sysctlsReport,
    hostname: () => runHostname(sys, choice.config),
    firewall: async () => {
      firewall = await runFirewall(sys, choice.config);
      return firewall.report;
    },
  };
  // What a step that throws (a bug) leaves behind, beyond its report.
  const onBug: Partial<Record<BootStep, (err: unknown) => Partial<StepReport>>> = {
    mounts: () => {
      dataMounted = false;
      return {};
    },
    board: () => ({ critical: true }),
    config: () => {
      choice = builtInChoice('the config could not be loaded');
      return {};
    },
    network: () => {
      sysctlsReport = { step: 'sysctls', status: 'failed', detail: 'not set: the network step failed (see its line)' };
      return {};
    },
    firewall: () => {
      firewall = { report: firewall.report, state: 'open', summary: 'NOT APPLIED: the box is not protected' };
      return { critical: true };
    },
  };

  for (const { step, run } of bootPlan(options.skip)) {
    if (!run) {
      report(step === 'firewall' ? firewall.report : { step, status: 'skipped', detail: `--skip ${step}` });
      continue;
    }
    try {
      report(await steps[step]());
    } catch (err) {
      report({ ...internal(step, err), ...(onBug[step]?.(err) ?? {}) });
    }
  }

  // The summary.
  const config = choice.config;
  const ports: PortSummary[] = (board?.ports ?? []).map((p) => {
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
      board: board?.name,
      slot,
      config: configText(choice),
      ports,
      addresses,
      firewall: firewall.summary,
      failures: reports.filter((r) => r.status === 'failed').map((r) => `${r.step}: ${r.detail}`),
      elapsedMs: sys.now(),
      startupMs,
      stepMs,
    }),
  );
  io.out(bootCompleteLine(version, slot));
  return reports.some((r) => r.critical) ? EXIT_FAILURE : EXIT_OK;
}
