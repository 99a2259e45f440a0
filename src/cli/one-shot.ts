// Commands that run once and exit (boot, net plan, net apply) switch off V8's optimizing tiers
// (Sparkplug, Maglev, TurboFan): they would compile code that runs a few hundred times at most,
// which costs more than it saves, most of all on an emulated CPU, where fresh machine code is
// translated again (qemu TCG: a net apply took half the time with them off; on the host a little
// less too). Only code compiled from here on is affected; the daemon keeps them.
import type * as V8 from 'node:v8';

export function interpretOnly(): void {
  // Loaded here, not imported: node:v8 costs every command ~2 ms of start-up (stockade --version).
  const v8 = process.getBuiltinModule('node:v8') as typeof V8;
  for (const flag of ['--no-sparkplug', '--no-maglev', '--no-turbofan']) v8.setFlagsFromString(flag);
}
