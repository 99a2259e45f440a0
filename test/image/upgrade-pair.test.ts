// The rolling upgrade of the appliance pair (issue 16 item 5), image tier: the pair of pair.ts
// (a MASTER with priority 200, b BACKUP, conntrack sync, clients SNATed to the WAN VIP) with SSH
// between the boxes: a reaches b with its client key (a's /data/ssh/upgrade_peer_key, in b's
// management.ssh_authorized_keys) and checks b's host key against a's upgrade.peer.host_key (both
// keys made here in dropbear's format and put on /data as a provisioned box would have them).
// The admin on host m streams a signed bundle into a: `ssh a stockade upgrade pair - < bundle`.
// With 20 long-lived TCP flows through the pair the whole time:
//   - a peer with another host key than the configured one is refused, nothing written;
//   - a writes the bundle to its own slot B and, from the same stream, to b's over SSH; b is
//     switched and rebooted first (it is BACKUP), comes back on slot B, its trial marks it good,
//     the pair settles; then a is switched and reboots, handing lan and wan to b (priority 0);
//   - both boxes end on slot B holding the new version, marked good by their trials; one MASTER
//     of each instance; every flow still echoes, none reset or reconnected.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { INSTANCES, NODES, WAIT_MS, addressesOf, pairSuite, type Node, type Pair } from './pair.ts';
import { startFlows, type PairFlows } from './pair-flows.ts';
import { slotSquashfs, type StatusJson } from './upgrade-fixture.ts';
import { imageFor, root } from './vm.ts';

const FLOWS = 20;
/** Hang guards, not figures: the whole rolling upgrade under TCG beside other work on two cores. */
const UPGRADE_MS = 5_400_000;
const BOOT_MS = 900_000;
const VERSION = '0.3.0';

const t0 = Date.now();
const note = (what: string): void => void process.stderr.write(`upgrade-pair: ${what} at ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);

const keyDir = mkdtempSync(join(tmpdir(), 'stockade-upgrade-pair-'));
process.on('exit', () => rmSync(keyDir, { recursive: true, force: true }));

/** An Ed25519 key in dropbear's file format (string "ssh-ed25519", string seed||public) and its OpenSSH public line. */
function dropbearKey(comment: string): { file: Buffer; line: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
  const pub = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const str = (b: Buffer): Buffer => Buffer.concat([Buffer.from([0, 0, (b.length >> 8) & 0xff, b.length & 0xff]), b]);
  const type = Buffer.from('ssh-ed25519');
  return { file: Buffer.concat([str(type), str(Buffer.concat([seed, pub]))]), line: `ssh-ed25519 ${Buffer.concat([str(type), str(pub)]).toString('base64')} ${comment}` };
}
const bHost = dropbearKey('root@fw-b');
const aClient = dropbearKey('upgrade@fw-a');

execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'admin', '-f', join(keyDir, 'admin')]);
const adminKey = readFileSync(join(keyDir, 'admin.pub'), 'utf8').trim();
const release = generateKeyPairSync('ed25519');
const releasePem = join(keyDir, 'release.pem');
writeFileSync(releasePem, release.privateKey.export({ format: 'pem', type: 'pkcs8' }));
const trusted = [{ name: 'release', ed25519_public_key: Buffer.from(release.publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('base64') }];

/** The image's own root as VERSION, signed by the release key (made once the image exists). */
function makeBundle(): string {
  const squash = join(keyDir, 'base.squashfs');
  slotSquashfs(imageFor('x86_64-generic'), squash);
  const out = join(keyDir, 'next.stk');
  const r = spawnSync(join(root, 'dist', 'x64', 'stockade'), ['bundle', 'create', '--rootfs', squash, '-o', out, '--version', VERSION, '--epoch', '1', '--board', 'x86_64-generic', '--key', releasePem], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`stockade bundle create: exit ${r.status}: ${r.stderr}`);
  rmSync(squash, { force: true });
  return out;
}

const { test, run } = pairSuite('image: rolling upgrade of the pair', {
  config: (n, c) => ({
    ...c,
    management: { ...(c.management as object), ssh_authorized_keys: n === 'b' ? [adminKey, aClient.line] : [adminKey] },
    upgrade: { trusted_keys: trusted, ...(n === 'a' ? { peer: { address: addressesOf('b').mgmt, host_key: bHost.line } } : {}) },
  }),
  data: (n): Record<string, Uint8Array> => (n === 'a' ? { 'ssh/upgrade_peer_key': aClient.file } : { 'ssh/dropbear_ed25519_host_key': bHost.file }),
});

const SSH = ['-F', '/dev/null', '-o', 'IdentitiesOnly=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=60', '-o', 'LogLevel=ERROR', '-i', join(keyDir, 'admin')];
let flows: PairFlows | undefined;

async function upgradeStatus(pair: Pair, n: Node): Promise<StatusJson> {
  return JSON.parse(await pair.sh(n, 'stockade upgrade status --json')) as StatusJson;
}

/** After box n rebooted (console offset `from`): its next boot-complete line, a new login, then the trial's verdict. */
async function afterReboot(pair: Pair, n: Node, from: number): Promise<StatusJson> {
  const vm = pair.vm(n);
  const m = await vm.waitFor(/stockade: boot complete \(([^,]+), slot ([AB?])\)/, BOOT_MS, from);
  await vm.login();
  note(`${n} booted slot ${m[2]}`);
  let s = await upgradeStatus(pair, n);
  const deadline = Date.now() + BOOT_MS;
  while (s.trial !== null && Date.now() < deadline) {
    // Each look is a command under TCG (seconds); the trial needs its health to hold only 5 s.
    await new Promise((r) => setTimeout(r, 1000));
    s = await upgradeStatus(pair, n);
  }
  return s;
}

test('the pair is up: a MASTER, b BACKUP; flows run through it and b\'s sync cache holds them', async (pair) => {
  await pair.ready();
  const seen = await pair.waitRoles('a');
  assert.ok(INSTANCES.every((i) => seen.a[i] === 'MASTER' && seen.b[i] === 'BACKUP'), JSON.stringify(seen));
  flows = await startFlows(pair, FLOWS, { timeoutMs: WAIT_MS });
  await pair.lab.waitFor(`b's external cache holding the ${FLOWS} flows`, async () => ((await pair.sync('b'))?.external?.active ?? 0) >= FLOWS || undefined, { timeoutMs: WAIT_MS, intervalMs: 1000 });
  note('pair up, flows running');
});

test('a peer whose host key is not the configured one is refused before anything is read or written', async (pair) => {
  const wrong = { ...pair.configs.a, upgrade: { trusted_keys: trusted, peer: { address: addressesOf('b').mgmt, host_key: dropbearKey('someone-else').line } } };
  await pair.sh('a', `echo ${Buffer.from(JSON.stringify(wrong)).toString('base64')} | base64 -d > /tmp/wrong-peer.json`);
  const r = await pair.run('a', 'stockade upgrade pair - --config /tmp/wrong-peer.json < /dev/null 2>&1');
  assert.is(r.code, 2, r.output);
  // dbclient 2022.83's words: "ssh-ed25519 host key mismatch for 192.0.2.131 !".
  assert.match(r.output, /upgrade pair: the peer does not answer over SSH: .*host key mismatch for 192\.0\.2\.131 !.*; nothing was written/, r.output);
  const b = await upgradeStatus(pair, 'b');
  assert.equal([b.running, b.trial, b.slots[1]!.installed], ['A', null, undefined], 'b untouched');
});

test('ssh a stockade upgrade pair - < bundle: b first (good, settled), then a; both on the new slot marked good, one MASTER, no flow lost', async (pair) => {
  if (!flows) throw new Error('no flows: the previous test failed');
  const bundle = makeBundle();
  const from = { a: pair.vm('a').console().length, b: pair.vm('b').console().length };
  const admin = pair.lab.spawn('m', ['sh', '-c', `exec ssh ${SSH.join(' ')} root@${addressesOf('a').mgmt} stockade upgrade pair - --timeout 3600 < ${bundle} 2>&1`]);
  // The deadline's timer is cleared when the command ends: left armed, it would keep the test
  // process (every image test file shares it) alive for UPGRADE_MS after the last test.
  let deadline: NodeJS.Timeout | undefined;
  const ended = await Promise.race([admin.exited.then(() => true), new Promise<false>((r) => { deadline = setTimeout(() => r(false), UPGRADE_MS); })]);
  clearTimeout(deadline);
  const out = admin.stdout();
  process.stderr.write(`upgrade pair said:\n${out}\n`);
  if (!ended) admin.kill('SIGKILL');
  assert.ok(ended, `upgrade pair still running after ${UPGRADE_MS / 1000} s`);
  note('upgrade pair ended (a rebooting)');
  // The order, as the command reported it.
  assert.not.match(out, /Warning/, 'no runtime warnings');
  const order = [
    /plan: 1\. write the bundle to the other slot of both boxes from one stream \(the peer's over SSH\); neither is switched\n/,
    /plan: 2\. switch the peer to its new slot and reboot it\n/,
    /plan: 5\. switch this box to its new slot and reboot it, handing lan, wan to the peer \(priority 0\)/,
    /step 1 done: 0\.3\.0 written and read back in slot B here and in the peer's other slot; neither switched/,
    /step 2 done: the peer 192\.0\.2\.131 reboots into its new slot\n/,
    /step 3 done: the peer 192\.0\.2\.131 runs 0\.3\.0, marked good by its trial/,
    /step 4 done: the pair settled with the peer upgraded/,
    /step 5: slot B \(0\.3\.0\) switched to; rebooting, handing lan, wan to the peer/,
  ];
  let at = 0;
  for (const re of order) {
    const m = re.exec(out.slice(at));
    assert.ok(m, `${re} after offset ${at} of:\n${out}`);
    at += m!.index + m![0].length;
  }
  assert.not.match(out, /stopped at step/);

  // b rebooted once (its trial done before a was switched), then a.
  const b = await afterReboot(pair, 'b', from.b);
  const a = await afterReboot(pair, 'a', from.a);
  for (const [n, s] of [['a', a], ['b', b]] as const) {
    assert.is(s.running, 'B', `${n} runs the new slot`);
    assert.is(s.trial, null, `${n}: trial over`);
    const slot = s.slots.find((x) => x.slot === 'B')!;
    assert.is(slot.condition, 'good', `${n}: slot B good`);
    assert.is(slot.installed?.version, VERSION, `${n}: slot B holds ${VERSION}`);
    assert.ok(slot.installed?.activated_at, `${n}: marked good by its trial`);
    assert.is(s.epoch_floor, 1);
  }
  assert.match(await pair.sh('b', 'cat /run/stockade-upgrade.log'), /slot B passed its trial and is marked good/);
  assert.match(await pair.sh('a', 'cat /run/stockade-upgrade.log'), /slot B passed its trial and is marked good/);

  // One MASTER of each instance (a, priority 200, takes them back once synced).
  const seen = await pair.waitRoles('a');
  for (const i of INSTANCES) assert.equal(NODES.filter((n) => seen[n][i] === 'MASTER'), ['a'], `${i}: ${JSON.stringify(seen)}`);

  // Every flow lived through both reboots and both VIP moves.
  await flows.mark();
  const progressed = await flows.waitProgressed(WAIT_MS);
  const { client, server } = await flows.summaries();
  flows.stop();
  assert.is(progressed, FLOWS, `flows echoing after the upgrade: ${progressed} of ${FLOWS}`);
  assert.equal(client.filter((f) => f.error !== null || f.closed), [], 'no flow reset or closed on the client');
  assert.equal(server.errors, {}, 'no reset on the server');
  assert.is(server.connections, FLOWS, 'no flow reconnected');
});

run();
