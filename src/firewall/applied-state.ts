// What the last successful `firewall apply` left in the kernel, kept in <run>/stockade/
// (STOCKADE_RUN_DIR in tests, /run on the box: gone at reboot, as the rules are): the sha256 of
// the config file's bytes (with the stockade build that compiled them) and the nf_tables
// generation id right after the apply. When both are unchanged, nobody has changed the rules
// since (iptables-nft bumps the generation on every change), so the next apply of the same file
// has nothing to do and skips loading the config and iptables-save.
import { nodeCrypto } from '../common/index.ts';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runDir, writeFileAtomically } from '../kernel/index.ts';
import type { TableOutcome } from './apply.ts';
import type { IpFamily } from './model.ts';

export interface AppliedState {
  /** sha256 of the config bytes and the build line. */
  readonly key: string;
  /** The network namespace the generation id belongs to. */
  readonly namespace: string;
  readonly generation: number;
  /** The tables the apply covered, reported as unchanged by a skipped apply. */
  readonly tables: readonly { family: TableOutcome['family']; table: TableOutcome['table'] }[];
}

export function appliedStatePath(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return join(runDir(env), 'stockade', 'firewall-applied.json');
}

export function configKey(bytes: Uint8Array, build: string): string {
  return nodeCrypto().createHash('sha256').update(bytes).update('\n').update(build).digest('hex');
}

export function readAppliedState(path = appliedStatePath()): AppliedState | undefined {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as Partial<AppliedState>;
    if (typeof v.key !== 'string' || typeof v.generation !== 'number' || typeof v.namespace !== 'string' || !Array.isArray(v.tables)) return undefined;
    return v as AppliedState;
  } catch {
    // Missing or unreadable: the full apply runs, which is always correct.
    return undefined;
  }
}

export function writeAppliedState(state: AppliedState, path = appliedStatePath()): void {
  writeFileAtomically(path, JSON.stringify(state));
}

export function forgetAppliedState(path = appliedStatePath()): void {
  rmSync(path, { force: true });
  rmSync(keptRulesPath(path), { force: true });
}

/**
 * Beside the record: what the apply left in the kernel, per family, as iptables-save text. While
 * the generation is unchanged it stands in for iptables-save when a changed config is applied.
 */
function keptRulesPath(statePath: string): string {
  return statePath.replace(/\.json$/, '') + '-rules.json';
}

export function writeKeptRules(texts: Partial<Record<IpFamily, string>>, statePath = appliedStatePath()): void {
  writeFileAtomically(keptRulesPath(statePath), JSON.stringify(texts));
}

export function readKeptRules(statePath = appliedStatePath()): Partial<Record<IpFamily, string>> | undefined {
  try {
    const v = JSON.parse(readFileSync(keptRulesPath(statePath), 'utf8')) as Record<string, unknown>;
    return Object.values(v).every((t) => typeof t === 'string') ? v as Partial<Record<IpFamily, string>> : undefined;
  } catch {
    return undefined;
  }
}
