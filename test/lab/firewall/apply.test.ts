// `stockade firewall plan|apply` and `ctl firewall` in a lab namespace (the built executable):
// the kernel holds what was generated (read back with iptables-save), forwarding follows the
// rules, a second apply writes nothing, counters and pointers show in `ctl firewall`, a rule
// added by hand is reported as drift and undone by the next apply, and a table the kernel
// refuses keeps its previous rules while the error names the config pointer.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { labAvailable, withLab, type Lab, type Topology } from '../harness.ts';
import { STOCKADE_BIN, type DaemonNode } from '../helpers/stockade-daemon.ts';
import { loadConfigText } from '../../../src/config/load.ts';
import { compileRuleset, fullTableText, type TableView, type DriftView } from '../../../src/firewall/index.ts';

const test = suite('firewall: apply, plan and ctl firewall in a lab namespace');
const avail = labAvailable({ tools: ['iptables', 'iptables-save', 'ping'] });

const topo: Topology = {
  hosts: ['fw', 'lanhost', 'wanhost'],
  links: [['fw:lan', 'lanhost:eth0'], ['fw:wan', 'wanhost:eth0']],
  addresses: { 'fw:lan': ['192.0.2.1/24'], 'fw:wan': ['203.0.113.1/24'], 'lanhost:eth0': ['192.0.2.10/24'], 'wanhost:eth0': ['203.0.113.10/24'] },
  routes: { lanhost: ['default via 192.0.2.1'], wanhost: ['default via 203.0.113.1'] },
};

const config = {
  version: 1,
  interfaces: { ports: [{ name: 'lan' }, { name: 'wan' }] },
  addresses: [{ interface: 'lan', static: ['192.0.2.1/24'] }, { interface: 'wan', static: ['203.0.113.1/24'] }],
  sysctls: { 'net.ipv4.ip_forward': 1 },
  firewall: {
    rules: [
      { chain: 'forward', action: 'accept', protocol: 'icmp', in_interface: 'lan', out_interface: 'wan', comment: 'lan may ping out' },
      { chain: 'input', action: 'accept', protocol: 'icmp', in_interface: 'lan' },
    ],
    nat: [{ type: 'masquerade', source: '192.0.2.0/24', out_interface: 'wan' }],
    preload: { filter: ['-A INPUT -s 192.0.2.99/32 -j DROP'] },
  },
};

const run = (lab: Lab, args: string[]) => lab.exec('fw', [STOCKADE_BIN, ...args], { check: false, timeoutMs: 60_000 });
const save = async (lab: Lab): Promise<string> => (await lab.exec('fw', ['iptables-save'])).stdout.split('\n').filter((l) => !l.startsWith('#')).join('\n');
const pings = async (lab: Lab, from: string, to: string): Promise<boolean> => (await lab.exec(from, ['ping', '-c', '1', '-W', '1', to], { check: false })).code === 0;

interface View { managed: boolean; error: string | null; drift: DriftView[]; tables: TableView[] }

if (!avail.ok) {
  console.log(`SKIP lab/firewall/apply: ${avail.reason}`);
} else {
  test('apply, read back, traffic, no-op re-apply, counters with pointers, drift and its repair, a refused table', async () => {
    await withLab(topo, async (lab) => {
      await lab.exec('fw', ['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
      const dir = mkdtempSync(join(tmpdir(), 'stk-fw-apply-'));
      let daemon: DaemonNode | undefined;
      try {
        const file = join(dir, 'config.json');
        writeFileSync(file, JSON.stringify(config));
        const plan = await run(lab, ['firewall', 'plan', file]);
        assert.is(plan.code, 0, plan.stderr);
        assert.match(plan.stdout, /^ipv4 filter STOCKADE-FWD-0: missing from the kernel \(1 rules\)$/m);
        assert.match(plan.stdout, /chains? to write in ipv4 filter, ipv4 nat, ipv6 filter /);

        const apply = await run(lab, ['firewall', 'apply', file]);
        assert.is(apply.code, 0, apply.stderr);
        assert.match(apply.stdout, /^ipv4 filter: restored \(\d+ chains\)$/m);

        // The kernel holds exactly the generated tables.
        const loaded = loadConfigText(JSON.stringify(config));
        assert.ok(loaded.ok);
        if (!loaded.ok) return;
        const saved = await save(lab);
        for (const t of compileRuleset(loaded.config, { scope: 'full' }).tables.filter((t) => t.family === 'ipv4' && t.table !== 'mangle' && t.table !== 'raw')) {
          const text = fullTableText(t).text.replace(/\n$/, '');
          assert.ok(saved.includes(text.replace(/ -p 112 /g, ' -p vrrp ')), `${t.table} as generated:\n${text}\n--- kernel:\n${saved}`);
        }
        assert.match(saved, /^-A INPUT -s 192\.0\.2\.99\/32 -j DROP\n-A INPUT -j STOCKADE-INPUT$/m, 'the preload line first, then stockade\'s chain');

        // Behaviour: lan pings out (forward rule, masqueraded), wan cannot ping in.
        assert.ok(await pings(lab, 'lanhost', '203.0.113.10'), 'lan -> wan allowed by /firewall/rules/0');
        assert.not.ok(await pings(lab, 'wanhost', '192.0.2.10'), 'wan -> lan dropped by the forward policy');
        assert.not.ok(await pings(lab, 'wanhost', '203.0.113.1'), 'wan -> box dropped by the input policy');

        const again = await run(lab, ['firewall', 'apply', file]);
        assert.is(again.stdout, 'no changes: the kernel held the config\'s firewall\n', 'nothing restored the second time');

        // The daemon takes over the ruleset the apply left (boot's, on the appliance).
        const socket = join(dir, 'fw.sock');
        const proc = lab.spawn('fw', ['env', '-u', 'STOCKADE_NATIVE', STOCKADE_BIN, 'daemon', '--config', file, '--default-config', 'none', '--socket', socket]);
        daemon = { proc, socket, host: 'fw' };
        const view = async (): Promise<View | undefined> => {
          const r = await run(lab, ['ctl', 'firewall', '--json', '--socket', socket]);
          return r.code === 0 ? JSON.parse(r.stdout) as View : undefined;
        };
        const v1 = await lab.waitFor('ctl firewall', view, { timeoutMs: 15_000, intervalMs: 200 });
        assert.ok(v1.managed);
        assert.is(v1.error, null);
        assert.equal(v1.drift, []);
        const fwd = v1.tables.find((t) => t.family === 'ipv4' && t.table === 'filter')!.chains.find((c) => c.name === 'STOCKADE-FWD-0')!;
        assert.is(fwd.rules[0]!.pointer, '/firewall/rules/0');
        assert.ok(fwd.rules[0]!.packets >= 1, `the forwarded ping (its first packet: the reply is ESTABLISHED) counted: ${JSON.stringify(fwd.rules[0])}`);
        const text = (await run(lab, ['ctl', 'firewall', '--socket', socket])).stdout;
        assert.match(text, /^Chain STOCKADE-FWD-0$/m);
        assert.match(text, /^ +\d+ +\d+ +\/firewall\/rules\/0 +-i lan -o wan -p icmp -j ACCEPT$/m);
        assert.match(text, /^drift: none/m);

        // Someone adds a rule by hand: drift, named; apply restores; drift clears.
        await lab.exec('fw', ['iptables', '-A', 'STOCKADE-FWD-0', '-p', 'tcp', '-j', 'ACCEPT']);
        const v2 = (await view())!;
        assert.equal(v2.drift.map((d) => [d.table, d.chain, d.kind, d.extra]), [['filter', 'STOCKADE-FWD-0', 'changed', ['-p tcp -j ACCEPT']]]);
        assert.match((await run(lab, ['ctl', 'firewall', '--socket', socket])).stdout, /^ {2}ipv4 filter STOCKADE-FWD-0: - -p tcp -j ACCEPT$/m);
        const repair = await run(lab, ['firewall', 'apply', file]);
        assert.match(repair.stdout, /^ipv4 filter: restored \(1 chain\)$/m, 'only the drifted chain is rewritten');
        assert.equal((await view())!.drift, []);

        // A preload line the kernel refuses: exit 1, the pointer named, the old table kept.
        const before = await save(lab);
        const bad = { ...config, firewall: { ...config.firewall, rules: [], preload: { filter: ['-A INPUT -m nosuchmatch --foo -j ACCEPT'] } } };
        writeFileSync(file, JSON.stringify(bad));
        const refused = await run(lab, ['firewall', 'apply', file]);
        assert.is(refused.code, 1);
        assert.match(refused.stderr, /firewall apply: ipv4 filter: \/firewall\/preload\/filter\/0: the kernel refused the rule: line \d+ \(-A INPUT -m nosuchmatch --foo -j ACCEPT\): .*the table keeps its previous rules/);
        assert.is(await save(lab), before, 'the filter table is as it was');
        assert.ok(await pings(lab, 'lanhost', '203.0.113.10'), 'and still forwards');
      } finally {
        if (daemon) {
          daemon.proc.kill('SIGTERM');
          await daemon.proc.exited;
        }
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

test.run();
