// The comparison with iptables-save that decides which tables and chains to restore, and the
// apply's use of it through a fake kernel: nothing written when nothing differs, one chunk chain
// for one changed rule, stale STOCKADE chains deleted, chains of others never touched, a refusal
// reported with the config pointer of the refused line.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { applyRuleset, compileRuleset, fullTableText, FirewallApplyError, parseSave, planRuleset, savedAfter, type FirewallKernel, type Ruleset } from '../../../src/firewall/index.ts';
import { loadConfigText } from '../../../src/config/load.ts';
import type { Config } from '../../../src/config/generated/config.ts';
import type { IpFamily, IptablesTable } from '../../../src/kernel/iptables-restore.ts';

function config(doc: Record<string, unknown>): Config {
  const loaded = loadConfigText(JSON.stringify({ version: 1, interfaces: { ports: [{ name: 'lan' }, { name: 'wan' }] }, ...doc }));
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  return loaded.config;
}

const rules = (n: number, port = 1000): unknown[] => Array.from({ length: n }, (_, i) => ({ chain: 'forward', action: 'accept', protocol: 'tcp', destination_ports: [port + i] }));

/** A kernel that holds what was restored (by applying the generated text as iptables would). */
class FakeKernel implements FirewallKernel {
  saved: Record<IpFamily, string> = { ipv4: '', ipv6: '' };
  restores: Array<{ family: IpFamily; table: IptablesTable; input: string }> = [];
  refuse: RegExp | undefined;
  async save(family: IpFamily): Promise<string> {
    return this.saved[family];
  }
  async restore(family: IpFamily, table: IptablesTable, input: string) {
    this.restores.push({ family, table, input });
    const lines = input.split('\n');
    const bad = this.refuse ? lines.findIndex((l) => this.refuse!.test(l)) : -1;
    if (bad >= 0) return { ok: false as const, reason: `line ${bad + 1} (${lines[bad]}): No chain/target/match by that name.`, line: bad + 1 };
    return { ok: true as const };
  }
  async loadModules(): Promise<void> {}
  /** Makes the kernel hold `rs` (what a successful full apply leaves). */
  hold(rs: Ruleset, extra = ''): void {
    for (const family of ['ipv4', 'ipv6'] as const) {
      this.saved[family] = rs.tables.filter((t) => t.family === family).map((t) => fullTableText(t).text).join('') + extra;
    }
  }
}

test('iptables-save parsing: counters, policies, vrrp and gre read back as numbers', () => {
  const saved = parseSave('# x\n*filter\n:INPUT DROP [3:180]\n:STOCKADE-INPUT - [0:0]\n[5:400] -A STOCKADE-INPUT -p vrrp -j ACCEPT\n[0:0] -A STOCKADE-INPUT -s 192.0.2.1/32 -p gre -j ACCEPT\nCOMMIT\n');
  const chains = saved.get('filter')!;
  assert.equal(chains.get('INPUT'), { name: 'INPUT', policy: 'DROP', packets: 3, bytes: 180, rules: [] });
  assert.equal(chains.get('STOCKADE-INPUT')!.rules, [{ spec: '-p 112 -j ACCEPT', packets: 5, bytes: 400 }, { spec: '-s 192.0.2.1/32 -p 47 -j ACCEPT', packets: 0, bytes: 0 }]);
});

test('what an apply leaves (savedAfter) is what a full apply of the new ruleset holds: a second plan against it finds nothing to do', async () => {
  const k = new FakeKernel();
  const c = config({ firewall: { rules: rules(300), preload: { filter: ['-A INPUT -s 192.0.2.99/32 -j DROP'] } } });
  k.hold(compileRuleset(c, { scope: 'full' }), '*mangle\n:ADMIN - [0:0]\n-A ADMIN -j RETURN\nCOMMIT\n');
  const changed = structuredClone(c);
  changed.firewall.rules[150]!.destination_ports = [9];
  changed.firewall.rules.splice(10, 200);
  const rs = compileRuleset(changed, { scope: 'full' });
  const r = await applyRuleset(rs, k);
  assert.ok(r.tables.some((t) => t.status === 'restored'));
  const after = new Map((['ipv4', 'ipv6'] as const).map((f) => [f, parseSave(savedAfter(r.before.get(f), r.plans.filter((p) => p.family === f)))]));
  assert.equal(planRuleset(rs, after).filter((p) => p.write.length + p.remove.length > 0).map((p) => p.table), []);
  assert.equal(after.get('ipv4')!.get('mangle')!.get('ADMIN')!.rules.map((x) => x.spec), ['-j RETURN'], 'chains of others kept as they were');
});

test('first apply: every table with rules is restored (--noflush input: declarations, -F of built-ins, rules)', async () => {
  const k = new FakeKernel();
  const rs = compileRuleset(config({ firewall: { rules: rules(3), nat: [{ type: 'masquerade', out_interface: 'wan' }] } }), { scope: 'full' });
  const r = await applyRuleset(rs, k);
  assert.equal(r.tables.filter((t) => t.status === 'restored').map((t) => `${t.family} ${t.table}`), ['ipv4 nat', 'ipv4 filter', 'ipv6 filter']);
  const filter = k.restores.find((x) => x.family === 'ipv4' && x.table === 'filter')!.input;
  assert.match(filter, /^\*filter\n:INPUT DROP \[0:0\]\n:FORWARD DROP \[0:0\]\n/);
  assert.match(filter, /^-F INPUT$/m);
  assert.match(filter, /^:STOCKADE-FWD-0 - \[0:0\]$/m);
  assert.ok(filter.endsWith('COMMIT\n'));
});

test('no change: nothing is written', async () => {
  const k = new FakeKernel();
  const rs = compileRuleset(config({ firewall: { rules: rules(10) } }), { scope: 'full' });
  k.hold(rs);
  const r = await applyRuleset(rs, k);
  assert.equal(k.restores, []);
  assert.ok(r.tables.every((t) => t.status === 'unchanged'));
});

test('one rule changed among many: only its chunk chain is written', async () => {
  const k = new FakeKernel();
  const c = config({ firewall: { rules: rules(1000) } });
  k.hold(compileRuleset(c, { scope: 'full' }));
  const changed = structuredClone(c);
  changed.firewall.rules[500]!.destination_ports = [9];
  const r = await applyRuleset(compileRuleset(changed, { scope: 'full' }), k);
  assert.equal(k.restores.length, 1);
  const input = k.restores[0]!.input;
  assert.equal(input.split('\n').filter((l) => l.startsWith(':')), [':STOCKADE-FWD-2 - [0:0]']);
  assert.is(input.split('\n').filter((l) => l.startsWith('-A')).length, 200);
  assert.equal(r.plans.flatMap((p) => p.changes.map((x) => [x.chain, x.added.map((a) => a.pointer), x.removed.length])), [['STOCKADE-FWD-2', ['/firewall/rules/500'], 1]]);
});

test('fewer rules: stale chunk chains are emptied and deleted after the jumps to them are gone; others\' chains untouched', async () => {
  const k = new FakeKernel();
  k.hold(compileRuleset(config({ firewall: { rules: rules(450) } }), { scope: 'full' }));
  k.saved.ipv4 = k.saved.ipv4.replace('*filter\n', '*filter\n:fail2ban - [0:0]\n-A fail2ban -s 203.0.113.66/32 -j DROP\n');
  await applyRuleset(compileRuleset(config({ firewall: { rules: rules(100) } }), { scope: 'full' }), k);
  const input = k.restores[0]!.input.split('\n');
  assert.equal(input.filter((l) => l.startsWith('-X')), ['-X STOCKADE-FWD-1', '-X STOCKADE-FWD-2']);
  assert.ok(input.indexOf('-X STOCKADE-FWD-1') > input.findLastIndex((l) => l.startsWith('-A')));
  assert.not.ok(input.some((l) => l.includes('fail2ban')));
});

test('a policy changed: the built-in chain is written with its new policy', async () => {
  const k = new FakeKernel();
  k.hold(compileRuleset(config({}), { scope: 'full' }));
  await applyRuleset(compileRuleset(config({ firewall: { policy: { forward: 'accept' } } }), { scope: 'full' }), k);
  assert.equal(k.restores.map((x) => x.input.split('\n').filter((l) => l.startsWith(':'))), [[':FORWARD ACCEPT [0:0]']]);
});

test('a refused rule: the error names the family, table, config pointer and line; tables after it are not touched', async () => {
  const k = new FakeKernel();
  k.refuse = /nosuchmatch/;
  const rs = compileRuleset(config({ firewall: { nat: [{ type: 'masquerade', out_interface: 'wan' }], preload: { filter: ['-A INPUT -m nosuchmatch -j ACCEPT'] } } }), { scope: 'full' });
  try {
    await applyRuleset(rs, k);
    assert.unreachable('the refusal must throw');
  } catch (e) {
    assert.instance(e, FirewallApplyError);
    const err = e as FirewallApplyError;
    assert.is(err.pointer, '/firewall/preload/filter/0');
    assert.match(err.message, /^ipv4 filter: \/firewall\/preload\/filter\/0: the kernel refused the rule: line \d+ \(-A INPUT -m nosuchmatch -j ACCEPT\): No chain\/target\/match by that name\.; the table keeps its previous rules$/);
    assert.equal(err.applied.map((t) => `${t.family} ${t.table}`), ['ipv4 nat']);
  }
  assert.equal(k.restores.map((x) => `${x.family} ${x.table}`), ['ipv4 nat', 'ipv4 filter'], 'ipv6 not attempted after the refusal');
});

test.run();
