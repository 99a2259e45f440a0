// Progress of a long write and its read-back, as `upgrade install`, `stockade install` and
// scripts/flash show it: on a terminal one live line (bytes, percent, rate, ETA) redrawn at most
// five times a second; otherwise (logs, ssh without a terminal) one line per 10 %. Also the
// question both whole-disk writers ask first: the disk's name typed back.
import { createInterface } from 'node:readline/promises';

export interface Progress {
  readonly phase: 'write' | 'read-back';
  readonly done: number;
  readonly total: number;
}

export function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}

const REDRAW_MS = 200;

/** A printer for one run; `now` in milliseconds (performance.now), injected by tests. */
export function progressPrinter(write: (text: string) => void, tty: boolean, now: () => number = () => performance.now()): (p: Progress) => void {
  let started = now();
  let phase: Progress['phase'] | undefined;
  let lastTenth = -1;
  let lastDraw = -Infinity;
  return (p) => {
    const t = now();
    if (p.phase !== phase) {
      // Each phase has its own rate and its own 10 % steps.
      phase = p.phase;
      started = t;
      lastTenth = -1;
      lastDraw = -Infinity;
    }
    const rate = p.done / Math.max((t - started) / 1000, 1e-3);
    const what = p.phase === 'write' ? 'written' : 'read back';
    if (tty) {
      if (t - lastDraw < REDRAW_MS && p.done < p.total) return;
      lastDraw = t;
      const eta = `, ETA ${((p.total - p.done) / Math.max(rate, 1)).toFixed(0)} s`;
      write(`\r${what} ${mib(p.done)} of ${mib(p.total)} (${Math.floor((p.done / p.total) * 100)} %), ${mib(rate)}/s${eta}   ${p.done === p.total ? '\n' : ''}`);
      return;
    }
    const tenth = Math.floor((p.done / p.total) * 10);
    if (tenth === lastTenth) return;
    lastTenth = tenth;
    write(`${what} ${tenth * 10} % (${mib(p.done)} of ${mib(p.total)}, ${mib(rate)}/s)\n`);
  };
}

/**
 * Asks on stderr for `device`'s name (without /dev/) to be typed back before everything on it is
 * overwritten; false without a terminal to ask on, or when something else was typed.
 */
export async function confirmDiskName(who: string, device: string, bytes: number): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const name = device.replace(/^.*\//, '');
    const answer = await rl.question(`${who}: everything on ${device} (${mib(bytes)}) will be overwritten. Type its name (${name}) to go on: `);
    return answer.trim() === name;
  } finally {
    rl.close();
  }
}
