// Whether a process has installed a handler for a signal, from /proc/PID/status's SigCgt mask.
// A signal whose default action ends the process (SIGUSR1 among them) must not be sent to a
// program that has not set up its handler yet: between exec and its handler a freshly started
// udhcpd dies of the SIGUSR1 that asks it to write its leases.
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';

export function catchesSignal(pid: number, signal: NodeJS.Signals): boolean {
  try {
    const mask = /^SigCgt:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    if (mask === undefined) return false;
    return ((BigInt(`0x${mask}`) >> BigInt(constants.signals[signal] - 1)) & 1n) === 1n;
  } catch {
    return false;
  }
}
