// The box the upgrade image tests (and the power-cut soak) work on: a writable copy of the
// x86_64 image with /data/config.json trusting a release key, and bundles of other builds made
// from the image's own root squashfs (unsquashfs, a change, mksquashfs with the image builder's
// options), so that which build runs is visible inside (/etc/stockade-test-build):
//   next   the next build (marker "next")
//   fail   a build whose health fails: /usr/share/stockade/test-hooks.json fails the vrrp check,
//          and its inittab starts `upgrade trial` with STOCKADE_TEST_HOOKS=1 (the production
//          inittab never does)
//   base   the image's own slot, as another version (no marker)
// and refused ones (another key, a flipped bit, another board). Bundles reach the VM as read-only
// extra disks (vdb, vdc, ...: the order of BUNDLE_DISKS); `head -c SIZE /dev/vdX | stockade
// upgrade install -` streams one as `ssh box stockade upgrade install - < bundle` will.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readGpt, setBootEnv } from '../../scripts/image/bootenv.ts';
import { ensureImages, versionOf } from './images.ts';
import { imageFor, root, startVms, type Vm, type Vms } from './vm.ts';

/** Hang guards, not measurements: TCG on a loaded 2-core host has taken minutes per boot. */
export const BOOT_TIMEOUT_MS = 900_000;
export const INSTALL_TIMEOUT_MS = 600_000;
/** Until a healthy trial is marked good (its confirm_timeout_s is 600). */
export const VERDICT_TIMEOUT_MS = 900_000;
const exe = join(root, 'dist', 'x64', 'stockade');

export const BUNDLE_DISKS = ['next', 'untrusted', 'flipped', 'arm', 'fail', 'base'] as const;
export type BundleName = (typeof BUNDLE_DISKS)[number];
export const MARKER = '/etc/stockade-test-build';
export const DATA_MARKER = '/data/test-marker.bin';

export interface Bundle {
  readonly file: string;
  /** Bytes to stream from its disk (all, or enough for what is refused early). */
  readonly size: number;
  readonly dev: string;
  readonly version: string;
  /** The payload's size and sha256: what the slot holds once installed. */
  readonly payloadSize: number;
  readonly payloadSha: string;
  /** What /etc/stockade-test-build says when it runs ('' for none). */
  readonly marker: string;
}

export interface UpgradeBox {
  readonly tmp: string;
  readonly disk: string;
  readonly bundles: Record<BundleName, Bundle>;
  readonly keys: Record<'release' | 'other', { pem: string; raw: string }>;
  vms: Vms;
  /** sha256 of the random file put on /data at the start. */
  dataSha: string;
  /** The config on /data, as written. */
  config: Record<string, unknown>;
}

function stockade(...args: string[]): string {
  const r = spawnSync(exe, args, { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`stockade ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

function run(argv: string[]): void {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: exit ${r.status}: ${r.stderr}`);
}

/** The root squashfs of the image's slot A, as a file (superblock bytes_used, padded to 4 KiB). */
export function slotSquashfs(image: string, out: string): void {
  const p = readGpt(image).find((q) => q.name === 'root-a')!;
  const fd = openSync(image, 'r');
  try {
    const sb = Buffer.alloc(96);
    readSync(fd, sb, 0, 96, p.firstLba * 512);
    const length = Math.ceil(Number(sb.readBigUInt64LE(40)) / 4096) * 4096;
    const buf = Buffer.alloc(length);
    readSync(fd, buf, 0, length, p.firstLba * 512);
    writeFileSync(out, buf);
  } finally {
    closeSync(fd);
  }
}

/** A variant of the unpacked root `dir`: `change` runs on a copy, then mksquashfs as scripts/image/disk.ts does. */
function variant(tmp: string, dir: string, name: string, change: (root: string) => void): string {
  const copy = join(tmp, `root-${name}`);
  run(['cp', '-a', dir, copy]);
  change(copy);
  const out = join(tmp, `${name}.squashfs`);
  run(['mksquashfs', copy, out, '-noappend', '-quiet', '-no-progress', '-comp', 'gzip', '-all-root', '-no-xattrs']);
  rmSync(copy, { recursive: true, force: true });
  return out;
}

/** A bundle (or its first `keep` bytes) as a disk qemu can attach. */
function asDisk(tmp: string, bundle: string, name: string, keep?: number): { file: string; size: number } {
  const file = join(tmp, `${name}.disk`);
  execFileSync('cp', ['--sparse=always', bundle, file]);
  const size = keep ?? statSync(file).size;
  truncateSync(file, Math.ceil(size / 512) * 512);
  return { file, size };
}

export function configText(box: Pick<UpgradeBox, 'keys'>, upgrade: Record<string, unknown> = {}): Record<string, unknown> {
  const cfg = JSON.parse(readFileSync(join(root, 'board', 'x86_64-generic', 'config.json'), 'utf8')) as Record<string, unknown>;
  cfg.upgrade = { trusted_keys: [{ name: 'release', ed25519_public_key: box.keys.release.raw }], ...upgrade };
  return cfg;
}

/** Builds the variants and bundles and the box's disk; the VM is not started. */
export async function prepareUpgradeBox(): Promise<Omit<UpgradeBox, 'vms' | 'dataSha'>> {
  await ensureImages(['x86_64-generic']);
  const tmp = mkdtempSync(join(tmpdir(), 'stockade-upgrade-image-'));
  const image = imageFor('x86_64-generic');
  const version = versionOf('x64').split(' ')[1]!;
  const keys = {} as UpgradeBox['keys'];
  for (const name of ['release', 'other'] as const) {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const pem = join(tmp, `${name}.pem`);
    writeFileSync(pem, privateKey.export({ format: 'pem', type: 'pkcs8' }));
    keys[name] = { pem, raw: Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('base64') };
  }

  const base = join(tmp, 'base.squashfs');
  slotSquashfs(image, base);
  const unpacked = join(tmp, 'root');
  run(['unsquashfs', '-q', '-n', '-d', unpacked, base]);
  const next = variant(tmp, unpacked, 'next', (r) => writeFileSync(join(r, MARKER), 'next\n'));
  const fail = variant(tmp, unpacked, 'fail', (r) => {
    writeFileSync(join(r, MARKER), 'fail\n');
    writeFileSync(join(r, 'usr/share/stockade/test-hooks.json'), JSON.stringify({ upgrade_health_fail: 'vrrp' }) + '\n');
    const inittab = readFileSync(join(r, 'etc/inittab'), 'utf8');
    const hooked = inittab.replace("'exec /usr/bin/stockade upgrade trial", "'export STOCKADE_TEST_HOOKS=1; exec /usr/bin/stockade upgrade trial");
    if (hooked === inittab) throw new Error('the image\'s inittab has no `exec /usr/bin/stockade upgrade trial` line to hook');
    writeFileSync(join(r, 'etc/inittab'), hooked);
  });
  rmSync(unpacked, { recursive: true, force: true });

  const make = (name: string, rootfs: string, v: string, args: string[]) => {
    const out = join(tmp, `${name}.stk`);
    stockade('bundle', 'create', '--rootfs', rootfs, '-o', out, '--version', v, '--epoch', '1', ...args);
    return out;
  };
  const info = (file: string) => JSON.parse(stockade('bundle', 'info', file, '--json')) as { manifest: { parts: Array<{ sha256: string; size: number }> }; payload_offset: number };
  const release = ['--board', 'x86_64-generic', '--key', keys.release.pem];
  const files: Record<BundleName, { file: string; version: string; keep?: number; marker: string }> = {} as never;
  files.next = { file: make('next', next, '0.2.0', release), version: '0.2.0', marker: 'next' };
  files.fail = { file: make('fail', fail, '0.2.1', release), version: '0.2.1', marker: 'fail' };
  files.base = { file: make('base', base, '0.3.0', release), version: '0.3.0', marker: '' };
  const early = info(files.next.file).payload_offset + (4 << 20);
  files.untrusted = { file: make('untrusted', next, version, ['--board', 'x86_64-generic', '--key', keys.other.pem]), version, keep: early, marker: 'next' };
  files.arm = { file: make('arm', next, version, ['--board', 'arm64-generic', '--key', keys.release.pem]), version, keep: early, marker: 'next' };
  const flipped = join(tmp, 'flipped.stk');
  execFileSync('cp', ['--sparse=always', files.next.file, flipped]);
  const fd = openSync(flipped, 'r+');
  const at = info(files.next.file).payload_offset + 1000;
  const b = Buffer.alloc(1);
  b[0] = readFileSync(flipped).subarray(at, at + 1)[0]! ^ 0x04;
  writeSync(fd, b, 0, 1, at);
  closeSync(fd);
  files.flipped = { file: flipped, version, keep: early, marker: 'next' };

  const bundles = {} as Record<BundleName, Bundle>;
  BUNDLE_DISKS.forEach((name, i) => {
    const f = files[name];
    const d = asDisk(tmp, f.file, name, f.keep);
    const part = info(f.file).manifest.parts[0]!;
    bundles[name] = { file: d.file, size: d.size, dev: `vd${String.fromCharCode(0x62 + i)}`, version: f.version, payloadSize: part.size, payloadSha: part.sha256, marker: f.marker };
  });
  for (const f of [base, next, fail]) rmSync(f, { force: true });

  // The box: a writable copy whose slot B is scrambled and marked bad (an empty slot).
  const disk = join(tmp, 'box.img');
  execFileSync('cp', ['--sparse=always', image, disk]);
  const slotB = readGpt(disk).find((p) => p.name === 'root-b')!;
  const scramble = openSync(disk, 'r+');
  const junk = Buffer.alloc(1 << 20, 0x5a);
  for (let i = 0; i < 8; i++) writeSync(scramble, junk, 0, junk.length, slotB.firstLba * 512 + i * junk.length);
  closeSync(scramble);
  await setBootEnv(disk, { B_OK: '0' });
  const config = configText({ keys });
  writeFileSync(join(tmp, 'config.json'), JSON.stringify(config));
  stockade('config', 'validate', join(tmp, 'config.json'));
  return { tmp, disk, bundles, keys, config };
}

/** Starts (or, after a power cut, restarts) qemu on the box's disk with the bundles attached. */
export async function startBox(box: Pick<UpgradeBox, 'disk' | 'bundles'>, logDir?: string): Promise<Vms> {
  return startVms({
    vms: { box: { board: 'x86_64-generic', image: box.disk, writable: true, extraDisks: BUNDLE_DISKS.map((n) => box.bundles[n].file) } },
    ...(logDir ? { logDir } : {}),
  });
}

export async function sh(vm: Vm, command: string, timeoutMs = 120_000): Promise<string> {
  const r = await vm.run(command, timeoutMs);
  if (r.code !== 0) throw new Error(`\`${command}\` exited ${r.code}:\n${r.output}`);
  return r.output;
}

/** Waits for the next boot-complete line after console offset `from`, logs in; the slot booted. */
export async function bootedSlot(vm: Vm, from: number): Promise<'A' | 'B'> {
  const m = await vm.waitFor(/stockade: boot complete \(([^,]+), slot ([AB?])\)/, BOOT_TIMEOUT_MS, from);
  await vm.login();
  if (m[2] !== 'A' && m[2] !== 'B') throw new Error(`booted without a slot: ${m[0]}`);
  return m[2];
}

export async function reboot(vm: Vm): Promise<'A' | 'B'> {
  const from = vm.console().length;
  vm.write('reboot\n');
  return bootedSlot(vm, from);
}

/** Writes the config to /data at the console, as an admin would. */
export async function writeConfig(vm: Vm, config: Record<string, unknown>): Promise<void> {
  const b64 = Buffer.from(JSON.stringify(config)).toString('base64');
  await sh(vm, `echo ${b64} | base64 -d > /data/config.json && sync`);
}

/** `stockade upgrade install -` fed from the bundle's disk; its exit status and output. */
export function installFrom(vm: Vm, b: Bundle, extra = ''): Promise<{ output: string; code: number }> {
  return vm.run(`head -c ${b.size} /dev/${b.dev} | stockade upgrade install - --no-reboot ${extra} 2>&1`, INSTALL_TIMEOUT_MS);
}

export interface StatusJson {
  running: 'A' | 'B';
  order: string;
  trial: 'A' | 'B' | null;
  epoch_floor: number;
  slots: Array<{ slot: 'A' | 'B'; running: boolean; ok: boolean; tries: number; condition: 'good' | 'trial' | 'bad'; installed?: { version: string; sha256: string; size: number; activated_at?: string; failed_at?: string; failure?: string } }>;
  last_failure: { slot: 'A' | 'B'; version?: string; reason: string; at: string } | null;
}

export async function status(vm: Vm): Promise<StatusJson> {
  return JSON.parse(await sh(vm, 'stockade upgrade status --json')) as StatusJson;
}

const VERDICT_WRITTEN = /upgrade trial: (slot \S+ passed its trial and is marked good|slot \S+ is not on its trial boot)/;

/** Polls `upgrade status` until the running slot's trial has ended (it marks itself good) and its verdict is written. */
export async function waitTrialOver(vm: Vm): Promise<StatusJson> {
  const deadline = Date.now() + VERDICT_TIMEOUT_MS;
  for (;;) {
    const s = await status(vm);
    // GRUB's environment ends the trial before the state file takes the new epoch floor
    // (lifecycle.ts), so "no trial" alone can be seen between the two writes: the trial's
    // verdict line is written after both (or a reboot has started a log without a trial).
    if (s.trial === null && VERDICT_WRITTEN.test(await sh(vm, 'cat /run/stockade-upgrade.log 2>/dev/null || true'))) return status(vm);
    if (Date.now() > deadline) throw new Error(`trial ${s.trial ?? '(over, no verdict line)'} not settled after ${VERDICT_TIMEOUT_MS / 1000} s:\n${await sh(vm, 'cat /run/stockade-upgrade.log; tail -20 /run/stockade.log')}`);
    // Each look is a command under TCG (seconds); a short pause between them: the trial itself
    // needs its health to hold for only HEALTH_HOLD_MS (5 s).
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** What runs: the build marker ('' for the base build). */
export async function runningBuild(vm: Vm): Promise<string> {
  return (await sh(vm, `cat ${MARKER} 2>/dev/null || true`)).trim();
}

/** sha256 of the first `length` bytes (default all) of a partition of the box's disk, read on the host. */
export function partitionSha(disk: string, label: string, length?: number): string {
  const p = readGpt(disk).find((q) => q.name === label)!;
  const start = p.firstLba * 512;
  const end = length === undefined ? (p.lastLba + 1) * 512 : start + length;
  const fd = openSync(disk, 'r');
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

/** Boots the box for the first time: config and a random file on /data. */
export async function bootUpgradeBox(prepared: Omit<UpgradeBox, 'vms' | 'dataSha'>): Promise<UpgradeBox> {
  const vms = await startBox(prepared);
  const box: UpgradeBox = { ...prepared, vms, dataSha: '' };
  const vm = vms.vm('box');
  const slot = await bootedSlot(vm, 0);
  if (slot !== 'A') throw new Error(`the fresh box booted slot ${slot}`);
  await writeConfig(vm, box.config);
  box.dataSha = (await sh(vm, `head -c 262144 /dev/urandom > ${DATA_MARKER} && sync && sha256sum ${DATA_MARKER}`)).split(' ')[0]!;
  return box;
}
