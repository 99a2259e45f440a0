// The test command's runner: runs each tier that exists (its own uvu process, so one tier's crash
// cannot hide another's results; the image tier as two such processes side by side, LANES), prints
// counts per tier and ends with the plain line
// `N passed, N failed, N skipped`. A skip is a test whose prerequisite is missing, outside CI only
// (test/required.ts); a tier that cannot run here counts each of its files as one.
// Usage: run.ts [--tier NAME ...]
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { labAvailable } from './lab/harness.ts';
import { ensureImages, imageTierUnavailable } from './image/images.ts';
import { prerequisitesRequired } from './required.ts';

const root = join(import.meta.dirname, '..');
// Order: fastest feedback first; lab and interop (need root; interop runs Debian's keepalived and
// conntrackd as peers in lab namespaces) and image (boots VMs in qemu, slowest) last.
const TIERS = ['unit', 'fuzz', 'cli', 'lab', 'interop', 'image'] as const;
type Tier = (typeof TIERS)[number];
// A tier that runs longer than this has hung; it is stopped and counted as failed. Generous: the
// lab tier has taken over 20 min on a 2-core machine shared with other builds.
const TIER_TIMEOUT_MS = 60 * 60_000;
/**
 * Tiers whose files run in lanes: uvu processes side by side, each over its own files (a file in
 * no lane's list goes to the last lane). TCG runs each VM on one thread, and the image files that
 * boot one VM at a time (the upgrade story alone is a third of the tier) leave the second of CI's
 * two cores idle beside the files that boot pairs, which idle between their commands.
 */
const LANES: Partial<Record<Tier, Array<ReadonlySet<string>>>> = {
  image: [new Set(['upgrade.test.ts', 'install.test.ts', 'console.test.ts', 'build-errors.test.ts'])],
};

interface TierResult {
  tier: Tier;
  passed: number;
  failed: number;
  skipped: number;
  note?: string;
  seconds: number;
}

function testFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.test.ts'));
}

function skipReason(tier: Tier): string | undefined {
  if (tier === 'lab' || tier === 'interop') {
    const lab = labAvailable();
    if (!lab.ok) return lab.reason;
  }
  if (tier === 'image') return imageTierUnavailable();
  if (tier === 'cli' && !existsSync(join(root, 'dist', 'x64', 'stockade'))) {
    return 'dist/x64/stockade is not built (npm run build)';
  }
  return undefined;
}

const ANSI = /\x1b\[[0-9;]*m/g;

interface LaneResult {
  passed: number;
  failed: number;
  skipped: number;
  note?: string;
}

/** The tier's files split into lanes (relative names; empty lanes dropped). */
function lanesOf(tier: Tier, files: string[]): string[][] {
  const sets = LANES[tier] ?? [];
  const lanes = sets.map((set) => files.filter((f) => set.has(f)));
  lanes.push(files.filter((f) => !sets.some((set) => set.has(f))));
  return lanes.filter((l) => l.length > 0);
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * One uvu process over `files` (all of the tier's when undefined). With a `tag`, its output is
 * printed a line at a time behind the tag and the seconds since the lane started, so that lanes
 * running together stay readable and the log tells how long each file took.
 */
function runLane(tier: Tier, files: string[] | undefined, tag: string | undefined, stop: Set<() => void>): Promise<LaneResult> {
  const started = Date.now();
  const stamp = (l: string): string => `${tag} ${((Date.now() - started) / 1000).toFixed(0).padStart(5)}s ${l}\n`;
  const pattern = files ? `^(${files.map(escape).join('|')})$` : '\\.test\\.ts$';
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [join(root, 'node_modules', 'uvu', 'bin.js'), join('test', tier), pattern, ...(process.stdout.isTTY ? [] : ['--no-color'])],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'inherit'],
        env: {
          ...process.env,
          STOCKADE_NATIVE: process.env.STOCKADE_NATIVE ?? join(root, 'dist', 'x64', 'stockade.node'),
          STOCKADE_BIN: process.env.STOCKADE_BIN ?? join(root, 'dist', 'x64', 'stockade'),
        },
      },
    );
    const kill = () => child.kill('SIGTERM');
    stop.add(kill);
    let out = '';
    let line = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (!tag) {
        process.stdout.write(chunk);
        return;
      }
      line += chunk.toString();
      const nl = line.lastIndexOf('\n');
      if (nl < 0) return;
      process.stdout.write(line.slice(0, nl).split('\n').map(stamp).join(''));
      line = line.slice(nl + 1);
    });
    child.on('close', (code, signal) => {
      stop.delete(kill);
      if (tag && line) process.stdout.write(stamp(line));
      const text = out.replace(ANSI, '');
      const num = (label: string) => {
        const m = new RegExp(`${label}:\\s+(\\d+)`).exec(text);
        return m ? Number(m[1]) : undefined;
      };
      const total = num('Total');
      const passed = num('Passed');
      const skipped = num('Skipped') ?? 0;
      const what = tag ? `${tag} ` : '';
      if (total === undefined || passed === undefined) {
        resolve({ passed: 0, failed: 1, skipped, note: `${what}ended before its summary (exit ${code ?? signal})` });
        return;
      }
      if (total - passed === 0 && code !== 0) {
        // uvu sets a failing exit status for errors outside tests (e.g. an unhandled rejection).
        resolve({ passed, failed: 1, skipped, note: `${what}exit status ${code ?? signal} with no failed test` });
        return;
      }
      resolve({ passed, failed: total - passed, skipped });
    });
  });
}

async function runTier(tier: Tier, files: string[]): Promise<TierResult> {
  const started = Date.now();
  const seconds = () => (Date.now() - started) / 1000;
  const lanes = lanesOf(tier, files);
  if (tier === 'image' && lanes.length > 1) {
    // Built once here: lanes each building the same stale image at once would race. Only the
    // board every lane boots: the arm64 image is boot.test.ts's alone, built in its before() while
    // the other lane already runs.
    try {
      await ensureImages(['x86_64-generic']);
    } catch (e) {
      return { tier, passed: 0, failed: 1, skipped: 0, seconds: seconds(), note: (e as Error).message };
    }
  }
  const stop = new Set<() => void>();
  const timer = setTimeout(() => {
    process.stdout.write(`\n${tier}: still running after ${TIER_TIMEOUT_MS / 60_000} min; stopping it\n`);
    for (const kill of stop) kill();
  }, TIER_TIMEOUT_MS);
  const results = lanes.length > 1
    ? await Promise.all(lanes.map((l, i) => {
      process.stdout.write(`${tier} lane ${i + 1}/${lanes.length}: ${l.join(' ')}\n`);
      return runLane(tier, l, `[${tier} ${i + 1}/${lanes.length}]`, stop);
    }))
    : [await runLane(tier, undefined, undefined, stop)];
  clearTimeout(timer);
  const note = results.map((r) => r.note).filter(Boolean).join('; ');
  return {
    tier,
    passed: results.reduce((n, r) => n + r.passed, 0),
    failed: results.reduce((n, r) => n + r.failed, 0),
    skipped: results.reduce((n, r) => n + r.skipped, 0),
    seconds: seconds(),
    ...(note ? { note } : {}),
  };
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { tier: { type: 'string', multiple: true } } });
  const wanted = (values.tier ?? [...TIERS]) as string[];
  for (const t of wanted) {
    if (!(TIERS as readonly string[]).includes(t)) {
      console.error(`run: unknown tier '${t}' (tiers: ${TIERS.join(', ')})`);
      return 2;
    }
  }
  const requiredInCi = prerequisitesRequired();
  const results: TierResult[] = [];
  const skippedTiers: string[] = [];
  let skippedFiles = 0;
  for (const tier of TIERS) {
    const files = testFiles(join(root, 'test', tier));
    if (!wanted.includes(tier) || files.length === 0) continue;
    const reason = skipReason(tier);
    if (reason && requiredInCi) {
      // CI runs as root with everything installed: a tier that cannot run there is a failure,
      // not a quiet skip.
      results.push({ tier, passed: 0, failed: 1, skipped: 0, seconds: 0, note: `cannot run in CI: ${reason}` });
      continue;
    }
    if (reason) {
      skippedTiers.push(`${tier}: skipped (${files.length} files), ${reason}`);
      skippedFiles += files.length;
      continue;
    }
    process.stdout.write(`\n=== tier ${tier}\n`);
    const r = await runTier(tier, files);
    if (requiredInCi && r.skipped > 0) {
      // Whatever skipped them, skipped tests have proved nothing: under CI they fail the tier.
      r.failed += r.skipped;
      r.note = [r.note, `${r.skipped} skipped, which CI does not allow`].filter(Boolean).join('; ');
    }
    results.push(r);
  }
  process.stdout.write('\n=== summary\n');
  for (const r of results) {
    const extra = r.note ? `; ${r.note}` : '';
    process.stdout.write(`${r.tier}: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped (${r.seconds.toFixed(1)} s${extra})\n`);
  }
  for (const s of skippedTiers) process.stdout.write(s + '\n');
  const passed = results.reduce((n, r) => n + r.passed, 0);
  const failed = results.reduce((n, r) => n + r.failed, 0);
  const skipped = results.reduce((n, r) => n + r.skipped, skippedFiles);
  process.stdout.write(`${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  return failed === 0 && results.length > 0 ? 0 : 1;
}

process.exitCode = await main();
