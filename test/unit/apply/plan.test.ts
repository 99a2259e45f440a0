import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { loadConfigText } from '../../../src/config/load.ts';
import type { Config } from '../../../src/config/generated/config.ts';
import { formatPlan, planConfig } from '../../../src/apply/index.ts';

const fixture = readFileSync(new URL('../../fixtures/config/ha-node-a.json', import.meta.url), 'utf8');

/** The HA fixture, edited as a JSON object, then loaded (schema defaults filled, semantics checked). */
function config(edit: (c: Record<string, any>) => void = () => undefined): Config {
  const raw = JSON.parse(fixture) as Record<string, any>;
  edit(raw);
  const r = loadConfigText(JSON.stringify(raw));
  if (!r.ok) throw new Error(`fixture edit is invalid: ${JSON.stringify(r.errors)}`);
  return r.config;
}

const part = (plan: ReturnType<typeof planConfig>, name: string) => plan.parts.find((p) => p.part === name)!;

test('the same config: nothing changes, the VRRP instances are listed as kept', () => {
  const plan = planConfig(config(), config());
  assert.is(plan.changed, false);
  assert.equal(part(plan, 'vrrp').unchanged, ['instance vi_ext', 'instance vi_int', 'instance vi_srv']);
  const text = formatPlan(plan);
  assert.match(text, /^vrrp: unchanged \(3 kept as they run\)$/m);
  assert.match(text, /No change: applying this config does nothing\.\n$/);
});

test('a new priority is applied in place; the other instances are unchanged; nothing else changes', () => {
  const plan = planConfig(config(), config((c) => { c.vrrp.instances[1].priority = 120; }));
  const vrrp = part(plan, 'vrrp');
  assert.equal(vrrp.items.map((i) => [i.label, i.change, i.effect]), [['instance vi_int', 'changed', 'in place']]);
  assert.equal(vrrp.items[0]!.fields, [{ path: '/priority', kind: 'changed', before: 150, after: 120 }]);
  assert.equal(vrrp.unchanged, ['instance vi_ext', 'instance vi_srv']);
  assert.equal(plan.parts.filter((p) => p.changed).map((p) => p.part), ['vrrp']);
  const text = formatPlan(plan);
  assert.match(text, /^vrrp:\n {2}~ instance vi_int: in place\n {6}priority: 150 -> 120\n {2}= instance vi_ext: unchanged\n {2}= instance vi_srv: unchanged\n/m);
  assert.match(text, /1 part change: vrrp\.\n$/);
});

test('a new VRID restarts the instance and says what that means', () => {
  const plan = planConfig(config(), config((c) => { c.vrrp.instances[0].vrid = 11; c.vrrp.instances[0].priority = 140; }));
  const item = part(plan, 'vrrp').items[0]!;
  assert.is(item.effect, 'restarts');
  assert.match(item.why!, /^vrid changed: goes through INIT/);
  assert.match(formatPlan(plan), /! instance vi_ext: restarts\n {6}vrid changed: goes through INIT/);
});

test('instances added and removed; reordering a named list is no change', () => {
  const plan = planConfig(config(), config((c) => {
    const [ext, int, srv] = c.vrrp.instances;
    c.vrrp.instances = [srv, ext, { ...int, name: 'vi_lan' }];
    c.vrrp.sync_groups[0].instances = ['vi_ext', 'vi_lan', 'vi_srv'];
    c.interfaces.vlans.reverse();
  }));
  assert.equal(part(plan, 'vrrp').items.map((i) => [i.label, i.change]), [
    ['instance vi_int', 'removed'], ['instance vi_lan', 'added'], ['sync group fw', 'changed'],
  ]);
  assert.is(part(plan, 'net').changed, false, 'VLANs only reordered');
});

test('net: an address and a hostname, grouped per item', () => {
  const plan = planConfig(config(), config((c) => {
    c.addresses[0].static = ['203.0.113.3/24'];
    c.system.hostname = 'fw-c';
  }));
  const net = part(plan, 'net');
  assert.equal(net.items.map((i) => i.label).sort(), ['address ext', 'system/hostname']);
  assert.match(formatPlan(plan), /~ address ext: changed\n {6}static: \["203\.0\.113\.2\/24"\] -> \["203\.0\.113\.3\/24"\]/);
});

test('a NIC assigned to a port (nic_mac) and a module: the plan says they wait for the next reboot', () => {
  const plan = planConfig(config(), config((c) => {
    c.interfaces.ports[0].nic_mac = '52:54:00:12:34:56';
    c.interfaces.ports[1].mtu = 9000;
    c.modules = ['sch_fq_codel'];
  }));
  const net = part(plan, 'net');
  const item = (label: string) => net.items.find((i) => i.label === label)!;
  assert.match(item('port eth0').nextBoot!, /^nic_mac takes effect at the next reboot \(ports are named at boot/);
  assert.is(item('port eth1').nextBoot, undefined, 'an MTU is applied now');
  assert.match(item('modules').nextBoot!, /^takes effect at the next reboot \(modules are loaded at boot\)$/);
  const text = formatPlan(plan);
  assert.match(text, /~ port eth0: changed\n {6}nic_mac takes effect at the next reboot \(ports are named at boot;[^\n]*\n(?: {8}\S[^\n]*\n)* {6}nic_mac: \(none\) -> "52:54:00:12:34:56"\n/);
  assert.match(text, /Saved now, in effect only after the next reboot: port eth0, modules\.\n$/);
  for (const l of text.split('\n')) assert.ok(l.length <= 79, l);
  // A plan with nothing of the kind says nothing about reboots.
  assert.not.match(formatPlan(planConfig(config(), config((c) => { c.interfaces.ports[1].mtu = 9000; }))), /reboot/);
});

test('sync: a new port restarts it (caches dropped), a new purge timeout is applied in place', () => {
  const port = planConfig(config(), config((c) => { c.sync.port = 3781; }));
  assert.equal(part(port, 'sync').items.map((i) => [i.label, i.effect]), [['sync', 'restarts']]);
  assert.match(part(port, 'sync').items[0]!.why!, /caches are dropped/);
  const purge = planConfig(config(), config((c) => { c.sync.purge_timeout_s = 30; }));
  assert.equal(part(purge, 'sync').items.map((i) => [i.label, i.effect]), [['sync', 'in place']]);
  const added = planConfig(config((c) => { delete c.sync; delete c.vrrp.sync_groups; }), config());
  assert.is(part(added, 'sync').items[0]!.change, 'added');
});

test('firewall: a rule inserted is one added rule, not every rule after it changed', () => {
  const plan = planConfig(config(), config((c) => {
    c.firewall.rules.splice(2, 0, { chain: 'input', action: 'accept', protocol: 'tcp', destination_ports: [22] });
    c.firewall.rules.pop();
  }));
  assert.equal(part(plan, 'firewall').items.map((i) => [i.label, i.change]), [['rule #3', 'added'], ['rule #7', 'removed']]);
});

test('every line fits an 80-column console, long values cut', () => {
  const plan = planConfig(config(), config((c) => {
    c.vrrp.instances[0].vips = ['203.0.113.10/24', ...Array.from({ length: 20 }, (_, i) => `203.0.113.${i + 20}/24`)];
    c.vrrp.instances[0].vrid = 12;
    c.vrrp.instances[0].version = 2;
    c.vrrp.instances[0].use_vmac = true;
  }));
  const lines = formatPlan(plan).trimEnd().split('\n');
  for (const line of lines) assert.ok(line.length <= 80, `too wide (${line.length}): ${line}`);
  assert.ok(lines.some((l) => l.endsWith('...')), 'the long VIP list is cut');
});

test.run();
