// The serial console in the VM (x86_64, TCG), as a person on the cable meets it:
//   prompt_ms  from the boot-complete line to the console's login prompt (init starts the console
//              after boot), over --boots boots of one VM (the first, then reboots from its test
//              shell); both lines are seen on the same serial stream by the same host clock;
//   key_*_ms   from a keystroke to the whole screen drawn again, over --keys keystrokes after
//              logging in: Ctrl-L at the menu (redraw on request: the full 80x24 screen comes back,
//              the most a single key makes the console write without asking the daemon);
//   echo_*_ms  from a key to its echo (a character typed at the menu's prompt, then rubbed out):
//              the path every key takes, without a screen to draw;
//   rss_mb     the console process's resident memory (VmRSS) after the keystrokes, per boot.
// The host sees a byte once qemu has passed it on (its 16550 is not held to 115200 baud); the
// bench reads qemu's output itself, with each chunk's arrival time (ConsoleReader).
// The figures follow the host's load (one TCG vCPU: the console starts beside the daemon, and
// qemu's thread waits for a core): on this 2-core machine, boot 1's prompt took 6.5 s at load 1
// and 51 s at load 15; print `uptime` with them.
// There is no peer to run side by side (getty + a shell script menu is not the same work); the
// figures are the absolute targets: key_p99_ms < 100 under TCG. Not pass/fail. Last line:
//   BENCH console boots=N keys=N prompt_ms=<ms> key_p50_ms=<ms> key_p99_ms=<ms> echo_p50_ms=<ms>
//     echo_p99_ms=<ms> rss_mb=<MiB>
// Options: --boots N (default 7), --keys N per boot (default 200 on the first boot, then 30).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sha512Crypt } from '../../src/console/index.ts';
import { ensureImages } from '../image/images.ts';
import type { ChildProcess } from 'node:child_process';
import { PlainText, root, startVms } from '../image/vm.ts';
import type { Vm } from '../image/vm.ts';
import { MIN_RUNS, describe, median, quantile, runsOption } from './stats.ts';

const { values } = parseArgs({ options: { boots: { type: 'string', default: String(MIN_RUNS) }, keys: { type: 'string', default: '200' } } });
const boots = runsOption(values.boots, MIN_RUNS, '--boots');
const KEYS = runsOption(values.keys, 200, '--keys');
/** Bounds, not figures: a TCG boot on a loaded machine has taken minutes. */
const BOOT_MS = 1_200_000;
const WAIT_MS = 120_000;
const PASSWORD = 'bench-console-pw';
/** Characters typed and rubbed out per boot (two keys each). */
const ECHOES = 25;

const config = JSON.parse(readFileSync(join(root, 'board', 'x86_64-generic', 'config.json'), 'utf8')) as Record<string, unknown>;
// rounds=1000: the login is not measured, only what comes before and after it.
config.console = { password_hash: sha512Crypt(PASSWORD, 'benchconsole', 1000), idle_logout_s: 0 };

/** The console's pid and VmRSS in MiB, from the test shell. */
async function consoleRss(vm: Vm): Promise<number> {
  const r = await vm.run('for p in $(pidof stockade); do tr "\\0" " " < /proc/$p/cmdline | grep -q " console --tty ttyS0" && grep VmRSS /proc/$p/status; done');
  const m = /VmRSS:\s+(\d+) kB/.exec(r.output);
  if (!m) throw new Error(`no console process on ttyS0:\n${r.output}`);
  return Number(m[1]) / 1024;
}

/** The whole screen again (its heading, the menu, the prompt at the end). */
const REDRAWN = /stockade - stockade console[\s\S]* 0\) Logout[\s\S]*Enter an option: $/;

/**
 * qemu's console output as this bench reads it: each chunk's arrival time is taken before anything
 * else runs, and a pattern's time is the arrival of the chunk that completed it. qemu writes the
 * guest's bytes one at a time, so chunks are small and many; the VM helper's reader (which once
 * re-read its whole log at every chunk, and made medians grow boot after boot, 13 -> 64 ms) and
 * its log file writes stay off the stream while the bench measures: this reader alone turns the
 * chunks into text (vm.ts's PlainText, chunk by chunk) until
 * release(), which gives them what came meanwhile in one piece.
 */
class ConsoleReader {
  readonly #out: NodeJS.ReadableStream;
  readonly #held: Array<(d: string) => void>;
  /** The console so far, raw and as plain text (vm.ts's incremental converter). */
  readonly #plain = new PlainText();
  /** Where each chunk ended in #text, and when it arrived. */
  #chunks: Array<{ end: number; at: number }> = [];
  #check: (() => void) | undefined;

  constructor(vm: Vm) {
    this.#out = (vm as unknown as { child: ChildProcess }).child.stdout!;
    this.#held = this.#out.listeners('data') as Array<(d: string) => void>;
    for (const l of this.#held) this.#out.off('data', l);
    this.#out.on('data', (d: string | Buffer) => {
      const at = performance.now();
      this.#plain.push(typeof d === 'string' ? d : d.toString('latin1'));
      this.#chunks.push({ end: this.#plain.text.length, at });
      this.#check?.();
    });
  }

  /** Where the text ends now: a later until() looks only past it. */
  mark(): number {
    return this.#plain.text.length;
  }

  /**
   * The arrival time of the chunk with which `re` first matched the text after `from`, and where
   * that chunk ended; a match already there is found by its chunk, too.
   */
  until(re: RegExp, from: number, ms: number): Promise<{ at: number; end: number }> {
    const matched = (end: number): boolean => re.test(this.#plain.text.slice(from, end));
    const first = (): { at: number; end: number } | undefined => {
      if (!matched(this.#plain.text.length)) return undefined;
      // The earliest chunk whose end completes the match.
      let lo = this.#chunks.findIndex((c) => c.end > from);
      let hi = this.#chunks.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (matched(this.#chunks[mid]!.end)) hi = mid;
        else lo = mid + 1;
      }
      return this.#chunks[lo]!;
    };
    return new Promise((resolve, reject) => {
      const done = (r: { at: number; end: number }): void => { clearTimeout(timer); this.#check = undefined; resolve(r); };
      const timer = setTimeout(() => { this.#check = undefined; reject(new Error(`no ${re} within ${ms} ms:\n${this.#plain.text.slice(from).slice(-2000)}`)); }, ms);
      const now = first();
      if (now) return done(now);
      // From now on only the newest chunk can complete it.
      this.#check = () => { if (matched(this.#plain.text.length)) done(this.#chunks[this.#chunks.length - 1]!); };
    });
  }

  /** The helper's listeners back, with everything read so far (its log file is written from it). */
  release(): void {
    for (const l of this.#held) {
      this.#out.on('data', l);
      if (this.#plain.raw) l(this.#plain.raw);
    }
    this.#held.length = 0;
  }
}

/** ms from typing `key` at time t to `re` completing after `from`. */
async function keyTime(vm: Vm, reader: ConsoleReader, key: string, re: RegExp): Promise<number> {
  const from = reader.mark();
  const t = performance.now();
  vm.typeConsole(key);
  return (await reader.until(re, from, WAIT_MS)).at - t;
}

interface BootResult { promptMs: number; keyMs: number[]; echoMs: number[]; rssMb: number }

async function oneBoot(vm: Vm, reader: ConsoleReader, from: number, keys: number): Promise<BootResult> {
  const booted = await reader.until(/stockade: boot complete \([^)]*\)/, from, BOOT_MS);
  const prompt = await reader.until(/stockade - stockade console[\s\S]*?Password: /, booted.end, WAIT_MS);
  const promptMs = prompt.at - booted.at;
  await vm.login(300_000);
  const menu = reader.mark();
  vm.typeConsole(`${PASSWORD}\r`);
  await reader.until(/ 1\) Status[\s\S]*Enter an option: $/, menu, WAIT_MS);
  const keyMs: number[] = [];
  const echoMs: number[] = [];
  for (let i = 0; i < keys; i++) keyMs.push(await keyTime(vm, reader, '\x0c', REDRAWN));
  // The shortest answer a key gets (one character echoed, then rubbed out): the path every key
  // takes (qemu, the guest's serial driver and tty, the console's read and write) without a screen.
  for (let i = 0; i < ECHOES; i++) {
    echoMs.push(await keyTime(vm, reader, 'x', /^x$/));
    // '\b \b' (plain text drops the backspaces).
    echoMs.push(await keyTime(vm, reader, '\x7f', /^ $/));
  }
  const rssMb = await consoleRss(vm);
  const out = reader.mark();
  vm.typeConsole('0\r');
  await reader.until(/Password: $/, out, WAIT_MS);
  return { promptMs, keyMs, echoMs, rssMb };
}

await ensureImages(['x86_64-generic']);
const vms = await startVms({ vms: { a: { board: 'x86_64-generic', data: { 'config.json': JSON.stringify(config, null, 2) } } } });
const prompts: number[] = [];
const rss: number[] = [];
let keyMs: number[] = [];
let echoMs: number[] = [];
const reader = new ConsoleReader(vms.vm('a'));
try {
  const vm = vms.vm('a');
  let from = 0;
  for (let b = 0; b < boots; b++) {
    const r = await oneBoot(vm, reader, from, b === 0 ? KEYS : 30);
    prompts.push(r.promptMs);
    rss.push(r.rssMb);
    keyMs = keyMs.concat(r.keyMs);
    echoMs = echoMs.concat(r.echoMs);
    console.log(`boot ${b + 1}: boot complete -> login prompt ${r.promptMs.toFixed(0)} ms; ${r.keyMs.length} redraws: median ${median(r.keyMs).toFixed(1)} ms, p99 ${quantile(r.keyMs, 0.99).toFixed(1)} ms; ${r.echoMs.length} echoes: median ${median(r.echoMs).toFixed(1)} ms; console RSS ${r.rssMb.toFixed(1)} MiB`);
    if (b + 1 < boots) {
      from = reader.mark();
      vm.write('reboot\n');
    }
  }
} finally {
  reader.release();
  await vms.destroy();
}
console.log(`boot complete -> login prompt: ${describe(prompts, 'ms', 0)}`);
console.log(`keystroke (Ctrl-L) -> whole screen redrawn: ${describe(keyMs, 'ms', 1)}, p99 ${quantile(keyMs, 0.99).toFixed(1)} ms`);
console.log(`keystroke -> its echo: ${describe(echoMs, 'ms', 1)}, p99 ${quantile(echoMs, 0.99).toFixed(1)} ms`);
console.log(`console RSS: ${describe(rss, 'MiB', 1)}`);
console.log(`BENCH console boots=${boots} keys=${keyMs.length} prompt_ms=${median(prompts).toFixed(0)} key_p50_ms=${median(keyMs).toFixed(1)} key_p99_ms=${quantile(keyMs, 0.99).toFixed(1)} echo_p50_ms=${median(echoMs).toFixed(1)} echo_p99_ms=${quantile(echoMs, 0.99).toFixed(1)} rss_mb=${median(rss).toFixed(1)}`);
