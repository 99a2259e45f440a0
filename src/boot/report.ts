// What each boot step says on the console: one line `stockade: STEP STATUS DETAIL`, and for a
// few steps indented lines under it (the first errors of an invalid config file).
import { terminalSafe } from '../config/index.ts';
import type { BootStep } from './plan.ts';

export type StepStatus = 'ok' | 'changed' | 'failed' | 'skipped';

export interface StepReport {
  readonly step: BootStep;
  readonly status: StepStatus;
  /** One line: what was done or found, or why it failed. */
  readonly detail: string;
  /** Indented lines under the step line (kept few: this is a serial console). */
  readonly more?: readonly string[];
  /** A failure that makes boot exit non-zero: no usable board, or the base firewall not loaded. */
  readonly critical?: boolean;
}

const STEP_WIDTH = 9;
const STATUS_WIDTH = 8;

export function formatStep(report: StepReport): string {
  const head = `stockade: ${report.step.padEnd(STEP_WIDTH)} ${report.status.padEnd(STATUS_WIDTH)} ${terminalSafe(report.detail)}`.trimEnd();
  const more = (report.more ?? []).map((line) => `stockade:   ${terminalSafe(line)}`);
  return [head, ...more].map((l) => l + '\n').join('');
}

/** A list for a one-line detail: "a, b, c" or "a, b and 3 more". */
export function listText(items: readonly string[], max = 6): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}
