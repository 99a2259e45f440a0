// Live config apply and VRRP on a running pair of built daemons (issue 13), watched on the wire:
// tcpdump on the client's port of the bridge records every advert, `ip monitor address` on the
// MASTER records every address change. An apply that changes only the firewall and an address
// leaves both instances in their state with no advert missed and the VIP never removed; a new
// priority applied in place moves mastership when preempt says so and not otherwise; an apply
// refused by one part (management) rolls back the others, VRRP included (kernel state compared
// before and after); SIGHUP applies the saved file the same way.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireLab } from '../require.ts';
import type { Lab, LabProcess } from '../harness.ts';
import { NODE_A, NODE_B, STOCKADE_BIN, VIP, hasAddress, instanceOf, nodeConfig, pairTopology, waitState, withDaemonLab } from '../helpers/stockade-daemon.ts';
import type { DaemonNode, NodeSpec } from '../helpers/stockade-daemon.ts';
import { spawnDaemon } from './daemon-lab.ts';

const test = suite('daemon: live config apply with VRRP (lab)');
const EXTRA = '198.51.100.7';
/** Adverts every 200 ms: a gap of two intervals is a missed advert whatever the machine's load. */
const INTERVAL_MS = 200;
const sections = { management: { commit_confirm_s: 0 } };
const A: NodeSpec = { ...NODE_A, intervalMs: INTERVAL_MS };
const B: NodeSpec = { ...NODE_B, intervalMs: INTERVAL_MS };

/** A node's whole config text with `edit` applied. */
function configText(n: NodeSpec, edit: (c: Record<string, any>) => void = () => undefined): string {
  const c = { ...(nodeConfig(n) as Record<string, any>), ...structuredClone(sections) };
  edit(c);
  return JSON.stringify(c, null, 2);
}

async function apply(lab: Lab, d: DaemonNode, dir: string, text: string, check = true) {
  const file = join(dir, `${d.host}-next.json`);
  writeFileSync(file, text);
  const r = await lab.exec(d.host, ['env', '-u', 'STOCKADE_NATIVE', STOCKADE_BIN, 'config', 'apply', file, '--socket', d.socket], { check: false });
  if (check) assert.is(r.code, 0, `${r.stdout}${r.stderr}`);
  return r;
}

interface Advert { at: number; source: string; prio: number }

/** tcpdump on c's port: every VRRP advert with its time. */
async function captureAdverts(lab: Lab): Promise<{ proc: LabProcess; adverts(): Advert[] }> {
  const proc = lab.spawn('c', ['tcpdump', '-n', '-l', '--immediate-mode', '-tt', '-i', 'eth0', 'ip proto 112']);
  await lab.waitFor('tcpdump listening', () => /listening on/.test(proc.stderr()) || undefined, { timeoutMs: 30_000, intervalMs: 50 });
  return {
    proc,
    adverts: () => proc.stdout().split('\n').flatMap((line) => {
      const m = /^(\d+\.\d+) IP (\S+) > 224\.0\.0\.18: VRRPv3, Advertisement, vrid \d+, prio (\d+)/.exec(line);
      return m ? [{ at: Number(m[1]) * 1000, source: m[2]!, prio: Number(m[3]) }] : [];
    }),
  };
}

/** The longest time between two adverts from `source` within [from, to]. */
function maxGap(adverts: Advert[], source: string, from: number, to: number): number {
  const t = adverts.filter((a) => a.source === source && a.at >= from && a.at <= to).map((a) => a.at);
  let gap = 0;
  for (let i = 1; i < t.length; i++) gap = Math.max(gap, t[i]! - t[i - 1]!);
  return t.length < 2 ? Infinity : gap;
}

/** What the kernel holds on a box that a transaction can change: addresses and the filter table. */
async function kernelState(lab: Lab, host: string): Promise<string> {
  const addrs = (await lab.exec(host, ['ip', '-4', '-o', 'addr', 'show'])).stdout.replace(/valid_lft.*$/gm, '').split('\n').sort().join('\n');
  const rules = (await lab.exec(host, ['iptables-save', '-t', 'filter'])).stdout.split('\n').filter((l) => !l.startsWith('#')).map((l) => l.replace(/\[\d+:\d+\]/, '')).join('\n');
  return `${addrs}\n${rules}`;
}

/** The firewall as `stockade boot` would load it (the daemon manages only a ruleset stockade holds). */
async function bootFirewall(lab: Lab, dir: string, n: NodeSpec): Promise<void> {
  const file = join(dir, `${n.host}-boot.json`);
  writeFileSync(file, configText(n));
  await lab.exec(n.host, ['env', '-u', 'STOCKADE_NATIVE', STOCKADE_BIN, 'firewall', 'apply', file]);
}

async function pair(lab: Lab, dir: string): Promise<[DaemonNode, DaemonNode]> {
  await bootFirewall(lab, dir, A);
  await bootFirewall(lab, dir, B);
  const a = spawnDaemon(lab, dir, { ...A, sections });
  await waitState(lab, a, 'MASTER', 15_000);
  const b = spawnDaemon(lab, dir, { ...B, sections });
  await waitState(lab, b, 'BACKUP', 15_000);
  return [a, b];
}

if (requireLab(test, 'lab/daemon/apply-vrrp', { tools: ['tcpdump'] })) {
  test('an apply of the firewall and an address: both instances keep their state, no advert missed, the VIP never removed', async () => {
    await withDaemonLab(pairTopology(), 'stk-apply-vrrp-', async (lab, dir) => {
      const [a, b] = await pair(lab, dir);
      const cap = await captureAdverts(lab);
      const monitor = lab.spawn('a', ['ip', '-o', '-4', 'monitor', 'address']);
      const before = { a: (await instanceOf(lab, a))!.counters['transitions'], b: (await instanceOf(lab, b))!.counters['transitions'] };
      await new Promise((r) => setTimeout(r, 4 * INTERVAL_MS));
      const t0 = Date.now();
      const r = await apply(lab, a, dir, configText(A, (c) => {
        c.addresses[0].static.push(`${EXTRA}/24`);
        c.firewall = { rules: [{ chain: 'input', action: 'accept', protocol: 'tcp', destination_ports: [2222], comment: 'apply test' }] };
      }));
      assert.match(r.stdout, /Applied: net, firewall, vrrp\./);
      assert.match(r.stdout, /= instance vi1: unchanged|vrrp: unchanged/);
      await new Promise((r) => setTimeout(r, 6 * INTERVAL_MS));
      const t1 = Date.now();
      assert.ok(await hasAddress(lab, 'a', EXTRA), 'the new address is on eth0');
      const rules = (await lab.exec('a', ['iptables-save', '-t', 'filter'])).stdout;
      assert.ok(/--dports? 2222/.test(rules), `the new rule is in the filter table:\n${rules}`);
      await lab.waitFor('the monitor saw the new address', () => monitor.stdout().includes(EXTRA) || undefined, { timeoutMs: 5000, intervalMs: 50 });
      assert.not.match(monitor.stdout(), new RegExp(`Deleted.*${VIP.replace(/\./g, '\\.')}/`), `the VIP was never removed:\n${monitor.stdout()}`);
      const gap = maxGap(cap.adverts(), '192.0.2.1', t0 - 2 * INTERVAL_MS, t1);
      assert.ok(gap < 2 * INTERVAL_MS, `adverts from the MASTER every ${INTERVAL_MS} ms throughout (longest gap ${gap.toFixed(0)} ms)`);
      assert.ok(cap.adverts().every((x) => x.source === '192.0.2.1' && x.prio === 200), 'only the MASTER advertised, at its priority');
      assert.is((await instanceOf(lab, a))!.counters['transitions'], before.a, 'a never moved');
      assert.is((await instanceOf(lab, b))!.counters['transitions'], before.b, 'b never moved');
      assert.is((await instanceOf(lab, a))!.state, 'MASTER');
    });
  });

  test('a new priority in place: the backup does not take over without preempt, and does with it, without restarting', async () => {
    await withDaemonLab(pairTopology(), 'stk-apply-prio-', async (lab, dir) => {
      const [a, b] = await pair(lab, dir);
      const cap = await captureAdverts(lab);
      await apply(lab, b, dir, configText(B, (c) => { c.vrrp.instances[0].priority = 250; c.vrrp.instances[0].preempt = false; }));
      // Ten master-down intervals: b hears a lower priority and, told not to preempt, stays BACKUP.
      await new Promise((r) => setTimeout(r, 10 * 4 * INTERVAL_MS));
      const held = await instanceOf(lab, b);
      assert.equal([held!.state, held!.effectivePriority], ['BACKUP', 250]);
      assert.is((await instanceOf(lab, a))!.state, 'MASTER');
      const t = Date.now();
      await apply(lab, b, dir, configText(B, (c) => { c.vrrp.instances[0].priority = 250; }));
      await waitState(lab, b, 'MASTER', 10_000);
      await waitState(lab, a, 'BACKUP', 10_000);
      assert.ok(await hasAddress(lab, 'b', VIP), 'the VIP moved to b');
      const fromB = cap.adverts().filter((x) => x.source === '192.0.2.2');
      assert.ok(fromB.length > 0 && fromB.every((x) => x.prio === 250 && x.at >= t - 1000), 'b advertises only once MASTER, at its new priority (no priority-0 goodbye: no restart)');
      assert.not.match(b.proc.stdout(), /MASTER -> INIT|BACKUP -> INIT/, 'b was never restarted');
      assert.match(b.proc.stdout(), /vrrp: config applied: kept vi1/);
    });
  });

  test('a part that refuses (management) rolls back VRRP, the address and the firewall: kernel and instances as before', async () => {
    await withDaemonLab(pairTopology(), 'stk-apply-undo-', async (lab, dir) => {
      const [a] = await pair(lab, dir);
      const kernel = await kernelState(lab, 'a');
      const inst = (await instanceOf(lab, a))!;
      const r = await apply(lab, a, dir, configText(A, (c) => {
        c.addresses[0].static.push(`${EXTRA}/24`);
        c.firewall = { rules: [{ chain: 'input', action: 'accept', protocol: 'tcp', destination_ports: [2222] }] };
        c.vrrp.instances[0].priority = 150;
        c.vrrp.instances[0].vips = [`${VIP}/24`, '192.0.2.101/24'];
        c.management.control_max_clients = 3;
      }), false);
      assert.is(r.code, 1);
      assert.match(r.stderr, /\/management\/control_max_clients: changing it on the running box is not supported yet.*every part changed before it was put back \(vrrp, firewall, net\)/);
      assert.is(await kernelState(lab, 'a'), kernel, 'addresses (VIPs included) and filter rules as before');
      const after = (await instanceOf(lab, a))!;
      assert.equal([after.state, after.effectivePriority, after.counters['transitions']], ['MASTER', 200, inst.counters['transitions']]);
      assert.match(a.proc.stdout(), /vrrp: config applied: kept vi1\n(.|\n)*vrrp: config applied: kept vi1/, 'applied, then applied back');
    });
  });

  test('SIGHUP applies the saved file live (no confirm), kept as a revision; a bad file is logged and changes nothing', async () => {
    await withDaemonLab(pairTopology(), 'stk-apply-hup-', async (lab, dir) => {
      const [a] = await pair(lab, dir);
      writeFileSync(join(dir, 'a.json'), configText(A, (c) => { c.vrrp.instances[0].vips = [`${VIP}/24`, '192.0.2.101/24']; }));
      a.proc.kill('SIGHUP');
      await lab.waitFor('the second VIP', async () => (await hasAddress(lab, 'a', '192.0.2.101')) || undefined, { timeoutMs: 10_000, intervalMs: 50 });
      assert.ok(await hasAddress(lab, 'a', VIP), 'the first VIP stays');
      assert.is((await instanceOf(lab, a))!.state, 'MASTER');
      assert.match(a.proc.stdout(), /config: SIGHUP: re-reading .*a\.json\n(.|\n)*config: applied by SIGHUP \(vrrp: instance vi1\)/);
      assert.is(readFileSync(join(dir, 'config-revisions', '1.json'), 'utf8'), readFileSync(join(dir, 'a.json'), 'utf8'));
      writeFileSync(join(dir, 'a.json'), '{"version": 1, "vrrp": ');
      a.proc.kill('SIGHUP');
      await lab.waitFor('the refusal logged', () => /config: SIGHUP: .*a\.json not applied/.test(a.proc.stdout()) || undefined, { timeoutMs: 10_000, intervalMs: 50 });
      assert.ok(await hasAddress(lab, 'a', '192.0.2.101'), 'still running the last good config');
    });
  });
}

test.run();
