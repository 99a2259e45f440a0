// The serial console in the VM (x86_64, TCG), as a person on the cable meets it:
//   prompt_ms  from the boot-complete line to the console's login prompt (init starts the console
//              after boot), over --boots boots of one VM (the first, then reboots from its test
//              shell); both lines are seen on the same serial stream by the same host clock;
//   key_*_ms   from a keystroke to the whole screen drawn again, over --keys keystrokes after
//              logging in: Ctrl-L at the menu (redraw on request: the full 80x24 screen comes back,
//              the most a single key makes the console write without asking the daemon);
//   rss_mb     the console process's resident memory (VmRSS) after the keystrokes, per boot.
// The host sees a byte once qemu has passed it on (its 16550 is not held to 115200 baud); the
// bench reads qemu's output ahead of the VM helper and takes each chunk's time on arrival.
// There is no peer to run side by side (getty + a shell script menu is not the same work); the
// figures are the absolute targets: key_p99_ms < 100 under TCG. Not pass/fail. Last line:
//   BENCH console prompt_ms=<ms> key_p50_ms=<ms> key_p99_ms=<ms> rss_mb=<MiB>
// Options: --boots N (default 7), --keys N per boot (default 200 on the first boot, then 30).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sha512Crypt } from '../../src/console/index.ts';
import { ensureImages } from '../image/images.ts';
import type { ChildProcess } from 'node:child_process';
import { plain, root, startVms } from '../image/vm.ts';
import type { Vm } from '../image/vm.ts';
import { MIN_RUNS, describe, median, quantile, runsOption } from './stats.ts';

const { values } = parseArgs({ options: { boots: { type: 'string', default: String(MIN_RUNS) }, keys: { type: 'string', default: '200' } } });
const boots = runsOption(values.boots, MIN_RUNS, '--boots');
const KEYS = runsOption(values.keys, 200, '--keys');
/** Bounds, not figures: a TCG boot on a loaded machine has taken minutes. */
const BOOT_MS = 1_200_000;
const WAIT_MS = 120_000;
const PASSWORD = 'bench-console-pw';

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

/** The whole screen again (its heading, the menu, the prompt at the end): ms since `t`. */
const REDRAWN = /stockade - stockade console[\s\S]* 0\) Logout[\s\S]*Enter an option: $/;

/**
 * Reads qemu's console output itself, ahead of the VM helper's reader (which turns its whole
 * growing log into text at each chunk: milliseconds that would count as the console's), with
 * the chunk's arrival time taken first.
 */
function redrawn(vm: Vm, t: number): Promise<number> {
  const out = (vm as unknown as { child: ChildProcess }).child.stdout!;
  let seen = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { out.off('data', on); reject(new Error(`no redraw within ${WAIT_MS} ms:\n${plain(seen).slice(-2000)}`)); }, WAIT_MS);
    const on = (d: string | Buffer): void => {
      const at = performance.now();
      seen += typeof d === 'string' ? d : d.toString('latin1');
      if (!REDRAWN.test(plain(seen))) return;
      clearTimeout(timer);
      out.off('data', on);
      resolve(at - t);
    };
    out.prependListener('data', on);
  });
}

async function oneBoot(vm: Vm, from: number, keys: number): Promise<{ promptMs: number; keyMs: number[]; rssMb: number }> {
  const booted = await vm.waitFor(/stockade: boot complete \([^)]*\)/, BOOT_MS, from);
  const t0 = performance.now();
  const prompt = await vm.waitFor(/stockade - stockade console[\s\S]*?Password: /, WAIT_MS, booted.index);
  const promptMs = performance.now() - t0;
  await vm.login(300_000);
  vm.typeConsole(`${PASSWORD}\r`);
  await vm.waitFor(/ 1\) Status[\s\S]*Enter an option: $/, WAIT_MS, prompt.index + prompt[0].length);
  const keyMs: number[] = [];
  for (let i = 0; i < keys; i++) {
    const t = performance.now();
    vm.typeConsole('\x0c');
    keyMs.push(await redrawn(vm, t));
  }
  const rssMb = await consoleRss(vm);
  vm.typeConsole('0\r');
  await vm.waitFor(/Password: $/, WAIT_MS, vm.console().length - 40);
  return { promptMs, keyMs, rssMb };
}

await ensureImages(['x86_64-generic']);
const vms = await startVms({ vms: { a: { board: 'x86_64-generic', data: { 'config.json': JSON.stringify(config, null, 2) } } } });
const prompts: number[] = [];
const rss: number[] = [];
let keyMs: number[] = [];
try {
  const vm = vms.vm('a');
  let from = 0;
  for (let b = 0; b < boots; b++) {
    const r = await oneBoot(vm, from, b === 0 ? KEYS : 30);
    prompts.push(r.promptMs);
    rss.push(r.rssMb);
    keyMs = keyMs.concat(r.keyMs);
    console.log(`boot ${b + 1}: boot complete -> login prompt ${r.promptMs.toFixed(0)} ms; ${r.keyMs.length} keys: median ${median(r.keyMs).toFixed(1)} ms, p99 ${quantile(r.keyMs, 0.99).toFixed(1)} ms; console RSS ${r.rssMb.toFixed(1)} MiB`);
    if (b + 1 < boots) {
      from = vm.console().length;
      vm.write('reboot\n');
    }
  }
} finally {
  await vms.destroy();
}
console.log(`boot complete -> login prompt: ${describe(prompts, 'ms', 0)}`);
console.log(`keystroke (Ctrl-L) -> whole screen redrawn: ${describe(keyMs, 'ms', 1)}, p99 ${quantile(keyMs, 0.99).toFixed(1)} ms`);
console.log(`console RSS: ${describe(rss, 'MiB', 1)}`);
console.log(`BENCH console boots=${boots} keys=${keyMs.length} prompt_ms=${median(prompts).toFixed(0)} key_p50_ms=${median(keyMs).toFixed(1)} key_p99_ms=${quantile(keyMs, 0.99).toFixed(1)} rss_mb=${median(rss).toFixed(1)}`);
