// Signed upgrades on the x86_64 appliance in qemu, with the real slot writer (the partition by
// its GPT label) and GRUB's environment edited in place on the ESP:
//   - bundles that must be refused (signed by an untrusted key, a bit flipped in the first
//     chunk, made for another board) are, with a clear error, and leave slot B's bytes and
//     GRUB's environment exactly as they were;
//   - a good bundle streamed on stdin (`... | stockade upgrade install -`, as over SSH) lands
//     in slot B, read back; GRUB boots B once; `upgrade mark-good` keeps it across a reboot;
//   - from B, a bundle installed into A boots once, and without mark-good the next reboot is
//     back on B: the trial's one try was used.
// The bundles reach the VM as read-only extra disks (no network transport yet: the SSH path
// belongs to the console issue). Slot B starts scrambled and marked bad, so a write shows.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readGpt, setBootEnv } from '../../scripts/image/bootenv.ts';
import { ensureImages, versionOf } from './images.ts';
import { imageFor, root, startVms, type Vm, type Vms } from './vm.ts';

// Hang guards, not measurements: TCG on a loaded 2-core host has taken minutes per boot.
const BOOT_TIMEOUT_MS = 900_000;
const INSTALL_TIMEOUT_MS = 600_000;
const exe = join(root, 'dist', 'x64', 'stockade');

const ctx: { tmp?: string; vms?: Vms; disk?: string; bundles: Record<string, { file: string; size: number }>; payloadSha?: string; payloadSize?: number } = { bundles: {} };
const Upgrade = suite('image upgrade');

function stockade(...args: string[]): string {
  const r = spawnSync(exe, args, { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`stockade ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** A bundle (or its first `keep` bytes: enough for what is refused early) as a disk qemu can attach. */
function asDisk(bundle: string, name: string, keep?: number): { file: string; size: number } {
  const file = join(ctx.tmp!, `${name}.disk`);
  execFileSync('cp', ['--sparse=always', bundle, file]);
  const size = keep ?? statSync(file).size;
  truncateSync(file, Math.ceil(size / 512) * 512);
  return { file, size };
}

function vm(): Vm {
  return ctx.vms!.vm('box');
}

async function sh(command: string, timeoutMs = 120_000): Promise<string> {
  const r = await vm().run(command, timeoutMs);
  assert.is(r.code, 0, `\`${command}\` exited ${r.code}:\n${r.output}`);
  return r.output;
}

/** sha256 of a partition of the VM's disk, read on the host (qemu writes the raw file through). */
function partitionSha(label: string, length?: number): string {
  const p = readGpt(ctx.disk!).find((q) => q.name === label)!;
  const start = p.firstLba * 512;
  const end = length === undefined ? (p.lastLba + 1) * 512 : start + length;
  const fd = openSync(ctx.disk!, 'r');
  try {
    const hash = createHash('sha256');
    const buf = Buffer.alloc(1 << 20);
    for (let at = start; at < end; at += buf.length) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, end - at), at);
      hash.update(buf.subarray(0, n));
    }
    return hash.digest('hex');
  } finally {
    closeSync(fd);
  }
}

async function bootedSlot(from: number): Promise<string> {
  const m = await vm().waitFor(/stockade: boot complete \(([^,]+), slot ([AB?])\)/, BOOT_TIMEOUT_MS, from);
  await vm().login();
  return m[2]!;
}

async function reboot(): Promise<string> {
  const from = vm().console().length;
  vm().write('reboot\n');
  return bootedSlot(from);
}

/** `stockade upgrade install -` fed from extra disk `dev`; returns exit status and output. */
function installFrom(dev: string, size: number, extra = ''): Promise<{ output: string; code: number }> {
  return vm().run(`head -c ${size} /dev/${dev} | stockade upgrade install - --no-reboot ${extra} 2>&1`, INSTALL_TIMEOUT_MS);
}

// The setup runs once; each test awaits it, so a failed setup fails every test with its reason
// (uvu's runner reports a throwing before-hook as nothing at all).
let ready: Promise<void> | undefined;
function setUp(): Promise<void> {
  ready ??= setUpOnce();
  return ready;
}

async function setUpOnce(): Promise<void> {
  await ensureImages(['x86_64-generic']);
  ctx.tmp = mkdtempSync(join(tmpdir(), 'stockade-upgrade-image-'));
  const image = imageFor('x86_64-generic');
  const version = versionOf('x64').split(' ')[1]!;
  const keys: Record<string, { pem: string; raw: string }> = {};
  for (const name of ['release', 'other']) {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const pem = join(ctx.tmp, `${name}.pem`);
    writeFileSync(pem, privateKey.export({ format: 'pem', type: 'pkcs8' }));
    keys[name] = { pem, raw: Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('base64') };
  }
  const bundle = (name: string, args: string[]) => {
    const out = join(ctx.tmp!, `${name}.stk`);
    stockade('bundle', 'create', '--image', image, '-o', out, '--version', version, '--epoch', '1', ...args);
    return out;
  };
  const good = bundle('good', ['--board', 'x86_64-generic', '--key', keys.release!.pem]);
  const info = JSON.parse(stockade('bundle', 'info', good, '--json')) as { manifest: { parts: Array<{ sha256: string; size: number }> }; payload_offset: number };
  ctx.payloadSha = info.manifest.parts[0]!.sha256;
  ctx.payloadSize = info.manifest.parts[0]!.size;
  const untrusted = bundle('untrusted', ['--board', 'x86_64-generic', '--key', keys.other!.pem]);
  const arm = bundle('arm', ['--board', 'arm64-generic', '--key', keys.release!.pem]);
  const flipped = join(ctx.tmp, 'flipped.stk');
  execFileSync('cp', ['--sparse=always', good, flipped]);
  const fd = openSync(flipped, 'r+');
  const at = info.payload_offset + 1000;
  const b = Buffer.alloc(1);
  b[0] = readFileSync(flipped).subarray(at, at + 1)[0]! ^ 0x04;
  writeSync(fd, b, 0, 1, at);
  closeSync(fd);
  const early = info.payload_offset + (4 << 20);
  ctx.bundles = {
    good: asDisk(good, 'good'),
    untrusted: asDisk(untrusted, 'untrusted', early),
    flipped: asDisk(flipped, 'flipped', early),
    arm: asDisk(arm, 'arm', early),
  };

  // The box: a writable copy whose slot B is scrambled and marked bad (an empty slot), with a
  // config on /data that trusts the release key (written at the console, as an admin would).
  ctx.disk = join(ctx.tmp, 'box.img');
  execFileSync('cp', ['--sparse=always', image, ctx.disk]);
  const slotB = readGpt(ctx.disk).find((p) => p.name === 'root-b')!;
  const scramble = openSync(ctx.disk, 'r+');
  const junk = Buffer.alloc(1 << 20, 0x5a);
  for (let i = 0; i < 8; i++) writeSync(scramble, junk, 0, junk.length, slotB.firstLba * 512 + i * junk.length);
  closeSync(scramble);
  await setBootEnv(ctx.disk, { B_OK: '0' });
  const cfg = JSON.parse(readFileSync(join(root, 'board', 'x86_64-generic', 'config.json'), 'utf8'));
  cfg.upgrade = { trusted_keys: [{ name: 'release', ed25519_public_key: keys.release!.raw }] };
  writeFileSync(join(ctx.tmp, 'config.json'), JSON.stringify(cfg));
  stockade('config', 'validate', join(ctx.tmp, 'config.json'));

  ctx.vms = await startVms({
    vms: { box: { board: 'x86_64-generic', image: ctx.disk, writable: true, extraDisks: [ctx.bundles.good!.file, ctx.bundles.untrusted!.file, ctx.bundles.flipped!.file, ctx.bundles.arm!.file] } },
  });
  assert.is(await bootedSlot(0), 'A');
  const b64 = readFileSync(join(ctx.tmp, 'config.json')).toString('base64');
  await sh(`echo ${b64} | base64 -d > /data/config.json && sync`);
}

Upgrade.after(async () => {
  await ctx.vms?.destroy();
  if (ctx.tmp) rmSync(ctx.tmp, { recursive: true, force: true });
});

Upgrade('refused bundles: untrusted key, a flipped bit, another board; slot B and GRUB\'s environment unchanged', async () => {
  await setUp();
  const before = partitionSha('root-b');
  const envBefore = await sh('stockade upgrade status --json');
  const cases: Array<[string, string, RegExp]> = [
    ['vdc', 'untrusted', /signed by key [0-9a-f]{16}, which is not trusted \(trusted: release /],
    ['vdd', 'flipped', /part rootfs, chunk 0: sha256 [0-9a-f]{64} differs from the manifest's/],
    ['vde', 'arm', /the bundle is for board arm64-generic; this box is x86_64-generic/],
  ];
  for (const [dev, name, want] of cases) {
    const r = await installFrom(dev, ctx.bundles[name]!.size);
    assert.is(r.code, 2, `${name}: ${r.output}`);
    assert.match(r.output, want);
    assert.match(r.output, /nothing was switched: slot A stays the one that boots/);
  }
  assert.is(partitionSha('root-b'), before, 'slot B changed');
  assert.is(await sh('stockade upgrade status --json'), envBefore);
});

Upgrade('install from stdin into slot B, boot it once, mark it good, and it stays', async () => {
  await setUp();
  const r = await installFrom('vdb', ctx.bundles.good!.size);
  assert.is(r.code, 0, r.output);
  assert.match(r.output, /writing slot B \(partition root-b\); slot A runs/);
  assert.match(r.output, /written[^\n]*100 %/);
  assert.match(r.output, /slot B: \S+ installed and read back/);
  assert.is(partitionSha('root-b', ctx.payloadSize), ctx.payloadSha);
  const status = JSON.parse(await sh('stockade upgrade status --json'));
  assert.is(status.order, 'B A');
  assert.equal(status.slots.map((s: { ok: boolean; tries: number }) => [s.ok, s.tries]), [[true, 3], [true, 1]]);

  assert.is(await reboot(), 'B', 'the new slot boots');
  const trial = JSON.parse(await sh('stockade upgrade status --json'));
  assert.is(trial.running, 'B');
  assert.is(trial.slots[1].tries, 0, 'the trial took its one try');
  assert.is(trial.slots[1].installed.sha256, ctx.payloadSha);
  assert.match(await sh('stockade upgrade mark-good'), /slot B marked good \(GRUB order B A, 3 tries\); security epoch floor 1/);
  assert.is(await reboot(), 'B', 'a slot marked good keeps booting');
});

Upgrade('from B, a bundle installed into A boots once; not marked good, the next boot is B again', async () => {
  await setUp();
  const r = await installFrom('vdb', ctx.bundles.good!.size);
  assert.is(r.code, 0, r.output);
  assert.match(r.output, /writing slot A \(partition root-a\); slot B runs/);
  assert.is(await reboot(), 'A', 'the trial boot');
  assert.is(await reboot(), 'B', 'the trial was not marked good: GRUB went back to B');
  const status = JSON.parse(await sh('stockade upgrade status --json'));
  assert.is(status.running, 'B');
  assert.is(status.epoch_floor, 1);
});

Upgrade.run();
