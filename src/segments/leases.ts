// busybox udhcpd's lease file (networking/udhcp/dhcpd.c write_leases, 1.35): a 64-bit
// big-endian time of writing, then one 36-byte struct dyn_lease per lease: u32 seconds left
// (big-endian, relative to that time), the address, the MAC, a 20-byte hostname, 2 pad bytes.
import { formatIpv4 } from '../common/index.ts';

export interface Lease {
  readonly mac: string;
  readonly ip: string;
  readonly hostname: string;
  /** Unix seconds when the lease ends. */
  readonly expires: number;
}

const RECORD = 36;

/** dnsmasq's lease file (managed_novlan): a line per lease, "EXPIRES MAC IP HOSTNAME CLIENT-ID" (EXPIRES in Unix seconds). */
export function parseDnsmasqLeases(file: Buffer): Lease[] {
  const out: Lease[] = [];
  for (const line of file.toString('latin1').split('\n')) {
    const [expires, mac, ip, hostname] = line.trim().split(/\s+/);
    if (expires === undefined || mac === undefined || ip === undefined || !/^\d+$/.test(expires) || !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(mac)) continue;
    out.push({ mac: mac.toLowerCase(), ip, hostname: hostname === undefined || hostname === '*' ? '' : hostname.replace(/[^\x20-\x7e]/g, '?'), expires: Number(expires) });
  }
  return out;
}

export function parseLeases(file: Buffer): Lease[] {
  if (file.length < 8) return [];
  const written = Number(file.readBigUInt64BE(0));
  const out: Lease[] = [];
  for (let off = 8; off + RECORD <= file.length; off += RECORD) {
    const left = file.readUInt32BE(off);
    const ip = file.readUInt32BE(off + 4);
    if (ip === 0) continue;
    const mac = [...file.subarray(off + 8, off + 14)].map((b) => b.toString(16).padStart(2, '0')).join(':');
    const raw = file.subarray(off + 14, off + 34);
    const end = raw.indexOf(0);
    const hostname = raw.subarray(0, end < 0 ? raw.length : end).toString('latin1').replace(/[^\x20-\x7e]/g, '?');
    out.push({ mac, ip: formatIpv4(ip), hostname, expires: written + left });
  }
  return out;
}
