// Upgrade install throughput in the x86_64 VM: `stockade upgrade install -` of a signed bundle
// against `dd` of the same payload to the same partition (slot B), whole commands, both fed from
// an extra virtio disk, timed on the host's clock around the console command, alternating order.
// stockade does more (signature, a sha256 per chunk before each write, the read-back of the
// slot, two GRUB environment writes); dd only copies and fsyncs. Both must leave slot B holding
// the payload (checked after every run). Then, once: the time from `upgrade install` to the new
// slot marked good by itself (install, reboot, boot, its trial's health held: `upgrade trial`),
// seen by polling `upgrade status` every 2 s. Not pass/fail. Last line:
//   BENCH upgrade write_ratio=<stockade_s/dd_s> to_good_s=<s>
// Options: --runs N (per side, default 7).
import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureImages, versionOf } from '../image/images.ts';
import { imageFor, root, startVms, type Vm } from '../image/vm.ts';
import { median } from './stats.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' } } });
const runs = Math.max(1, Number(values.runs));
const exe = join(root, 'dist', 'x64', 'stockade');

function stockade(...args: string[]): string {
  const r = spawnSync(exe, args, { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`stockade ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function asDisk(from: string, to: string): number {
  execFileSync('cp', ['--sparse=always', from, to]);
  const size = statSync(to).size;
  truncateSync(to, Math.ceil(size / 512) * 512);
  return size;
}

async function sh(vm: Vm, command: string, timeoutMs = 900_000): Promise<string> {
  const r = await vm.run(command, timeoutMs);
  if (r.code !== 0) throw new Error(`\`${command}\` exited ${r.code}: ${r.output}`);
  return r.output;
}

async function timed(vm: Vm, command: string): Promise<number> {
  const t0 = performance.now();
  await sh(vm, command);
  return (performance.now() - t0) / 1000;
}

const spread = (xs: number[]) => `median ${median(xs).toFixed(2)} s, min ${Math.min(...xs).toFixed(2)}, max ${Math.max(...xs).toFixed(2)}`;

await ensureImages(['x86_64-generic']);
const tmp = mkdtempSync(join(tmpdir(), 'stockade-bench-upgrade-'));
const vms = await (async () => {
  const image = imageFor('x86_64-generic');
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const pem = join(tmp, 'release.pem');
  writeFileSync(pem, privateKey.export({ format: 'pem', type: 'pkcs8' }));
  const bundle = join(tmp, 'next.stk');
  stockade('bundle', 'create', '--board', 'x86_64-generic', '--image', image, '-o', bundle, '--version', versionOf('x64').split(' ')[1]!, '--key', pem);
  const info = JSON.parse(stockade('bundle', 'info', bundle, '--json')) as { manifest: { parts: Array<{ size: number; sha256: string }> }; payload_offset: number };
  const part = info.manifest.parts[0]!;
  // The payload alone, for dd: the bundle's bytes after its header, manifest and signature.
  const payload = join(tmp, 'payload.squashfs');
  writeFileSync(payload, readFileSync(bundle).subarray(info.payload_offset));
  const cfg = JSON.parse(readFileSync(join(root, 'board', 'x86_64-generic', 'config.json'), 'utf8'));
  cfg.upgrade = { trusted_keys: [{ name: 'release', ed25519_public_key: Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('base64') }] };
  const disk = join(tmp, 'box.img');
  execFileSync('cp', ['--sparse=always', image, disk]);
  const bundleSize = asDisk(bundle, join(tmp, 'bundle.disk'));
  asDisk(payload, join(tmp, 'payload.disk'));
  const v = await startVms({ vms: { box: { board: 'x86_64-generic', image: disk, writable: true, extraDisks: [join(tmp, 'bundle.disk'), join(tmp, 'payload.disk')] } } });
  return { v, part, bundleSize, cfg };
})();

try {
  const vm = vms.v.vm('box');
  await vm.waitFor(/stockade: boot complete/, 600_000);
  await vm.login();
  await sh(vm, `echo ${Buffer.from(JSON.stringify(vms.cfg)).toString('base64')} | base64 -d > /data/config.json && sync`);
  const { part, bundleSize } = vms;
  const mib = part.size / 1048576;
  const sides = {
    stockade: `head -c ${bundleSize} /dev/vdb | stockade upgrade install - --no-reboot > /dev/null 2>&1`,
    dd: `dd if=/dev/vdc of=/dev/vda3 bs=1M count=${Math.ceil(mib)} conv=fsync 2>/dev/null`,
  };
  const check = `head -c ${part.size} /dev/vda3 | sha256sum | cut -d" " -f1`;
  const times: Record<'stockade' | 'dd', number[]> = { stockade: [], dd: [] };
  for (let i = 0; i < runs; i++) {
    const order = i % 2 === 0 ? (['stockade', 'dd'] as const) : (['dd', 'stockade'] as const);
    for (const side of order) {
      // Slot B scrambled first, so each side really writes it.
      await sh(vm, 'dd if=/dev/zero of=/dev/vda3 bs=1M count=4 conv=fsync 2>/dev/null');
      times[side].push(await timed(vm, sides[side]));
      const got = (await sh(vm, check)).trim();
      if (got !== part.sha256) throw new Error(`${side} run ${i + 1}: slot B holds sha256 ${got}, not the payload's ${part.sha256}`);
    }
    process.stderr.write(`run ${i + 1}/${runs}: stockade ${times.stockade.at(-1)!.toFixed(2)} s, dd ${times.dd.at(-1)!.toFixed(2)} s\n`);
  }
  const t0 = performance.now();
  await sh(vm, `head -c ${bundleSize} /dev/vdb | stockade upgrade install - --no-reboot > /dev/null 2>&1`);
  const from = vm.console().length;
  vm.write('reboot\n');
  const m = await vm.waitFor(/stockade: boot complete \(([^,]+), slot ([AB?])\)/, 600_000, from);
  await vm.login();
  if (m[2] !== 'B') throw new Error(`booted slot ${m[2]} after the install, not B`);
  for (;;) {
    const s = JSON.parse(await sh(vm, 'stockade upgrade status --json')) as { running: string; trial: string | null };
    if (s.trial === null) {
      if (s.running !== 'B') throw new Error(`the trial ended on slot ${s.running}`);
      break;
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
  const toGood = (performance.now() - t0) / 1000;
  const ratio = median(times.stockade) / median(times.dd);
  console.log(`payload ${mib.toFixed(1)} MiB, ${runs} runs per side, alternating; slot B checked after every run`);
  console.log(`stockade upgrade install -: ${spread(times.stockade)} (${(mib / median(times.stockade)).toFixed(1)} MiB/s)`);
  console.log(`dd conv=fsync:              ${spread(times.dd)} (${(mib / median(times.dd)).toFixed(1)} MiB/s)`);
  console.log(`install -> reboot -> slot B up -> marked good by its trial: ${toGood.toFixed(1)} s`);
  console.log(`BENCH upgrade write_ratio=${ratio.toFixed(2)} to_good_s=${toGood.toFixed(1)}`);
} finally {
  await vms.v.destroy();
  rmSync(tmp, { recursive: true, force: true });
}
