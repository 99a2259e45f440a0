// Runs Debian's keepalived in a lab namespace and captures its adverts with the addon's raw socket
// (test/lab/helpers/vrrp-capture.ts) from a second namespace. Shared by the golden-packet lab test
// and by `scripts/node-run test/interop/vrrp/keepalived-adverts.ts --write`, which (re)writes the
// fixtures in test/unit/vrrp/fixtures/ (each with the exact keepalived.conf that produced it).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { labAvailable, withLab } from '../../lab/harness.ts';
import type { Lab, Topology } from '../../lab/harness.ts';
import { ROOT, parseLines, spawnHelper, waitLine } from '../../lab/native/addon.ts';
import { GARP_ONCE, keepalivedArgv, keepalivedConf, startKeepalived } from '../../lab/helpers/keepalived.ts';
import type { KeepalivedInstance } from '../../lab/helpers/keepalived.ts';

export const FIXTURE_DIR = resolve(ROOT, 'test/unit/vrrp/fixtures');

export const topology: Topology = {
  hosts: ['ka', 'obs'],
  links: [['ka:eth0', 'obs:eth0']],
  addresses: { 'ka:eth0': ['192.0.2.1/24'], 'obs:eth0': ['192.0.2.2/24'] },
};

export interface Variant {
  name: string;
  what: string;
  /** The vrrp_instance, named VI_<name> with underscores for dashes. */
  instance: Omit<KeepalivedInstance, 'name'>;
  /** Adverts to capture before SIGTERM (then the priority-0 advert is captured too). */
  adverts: number;
}

export const VARIANTS: Variant[] = [
  {
    name: 'v2-none',
    what: 'VRRPv2, no authentication, 1 s adverts, one VIP',
    adverts: 2,
    instance: { state: 'MASTER', interface: 'eth0', vrid: 51, priority: 150, advertInt: 1, version: 2, vips: ['192.0.2.100/24'] },
  },
  {
    name: 'v2-pass',
    what: 'VRRPv2, simple password (auth_pass longer than 8 characters: keepalived truncates)',
    adverts: 2,
    instance: { state: 'MASTER', interface: 'eth0', vrid: 52, priority: 120, advertInt: 2, version: 2, auth: 'secret12345', vips: ['192.0.2.100/24', '192.0.2.101/24'] },
  },
  {
    name: 'v3-pseudo-header',
    what: 'VRRPv3 to 224.0.0.18, checksum with the IPv4 pseudo-header (keepalived default), 100 ms adverts, two VIPs',
    adverts: 3,
    instance: { state: 'MASTER', interface: 'eth0', vrid: 53, priority: 200, advertInt: 0.1, version: 3, vips: ['192.0.2.100/24', '192.0.2.102/24'] },
  },
  {
    name: 'v3-unicast',
    what: 'VRRPv3 unicast to 192.0.2.2 (pseudo-header with the real destination), 1 s adverts',
    adverts: 2,
    instance: { state: 'MASTER', interface: 'eth0', vrid: 54, priority: 100, advertInt: 1, version: 3, unicast: { src: '192.0.2.1', peers: ['192.0.2.2'] }, vips: ['192.0.2.100/24'] },
  },
];

/** A variant's keepalived.conf, as stored in its fixture. */
export function variantConf(v: Variant): string {
  return keepalivedConf({ comment: v.what, routerId: 'stockade_golden', globals: GARP_ONCE, instance: { name: `VI_${v.name.replace(/-/g, '_')}`, ...v.instance } });
}

export function keepalivedVersion(): string {
  // keepalived prints its banner on stderr.
  const r = spawnSync('keepalived', ['--version'], { encoding: 'utf8' });
  return /Keepalived v(\S+)/.exec(`${r.stdout}${r.stderr}`)?.[1] ?? 'unknown';
}

export interface Captured {
  source: string;
  destination: string;
  ttl: number;
  hex: string;
}

export interface Fixture {
  name: string;
  what: string;
  keepalived: string;
  command: string[];
  config: string;
  packets: Captured[];
}

/** One variant: keepalived as master in `ka`, the capture in `obs`; SIGTERM for the priority-0 advert. */
export async function captureVariant(lab: Lab, v: Variant): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'stk-keepalived-'));
  try {
    const config = variantConf(v);
    writeFileSync(join(dir, 'keepalived.conf'), config);
    const argv = keepalivedArgv(dir);
    const rx = spawnHelper(lab, 'obs', 'vrrp-capture.ts', ['eth0', '20000']);
    await waitLine(lab, rx, 'capture ready', (l) => l['ready'] === true);
    const ka = lab.spawn('ka', argv);
    try {
      const wanted = v.adverts;
      await waitLine(lab, rx, `${wanted} adverts from keepalived`, () => parseLines(rx.stdout()).filter((l) => 'hex' in l).length >= wanted, 15_000)
        .catch((e: Error) => { throw new Error(`${e.message}\nkeepalived: ${ka.stderr()} ${ka.stdout()}`); });
      ka.kill('SIGTERM');
      await ka.exited;
      await waitLine(lab, rx, 'priority-0 advert', (l) => typeof l['hex'] === 'string' && (l['hex'] as string).slice(4, 6) === '00', 5_000);
    } finally {
      ka.kill('SIGKILL');
      rx.kill('SIGTERM');
      await rx.exited;
    }
    const all = (parseLines(rx.stdout()).filter((l) => 'hex' in l) as unknown as Captured[])
      .map(({ source, destination, ttl, hex }) => ({ source, destination, ttl, hex }));
    const stop = all.findIndex((p) => p.hex.slice(4, 6) === '00');
    const packets = [...all.slice(0, Math.min(v.adverts, stop)), all[stop]!];
    return { name: v.name, what: v.what, keepalived: keepalivedVersion(), command: argv.map((a) => a.startsWith(dir) ? a.replace(dir, '$DIR') : a), config, packets };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface GarpFixture {
  what: string;
  keepalived: string;
  config: string;
  /** keepalived's interface MAC in that run (random per lab: tests rebuild frames with it). */
  mac: string;
  frames: string[];
}

/** Frames of a classic pcap file (tcpdump -w), little-endian as written on x86/arm64. */
export function pcapFrames(file: Uint8Array): Uint8Array[] {
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (dv.getUint32(0, true) !== 0xa1b2c3d4) throw new Error('not a little-endian microsecond pcap file');
  const out: Uint8Array[] = [];
  for (let at = 24; at + 16 <= file.length;) {
    const len = dv.getUint32(at + 8, true);
    out.push(file.slice(at + 16, at + 16 + len));
    at += 16 + len;
  }
  return out;
}

/** keepalived's gratuitous ARPs on becoming MASTER (garp repeat 1: one per VIP), via tcpdump -w. */
export async function captureGarp(lab: Lab): Promise<GarpFixture> {
  const v = VARIANTS.find((x) => x.name === 'v3-pseudo-header')!;
  const dir = mkdtempSync(join(tmpdir(), 'stk-keepalived-'));
  try {
    const config = variantConf(v);
    const pcap = join(dir, 'garp.pcap');
    const td = lab.spawn('obs', ['tcpdump', '--immediate-mode', '-i', 'eth0', '-U', '-n', '-s', '256', '-w', pcap, 'arp']);
    await lab.waitFor('tcpdump listening', () => /listening on/.test(td.stderr()) || undefined, { timeoutMs: 5000, intervalMs: 20 });
    const mac = (await lab.exec('ka', ['cat', '/sys/class/net/eth0/address'])).stdout.trim();
    const ka = startKeepalived(lab, 'ka', dir, config);
    try {
      await lab.waitFor('two gARPs', () => (existsSync(pcap) && pcapFrames(readFileSync(pcap)).length >= 2) || undefined, { timeoutMs: 10_000, intervalMs: 50 });
    } finally {
      ka.kill('SIGTERM');
      await ka.exited;
      td.kill('SIGTERM');
      await td.exited;
    }
    const frames = pcapFrames(readFileSync(pcap)).slice(0, 2).map((f) => Buffer.from(f).toString('hex'));
    return { what: 'gratuitous ARP per VIP on becoming MASTER (the v3-pseudo-header config)', keepalived: keepalivedVersion(), config, mac, frames };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function fixturePath(name: string): string {
  return join(FIXTURE_DIR, `keepalived-${name}.json`);
}

// `scripts/node-run test/interop/vrrp/keepalived-adverts.ts --write`: recapture every fixture.
if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename) && process.argv.includes('--write')) {
  const avail = labAvailable({ tools: ['keepalived'] });
  if (!avail.ok) throw new Error(avail.reason);
  for (const v of VARIANTS) {
    const f = await withLab(topology, (lab) => captureVariant(lab, v));
    writeFileSync(fixturePath(v.name), `${JSON.stringify(f, null, 2)}\n`);
    console.log(`${v.name}: ${f.packets.length} packets`);
  }
  const g = await withLab(topology, (lab) => captureGarp(lab));
  writeFileSync(fixturePath('garp'), `${JSON.stringify(g, null, 2)}\n`);
  console.log(`garp: ${g.frames.length} frames`);
}
