// Loading kernel modules. Node has no binding for finit_module(2), and resolving a module's
// dependencies and aliases from modules.dep is modprobe's job, so this spawns `modprobe`
// (busybox's on the appliance). A module already in /sys/module (loaded, or built in with
// parameters) costs nothing; the rest go to one `modprobe -a` run (a board lists dozens, and a
// process start is slow on an emulated CPU), and only when that run reports a failure is each
// module still missing tried alone, for its own error message. Names come from the config and the
// board: they go after `--`, and a name starting with '-' (which the schemas refuse) is never run,
// so no name can become an option of modprobe.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runTool, toolMessage } from './tools.ts';
import type { RunOptions, ToolResult } from './tools.ts';

export type ToolRunner = (name: string, args: readonly string[], opts?: RunOptions) => Promise<ToolResult>;

export type ModuleOutcome =
  | { readonly status: 'loaded' }
  | { readonly status: 'present' }
  | { readonly status: 'failed'; readonly reason: string };

/** Loading many modules (ip_vs and friends initialise tables) can take a while under TCG. */
const BATCH_TIMEOUT_MS = 60_000;
const SINGLE_TIMEOUT_MS = 15_000;

/** The kernel's name for a module: '-' and '_' are the same to modprobe, sysfs shows '_'. */
export function moduleSysName(name: string): string {
  return name.replace(/-/g, '_');
}

export function modulePresent(name: string, sysModuleDir = '/sys/module'): boolean {
  return existsSync(join(sysModuleDir, moduleSysName(name)));
}

/** Loads `names` in order; the outcome of each, in the same order. */
export async function loadModules(names: readonly string[], sysModuleDir = '/sys/module', run: ToolRunner = runTool): Promise<Map<string, ModuleOutcome>> {
  const outcomes = new Map<string, ModuleOutcome>();
  const wanted: string[] = [];
  for (const name of names) {
    if (outcomes.has(name)) continue;
    if (name === '' || name.startsWith('-') || name.includes('/')) outcomes.set(name, { status: 'failed', reason: `not a module name: ${JSON.stringify(name)}` });
    else if (modulePresent(name, sysModuleDir)) outcomes.set(name, { status: 'present' });
    else {
      outcomes.set(name, { status: 'loaded' });
      wanted.push(name);
    }
  }
  if (wanted.length === 0) return outcomes;
  const batch = await run('modprobe', ['-a', '--', ...wanted], { timeoutMs: BATCH_TIMEOUT_MS });
  if (batch.code === 0) return outcomes;
  if (batch.startError || batch.timedOut) {
    const reason = toolMessage(batch, 'modprobe');
    for (const name of wanted) if (!modulePresent(name, sysModuleDir)) outcomes.set(name, { status: 'failed', reason });
    return outcomes;
  }
  for (const name of wanted) {
    // Loaded by the batch (or as another's dependency): done.
    if (modulePresent(name, sysModuleDir)) continue;
    const single = await run('modprobe', ['--', name], { timeoutMs: SINGLE_TIMEOUT_MS });
    if (single.code !== 0) outcomes.set(name, { status: 'failed', reason: toolMessage(single, 'modprobe') });
  }
  return outcomes;
}
