// The one-screen summary boot prints after its steps, and the line that ends every boot:
// `stockade: boot complete (<version>, slot <A|B|?>)` (the image tests wait for it).
import { TEXT_WIDTH, wrapWords } from '../common/index.ts';
import { terminalSafe } from '../config/index.ts';
import type { Slot } from './cmdline.ts';

export interface PortSummary {
  readonly label: string;
  readonly mac?: string;
  readonly state: string;
}

export interface BootSummary {
  readonly hostname: string;
  /** The board's name, or undefined when the board file was unusable. */
  readonly board: string | undefined;
  readonly slot: Slot;
  readonly config: string;
  readonly ports: readonly PortSummary[];
  /** Interface -> its IPv4 addresses (CIDR). */
  readonly addresses: ReadonlyArray<{ readonly ifname: string; readonly cidrs: readonly string[] }>;
  readonly firewall: string;
  /** "step: detail" of each failed step. */
  readonly failures: readonly string[];
  /** Milliseconds since the process started: at the end, and when boot's first step began. */
  readonly elapsedMs: number;
  readonly startupMs?: number;
  /** How long each step took, in order. */
  readonly stepMs?: ReadonlyArray<readonly [string, number]>;
}

/** Steps quicker than this are left out of the time line. */
const NOTABLE_MS = 5;

function timeText(s: BootSummary): string {
  const parts = [
    ...(s.startupMs !== undefined ? [`runtime start ${Math.round(s.startupMs)}`] : []),
    ...(s.stepMs ?? []).filter(([, ms]) => ms >= NOTABLE_MS).map(([step, ms]) => `${step} ${Math.round(ms)}`),
  ];
  return `${Math.round(s.elapsedMs)} ms since the process started${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`;
}

const LABEL_WIDTH = 10;
/** Keeps each summary line within an 80-column console. */
const LINE_WIDTH = TEXT_WIDTH;

function clip(text: string, width: number): string {
  // ASCII: a serial console is not always UTF-8.
  return text.length <= width ? text : `${text.slice(0, width - 3).trimEnd()}...`;
}

const VALUE_WIDTH = LINE_WIDTH - 2 - LABEL_WIDTH - 1;

function rows(label: string, values: readonly string[]): string[] {
  const lines = values.length > 0 ? values : ['none'];
  return lines.map((v, i) => `  ${(i === 0 ? label : '').padEnd(LABEL_WIDTH)} ${clip(terminalSafe(v), VALUE_WIDTH)}`.trimEnd());
}

function table(cells: string[][]): string[] {
  const widths = (cells[0] ?? []).map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '));
}

export function formatSummary(s: BootSummary): string {
  const lines = [
    'stockade: summary',
    ...rows('hostname', [s.hostname]),
    ...rows('board', [s.board ?? 'unknown (board file unusable)']),
    ...rows('slot', [s.slot === '?' ? '? (no stockade.slot= on the kernel command line)' : s.slot]),
    ...rows('config', wrapWords(terminalSafe(s.config), VALUE_WIDTH)),
    ...rows('ports', table(s.ports.map((p) => [p.label, p.mac ?? '-', p.state]))),
    ...rows('addresses', s.addresses.map((a) => `${a.ifname} ${a.cidrs.join(' ')}`)),
    ...rows('firewall', wrapWords(s.firewall, VALUE_WIDTH)),
    ...rows('failures', s.failures),
    ...rows('boot time', wrapWords(timeText(s), VALUE_WIDTH)),
  ];
  return lines.map((l) => l + '\n').join('');
}

export function bootCompleteLine(version: string, slot: Slot): string {
  return `stockade: boot complete (${version}, slot ${slot})\n`;
}
