// The firewall's face: config -> rule model -> iptables-restore input, the comparison with what
// the kernel holds, and the apply that restores only what differs.
export { BASE_FIREWALL_MODULES, baseRuleset, describeBaseFirewall, lockdownTable, type RulesetTable } from './base.ts';
export { CHUNK_SIZE, compileRuleset, FirewallConfigError, type CompileOptions, type CompileScope } from './compile.ts';
export { fullTableText, partialTableText, type RestoreInput } from './render.ts';
export { BUILTIN_CHAINS, OWN_CHAIN_PREFIX, isBuiltin, isOwnChain, type FwChain, type FwRule, type FwTable, type Ruleset } from './model.ts';
export { preloadChains, type PreloadError } from './preload.ts';
export { applyRuleset, FirewallApplyError, planAgainstKernel, readKernel, type ApplyResult, type FirewallKernel, type TableOutcome } from './apply.ts';
export { hasWork, planRuleset, planTable, type ChainChange, type TablePlan } from './diff.ts';
export { parseSave, normalSpec, savedAfter, type SavedTables } from './saved.ts';
export { systemFirewallKernel } from './kernel-io.ts';
export { driftViews, formatDrift, formatTables, pointerOf, tableViews, type DriftView, type TableView } from './view.ts';
export { startFirewallManager, type FirewallManager, type FirewallStatusView } from './manager.ts';
export { lintFirewall, type LintWarning } from './lint.ts';
export { appliedStatePath, configKey, forgetAppliedState, readAppliedState, readKeptRules, writeAppliedState, writeKeptRules, type AppliedState } from './applied-state.ts';
