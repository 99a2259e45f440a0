// `upgrade install --no-switch` then `upgrade activate`, in-process on a small GPT disk image (as
// cli.test.ts): the two halves `upgrade pair` runs on each box. The write leaves GRUB booting the
// running slot (the new one marked bad, no trial) with the install recorded; activate reads the
// slot back, checks it against the record and only then makes the switch an install makes. A
// slot changed in between, a second activate, or nothing installed: refused, GRUB untouched.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { run } from './run-cli.ts';
import { readBootEnv } from '../../../scripts/image/bootenv.ts';
import { fakeSquashfs, makeTestDisk } from './disk.ts';

const root = join(import.meta.dirname, '..', '..', '..');
const boardFile = join(root, 'board', 'x86_64-generic', 'board.json');
const tmp = mkdtempSync(join(tmpdir(), 'stockade-upgrade-activate-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const keyFile = join(tmp, 'release.pem');
writeFileSync(keyFile, privateKey.export({ format: 'pem', type: 'pkcs8' }));
const config = join(tmp, 'config.json');
writeFileSync(config, JSON.stringify({
  version: 1,
  interfaces: { ports: [{ name: 'eth0' }] },
  upgrade: { trusted_keys: [{ name: 'release', ed25519_public_key: Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('base64') }] },
}));
const payload = fakeSquashfs(3 * 4096 + 1000);
const rootfs = join(tmp, 'root.squashfs');
writeFileSync(rootfs, payload);
const bundle = join(tmp, 'next.stk');

test('install --no-switch writes and records slot B, GRUB still boots A; activate switches to it once; a second activate is refused', async () => {
  assert.is((await run('bundle', 'create', '--board', 'x86_64-generic', '--rootfs', rootfs, '-o', bundle, '--version', '1.0.0', '--chunk-size', '4096', '--key', keyFile)).code, 0);
  const dir = mkdtempSync(join(tmp, 'ok-'));
  const disk = makeTestDisk(dir, 64 * 1024);
  const state = join(dir, 'state');
  const w = await run('upgrade', 'install', bundle, '--no-switch', '--disk', disk.file, '--config', config, '--board-file', boardFile, '--state', state);
  assert.is(w.code, 0, w.err);
  // Wrapped at 79 columns: joined again.
  assert.match(w.out.replace(/\n +/g, ' '), /^slot B: 1\.0\.0 installed and read back \(sha256 [0-9a-f]{64}\); not switched \(--no-switch\): `stockade upgrade activate` boots it on trial; until then slot A boots$/m);
  const after = readFileSync(disk.file);
  assert.equal(after.subarray(disk.slots.B.offset, disk.slots.B.offset + payload.length), payload);
  assert.equal(await readBootEnv(disk.file), { ORDER: 'A B', A_OK: '1', B_OK: '0', A_TRIES: '3', B_TRIES: '3' }, 'not switched: B stays marked bad, no trial');
  assert.is(JSON.parse(readFileSync(join(state, 'state.json'), 'utf8')).slots.B.version, '1.0.0');

  const a = await run('upgrade', 'activate', '--disk', disk.file, '--state', state);
  assert.is(a.code, 0, a.err);
  assert.match(a.out, /^slot B: 1\.0\.0 read back \(sha256 [0-9a-f]{64}\); GRUB boots it next, once, on trial, else slot A boots again$/m);
  assert.equal(await readBootEnv(disk.file), { ORDER: 'B A', A_OK: '1', B_OK: '1', A_TRIES: '3', B_TRIES: '1', TRIAL: 'B' }, 'the switch an install makes');
  // In a disk image the slot GRUB tries first counts as running: B, on its trial now.
  const again = await run('upgrade', 'activate', '--disk', disk.file, '--state', state);
  assert.is(again.code, 2);
  assert.match(again.err, /upgrade activate: slot B runs on its trial boot: it must be marked good before slot A is switched to; nothing was switched/);
});

test('activate refuses a slot changed since it was written, and a slot nothing was installed into; GRUB untouched', async () => {
  const dir = mkdtempSync(join(tmp, 'changed-'));
  const disk = makeTestDisk(dir, 64 * 1024);
  const state = join(dir, 'state');
  const none = await run('upgrade', 'activate', '--disk', disk.file, '--state', state);
  assert.is(none.code, 2);
  assert.match(none.err, /upgrade activate: slot B holds no recorded install: write one first \(stockade upgrade install FILE --no-switch\); nothing was switched/);
  assert.is((await run('upgrade', 'install', bundle, '--no-switch', '--disk', disk.file, '--config', config, '--board-file', boardFile, '--state', state)).code, 0);
  const env = await readBootEnv(disk.file);
  const fd = openSync(disk.file, 'r+');
  writeSync(fd, Buffer.from([payload[5000]! ^ 0x01]), 0, 1, disk.slots.B.offset + 5000);
  closeSync(fd);
  const r = await run('upgrade', 'activate', '--disk', disk.file, '--state', state);
  assert.is(r.code, 2);
  assert.match(r.err, /upgrade activate: slot B reads back with sha256 [0-9a-f]{64}, not the [0-9a-f]{64} installed \(1\.0\.0\): it changed since; install it again\. Nothing was switched/);
  assert.equal(await readBootEnv(disk.file), env);
});

test.run();
