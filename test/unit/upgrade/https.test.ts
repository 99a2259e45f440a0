// `stockade upgrade install https://URL` against a real HTTPS server on loopback (node:https with
// a throw-away certificate from openssl), written into a small GPT disk image as the file case in
// cli.test.ts is: the bundle streams into slot B; the CA comes from upgrade.ca_file and without it
// the server is not trusted; HTTP errors, a redirect to plain http and a connection cut half-way
// are refused with what went wrong, and nothing is switched.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { run } from './run-cli.ts';
import { readBootEnv } from '../../../scripts/image/bootenv.ts';
import { fakeSquashfs, makeTestDisk } from './disk.ts';

const root = join(import.meta.dirname, '..', '..', '..');
const boardFile = join(root, 'board', 'x86_64-generic', 'board.json');
const tmp = mkdtempSync(join(tmpdir(), 'stockade-upgrade-https-'));

// The signed bundle, as the build host makes it.
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const keyFile = join(tmp, 'release.pem');
writeFileSync(keyFile, privateKey.export({ format: 'pem', type: 'pkcs8' }));
const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('base64');
const payload = fakeSquashfs(6 * 4096 + 300);
writeFileSync(join(tmp, 'root.squashfs'), payload);
const bundleFile = join(tmp, 'next.stk');

// A certificate for 127.0.0.1 (openssl is one of setup-host's packages).
const certFile = join(tmp, 'cert.pem');
const certKey = join(tmp, 'cert-key.pem');
execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', certKey, '-out', certFile, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });

let server: Server;
let base = '';
test.before(async () => {
  const created = await run('bundle', 'create', '--board', 'x86_64-generic', '--rootfs', join(tmp, 'root.squashfs'), '-o', bundleFile, '--version', '1.0.0', '--epoch', '1', '--chunk-size', '4096', '--build-id', 'https1');
  assert.is(created.code, 0, created.err);
  assert.is((await run('bundle', 'sign', '--key', keyFile, bundleFile)).code, 0);
  const bundle = readFileSync(bundleFile);
  server = createServer({ cert: readFileSync(certFile), key: readFileSync(certKey) }, (req, res) => {
    if (req.url === '/next.stk') {
      res.writeHead(200, { 'content-length': bundle.length });
      res.end(bundle);
    } else if (req.url === '/moved') {
      res.writeHead(302, { location: '/next.stk' }).end();
    } else if (req.url === '/plain') {
      res.writeHead(301, { location: 'http://127.0.0.1:1/next.stk' }).end();
    } else if (req.url === '/cut') {
      // Half the bundle, past the manifest and into the payload, then the connection drops.
      res.writeHead(200, { 'content-length': bundle.length });
      res.write(bundle.subarray(0, bundle.length - payload.length + 2 * 4096 + 100), () => res.socket?.destroy());
    } else {
      res.writeHead(404, { 'content-type': 'text/html' }).end('<html>not here</html>');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
test.after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(tmp, { recursive: true, force: true });
});

let n = 0;
function setup(ca: boolean): { disk: ReturnType<typeof makeTestDisk>; args: (url: string) => string[] } {
  const dir = mkdtempSync(join(tmp, `case${++n}-`));
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({
    version: 1,
    interfaces: { ports: [{ name: 'eth0' }] },
    upgrade: { trusted_keys: [{ name: 'release', ed25519_public_key: raw }], ...(ca ? { ca_file: certFile } : {}) },
  }));
  const disk = makeTestDisk(dir, 64 * 1024);
  return { disk, args: (url) => ['upgrade', 'install', url, '--disk', disk.file, '--config', config, '--board-file', boardFile, '--state', join(dir, 'state')] };
}

test('install from https://, CA from upgrade.ca_file, through a redirect: slot B holds the payload, GRUB tries it once', async () => {
  const { disk, args } = setup(true);
  const r = await run(...args(`${base}/moved`));
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /slot B: 1\.0\.0 installed and read back/);
  const after = readFileSync(disk.file);
  assert.equal(after.subarray(disk.slots.B.offset, disk.slots.B.offset + payload.length), payload);
  assert.is((await readBootEnv(disk.file)).TRIAL, 'B');
});

test('a server the CA file does not vouch for, a 404, a redirect to plain http: refused before anything is written', async () => {
  const untrusted = setup(false);
  const before = readFileSync(untrusted.disk.file);
  const r = await run(...untrusted.args(`${base}/next.stk`));
  assert.is(r.code, 2);
  assert.match(r.err, new RegExp(`${base.replace(/\./g, '\\.')}/next\\.stk: self[- ]signed certificate.*; nothing was written`));
  const missing = await run(...setup(true).args(`${base}/gone.stk`));
  assert.is(missing.code, 2);
  assert.match(missing.err, /gone\.stk: HTTP 404 Not Found; nothing was written/);
  const plain = await run(...setup(true).args(`${base}/plain`));
  assert.is(plain.code, 2);
  assert.match(plain.err, /\/plain: http: only https:\/\/ URLs are fetched/);
  const ftp = await run(...setup(true).args('ftp://127.0.0.1/next.stk'));
  assert.match(ftp.err, /ftp: only https:\/\/ URLs are fetched/);
  assert.ok(readFileSync(untrusted.disk.file).equals(before), 'the disk is untouched');
});

test('the connection cut half-way through the payload: the error says after how many bytes; slot B marked bad, GRUB still boots A', async () => {
  const { disk, args } = setup(true);
  const r = await run(...args(`${base}/cut`));
  assert.is(r.code, 2, r.err);
  assert.match(r.err, /\/cut: (the transfer broke|the connection ended) after \d+ of \d+ bytes/);
  assert.match(r.err, /nothing was switched: slot A stays the one that boots/);
  const env = await readBootEnv(disk.file);
  assert.is(env.ORDER, 'A B');
  assert.is(env.B_OK, '0');
});

test.run();
