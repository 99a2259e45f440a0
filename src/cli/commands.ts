// The commands that exist, by the first word they answer to. Only real commands are listed here:
// a feature adds its command when it is built. Each group's module is imported when a command
// line names it: in the bundle (scripts/bundle.ts) a module and what only it needs are evaluated
// at their import(), so `stockade lvs apply` does not start the console, the upgrader or TLS.
import type { Command } from './command.ts';

type Loader = () => Promise<readonly Command[]>;

/** In the order `stockade help` lists them. */
const GROUPS: ReadonlyArray<readonly [string, Loader]> = [
  ['boot', async () => [(await import('./boot-command.ts')).bootCommand]],
  ['config', async () => (await import('./config-commands.ts')).configCommands],
  ['net', async () => (await import('./net-commands.ts')).netCommands],
  ['firewall', async () => (await import('./firewall-commands.ts')).firewallCommands],
  ['lvs', async () => (await import('./lvs-commands.ts')).lvsCommands],
  ['segment', async () => (await import('./segment-commands.ts')).segmentCommands],
  ['daemon', async () => [(await import('./daemon-command.ts')).daemonCommand]],
  ['console', async () => [(await import('./console-command.ts')).consoleCommand]],
  ['ctl', async () => (await import('./ctl-commands.ts')).ctlCommands],
  ['bundle', async () => (await import('./bundle-commands.ts')).bundleCommands],
  ['upgrade', async () => (await import('./upgrade-commands.ts')).upgradeCommands],
  ['install', async () => [(await import('./install-command.ts')).installCommand]],
  ['diagnose', async () => [(await import('./diagnose-command.ts')).diagnoseCommand]],
];

/** The commands whose first word is `first` (none for a word no command starts with). */
export async function commandsNamed(first: string): Promise<readonly Command[]> {
  const group = GROUPS.find(([word]) => word === first);
  if (group === undefined) return [];
  const list = await group[1]();
  // A module's commands all start with its word (the table above says which module to load).
  const stray = list.find((c) => c.words[0] !== first);
  if (stray !== undefined) throw new Error(`command '${stray.words.join(' ')}' is in the module of '${first}'`);
  return list;
}

/** Every command, in help order. */
export async function allCommands(): Promise<readonly Command[]> {
  return (await Promise.all(GROUPS.map(([word]) => commandsNamed(word)))).flat();
}
