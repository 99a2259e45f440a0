// The bundle and upgrade commands in-process, as a user runs them on the build host: make a
// bundle from a slot image, sign it, verify it, then `upgrade install --disk` into a small GPT
// disk image whose ESP is a real FAT with GRUB's environment block: slot B gets the payload,
// grubenv says "try B once", and every refusal leaves the disk as it was (or, for a bad chunk
// found mid-way, slot B marked bad and nothing after that chunk written).
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { run } from './run-cli.ts';
import { readBootEnv } from '../../../scripts/image/bootenv.ts';
import { fakeSquashfs, makeTestDisk } from './disk.ts';

const root = join(import.meta.dirname, '..', '..', '..');
const boardFile = join(root, 'board', 'x86_64-generic', 'board.json');
const tmp = mkdtempSync(join(tmpdir(), 'stockade-upgrade-cli-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

function keyFiles(name: string): { priv: string; pub: string; raw: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const priv = join(tmp, `${name}.pem`);
  const pub = join(tmp, `${name}.pub.pem`);
  writeFileSync(priv, privateKey.export({ format: 'pem', type: 'pkcs8' }));
  writeFileSync(pub, publicKey.export({ format: 'pem', type: 'spki' }));
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('base64');
  return { priv, pub, raw };
}

const release = keyFiles('release');
const other = keyFiles('other');
const rootfs = join(tmp, 'root.squashfs');
const payload = fakeSquashfs(3 * 4096 + 1000);
writeFileSync(rootfs, payload);
const bundle = join(tmp, 'next.stk');

let configs = 0;
function config(keys: string[], extra: object = {}): string {
  const file = join(tmp, `config-${++configs}.json`);
  writeFileSync(file, JSON.stringify({
    version: 1,
    interfaces: { ports: [{ name: 'eth0' }] },
    upgrade: { trusted_keys: keys.map((k, i) => ({ name: `key${i}`, ed25519_public_key: k })), ...extra },
  }));
  return file;
}

function installArgs(file: string, disk: string, cfg: string, state = join(tmp, 'state')): string[] {
  return ['upgrade', 'install', file, '--disk', disk, '--config', cfg, '--board-file', boardFile, '--state', state];
}

test('bundle create, info, sign, verify', async () => {
  const created = await run('bundle', 'create', '--board', 'x86_64-generic', '--rootfs', rootfs, '-o', bundle, '--version', '1.0.0', '--epoch', '2', '--chunk-size', '4096', '--build-id', 'test1');
  assert.is(created.code, 0, created.err);
  assert.match(created.out, /bundle for x86_64-generic 1.0.0 \(epoch 2, build test1\), rootfs 0.0 MiB in 4 chunks, unsigned/);
  const info = await run('bundle', 'info', bundle);
  assert.is(info.code, 0, info.err);
  assert.match(info.out, /signed by\s+nobody \(unsigned\)/);
  assert.match(info.out, /part rootfs\s+16384 bytes/);
  const unsigned = await run('bundle', 'verify', '--key', release.pub, bundle);
  assert.is(unsigned.code, 2);
  assert.match(unsigned.err, /the bundle is not signed/);
  const signed = await run('bundle', 'sign', '--key', release.priv, bundle);
  assert.is(signed.code, 0, signed.err);
  const good = await run('bundle', 'verify', '--key', other.pub, '--key', release.pub, bundle);
  assert.is(good.code, 0, good.err);
  assert.match(good.out, /good: signed by .*release\.pub\.pem.*x86_64-generic 1\.0\.0, epoch 2/);
  const wrong = await run('bundle', 'verify', '--key', other.pub, bundle);
  assert.is(wrong.code, 2);
  assert.match(wrong.err, /which is not trusted/);
  const notSquash = join(tmp, 'not.squashfs');
  writeFileSync(notSquash, 'hello');
  const bad = await run('bundle', 'create', '--board', 'x86_64-generic', '--rootfs', notSquash, '-o', join(tmp, 'x.stk'));
  assert.is(bad.code, 2);
  assert.match(bad.err, /not\.squashfs: not a squashfs/);
  const key = await run('bundle', 'key', release.pub);
  assert.ok(key.out.includes(release.raw));
});

test('upgrade install --disk: slot B written and read back, GRUB told to try B once, state recorded; then status', async () => {
  const dir = mkdtempSync(join(tmp, 'ok-'));
  const disk = makeTestDisk(dir, 64 * 1024);
  const before = readFileSync(disk.file);
  const r = await run(...installArgs(bundle, disk.file, config([release.raw]), join(dir, 'state')));
  assert.is(r.code, 0, r.err);
  assert.match(r.err, /x86_64-generic 1.0.0 \(epoch 2, build test1\), signed by key0 .* writing slot B/);
  assert.match(r.err, /written 100 %/);
  const after = readFileSync(disk.file);
  assert.equal(after.subarray(disk.slots.B.offset, disk.slots.B.offset + payload.length), payload);
  assert.ok(after.subarray(disk.slots.A.offset, disk.slots.A.offset + disk.slots.A.size).equals(before.subarray(disk.slots.A.offset, disk.slots.A.offset + disk.slots.A.size)), 'slot A untouched');
  assert.equal(await readBootEnv(disk.file), { ORDER: 'B A', A_OK: '1', B_OK: '1', A_TRIES: '3', B_TRIES: '1', TRIAL: 'B' });
  const state = JSON.parse(readFileSync(join(dir, 'state', 'state.json'), 'utf8'));
  assert.is(state.slots.B.version, '1.0.0');
  assert.is(state.epoch_floor, 0);
  const status = await run('upgrade', 'status', '--disk', disk.file, '--state', join(dir, 'state'), '--json');
  assert.is(status.code, 0, status.err);
  const s = JSON.parse(status.out);
  assert.is(s.running, 'B');
  assert.is(s.trial, 'B');
  assert.is(s.slots[1].condition, 'trial');
  assert.is(s.slots[1].installed.version, '1.0.0');
  // B (first in ORDER: the running one, here) is on trial: A is the last good slot and is not overwritten.
  const again = await run(...installArgs(bundle, disk.file, config([release.raw]), join(dir, 'state')));
  assert.is(again.code, 2);
  assert.match(again.err, /slot B runs on its trial boot and is not marked good yet; installing would overwrite slot A, the last good one/);
});

test('refusals leave the disk byte for byte as it was: no keys, wrong key, other board, older epoch', async () => {
  const dir = mkdtempSync(join(tmp, 'refuse-'));
  const disk = makeTestDisk(dir, 64 * 1024);
  const before = readFileSync(disk.file);
  const otherBoard = join(tmp, 'arm.stk');
  assert.is((await run('bundle', 'create', '--board', 'arm64-generic', '--rootfs', rootfs, '-o', otherBoard, '--version', '1.0.0', '--key', release.priv)).code, 0);
  const cases: Array<[string[], RegExp]> = [
    [installArgs(bundle, disk.file, config([])), /no trusted keys configured .*upgrades are refused/],
    [installArgs(bundle, disk.file, config([other.raw])), /signed by key [0-9a-f]{16}, which is not trusted \(trusted: key0 /],
    [installArgs(otherBoard, disk.file, config([release.raw])), /the bundle is for board arm64-generic; this box is x86_64-generic/],
  ];
  for (const [argv, want] of cases) {
    const r = await run(...argv);
    assert.is(r.code, 2, r.err);
    assert.match(r.err, want);
    assert.ok(readFileSync(disk.file).equals(before), `disk changed by ${argv.join(' ')}`);
  }
  const floor = join(dir, 'floor');
  mkdirSync(floor);
  writeFileSync(join(floor, 'state.json'), JSON.stringify({ epoch_floor: 5, slots: {} }));
  const r = await run(...installArgs(bundle, disk.file, config([release.raw], { allow_downgrade: true }), floor));
  assert.is(r.code, 2);
  assert.match(r.err, /security epoch 2 is below this box's floor 5/);
  assert.ok(readFileSync(disk.file).equals(before));
});

test('a bit flipped in chunk 2: refused naming it; slot B marked bad, chunks 0-1 written, nothing after; GRUB still boots A', async () => {
  const dir = mkdtempSync(join(tmp, 'flip-'));
  const disk = makeTestDisk(dir, 64 * 1024);
  const before = readFileSync(disk.file);
  const bytes = readFileSync(bundle);
  const payloadOffset = bytes.length - payload.length;
  bytes[payloadOffset + 2 * 4096 + 17]! ^= 0x10;
  const flipped = join(dir, 'flipped.stk');
  writeFileSync(flipped, bytes);
  const r = await run(...installArgs(flipped, disk.file, config([release.raw]), join(dir, 'state')));
  assert.is(r.code, 2);
  assert.match(r.err, new RegExp(`flipped\\.stk: offset ${payloadOffset + 8192}, part rootfs, chunk 2: sha256 [0-9a-f]{64} differs`));
  assert.match(r.err, /nothing was switched: slot A stays the one that boots/);
  const after = readFileSync(disk.file);
  const b = disk.slots.B.offset;
  assert.equal(after.subarray(b, b + 8192), payload.subarray(0, 8192));
  assert.ok(after.subarray(b + 8192, b + disk.slots.B.size).equals(before.subarray(b + 8192, b + disk.slots.B.size)), 'nothing from the bad chunk on was written');
  assert.equal(await readBootEnv(disk.file), { ORDER: 'A B', A_OK: '1', B_OK: '0', A_TRIES: '3', B_TRIES: '3' });
});

test('not a bundle, from a file or stdin-like input: a clear error, the disk untouched', async () => {
  const dir = mkdtempSync(join(tmp, 'html-'));
  const disk = makeTestDisk(dir, 64 * 1024);
  const before = readFileSync(disk.file);
  const html = join(dir, 'page.html');
  writeFileSync(html, '<!DOCTYPE html><html><body>404 Not Found</body></html>\n');
  const r = await run(...installArgs(html, disk.file, config([release.raw]), join(dir, 'state')));
  assert.is(r.code, 2);
  assert.match(r.err, /page\.html: offset 0: not a stockade bundle: it starts with "<!DOCTYPE html><html><body>404 N"/);
  const empty = join(dir, 'empty');
  writeFileSync(empty, '');
  const e = await run(...installArgs(empty, disk.file, config([release.raw]), join(dir, 'state')));
  assert.match(e.err, /not a stockade bundle: it is empty/);
  assert.ok(readFileSync(disk.file).equals(before));
});

test.run();
