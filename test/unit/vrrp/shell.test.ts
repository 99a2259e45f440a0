// The I/O shell with a fake ShellIo: the order of actions on becoming MASTER (hooks awaited, then
// the advert, VIPs, gARP, then notify), priority 0 and VIP removal on stop, adverts on the one
// re-armed timer, received adverts fed to the engine, link events into tracking. Time is fake:
// setTimeout is mocked (node:test's mock timers) and io.now() reads the same clock, so counts and
// deadlines are exact whatever the machine's load.
import { mock } from 'node:test';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { masterDownMs } from '../../../src/vrrp/timers.ts';
import { VrrpEngine } from '../../../src/vrrp/engine.ts';
import type { OutgoingAdvert } from '../../../src/vrrp/engine.ts';
import { mustParseIpv4 as ip } from '../../../src/vrrp/ipv4.ts';
import { VrrpShell } from '../../../src/vrrp/shell/shell.ts';
import type { ShellIo } from '../../../src/vrrp/shell/shell.ts';
import { resolveVips } from '../../../src/vrrp/shell/vips.ts';
import type { Vip } from '../../../src/vrrp/shell/vips.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let clock = 0;
test.before.each(() => {
  clock = 0;
  mock.timers.enable({ apis: ['setTimeout'] });
});
test.after.each(() => mock.timers.reset());

/** Moves fake time on by `ms`, a millisecond at a time, letting what each step wakes run. */
async function advance(ms: number): Promise<void> {
  for (let i = 0; i < ms; i++) {
    clock += 1;
    mock.timers.tick(1);
    // The shell defers a timer's work to setImmediate (real): let it and its promises run.
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
  }
}

/** Awaits `p` while fake time moves on (it may wait on mocked timers), at most `limitMs` of it. */
async function during<T>(p: Promise<T>, limitMs = 1000): Promise<T> {
  let done = false;
  void p.finally(() => { done = true; });
  for (let t = 0; t < limitMs && !done; t++) await advance(1);
  assert.ok(done, `still pending after ${limitMs} ms of fake time`);
  return p;
}

function fakeIo(log: string[]): ShellIo & { adverts: OutgoingAdvert[]; advertTimes: number[] } {
  const adverts: OutgoingAdvert[] = [];
  const advertTimes: number[] = [];
  return {
    adverts,
    advertTimes,
    now: () => clock,
    wallClockMs: () => Date.now(),
    sendAdvert(ifname, a) { adverts.push(a); log.push(`advert ${ifname} ${a.payload[2]}`); advertTimes.push(clock); },
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
  await during(shell.idle());
  assert.equal(transitions, ['INIT->BACKUP', 'BACKUP->MASTER']);
  const order = log.filter((x) => !x.startsWith('notify'));
  assert.equal(order, ['hook vi start', 'hook vi end', 'advert eth0 255', 'add eth0 192.0.2.100/24', 'garp eth0 1x5']);
  assert.ok(log.includes('notify /bin/n INSTANCE vi MASTER 255'));
  assert.ok(log.indexOf('notify /bin/n INSTANCE vi MASTER 255') > log.indexOf('garp eth0 1x5'), 'notify after the built-in actions');

  // The one timer keeps adverts coming on the 50 ms grid the engine set at its start (the first,
  // at 20 ms, waited for the hook), one firing each.
  const firings = shell.status().lag.timerFirings;
  await advance(230);
  assert.equal(io.advertTimes, [20, 50, 100, 150, 200, 250]);
  assert.is(shell.status().lag.timerFirings - firings, 5);

  log.length = 0;
  await during(shell.stop());
  assert.equal(log.filter((x) => !x.startsWith('notify')), ['advert eth0 0', 'remove eth0 1']);
  const n = io.adverts.length;
  await advance(120);
  assert.is(io.adverts.length, n, 'no adverts after stop');
});

test('reconfigure: a MASTER kept in place swaps only the VIPs that changed (new ones gARPed), no advert gap; a new VRID restarts it alone', async () => {
  const log: string[] = [];
  const io = fakeIo(log);
  const e = engine(255);
  const shell = new VrrpShell(e, io, { instances: [{ name: 'vi', interface: 'eth0', vips }] });
  shell.start();
  await during(shell.idle());
  await advance(120);
  const cfg = (over: Record<string, unknown>) => ({
    instances: [{
      name: 'vi', interface: 'eth0', vrid: 7, version: 3 as const, priority: 255, advertIntervalMs: 50, preempt: true, preemptDelayMs: 0,
      primaryAddress: ip('192.0.2.1'), garp: { repeat: 5, delayMs: 0 },
      receive: { checksum: 'message' as const, addresses: [ip('192.0.2.101')], multicastGroup: ip('224.0.0.18'), unicastPeers: [], ownAddresses: [ip('192.0.2.1')] },
      tracks: [{ kind: 'interface' as const, name: 'eth0', weight: 0 }],
      ...over,
    }],
  });
  const newVips = resolveVips(['192.0.2.101'], [['192.0.2.1', 24]]);
  const transitions: string[] = [];
  shell.on('transition', (t) => transitions.push(`${t.from}->${t.to}`));
  log.length = 0;
  const change = await during(shell.reconfigure(cfg({}), { instances: [{ name: 'vi', interface: 'eth0', vips: newVips }] }, new Set()));
  assert.equal(change.kept, ['vi']);
  assert.equal(transitions, [], 'no transition');
  assert.equal(log.filter((x) => !x.startsWith('advert')), ['remove eth0 1', 'add eth0 192.0.2.101/24', 'garp eth0 1x5']);
  assert.is(shell.status().shell['vi']!.vips.join(), '192.0.2.101/24');
  const t0 = io.advertTimes.length;
  await advance(200);
  const times = io.advertTimes.slice(t0 - 1);
  assert.ok(times.every((t, i) => i === 0 || t - times[i - 1]! <= 50), `adverts every 50 ms throughout: ${times.join(' ')}`);

  log.length = 0;
  const restart = await during(shell.reconfigure(cfg({ vrid: 8 }), { instances: [{ name: 'vi', interface: 'eth0', vips: newVips }] }, new Set()));
  assert.equal(restart.restarted, ['vi']);
  assert.equal(log.slice(0, 2), ['advert eth0 0', 'remove eth0 1'], 'the old identity says goodbye first');
  assert.equal(transitions, ['MASTER->INIT', 'INIT->BACKUP', 'BACKUP->MASTER']);
  await during(shell.stop());
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
    await advance(40);
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
  // Without adverts it takes over after Master_Down_Interval (3 x 50 + skew at priority 100), not before.
  const down = Math.ceil(masterDownMs(3, 100, 50));
  await advance(down - 1);
  assert.is(shell.status().instances[0]!.state, 'BACKUP');
  await advance(2);
  assert.is(shell.status().instances[0]!.state, 'MASTER');
  await during(shell.stop());
  assert.ok(log.includes('remove eth0 1'));
});

test('a virtual MAC interface: a MASTER\'s adverts, VIPs and gARP go through it; adverts out of MASTER and tracking stay on the instance\'s interface', async () => {
  const log: string[] = [];
  const io = fakeIo(log);
  const shell = new VrrpShell(engine(255), io, { instances: [{ name: 'vi', interface: 'eth0', vmac: 'vrrp.7', vips }] });
  shell.start();
  await during(shell.idle());
  assert.equal(log, ['advert vrrp.7 255', 'add vrrp.7 192.0.2.100/24', 'garp vrrp.7 1x5']);
  assert.is(shell.status().shell['vi']!.vmac, 'vrrp.7');
  log.length = 0;
  shell.link('eth0', false);
  await during(shell.idle());
  // Out of MASTER, adverts leave from the interface's own MAC, never the virtual one.
  assert.equal(log, ['advert eth0 0', 'remove vrrp.7 1']);
  await during(shell.stop());
});

test.run();
