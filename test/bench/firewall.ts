// npm run bench -- firewall: a config that compiles to 10,000 filter rules and 1,000 NAT rules,
// in a lab namespace only (never the host's firewall). Whole commands against whole commands,
// same clock, alternating order, >= 7 runs each:
//   (a) first apply: `stockade firewall apply FILE` against `iptables-restore` (+ ip6tables-restore)
//       of the identical generated text, from the same empty start; both end states compared;
//   (b) one rule changed: stockade's apply against a full restore of the changed text;
//   (c) no change: stockade's apply, which must write nothing (its JSON says every table is
//       unchanged).
// Last line: BENCH firewall apply_ratio=<r> change_ratio=<r> noop_ms=<ms>.
//   scripts/node-run test/bench/firewall.ts [--runs N] [--filter N] [--nat N]
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { labAvailable, withLab } from '../lab/harness.ts';
import { median } from './stats.ts';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..');
const BIN = join(ROOT, 'dist', 'x64', 'stockade');

const { values, positionals } = parseArgs({ options: { runs: { type: 'string', default: '7' }, filter: { type: 'string', default: '10000' }, nat: { type: 'string', default: '1000' } }, allowPositionals: true });
const runs = Math.max(7, Number(values.runs));

/**
 * `filter` iptables filter rules from filter / 2 config rules with log: true (a LOG rule and the
 * rule itself each): 10,000 distinct config rules would not fit the 1 MiB config file limit.
 */
function configOf(filter: number, nat: number, changed = false): unknown {
  const rules = Array.from({ length: Math.ceil(filter / 2) }, (_, i) => ({
    chain: 'forward', action: i % 10 === 9 ? 'drop' : 'accept', protocol: i % 2 ? 'udp' : 'tcp', in_interface: 'lan', out_interface: 'wan',
    source: `192.0.2.${i % 256}`, destination_ports: [1024 + (i % 60000)], log: true,
  }));
  if (changed) rules[Math.floor(rules.length / 2)]!.destination_ports = [7];
  const natRules = Array.from({ length: nat }, (_, i) => ({
    type: 'dnat', in_interface: 'wan', protocol: 'tcp', destination: '203.0.113.1', destination_ports: [10000 + i], to_address: `192.0.2.${1 + (i % 250)}`, to_port: 80,
  }));
  return {
    version: 1,
    interfaces: { ports: [{ name: 'lan' }, { name: 'wan' }] },
    addresses: [{ interface: 'lan', static: ['192.0.2.254/24'] }, { interface: 'wan', static: ['203.0.113.1/24'] }],
    firewall: { rules, nat: natRules },
  };
}

function spread(xs: number[]): string {
  return `median ${median(xs).toFixed(1)} ms (min ${Math.min(...xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)})`;
}

/** In the lab namespace: every measurement, printed as one JSON line. */
async function child(): Promise<void> {
  const { execFileSync } = await import('node:child_process');
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { loadConfigText } = await import('../../src/config/load.ts');
  const { compileRuleset, fullTableText } = await import('../../src/firewall/index.ts');
  const dir = mkdtempSync(join(tmpdir(), 'stk-bench-fw-'));
  try {
    const filter = Number(values.filter);
    const nat = Number(values.nat);
    const files = { a: join(dir, 'a.json'), b: join(dir, 'b.json'), a4: join(dir, 'a.v4'), b4: join(dir, 'b.v4'), v6: join(dir, 'v6'), empty4: join(dir, 'empty.v4'), empty6: join(dir, 'empty.v6') };
    const texts = (doc: unknown): { v4: string; v6: string; rules: number } => {
      const loaded = loadConfigText(JSON.stringify(doc));
      if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors.slice(0, 3)));
      const rs = compileRuleset(loaded.config, { scope: 'full' });
      const v4 = rs.tables.filter((t) => t.family === 'ipv4').map((t) => fullTableText(t).text).join('');
      const v6 = rs.tables.filter((t) => t.family === 'ipv6').map((t) => fullTableText(t).text).join('');
      return { v4, v6, rules: rs.tables.reduce((n, t) => n + t.chains.reduce((m, c) => m + c.rules.length, 0), 0) };
    };
    const ta = texts(configOf(filter, nat));
    const tb = texts(configOf(filter, nat, true));
    writeFileSync(files.a, JSON.stringify(configOf(filter, nat)));
    writeFileSync(files.b, JSON.stringify(configOf(filter, nat, true)));
    writeFileSync(files.a4, ta.v4);
    writeFileSync(files.b4, tb.v4);
    writeFileSync(files.v6, ta.v6);
    const empty = (tables: string[]): string => tables.map((t) => `*${t}\nCOMMIT\n`).join('');
    writeFileSync(files.empty4, empty(['filter', 'nat', 'mangle', 'raw']));
    writeFileSync(files.empty6, empty(['filter']));

    const sh = (script: string): void => void execFileSync('sh', ['-c', script], { stdio: ['ignore', 'ignore', 'inherit'] });
    const time = (argv: string[]): { ms: number; out: string } => {
      const t0 = performance.now();
      const out = execFileSync(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 }).toString();
      return { ms: performance.now() - t0, out };
    };
    const restoreArgv = (v4: string): string[] => ['sh', '-c', `iptables-restore --wait < ${v4} && ip6tables-restore --wait < ${files.v6}`];
    const reset = (): void => sh(`iptables-restore < ${files.empty4} && ip6tables-restore < ${files.empty6}`);
    /**
     * The kernel's rules and policies, for comparing end states: rule lines, user chains and
     * non-ACCEPT policies (a restore of the whole text also creates empty mangle and raw tables,
     * which stockade, having nothing for them, leaves alone).
     */
    const state = (): string => execFileSync('sh', ['-c', 'iptables-save; ip6tables-save'], { maxBuffer: 256 << 20 }).toString().split('\n')
      .filter((l) => l.startsWith('-A ') || (l.startsWith(':') && !/^:\S+ ACCEPT /.test(l)))
      .map((l) => l.replace(/ \[\d+:\d+\]$/, ''))
      .sort().join('\n');
    const apply = (file: string): { ms: number; out: string } => time([BIN, 'firewall', 'apply', file, '--json']);

    // (a) first apply, from empty tables, alternating which side goes first.
    const first: { stockade: number[]; restore: number[] } = { stockade: [], restore: [] };
    let endStockade = '';
    let endRestore = '';
    for (let i = 0; i < runs; i++) {
      const order = i % 2 ? ['restore', 'stockade'] : ['stockade', 'restore'];
      for (const side of order) {
        reset();
        if (side === 'stockade') {
          first.stockade.push(apply(files.a).ms);
          endStockade = state();
        } else {
          first.restore.push(time(restoreArgv(files.a4)).ms);
          endRestore = state();
        }
      }
    }
    const sameEnd = endStockade === endRestore;

    // (b) one rule changed: each run flips between a and b (so each apply is a one-rule change).
    const change: { stockade: number[]; restore: number[] } = { stockade: [], restore: [] };
    let onB = false;
    let changeWrites = true;
    for (let i = 0; i < runs; i++) {
      const order = i % 2 ? ['restore', 'stockade'] : ['stockade', 'restore'];
      for (const side of order) {
        // Both sides start from the same state (stockade's layout of the current config).
        apply(onB ? files.b : files.a);
        const target = onB ? files.a : files.b;
        if (side === 'stockade') {
          const r = apply(target);
          change.stockade.push(r.ms);
          const tables = (JSON.parse(r.out) as { tables: Array<{ status: string; chains: number }> }).tables.filter((t) => t.status === 'restored');
          changeWrites &&= tables.length === 1 && tables[0]!.chains === 1;
        } else {
          change.restore.push(time(restoreArgv(onB ? files.a4 : files.b4)).ms);
        }
      }
      onB = !onB;
    }
    apply(files.a);
    const changeEnd = state() === endStockade;

    // (c) no change.
    const noop: number[] = [];
    let noWrite = true;
    for (let i = 0; i < runs; i++) {
      const r = apply(files.a);
      noop.push(r.ms);
      noWrite &&= (JSON.parse(r.out) as { tables: Array<{ status: string }> }).tables.every((t) => t.status === 'unchanged');
    }
    reset();
    process.stdout.write(JSON.stringify({ rules: ta.rules, first, change, noop, sameEnd, changeEnd, changeWrites, noWrite }) + '\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (positionals[0] === 'child') {
  await child();
} else {
  const avail = labAvailable({ tools: ['iptables-restore', 'ip6tables-restore', 'iptables-save'] });
  if (!avail.ok) throw new Error(`bench firewall needs the lab: ${avail.reason}`);
  await withLab({ hosts: ['fw'], links: [] }, async (lab) => {
    const r = await lab.exec('fw', [process.execPath, ...process.execArgv, fileURLToPath(import.meta.url), 'child', '--runs', String(runs), '--filter', values.filter!, '--nat', values.nat!], { timeoutMs: 3_600_000 });
    const m = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
      rules: number; first: { stockade: number[]; restore: number[] }; change: { stockade: number[]; restore: number[] }; noop: number[];
      sameEnd: boolean; changeEnd: boolean; changeWrites: boolean; noWrite: boolean;
    };
    console.log(`ruleset: ${values.filter} filter (from ${Math.ceil(Number(values.filter) / 2)} config rules with log) + ${values.nat} NAT rules, ${m.rules} rules generated (chunks, jumps and system rules included); ${runs} runs per side, alternating`);
    console.log(`(a) first apply: stockade firewall apply ${spread(m.first.stockade)}; iptables-restore + ip6tables-restore of the same text ${spread(m.first.restore)}; same end state: ${m.sameEnd}`);
    console.log(`(b) one rule changed: stockade ${spread(m.change.stockade)} (one chain written each time: ${m.changeWrites}); full restore ${spread(m.change.restore)}; end state as (a): ${m.changeEnd}`);
    console.log(`(c) no change: stockade ${spread(m.noop)}; no write: ${m.noWrite}`);
    if (!m.sameEnd || !m.changeEnd || !m.changeWrites || !m.noWrite) console.log('WARNING: the sides did not end in the same state or stockade wrote more than it should; the ratios are not comparable');
    const apply = median(m.first.stockade) / median(m.first.restore);
    const change = median(m.change.stockade) / median(m.change.restore);
    console.log(`BENCH firewall apply_ratio=${apply.toFixed(2)} change_ratio=${change.toFixed(2)} noop_ms=${median(m.noop).toFixed(1)}`);
  });
}
