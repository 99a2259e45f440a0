// The test command's runner: runs each tier that exists (its own uvu process, so one tier's crash
// cannot hide another's results), prints counts per tier and ends with the plain line
// `N passed, N failed, N skipped`. A skip is a test whose prerequisite is missing, outside CI only
// (test/required.ts); a tier that cannot run here counts each of its files as one.
// Usage: run.ts [--tier NAME ...]
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { labAvailable } from './lab/harness.ts';
import { imageTierUnavailable } from './image/images.ts';
import { prerequisitesRequired } from './required.ts';

const root = join(import.meta.dirname, '..');
// Order: fastest feedback first; lab and interop (need root; interop runs Debian's keepalived and
// conntrackd as peers in lab namespaces) and image (boots VMs in qemu, slowest) last.
const TIERS = ['unit', 'fuzz', 'cli', 'lab', 'interop', 'image'] as const;
type Tier = (typeof TIERS)[number];
// A tier that runs longer than this has hung; it is stopped and counted as failed. Generous: the
// lab tier has taken over 20 min on a 2-core machine shared with other builds.
const TIER_TIMEOUT_MS = 60 * 60_000;

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

function runTier(tier: Tier): Promise<TierResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [join(root, 'node_modules', 'uvu', 'bin.js'), join('test', tier), '\\.test\\.ts$', ...(process.stdout.isTTY ? [] : ['--no-color'])],
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
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      process.stdout.write(chunk);
    });
    const timer = setTimeout(() => {
      process.stdout.write(`\n${tier}: still running after ${TIER_TIMEOUT_MS / 60_000} min; stopping it\n`);
      child.kill('SIGTERM');
    }, TIER_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const text = out.replace(ANSI, '');
      const num = (label: string) => {
        const m = new RegExp(`${label}:\\s+(\\d+)`).exec(text);
        return m ? Number(m[1]) : undefined;
      };
      const total = num('Total');
      const passed = num('Passed');
      const skipped = num('Skipped') ?? 0;
      const seconds = (Date.now() - started) / 1000;
      if (total === undefined || passed === undefined) {
        resolve({ tier, passed: 0, failed: 1, skipped, seconds, note: `ended before its summary (exit ${code ?? signal})` });
        return;
      }
      let failed = total - passed;
      let note: string | undefined;
      if (failed === 0 && code !== 0) {
        // uvu sets a failing exit status for errors outside tests (e.g. an unhandled rejection).
        failed = 1;
        note = `exit status ${code ?? signal} with no failed test`;
      }
      resolve({ tier, passed, failed, skipped, seconds, ...(note ? { note } : {}) });
    });
  });
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
    const r = await runTier(tier);
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
