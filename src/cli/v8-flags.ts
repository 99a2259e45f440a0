// V8 flags a command sets for itself at its start (the executable's own flags, in
// scripts/make-executable.ts, are every command's, and can cost every command's start-up: see
// keepBytecode).
//
// Commands that run once and exit switch off V8's optimizing tiers that cost them more than they
// save, most of all on an emulated CPU, where fresh machine code is translated again. boot, net
// plan and net apply run all code a few hundred times at most: every tier off (Sparkplug, Maglev,
// TurboFan; qemu TCG: a net apply took half the time, on the host a little less too). lvs plan and
// lvs apply run loops over every real server: only TurboFan off (withoutTurbofan). Only code
// compiled from here on is affected; the daemon keeps every tier, and its compiled code
// (keepBytecode).
import type * as V8 from 'node:v8';

export function interpretOnly(): void {
  setFlags(['--no-sparkplug', '--no-maglev', '--no-turbofan']);
}

/**
 * TurboFan off, Sparkplug and Maglev kept: for one-shot commands whose loops run ten thousand
 * times and more (`lvs apply` of 1,000 services x 10 real servers: config check, plan, 11,000
 * messages encoded). Measured in the appliance VM (qemu TCG), 4 alternating rounds each: 4.55 s
 * with every tier, 4.25 s without TurboFan, 5.2 s without Maglev and TurboFan, 5.7 s interpreted.
 */
export function withoutTurbofan(): void {
  setFlags(['--no-turbofan']);
}

/**
 * The daemon: bytecode stays once compiled. V8 drops that of a function not run for 6 major GCs,
 * and the paths that run rarely but must answer fast (a real server's failure, compiled at start
 * by src/lvs/checkers/warm.ts) would be compiled again, in the emulated CPU tens of milliseconds,
 * at the moment they are needed. As an executable flag it cost every command ~6 ms of start-up
 * (stockade --version on the host: 110 against 103 ms).
 */
export function keepBytecode(): void {
  setFlags(['--no-flush-bytecode']);
}

function setFlags(flags: readonly string[]): void {
  // Loaded here, not imported: node:v8 costs every command ~2 ms of start-up (stockade --version).
  const v8 = process.getBuiltinModule('node:v8') as typeof V8;
  for (const flag of flags) v8.setFlagsFromString(flag);
}
