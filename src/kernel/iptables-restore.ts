// Loading firewall rules: iptables-restore (ip6tables-restore for IPv6) with the generated text
// on stdin, one table per run, so each table is replaced atomically (the kernel gets the whole
// table in one transaction or nothing). A failure is reported with the line of the input it
// names and iptables' own words.
import { runTool, toolMessage, type ToolResult } from './tools.ts';

export const IPTABLES_TABLES = ['filter', 'nat', 'mangle', 'raw'] as const;
export type IptablesTable = (typeof IPTABLES_TABLES)[number];
export type IpFamily = 'ipv4' | 'ipv6';

const RESTORE_TOOL: Record<IpFamily, string> = { ipv4: 'iptables-restore', ipv6: 'ip6tables-restore' };

export type RestoreOutcome =
  | { readonly ok: true }
  | {
      readonly ok: false;
      /** One line: "line 6 (-A INPUT ...): Bad ctstate "BOGUS"" or the tool's message. */
      readonly reason: string;
      /** 1-based line of the input the tool named, if it named one. */
      readonly line?: number;
    };

const NOISE = [/^Error occurred at line: \d+$/, /^Try `ip6?tables-restore -h'/];

/**
 * The error in iptables-restore's output, e.g.
 *   iptables-restore v1.8.9 (nf_tables): Bad ctstate "BOGUS" / Error occurred at line: 6
 *   iptables-restore: line 2 failed: No chain/target/match by that name.
 *   iptables-restore: COMMIT expected at line 3
 */
export function parseRestoreError(output: string, input: string): { reason: string; line?: number } {
  const lines = output.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const numbered = /\bline:? (\d+)\b/.exec(output);
  const line = numbered ? Number(numbered[1]) : undefined;
  const messageLine = lines.find((l) => !NOISE.some((re) => re.test(l))) ?? lines[0] ?? 'failed with no message';
  let message = messageLine.replace(/^ip6?tables-restore( v[0-9.]+)?( \([^)]*\))?: /, '');
  if (line !== undefined) message = message.replace(new RegExp(`^line ${line} failed: `), '');
  if (line === undefined) return { reason: message };
  const text = input.split('\n')[line - 1]?.trim();
  return { reason: `line ${line}${text ? ` (${text})` : ''}: ${message}`, line };
}

function outcome(tool: string, result: ToolResult, input: string): RestoreOutcome {
  if (result.code === 0) return { ok: true };
  if (result.startError) return { ok: false, reason: `cannot run ${tool} (${result.startError})` };
  if (result.timedOut) return { ok: false, reason: `${tool} did not finish in time` };
  return { ok: false, ...parseRestoreError(`${result.stderr}\n${result.stdout}`, input) };
}

export interface RestoreOptions {
  /**
   * Keep what the input does not name (iptables-restore --noflush): only the chains it declares
   * are emptied and refilled, all in one transaction. Waits for the xtables lock (--wait).
   */
  readonly noflush?: boolean;
}

/** Replaces one table with `input`, which must hold exactly that table (`*table` ... `COMMIT`). */
export async function restoreTable(family: IpFamily, table: IptablesTable, input: string, opts: RestoreOptions = {}): Promise<RestoreOutcome> {
  const tables = input.split('\n').filter((l) => l.startsWith('*'));
  if (tables.length !== 1 || tables[0] !== `*${table}`) {
    return { ok: false, reason: `internal: input for table ${table} holds ${tables.join(', ') || 'no table'}` };
  }
  const tool = RESTORE_TOOL[family];
  return outcome(tool, await runTool(tool, opts.noflush ? ['--wait', '--noflush'] : [], { input, timeoutMs: 60_000 }), input);
}

const SAVE_TOOL: Record<IpFamily, string> = { ipv4: 'iptables-save', ipv6: 'ip6tables-save' };

/** Every table of a family as iptables-save prints it (with packet and byte counters when asked). */
export async function saveTables(family: IpFamily, opts: { counters?: boolean } = {}): Promise<{ ok: true; text: string } | { ok: false; reason: string }> {
  const tool = SAVE_TOOL[family];
  const result = await runTool(tool, opts.counters ? ['-c'] : [], { maxOutput: 256 * 1024 * 1024, timeoutMs: 60_000 });
  if (result.code === 0) return { ok: true, text: result.stdout };
  return { ok: false, reason: toolMessage(result, tool) };
}
