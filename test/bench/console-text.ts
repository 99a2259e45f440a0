// The image tier's console reader (test/image/vm.ts): a VM's console arrives in thousands of small
// chunks, and every waitFor() looks at it as text. Before, each chunk re-made the text of the whole
// log (plain(raw) after every chunk); now each chunk's text is appended (PlainText). Same chunks on
// both sides (a console of --boots boots, cut by a seeded PRNG into chunks of 1 to --max-chunk
// bytes), alternating order, --runs runs each (at least 7), CPU time of the test process; both sides
// must end with the same text. Not pass/fail. Last line:
//   BENCH console-text boots=N bytes=N chunks=N whole_ms=.. incremental_ms=.. speedup=..
// Options: --runs N (default 7), --boots N (default 3), --max-chunk N (default 64).
import { parseArgs } from 'node:util';
import { plain, PlainText } from '../image/vm.ts';
import { benchFields, describe, median, MIN_RUNS, ratio, runsOption } from './stats.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: String(MIN_RUNS) }, boots: { type: 'string', default: '3' }, 'max-chunk': { type: 'string', default: '64' } } });
const runs = runsOption(values.runs, MIN_RUNS);
const boots = Number(values.boots);
const maxChunk = Number(values['max-chunk']);

/** One boot's console as the appliance prints it: GRUB's screen, the kernel, stockade's steps, the menu. */
function oneBoot(n: number): string {
  let s = '\x1b[0m\x1b[30m\x1b[47m\x1b[2J\x1b[01;01H\x1b(B\x1b)0';
  for (let i = 0; i < 12; i++) s += `\x1b[${i + 2};01H\x1b[37m\x1b[40m${i === 0 ? '*stockade slot A' : ' '}${' '.repeat(70)}\x1b[K`;
  for (let i = 0; i < 700; i++) s += `[ ${(i * 0.0137).toFixed(6).padStart(11)}] kernel line ${i} of boot ${n}: pci 0000:00:0${i % 8}.0: [1af4:1000] type 00 class 0x020000\r\n`;
  for (const step of ['mounts', 'modules', 'sysctls', 'network', 'firewall', 'ssh', 'console']) s += `\x1b[1;32mstockade: ${step.padEnd(9)}ok\x1b[0m\r\n`;
  s += `stockade: boot complete (0.1.0, slot A)\r\n\x1b[2J\x1b[H fw-a - stockade console\r\n Password: `;
  return s;
}

const raw = Array.from({ length: boots }, (_, i) => oneBoot(i)).join('');
let seed = 20261206;
const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
const chunks: string[] = [];
for (let at = 0; at < raw.length;) {
  const n = 1 + Math.floor(next() * maxChunk);
  chunks.push(raw.slice(at, at + n));
  at += n;
}

function whole(): string {
  // The old reader, as it was: the whole log's text again after every chunk.
  let all = '';
  let text = '';
  for (const c of chunks) {
    all += c;
    text = plain(all);
  }
  return text;
}

function incremental(): string {
  const p = new PlainText();
  for (const c of chunks) p.push(c);
  p.flush();
  return p.text;
}

function cpuMs(fn: () => string): { ms: number; text: string } {
  const t = process.cpuUsage();
  const text = fn();
  const u = process.cpuUsage(t);
  return { ms: (u.user + u.system) / 1000, text };
}

const times = { whole: [] as number[], incremental: [] as number[] };
for (let i = 0; i < runs; i++) {
  const order = i % 2 === 0 ? (['whole', 'incremental'] as const) : (['incremental', 'whole'] as const);
  const texts: string[] = [];
  for (const side of order) {
    const r = cpuMs(side === 'whole' ? whole : incremental);
    times[side].push(r.ms);
    texts.push(r.text);
  }
  if (texts[0] !== texts[1] || texts[0] !== plain(raw)) throw new Error(`run ${i + 1}: the two readers' texts differ`);
}
console.log(`console: ${boots} boots, ${raw.length} bytes in ${chunks.length} chunks of 1-${maxChunk} bytes; both readers end with the same text`);
console.log(`whole log per chunk: ${describe(times.whole)}`);
console.log(`incremental:         ${describe(times.incremental, 'ms', 2)}`);
console.log(`BENCH console-text boots=${boots} bytes=${raw.length} chunks=${chunks.length} ${benchFields('whole_ms', times.whole)} ${benchFields('incremental_ms', times.incremental, 2)} speedup=${ratio(median(times.whole), median(times.incremental), 0)}`);
