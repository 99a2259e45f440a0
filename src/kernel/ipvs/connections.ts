// /proc/net/ip_vs_conn, the connection table ipvsadm -L -c reads: hex addresses and ports,
// the state, and the seconds left. Parsed here (only src/kernel reads /proc).
import { readFileSync } from 'node:fs';
import { formatIpv4 } from '../../common/index.ts';
import { PROC_IP_VS_CONN } from './constants.ts';

export interface IpvsConnection {
  protocol: string;
  client: { address: string; port: number };
  virtual: { address: string; port: number };
  dest: { address: string; port: number };
  state: string;
  expiresS: number;
}

/** The rows of the file (IPv4 rows: 8-hex-digit addresses); malformed rows are skipped. */
export function parseIpvsConnections(text: string): IpvsConnection[] {
  const out: IpvsConnection[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 9) continue;
    const ep = (a: string, p: string) => ({ address: /^[0-9A-Fa-f]{8}$/.test(a) ? formatIpv4(parseInt(a, 16)) : a, port: parseInt(p, 16) });
    const expiresS = Number(f[8]);
    if (!Number.isFinite(expiresS)) continue;
    out.push({ protocol: f[0]!, client: ep(f[1]!, f[2]!), virtual: ep(f[3]!, f[4]!), dest: ep(f[5]!, f[6]!), state: f[7]!, expiresS });
  }
  return out;
}

/** The kernel's IPVS connections; none when IPVS is not loaded. */
export function readIpvsConnections(path = PROC_IP_VS_CONN): IpvsConnection[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return parseIpvsConnections(text);
}
