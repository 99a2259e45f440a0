// The I/O shell with a fake ShellIo: the order of actions on becoming MASTER (hooks awaited, then
// the advert, VIPs, gARP, then notify), priority 0 and VIP removal on stop, adverts on the one
// re-armed timer, received adverts fed to the engine, link events into tracking.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { performance } from 'node:perf_hooks';
import { VrrpEngine } from '../../../src/vrrp/engine.ts';
import type { OutgoingAdvert } from '../../../src/vrrp/engine.ts';
import { mustParseIpv4 as ip } from '../../../src/vrrp/ipv4.ts';
import { VrrpShell } from '../../../src/vrrp/shell/shell.ts';
import type { ShellIo } from '../../../src/vrrp/shell/shell.ts';
import { resolveVips } from '../../../src/vrrp/shell/vips.ts';
import type { Vip } from '../../../src/vrrp/shell/vips.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function fakeIo(log: string[]): ShellIo & { adverts: OutgoingAdvert[] } {
  const t0 = performance.now();
  const adverts: OutgoingAdvert[] = [];
  return {
    adverts,
    now: () => performance.now() - t0,
    wallClockMs: () => Date.now(),
    sendAdvert(ifname, a) { adverts.push(a); log.push(`advert ${ifname} ${a.payload[2]}`); },
    async addVips(ifname, vips: readonly Vip[]) { await sleep(5); log.push(`add ${ifname} ${vips.map((v) => `${v.address}/${v.prefixLength}`).join(',')}`); },
    async removeVips(ifname, vips) { await sleep(5); log.push(`remove ${ifname} ${vips.length}`); },
    sendGarp(ifname, vips, repeat) { log.push(`garp ${ifname} ${vips.length}x${repeat}`); },
    spawnNotify(argv) { log.push(`notify ${argv.join(' ')}`); },
  };
}

function engine(priority: number, intervalMs = 50): VrrpEngine {
  return new VrrpEngine({
    instances: [{
      name: 'vi', interface: 'eth0', vrid: 7, version: 3, priority, advertIntervalMs: intervalMs, preempt: true, preemptDelayMs: 0,
      primaryAddress: ip('192.0.2.1'), garp: { repeat: 5, delayMs: 0 },
      receive: { checksum: 'message', addresses: [ip('192.0.2.100')], multicastGroup: ip('224.0.0.18'), unicastPeers: [], ownAddresses: [ip('192.0.2.1')] },
      tracks: [{ kind: 'interface', name: 'eth0', weight: 0 }],
    }],
  });
}

const vips = resolveVips(['192.0.2.100'], [['192.0.2.1', 24]]);

test('resolveVips: a bare VIP takes the prefix of the subnet holding it, else /32; a written prefix stays', () => {
  assert.equal(resolveVips(['192.0.2.100', '198.51.100.7', '203.0.113.5/28'], [['192.0.2.1', 24]]), [
    { address: '192.0.2.100', prefixLength: 24 }, { address: '198.51.100.7', prefixLength: 32 }, { address: '203.0.113.5', prefixLength: 28 },
  ]);
});

test('becoming MASTER: hooks awaited, then advert, VIPs, gARP, notify; stop: priority 0 then VIPs removed', async () => {
  const log: string[] = [];
  const io = fakeIo(log);
  const shell = new VrrpShell(engine(255), io, { instances: [{ name: 'vi', interface: 'eth0', vips, notify: { any: ['/bin/n'] } }] });
  shell.addMasterHook(async (name) => { log.push(`hook ${name} start`); await sleep(20); log.push(`hook ${name} end`); });
  const transitions: string[] = [];
  shell.on('transition', (e) => transitions.push(`${e.from}->${e.to}`));
  shell.start();
  await shell.idle();
  assert.equal(transitions, ['INIT->BACKUP', 'BACKUP->MASTER']);
  const order = log.filter((x) => !x.startsWith('notify'));
  assert.equal(order, ['hook vi start', 'hook vi end', 'advert eth0 255', 'add eth0 192.0.2.100/24', 'garp eth0 1x5']);
  assert.ok(log.includes('notify /bin/n INSTANCE vi MASTER 255'));
  assert.ok(log.indexOf('notify /bin/n INSTANCE vi MASTER 255') > log.indexOf('garp eth0 1x5'), 'notify after the built-in actions');

  // The one timer keeps adverts coming at the interval.
  const before = io.adverts.length;
  await sleep(230);
  const sent = io.adverts.length - before;
  assert.ok(sent >= 2 && sent <= 6, `${sent} adverts in 230 ms at 50 ms`);
  assert.ok(shell.status().lag.timerFirings >= 2);

  log.length = 0;
  await shell.stop();
  assert.equal(log.filter((x) => !x.startsWith('notify')), ['advert eth0 0', 'remove eth0 1']);
  const n = io.adverts.length;
  await sleep(120);
  assert.is(io.adverts.length, n, 'no adverts after stop');
});

test('a BACKUP hears the master through receive(); link down faults it, link up clears it', async () => {
  const log: string[] = [];
  const io = fakeIo(log);
  const shell = new VrrpShell(engine(100), io, { instances: [{ name: 'vi', interface: 'eth0', vips }] });
  shell.start();
  const master = new VrrpEngine({
    instances: [{
      name: 'm', interface: 'eth0', vrid: 7, version: 3, priority: 200, advertIntervalMs: 50, preempt: true, preemptDelayMs: 0,
      primaryAddress: ip('192.0.2.2'), receive: { checksum: 'message', addresses: [ip('192.0.2.100')], multicastGroup: ip('224.0.0.18'), unicastPeers: [], ownAddresses: [ip('192.0.2.2')] },
    }],
  });
  const feed = () => {
    const [p] = master.advertPackets('m', 200, Date.now());
    shell.receive('eth0', { payload: p!.payload, source: ip('192.0.2.2'), destination: ip('224.0.0.18'), ttl: 255 });
  };
  for (let i = 0; i < 8; i++) {
    feed();
    await sleep(40);
  }
  let s = shell.status().instances[0]!;
  assert.is(s.state, 'BACKUP');
  assert.is(s.masterAddress, ip('192.0.2.2'));
  assert.ok(s.counters.advertsIn >= 8);
  shell.link('eth0', false);
  assert.is(shell.status().instances[0]!.state, 'FAULT');
  shell.link('eth0', true);
  s = shell.status().instances[0]!;
  assert.is(s.state, 'BACKUP');
  // Without adverts it takes over after Master_Down_Interval (~0.17 s here).
  await sleep(600);
  assert.is(shell.status().instances[0]!.state, 'MASTER');
  await shell.stop();
  assert.ok(log.includes('remove eth0 1'));
});

test('a virtual MAC interface: a MASTER\'s adverts, VIPs and gARP go through it; adverts out of MASTER and tracking stay on the instance\'s interface', async () => {
  const log: string[] = [];
  const io = fakeIo(log);
  const shell = new VrrpShell(engine(255), io, { instances: [{ name: 'vi', interface: 'eth0', vmac: 'vrrp.7', vips }] });
  shell.start();
  await shell.idle();
  assert.equal(log, ['advert vrrp.7 255', 'add vrrp.7 192.0.2.100/24', 'garp vrrp.7 1x5']);
  assert.is(shell.status().shell['vi']!.vmac, 'vrrp.7');
  log.length = 0;
  shell.link('eth0', false);
  await shell.idle();
  // Out of MASTER, adverts leave from the interface's own MAC, never the virtual one.
  assert.equal(log, ['advert eth0 0', 'remove vrrp.7 1']);
  await shell.stop();
});

test.run();
