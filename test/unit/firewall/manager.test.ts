// The daemon's drift check skips iptables-save while the nf_tables generation is unchanged since
// its last comparison, and compares again as soon as it moves (someone ran iptables).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileRuleset, fullTableText, startFirewallManager, type FirewallKernel } from '../../../src/firewall/index.ts';
import { loadConfigText } from '../../../src/config/load.ts';
import type { IpFamily } from '../../../src/kernel/iptables-restore.ts';

test('drift check: no iptables-save while the generation stands still; drift found once it moves', async () => {
  const loaded = loadConfigText(JSON.stringify({ version: 1, interfaces: { ports: [{ name: 'lan' }] }, firewall: { rules: [{ chain: 'input', action: 'accept', protocol: 'tcp', destination_ports: [22] }] } }));
  assert.ok(loaded.ok);
  if (!loaded.ok) return;
  const rs = compileRuleset(loaded.config, { scope: 'full' });
  const saved: Record<IpFamily, string> = { ipv4: '', ipv6: '' };
  for (const f of ['ipv4', 'ipv6'] as const) saved[f] = rs.tables.filter((t) => t.family === f).map((t) => fullTableText(t).text).join('');
  let saves = 0;
  let gen = 7;
  const kernel: FirewallKernel = {
    save: async (f) => { saves++; return saved[f]; },
    restore: async () => ({ ok: true }),
    loadModules: async () => undefined,
    generation: async () => ({ namespace: 'ns', id: gen }),
  };
  const counters: FirewallKernel = { ...kernel, save: async (f) => saved[f] };
  const m = await startFirewallManager(loaded.config, kernel, () => undefined, 3_600_000);
  try {
    await m.view(counters); // the first check compares
    const after = saves;
    await m.view(counters);
    await m.view(counters);
    assert.is(saves, after, 'unchanged generation: no iptables-save');
    saved.ipv4 = saved.ipv4.replace('COMMIT\n', '-A STOCKADE-INPUT -p udp -j ACCEPT\nCOMMIT\n');
    gen++;
    const v = await m.view(counters);
    assert.ok(saves > after, 'a new generation: compared again');
    assert.ok(v.drift.length > 0, JSON.stringify(v.drift));
  } finally {
    m.stop();
  }
});

test.run();
