// `stockade firewall plan|apply|lint [FILE]`: the config's firewall against the kernel's.
// plan changes nothing; apply restores only the chains that differ, one table per
// iptables-restore (atomic); lint prints what can never match or locks the operator out.
import { EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK, UserError, type Command, type Io } from './command.ts';
import { loadOrReport, parseConfigArgs } from './config-arg.ts';
import { wrapWords } from '../common/index.ts';
import { readConfigBytes, terminalSafe, type Config } from '../config/index.ts';
import { versionLine } from './build-info.ts';
import {
  appliedStatePath, applyRuleset, compileRuleset, configKey, forgetAppliedState, readAppliedState, readKeptRules, savedAfter, writeAppliedState, writeKeptRules, driftViews, FirewallApplyError, FirewallConfigError, formatDrift, hasWork, lintFirewall, planAgainstKernel, systemFirewallKernel,
  type FirewallKernel, type Ruleset,
} from '../firewall/index.ts';
import type { IpFamily } from '../kernel/index.ts';

function compiled(config: Config, words: string): Ruleset {
  try {
    return compileRuleset(config, { scope: 'full' });
  } catch (e) {
    if (e instanceof FirewallConfigError) throw new UserError(`${words}: ${e.message}; nothing applied`, EXIT_BAD_INPUT);
    throw e;
  }
}

// Not interpreter-only like net apply (src/cli/v8-flags.ts): a ruleset runs to thousands of
// rules, and loading, compiling and comparing them is hot code the optimizing tiers pay for.
function load(words: string, args: readonly string[], io: Io): { file: string; json: boolean; config: Config } | undefined {
  const { file, json } = parseConfigArgs(words, args);
  const config = loadOrReport(file, io);
  return config === undefined ? undefined : { file, json, config };
}

const firewallPlan: Command = {
  words: ['firewall', 'plan'],
  usage: '[FILE] [--json]',
  summary: 'print the rules `firewall apply` would add and remove, per chain, with their config pointers (changes nothing)',
  async run(args: readonly string[], io: Io): Promise<number> {
    const loaded = load('firewall plan', args, io);
    if (!loaded) return EXIT_BAD_INPUT;
    const plans = (await planAgainstKernel(compiled(loaded.config, 'firewall plan'), systemFirewallKernel())).filter(hasWork);
    const changes = driftViews(plans);
    if (loaded.json) {
      io.out(JSON.stringify({ file: loaded.file, tables: plans.map((p) => `${p.family} ${p.table}`), changes }) + '\n');
      return EXIT_OK;
    }
    for (const l of formatDrift(changes)) io.out(terminalSafe(l) + '\n');
    io.out(plans.length === 0
      ? 'no changes: the kernel holds the config\'s firewall\n'
      : wrapWords(`${changes.length} chain${changes.length === 1 ? '' : 's'} to write in ${plans.map((p) => `${p.family} ${p.table}`).join(', ')} (stockade firewall apply ${terminalSafe(loaded.file)})`).join('\n') + '\n');
    return EXIT_OK;
  },
};

const firewallApply: Command = {
  words: ['firewall', 'apply'],
  usage: '[FILE] [--json]',
  summary: 'make the kernel hold the config\'s firewall: only the chains that differ, one atomic restore per table',
  async run(args: readonly string[], io: Io): Promise<number> {
    const { file, json } = parseConfigArgs('firewall apply', args);
    const kernel = systemFirewallKernel();
    const statePath = appliedStatePath();
    // No-change fast path: the same file bytes as the last apply and a kernel nobody has changed
    // since (same nf_tables generation): nothing to load, compare or write.
    const bytes = readConfigBytes(file);
    const key = bytes.ok ? configKey(bytes.bytes, versionLine()) : undefined;
    const before = await kernel.generation?.();
    const last = readAppliedState(statePath);
    if (key !== undefined && before !== undefined && last !== undefined && last.key === key && last.namespace === before.namespace && last.generation === before.id) {
      if (json) io.out(JSON.stringify({ file, tables: last.tables.map((t) => ({ ...t, status: 'unchanged', chains: 0 })), skipped: 'unchanged since the last apply of this file' }) + '\n');
      else io.out('no changes: the kernel held the config\'s firewall\n');
      return EXIT_OK;
    }
    const loaded = load('firewall apply', args, io);
    if (!loaded) return EXIT_BAD_INPUT;
    const ruleset = compiled(loaded.config, 'firewall apply');
    // Nobody changed the rules since our last apply: what it left stands in for iptables-save.
    const unchanged = before !== undefined && last !== undefined && last.namespace === before.namespace && last.generation === before.id;
    const kept = unchanged ? readKeptRules(statePath) : undefined;
    const families = [...new Set(ruleset.tables.map((t) => t.family))];
    const compareWith: FirewallKernel = kept !== undefined && families.every((f) => kept[f] !== undefined)
      ? { ...kernel, save: async (f) => kept[f]! }
      : kernel;
    try {
      const result = await applyRuleset(ruleset, compareWith);
      const restored = result.tables.filter((t) => t.status === 'restored');
      // Each restore is one nf_tables transaction: any other step in the generation means someone
      // else changed the rules meanwhile, and the next apply must look for itself.
      const after = await kernel.generation?.();
      if (key !== undefined && before !== undefined && after !== undefined && after.namespace === before.namespace && after.id === before.id + restored.length) {
        const texts: Partial<Record<IpFamily, string>> = {};
        for (const [family, saved] of result.before) texts[family] = savedAfter(saved, result.plans.filter((p) => p.family === family));
        writeKeptRules(texts, statePath);
        writeAppliedState({ key, namespace: after.namespace, generation: after.id, tables: result.tables.map((t) => ({ family: t.family, table: t.table })) }, statePath);
      } else {
        forgetAppliedState(statePath);
      }
      if (loaded.json) {
        io.out(JSON.stringify({ file: loaded.file, tables: result.tables }) + '\n');
        return EXIT_OK;
      }
      for (const t of restored) io.out(`${t.family} ${t.table}: restored (${t.chains} chain${t.chains === 1 ? '' : 's'})\n`);
      io.out(restored.length === 0 ? 'no changes: the kernel held the config\'s firewall\n' : `${restored.length} table${restored.length === 1 ? '' : 's'} restored\n`);
      return EXIT_OK;
    } catch (e) {
      forgetAppliedState(statePath);
      if (e instanceof FirewallApplyError) {
        if (loaded.json) io.out(JSON.stringify({ file: loaded.file, error: e.message, pointer: e.pointer ?? null, applied: e.applied }) + '\n');
        const before = e.applied.length > 0 ? ` (restored before it: ${e.applied.map((t) => `${t.family} ${t.table}`).join(', ')})` : '';
        throw new UserError(`firewall apply: ${terminalSafe(e.message)}${before}`, EXIT_FAILURE);
      }
      throw e;
    }
  },
};

const firewallLint: Command = {
  words: ['firewall', 'lint'],
  usage: '[FILE] [--json]',
  summary: 'warn about rules that never match, NAT to addresses the box does not hold, and management lock-outs',
  run(args: readonly string[], io: Io): number {
    const loaded = load('firewall lint', args, io);
    if (!loaded) return EXIT_BAD_INPUT;
    const warnings = lintFirewall(loaded.config);
    if (loaded.json) {
      io.out(JSON.stringify({ file: loaded.file, warnings }) + '\n');
      return EXIT_OK;
    }
    for (const w of warnings) io.out(terminalSafe(`${loaded.file}: warning: ${w.pointer}: ${w.message}`) + '\n');
    io.out(warnings.length === 0 ? 'no warnings\n' : `${warnings.length} warning${warnings.length === 1 ? '' : 's'}\n`);
    return EXIT_OK;
  },
};

export const firewallCommands: readonly Command[] = [firewallPlan, firewallApply, firewallLint];

