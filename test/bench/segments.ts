// npm run bench -- segments: a managed segment of 500 groups x 20 hosts (one rule each) and a
// pool of 1,000 public addresses (999 assigned), on the built daemon in a lab namespace. Whole
// commands against whole commands, alternating, >= 7 runs each, same end state checked:
//   assign: `stockade segment ip assign` (a config transaction: validated, planned, the firewall's
//           changed chains restored) against Eucalyptus' way (reference G.1): iptables-save of
//           the nat table, the same new lines inserted before COMMIT (duplicates dropped),
//           iptables-restore of the whole table;
//   rule:   `stockade segment rule add` against the same on the filter table.
// Each run is undone (untimed) before the next: the stockade side by the inverse command, the
// other by restoring the saved table.
//
// Addresses: 10,000 hosts and 1,000 public addresses do not fit the documentation ranges, so
// the segment's range (10.0.0.0/18) and pool (100.64.0.0/22) appear only in the namespace's
// iptables rules: the segment follows a VRRP instance held in FAULT (its tracked link is down),
// so the daemon serves nothing (no address is added, no DHCP server runs, no packet is sent);
// the bench checks this before measuring. Both boxes of a pair hold these rules; the master's
// address and DHCP work comes on top of them.
// Last line: BENCH segments assign_ratio=<r> rule_ratio=<r>.
//   scripts/node-run test/bench/segments.ts [--runs N] [--groups N]
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { labAvailable, withLab, type Lab } from '../lab/harness.ts';
import { alternate, describe, median, ratio, runsOption } from './stats.ts';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..');
const BIN = join(ROOT, 'dist', 'x64', 'stockade');
const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' }, groups: { type: 'string', default: '500' } } });
const runs = runsOption(values.runs, 7);
const GROUPS = Number(values.groups);
const HOSTS = 20;
const POOL = 1000;

const ip = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
const BASE = (10 << 24) >>> 0;
const PUB = ((100 << 24) | (64 << 16)) >>> 0;
const hostIp = (g: number, h: number): string => ip(BASE + g * 32 + 2 + h);
const mac = (g: number, h: number): string => `02:00:00:${(g >> 8).toString(16).padStart(2, '0')}:${(g & 255).toString(16).padStart(2, '0')}:${h.toString(16).padStart(2, '0')}`;

function configOf(): unknown {
  const groups = Array.from({ length: GROUPS }, (_, g) => ({
    name: `g${g}`, id: g, interface: `g${g}`,
    hosts: Array.from({ length: HOSTS }, (_, h) => ({ mac: mac(g, h), ip: hostIp(g, h) })),
    rules: [{ source: '192.0.2.0/24', protocol: 'tcp', ports: 80 }],
  }));
  const pool = Array.from({ length: POOL }, (_, k) => ip(PUB + 1 + k));
  const assign = pool.slice(0, POOL - 1).map((address, k) => ({ address, host: hostIp(Math.floor(k / HOSTS) % GROUPS, k % HOSTS) }));
  return {
    version: 1,
    interfaces: { ports: [{ name: 'wan' }, { name: 'trunk' }, { name: 'ha' }, ...groups.map((g) => ({ name: g.interface }))] },
    addresses: [{ interface: 'wan', static: ['203.0.113.2/24'] }, { interface: 'ha', static: ['192.0.2.1/24'] }],
    management: { commit_confirm_s: 0 },
    vrrp: { instances: [{ name: 'vi', interface: 'ha', vrid: 9, priority: 150, vips: ['192.0.2.100/24'], track_interfaces: [{ interface: 'ha' }] }] },
    segments: [{ name: 'cloud', mode: 'managed', vrrp: 'vi', interfaces: ['trunk'], subnet: '10.0.0.0/18', addresses_per_group: 32, groups, public: { interface: 'wan', pool, assign } }],
  };
}

async function main(lab: Lab): Promise<void> {
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { loadConfigText } = await import('../../src/config/load.ts');
  const { compileRuleset } = await import('../../src/firewall/index.ts');
  const { applySegmentOp } = await import('../../src/segments/index.ts');
  const { controlRequest } = await import('../../src/control/index.ts');
  const dir = mkdtempSync(join(tmpdir(), 'stk-bench-seg-'));
  const sock = join(dir, 'ctl.sock');
  try {
    const doc = configOf();
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify(doc));
    const loaded = loadConfigText(JSON.stringify(doc));
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors.slice(0, 3)));
    const c0 = loaded.config;
    const newAddress = ip(PUB + POOL);
    const newHost = hostIp(GROUPS - 1, HOSTS - 1);
    const ruleGroup = `g${Math.floor(GROUPS / 2)}`;
    const ops = {
      assign: { op: 'ip-assign' as const, segment: 'cloud', address: newAddress, host: newHost },
      rule: { op: 'rule-add' as const, segment: 'cloud', group: ruleGroup, rule: { source: '198.51.100.0/24', protocol: 'tcp' as const, ports: 22 } },
    };
    /** The lines the op adds, per table, as `-A CHAIN spec` (each at the end of its chain: checked by the end state). */
    const added = (table: string, next: typeof c0): string[] => {
      const lines = (c: typeof c0) => compileRuleset(c, { scope: 'full' }).tables.filter((t) => t.family === 'ipv4' && t.table === table).flatMap((t) => t.chains.flatMap((ch) => ch.rules.map((r) => `-A ${ch.name} ${r.spec}`)));
      const before = new Set(lines(c0));
      return lines(next).filter((l) => !before.has(l));
    };
    const assignLines = added('nat', applySegmentOp(c0, ops.assign));
    const ruleLines = added('filter', applySegmentOp(c0, ops.rule));
    writeFileSync(join(dir, 'assign.lines'), assignLines.join('\n') + '\n');
    writeFileSync(join(dir, 'rule.lines'), ruleLines.join('\n') + '\n');
    // Eucalyptus' euca_ipt: save the table, the new lines before COMMIT, exact duplicates dropped, restore it whole.
    const euca = (table: string, lines: string): string => `iptables-save -t ${table} > ${dir}/${table}.cur && awk -v f=${lines} '/^COMMIT/{while((getline l < f)>0) print l} !seen[$0]++' ${dir}/${table}.cur > ${dir}/${table}.new && iptables-restore < ${dir}/${table}.new`;
    writeFileSync(join(dir, 'euca-assign.sh'), euca('nat', join(dir, 'assign.lines')) + '\n');
    writeFileSync(join(dir, 'euca-rule.sh'), euca('filter', join(dir, 'rule.lines')) + '\n');

    const ex = (argv: string[]) => lab.exec('box', argv, { timeoutMs: 600_000 });
    await ex(['ip', 'link', 'set', 'ha', 'down']);
    const fw = await ex(['env', '-u', 'STOCKADE_NATIVE', BIN, 'firewall', 'apply', file]);
    void fw;
    const daemon = lab.spawn('box', ['env', '-u', 'STOCKADE_NATIVE', `STOCKADE_RUN_DIR=${join(dir, 'run')}`, BIN, 'daemon', '--config', file, '--default-config', 'none', '--socket', sock]);
    await lab.waitFor('the daemon', async () => ((await controlRequest(sock, 'segments.status').catch(() => undefined)) ? true : undefined), { timeoutMs: 60_000 });
    const vrrp = (await controlRequest(sock, 'vrrp.status')) as { instances: Array<{ state: string }> };
    const addrs = (await ex(['ip', '-4', '-o', 'addr'])).stdout;
    if (vrrp.instances[0]?.state !== 'FAULT' || /inet (10|100)\./.test(addrs)) throw new Error(`the segment must not be served here: vrrp ${vrrp.instances[0]?.state}, addresses ${addrs}`);

    const save = async (table: string): Promise<string> => (await ex(['iptables-save', '-t', table])).stdout.split('\n').filter((l) => l.startsWith('-A ') || l.startsWith(':')).map((l) => l.replace(/ \[\d+:\d+\]$/, '')).join('\n');
    const s0 = { nat: await save('nat'), filter: await save('filter') };
    writeFileSync(join(dir, 'nat.s0'), (await ex(['iptables-save', '-t', 'nat'])).stdout);
    writeFileSync(join(dir, 'filter.s0'), (await ex(['iptables-save', '-t', 'filter'])).stdout);
    const time = async (argv: string[]): Promise<number> => {
      const t0 = performance.now();
      const r = await lab.exec('box', argv, { timeoutMs: 600_000, check: false });
      const ms = performance.now() - t0;
      if (r.code !== 0) throw new Error(`${argv.join(' ')}: exit ${r.code}: ${r.stderr}`);
      return ms;
    };
    const cli = (...args: string[]): string[] => ['env', '-u', 'STOCKADE_NATIVE', BIN, 'segment', ...args, '--socket', sock];
    const results: Record<string, { stockade: number[]; euca: number[]; same: boolean; back: boolean }> = {};
    for (const kind of ['assign', 'rule'] as const) {
      const table = kind === 'assign' ? 'nat' : 'filter';
      const ends: Record<'stockade' | 'euca', string> = { stockade: '', euca: '' };
      let back = true;
      const r = await alternate(runs, {
        stockade: async () => {
          const ms = await time(kind === 'assign' ? cli('ip', 'assign', 'cloud', newAddress, newHost) : cli('rule', 'add', 'cloud', ruleGroup, '--source', '198.51.100.0/24', '--protocol', 'tcp', '--ports', '22'));
          ends.stockade = await save(table);
          await time(kind === 'assign' ? cli('ip', 'unassign', 'cloud', newAddress) : cli('rule', 'del', 'cloud', ruleGroup, '1'));
          back &&= (await save(table)) === s0[table];
          return ms;
        },
        euca: async () => {
          const ms = await time(['sh', join(dir, `euca-${kind}.sh`)]);
          ends.euca = await save(table);
          await time(['sh', '-c', `iptables-restore < ${join(dir, `${table}.s0`)}`]);
          back &&= (await save(table)) === s0[table];
          return ms;
        },
      });
      results[kind] = { ...r, same: ends.stockade === ends.euca && ends.stockade !== s0[table], back };
    }
    // The floor of any whole `stockade` command: the executable starting and exiting, nothing else.
    const start: number[] = [];
    for (let i = 0; i < runs; i++) start.push(await time([BIN, '--version']));
    daemon.kill();
    await daemon.exited;
    console.log(`segment: ${GROUPS} groups x ${HOSTS} hosts, ${POOL} public addresses (${POOL - 1} assigned); ${assignLines.length} nat lines per assignment, ${ruleLines.length} filter line per rule; ${runs} runs per side, alternating`);
    for (const [kind, r] of Object.entries(results)) {
      console.log(`${kind}: stockade segment ${kind === 'assign' ? 'ip assign' : 'rule add'} ${describe(r.stockade)}; iptables-save/edit/iptables-restore of the ${kind === 'assign' ? 'nat' : 'filter'} table ${describe(r.euca)}; same end state: ${r.same}; undone each time: ${r.back}`);
      if (!r.same || !r.back) console.log(`WARNING: ${kind}: the sides did not end in the same state; the ratio is not comparable`);
    }
    console.log(`executable start and exit (stockade --version): ${describe(start)}: the part of each stockade command before it does anything`);
    console.log(`BENCH segments assign_ratio=${ratio(median(results.assign!.stockade), median(results.assign!.euca))} rule_ratio=${ratio(median(results.rule!.stockade), median(results.rule!.euca))} assign_ms=${median(results.assign!.stockade).toFixed(0)} euca_assign_ms=${median(results.assign!.euca).toFixed(0)} rule_ms=${median(results.rule!.stockade).toFixed(0)} euca_rule_ms=${median(results.rule!.euca).toFixed(0)} cli_start_ms=${median(start).toFixed(0)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const avail = labAvailable({ tools: ['iptables-restore', 'iptables-save'] });
if (!avail.ok) throw new Error(`bench segments needs the lab: ${avail.reason}`);
await withLab({ hosts: ['box', 'peer'], links: [['box:ha', 'peer:eth0']], addresses: { 'box:ha': ['192.0.2.1/24'] } }, main);
