// The network setup's config checks: the bad inputs the netsetup issue names (each an error
// before the kernel is touched: exit 2 from `stockade net apply`), and the checks of the
// sections it added (route tables and sources, routing rules, sysctls, modules). Each with a
// failing case (pointer, expected text, hint) and a passing case close to it.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../../src/cli/main.ts';
import { capture, fixture, semanticCases, unwrapped, type SemanticCase } from './helpers.ts';


const cases: SemanticCase[] = [
  // The list.
  {
    name: 'a member in two bonds',
    bad: (c) => c.interfaces.bonds.push({ name: 'bond1', members: ['eth1'] }),
    pointer: '/interfaces/bonds/1/members/0',
    expected: /an interface that is not already a member of a bond or bridge/,
    hint: /"eth1" is already a member of bond "bond0"/,
    good: (c) => {
      c.interfaces.ports.push({ name: 'eth4' });
      c.interfaces.bonds.push({ name: 'bond1', members: ['eth4'] });
    },
  },
  {
    name: 'a VLAN on a missing parent',
    bad: (c) => (c.interfaces.vlans[0].parent = 'bond9'),
    pointer: '/interfaces/vlans/0/parent',
    expected: /the name of a port, a bond or a bridge/,
    hint: /did you mean "bond0"\?/,
  },
  {
    name: 'overlapping addresses',
    bad: (c) => (c.addresses[4].static = ['192.0.2.100/25']),
    pointer: '/addresses/4/static/0',
    expected: /a subnet that no other interface has/,
    hint: /overlaps 192\.0\.2\.0\/25 on int/,
  },
  {
    name: 'a bad MTU',
    bad: (c) => (c.interfaces.ports[2].mtu = 40),
    pointer: '/interfaces/ports/2/mtu',
    expected: /an integer from 68 to 65535/,
    good: (c) => (c.interfaces.ports[2].mtu = 9000),
  },
  {
    name: 'an unknown bond option',
    bad: (c) => (c.interfaces.bonds[0].lacp_rat = 'fast'),
    pointer: '/interfaces/bonds/0/lacp_rat',
    expected: /one of the known properties: .*lacp_rate/,
    hint: /did you mean "lacp_rate"\?/,
  },
  // Routes.
  {
    name: 'a route into the kernel\'s local table',
    bad: (c) => (c.routes[0].table = 255),
    pointer: '/routes/0/table',
    expected: /a routing table other than 255/,
    good: (c) => (c.routes[0].table = 100),
  },
  {
    name: 'a route source is one of the box\'s addresses',
    bad: (c) => (c.routes[0].source = '203.0.113.3'),
    pointer: '/routes/0/source',
    expected: /one of this box's static addresses/,
    hint: /static: 203\.0\.113\.2, 192\.0\.2\.2/,
    good: (c) => (c.routes[0].source = '203.0.113.2'),
  },
  {
    name: 'one route per destination and metric in a table (other tables are other routes)',
    bad: (c) => c.routes.push({ destination: 'default', gateway: '203.0.113.253' }),
    pointer: '/routes/1/destination',
    expected: /one route per destination and metric in a table/,
    good: (c) => c.routes.push({ destination: 'default', gateway: '203.0.113.253', table: 100 }),
  },
  // Routing rules.
  {
    name: 'rule priorities are unique',
    bad: (c) => (c.routing_rules = [{ priority: 100, from: '192.0.2.0/25', table: 100 }, { priority: 100, fwmark: 1, table: 101 }]),
    pointer: '/routing_rules/1/priority',
    expected: /a priority no other rule has/,
    good: (c) => (c.routing_rules = [{ priority: 100, from: '192.0.2.0/25', table: 100 }, { priority: 101, fwmark: 1, table: 101 }]),
  },
  {
    name: 'a lookup rule has a table',
    bad: (c) => (c.routing_rules = [{ priority: 100, from: '192.0.2.0/25' }]),
    pointer: '/routing_rules/0/table',
    expected: /a routing table for action lookup/,
    hint: /254 for the main table/,
  },
  {
    name: 'a drop rule has no table',
    bad: (c) => (c.routing_rules = [{ priority: 100, to: '198.51.100.0/24', action: 'prohibit', table: 100 }]),
    pointer: '/routing_rules/0/table',
    expected: /no table for action prohibit/,
    good: (c) => (c.routing_rules = [{ priority: 100, to: '198.51.100.0/24', action: 'prohibit' }]),
  },
  {
    name: 'an fwmask needs an fwmark',
    bad: (c) => (c.routing_rules = [{ priority: 100, fwmask: 255, table: 100 }]),
    pointer: '/routing_rules/0/fwmask',
    expected: /an fwmask only with an fwmark/,
    good: (c) => (c.routing_rules = [{ priority: 100, fwmark: 3, fwmask: 255, table: 100 }]),
  },
  {
    name: 'rule networks have their host bits zero',
    bad: (c) => (c.routing_rules = [{ priority: 100, from: '192.0.2.1/25', table: 100 }]),
    pointer: '/routing_rules/0/from',
    expected: /an IPv4 network with the host bits zero/,
    hint: /did you mean 192\.0\.2\.0\/25/,
  },
  {
    name: 'rule interfaces exist',
    bad: (c) => (c.routing_rules = [{ priority: 100, in_interface: 'intt', table: 100 }]),
    pointer: '/routing_rules/0/in_interface',
    expected: /the name of a port, a bond, a VLAN or a bridge/,
    hint: /did you mean "int"\?/,
    good: (c) => (c.routing_rules = [{ priority: 100, in_interface: 'int', table: 100 }]),
  },
  // Sysctls.
  {
    name: 'a per-interface sysctl names an interface of the config',
    bad: (c) => (c.sysctls['net.ipv4.conf.bond0/11.rp_filter'] = 2),
    pointer: '/sysctls/net.ipv4.conf.bond0~111.rp_filter',
    expected: /a sysctl of an interface the config defines/,
    good: (c) => (c.sysctls['net.ipv4.conf.ext.rp_filter'] = 2),
  },
  {
    name: 'known sysctls take their values only',
    bad: (c) => (c.sysctls['net.ipv4.conf.all.rp_filter'] = 5),
    pointer: '/sysctls/net.ipv4.conf.all.rp_filter',
    expected: /0 \(off\), 1 \(strict\) or 2 \(loose\) for net\.ipv4\.conf\.all\.rp_filter/,
    good: (c) => (c.sysctls['net.ipv4.conf.all.rp_filter'] = '2'),
  },
  {
    name: 'nf_conntrack_max is a count',
    bad: (c) => (c.sysctls['net.netfilter.nf_conntrack_max'] = 'lots'),
    pointer: '/sysctls/net.netfilter.nf_conntrack_max',
    expected: /a whole number of entries/,
    good: (c) => (c.sysctls['net.netfilter.nf_conntrack_max'] = 262144),
  },
  // Modules.
  {
    name: 'each module once',
    bad: (c) => (c.modules = ['nf_conntrack_ftp', 'nf-conntrack-ftp']),
    pointer: '/modules/1',
    expected: /each module once/,
    good: (c) => (c.modules = ['nf_conntrack_ftp', 'ip_vs_ftp']),
  },
];

semanticCases(test, cases);

const dir = mkdtempSync(join(tmpdir(), 'stockade-net-cli-'));

test('net apply and net plan with a bad config: exit 2, every error, nothing touched (no socket opened)', async () => {
  const c = fixture();
  c.interfaces.bonds.push({ name: 'bond1', members: ['eth1'] });
  c.interfaces.vlans[0].parent = 'bond9';
  c.interfaces.ports[2].mtu = 40;
  c.interfaces.bonds[0].lacp_rat = 'fast';
  const file = join(dir, 'bad.json');
  writeFileSync(file, JSON.stringify(c, null, 2));
  // STOCKADE_NATIVE pointing nowhere: were a socket opened, the command would fail differently.
  const saved = process.env['STOCKADE_NATIVE'];
  process.env['STOCKADE_NATIVE'] = join(dir, 'no-such-addon.node');
  try {
    for (const words of [['net', 'apply'], ['net', 'plan']]) {
      const io = capture();
      assert.is(await main([...words, file], io), 2);
      assert.is(io.stdout, '');
      // Errors past 79 columns are wrapped (as config validate's): joined again here.
      const err = unwrapped(io.stderr);
      assert.match(err, /\/interfaces\/ports\/2\/mtu: expected an integer from 68 to 65535; found 40/);
      assert.match(err, /\/interfaces\/bonds\/0\/lacp_rat: expected one of the known properties/);
      assert.match(err, /\n2 errors; nothing applied\n$/);
    }
  } finally {
    if (saved === undefined) delete process.env['STOCKADE_NATIVE'];
    else process.env['STOCKADE_NATIVE'] = saved;
  }
});

test('net apply with bad arguments: exit 2', async () => {
  const io = capture();
  assert.is(await main(['net', 'apply', '--dry'], io), 2);
  assert.match(io.stderr, /net apply: unexpected argument '--dry' \(usage: stockade net apply \[FILE\] \[--json\]\)/);
  const two = capture();
  assert.is(await main(['net', 'plan', 'a.json', 'b.json'], two), 2);
  assert.match(two.stderr, /one config file only/);
});

test.run();
