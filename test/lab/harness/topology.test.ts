// The harness's pure parts: topology validation (which must reject before anything is created)
// and waitFor. These need no root, so they run everywhere.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Lab, topologyProblems, waitFor } from '../harness.ts';
import type { Topology } from '../harness.ts';
import { parseNetnsList, parseNsName } from '../netns.ts';

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

const good: Topology = {
  hosts: ['a', 'r', 'c'],
  links: [['a:eth0', 'r:eth0'], ['r:eth1', 'c:eth0']],
  addresses: { 'a:eth0': ['192.0.2.1/24'], 'r:eth0': ['192.0.2.254/24'], 'r:eth1': ['198.51.100.254/24'], 'c:eth0': ['198.51.100.1/24'] },
  routes: { a: ['default via 192.0.2.254'], c: ['203.0.113.0/24 via 198.51.100.254'] },
  sysctls: { r: ['net.ipv4.ip_forward=1'] },
};

test('a good topology has no problems', () => {
  assert.equal(topologyProblems(good), []);
});

const bad: Array<[string, Topology, RegExp]> = [
  ['unknown host in a link', { hosts: ['a'], links: [['a:eth0', 'b:eth0']] }, /links\[0\]: unknown host 'b'/],
  ['duplicate ifname in a host', { hosts: ['a', 'b', 'c'], links: [['a:eth0', 'b:eth0'], ['a:eth0', 'c:eth0']] }, /host 'a' already has an interface 'eth0'/],
  ['link endpoint without ifname', { hosts: ['a', 'b'], links: [['a', 'b:eth0']] }, /'a' is not "host:ifname"/],
  ['interface name over 15 characters', { hosts: ['a', 'b'], links: [['a:sixteen_chars_xy', 'b:eth0']] }, /'sixteen_chars_xy' is longer than 15/],
  ['address outside the documentation ranges', { hosts: ['a', 'b'], links: [['a:eth0', 'b:eth0']], addresses: { 'a:eth0': ['10.0.0.1/24'] } }, /'10\.0\.0\.1\/24' is outside the documentation ranges/],
  ['prefix reaching outside the range', { hosts: ['a', 'b'], links: [['a:eth0', 'b:eth0']], addresses: { 'a:eth0': ['192.0.2.1/16'] } }, /reaches outside 192\.0\.2\.0\/24/],
  ['address without prefix', { hosts: ['a', 'b'], links: [['a:eth0', 'b:eth0']], addresses: { 'a:eth0': ['192.0.2.1'] } }, /needs a prefix length/],
  ['address on a missing interface', { hosts: ['a'], addresses: { 'a:eth9': ['192.0.2.1/24'] } }, /host 'a' has no interface 'eth9'/],
  ['route through a non-documentation gateway', { hosts: ['a'], routes: { a: ['default via 10.1.1.1'] } }, /'10\.1\.1\.1' is outside/],
  ['route for an unknown host', { hosts: ['a'], routes: { z: ['default via 192.0.2.1'] } }, /routes: unknown host 'z'/],
  ['bridge port that is no link of that host', { hosts: ['s', 'a'], links: [['a:eth0', 's:p0']], bridges: [{ at: 's', name: 'br0', ports: ['p0', 'p1'] }] }, /port 'p1' is not a link interface of host 's'/],
  ['bridge port in two bridges', { hosts: ['s', 'a'], links: [['a:eth0', 's:p0']], bridges: [{ at: 's', name: 'br0', ports: ['p0'] }, { at: 's', name: 'br1', ports: ['p0'] }] }, /port 'p0' is already in bridge 'br0'/],
  ['bridge named like a link', { hosts: ['s', 'a'], links: [['a:eth0', 's:p0']], bridges: [{ at: 's', name: 'p0', ports: [] }] }, /already has an interface 'p0'/],
  ['a link named lo', { hosts: ['a', 'b'], links: [['a:lo', 'b:eth0']] }, /already has an interface 'lo'/],
  ['host listed twice', { hosts: ['a', 'a'] }, /host 'a' is listed twice/],
  ['host name with odd characters', { hosts: ['a/b'] }, /host 'a\/b'/],
  ['no hosts', { hosts: [] }, /at least one host/],
  ['sysctl without a value', { hosts: ['a'], sysctls: { a: ['net.ipv4.ip_forward'] } }, /is not net\.KEY=VALUE/],
  ['sysctl that is global, not per namespace', { hosts: ['a'], sysctls: { a: ['kernel.panic=1'] } }, /'kernel\.panic=1' is not net\.KEY=VALUE/],
];

for (const [name, topology, message] of bad) {
  test(`rejected before anything is created: ${name}`, async () => {
    // Lab.create validates first, so this rejects the same way with or without root.
    const e = await rejection(Lab.create(topology));
    assert.match(e.message, /^invalid lab topology:/);
    assert.match(e.message, message);
  });
}

test('every problem is reported at once', () => {
  const problems = topologyProblems({ hosts: ['a'], links: [['a:eth0', 'x:eth0']], addresses: { 'a:eth0': ['8.8.8.8/32'] } });
  assert.is(problems.length, 2);
});

test('namespace names parse back, and only ours', () => {
  assert.equal(parseNsName('stk1234-2-router'), { pid: 1234, lab: 2, host: 'router' });
  assert.equal(parseNsName('stk1234-2-fw-a'), { pid: 1234, lab: 2, host: 'fw-a' });
  assert.is(parseNsName('stk1234-router'), undefined);
  assert.is(parseNsName('stkx-1-a'), undefined);
  assert.is(parseNsName('other1234-1-a'), undefined);
  assert.equal(parseNetnsList('stk1-1-a (id: 0)\nfoo\n\n'), ['stk1-1-a', 'foo']);
});

test('waitFor returns the first ready value', async () => {
  let n = 0;
  const v = await waitFor('the third probe', () => (++n >= 3 ? `ready after ${n}` : false), { intervalMs: 1 });
  assert.is(v, 'ready after 3');
});

test('waitFor times out with what it waited for', async () => {
  const e = await rejection(waitFor('the moon', () => undefined, { timeoutMs: 100, intervalMs: 10 }));
  assert.is(e.message, 'timed out after 100 ms waiting for the moon');
});

test('waitFor quotes the last probe error', async () => {
  let n = 0;
  const e = await rejection(waitFor('a flaky probe', () => { throw new Error(`attempt ${++n} failed`); }, { timeoutMs: 60, intervalMs: 10 }));
  assert.match(e.message, /^timed out after 60 ms waiting for a flaky probe; last probe error: attempt \d+ failed$/);
  assert.instance(e.cause, Error);
});

test('a hanging probe cannot stretch waitFor past its deadline', async () => {
  // The probe never settles: that waitFor rejects at all shows it did not wait for it.
  const e = await rejection(waitFor('a hanging probe', () => new Promise<boolean>(() => undefined), { timeoutMs: 80 }));
  assert.match(e.message, /timed out after 80 ms/);
});

test.run();
