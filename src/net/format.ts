// Plans and apply results as people read them: one line per change, grouped by phase, with why.
import type { ActionInfo, Phase } from './action.ts';
import { PHASES } from './action.ts';
import { TEXT_WIDTH, wrapWords } from '../common/index.ts';

const PHASE_TITLES: Record<Phase, string> = {
  links: 'links',
  'link-settings': 'link settings',
  addresses: 'addresses',
  routes: 'routes',
  rules: 'policy rules',
  sysctls: 'sysctls',
};

export function actionLine(a: ActionInfo): string {
  return `${a.verb} ${a.object}${a.detail ? `: ${a.detail}` : ''} (${a.why})`;
}

export function formatActions(actions: readonly ActionInfo[]): string[] {
  const lines: string[] = [];
  for (const phase of PHASES) {
    const mine = actions.filter((a) => a.phase === phase);
    if (mine.length === 0) continue;
    lines.push(`${PHASE_TITLES[phase]}:`);
    // Wrapped for an 80-column console; continuation lines indented under the action.
    for (const a of mine) lines.push(...wrapWords(actionLine(a), TEXT_WIDTH, '      ', '  '));
  }
  return lines;
}

export function formatNotes(warnings: readonly string[], dhcp: readonly string[]): string[] {
  return [
    ...warnings.map((w) => `warning: ${w}`),
    ...dhcp.map((i) => `note: ${i} gets its address from DHCP (busybox udhcpc, kept running by net apply; the lease is the DHCP client's, not the apply's)`),
  ];
}

export function changeCount(n: number): string {
  return `${n} ${n === 1 ? 'change' : 'changes'}`;
}
