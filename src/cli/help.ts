// What `stockade help`, `stockade GROUP --help` and `stockade COMMAND --help` print. All of it fits
// an 80-column serial console (79 characters a line): `help` lists the groups and the single
// commands, a group lists its commands with their arguments, a command its own text.
import { TEXT_WIDTH, wrapWords } from '../common/index.ts';
import type { Command } from './command.ts';

/** One line per group of commands (the first word they share), for `stockade help`. */
const GROUPS: Readonly<Record<string, string>> = {
  config: 'config files, and changes on the running box with commit-confirm',
  net: 'the network as the config describes it',
  firewall: "the config's iptables rules",
  lvs: "the config's IPVS virtual services",
  ctl: 'ask the running daemon',
  bundle: 'upgrade bundles and signing keys',
  upgrade: 'signed upgrades into the A/B slots',
  segment: 'run-time changes to the segments, each a small config transaction',
};

const line = (left: string, width: number, text: string): string[] =>
  wrapWords(text, TEXT_WIDTH, ' '.repeat(2 + width + 2), `  ${left.padEnd(width)}  `);

/** The first words of commands that share them with another: the groups. */
export function groupsOf(list: readonly Command[]): string[] {
  const counts = new Map<string, number>();
  for (const c of list) if (c.words.length > 1) counts.set(c.words[0]!, (counts.get(c.words[0]!) ?? 0) + 1);
  return [...counts.keys()];
}

export function helpText(list: readonly Command[]): string {
  const groups = new Set(groupsOf(list));
  const rows: Array<[string, string]> = [];
  const seen = new Set<string>();
  for (const c of list) {
    const first = c.words[0]!;
    if (seen.has(first)) continue;
    seen.add(first);
    if (groups.has(first)) {
      const subs = list.filter((x) => x.words[0] === first).map((x) => x.words.slice(1).join(' '));
      rows.push([first, `${GROUPS[first] ? `${GROUPS[first]}: ` : ''}${subs.join(', ')}`]);
    } else rows.push([first, c.summary]);
  }
  rows.push(['help', 'this list'], ['--version', 'print version, git commit and build date']);
  const width = Math.max(...rows.map(([w]) => w.length));
  return [
    'usage: stockade COMMAND [ARGUMENTS]',
    "'stockade COMMAND --help' describes a command or a group of them.",
    '',
    'commands:',
    ...rows.flatMap(([w, s]) => line(w, width, s)),
    '',
  ].join('\n');
}

/** `stockade GROUP --help`: each command of the group, its arguments, what it does. */
export function groupHelp(group: string, list: readonly Command[]): string {
  const members = list.filter((c) => c.words[0] === group);
  const out = [...wrapWords(`usage: stockade ${group} COMMAND [ARGUMENTS]`), ...(GROUPS[group] ? ['', ...wrapWords(GROUPS[group])] : []), '', 'commands:'];
  for (const c of members) {
    out.push(...wrapWords([...c.words, c.usage].filter(Boolean).join(' '), TEXT_WIDTH, '      ', '  '));
    out.push(...wrapWords(c.summary, TEXT_WIDTH, '      '));
  }
  out.push('', ...wrapWords(`'stockade ${group} COMMAND --help' describes one.`), '');
  return out.join('\n');
}

/** `stockade COMMAND --help`: its own text, or its usage and summary. */
export function commandHelp(c: Command): string {
  if (c.help !== undefined) return c.help;
  const usage = wrapWords(`usage: stockade ${[...c.words, c.usage].filter(Boolean).join(' ')}`, TEXT_WIDTH, '         ', '');
  return [...usage, '', ...wrapWords(c.summary), ''].join('\n');
}

/** Whether the arguments ask for help rather than for the command. */
export function asksForHelp(args: readonly string[]): boolean {
  return args.includes('--help') || args.includes('-h');
}
