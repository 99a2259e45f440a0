// The IPv4 neighbour (ARP) table of this network namespace, from /proc/net/arp: whether an
// address answered ARP (ATF_COM, the entry is complete) and on which device.
import { readFileSync } from 'node:fs';

const ATF_COM = 0x2;

export interface ArpEntry {
  address: string;
  device: string;
  complete: boolean;
  mac: string;
}

/** Parses /proc/net/arp's text (header line, then "IP HWtype Flags HWaddress Mask Device"). */
export function parseArpTable(text: string): Map<string, ArpEntry> {
  const out = new Map<string, ArpEntry>();
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6) continue;
    out.set(f[0]!, { address: f[0]!, device: f[5]!, complete: (parseInt(f[2]!, 16) & ATF_COM) !== 0, mac: f[3]! });
  }
  return out;
}

export function readArpTable(path = '/proc/net/arp'): Map<string, ArpEntry> {
  try {
    return parseArpTable(readFileSync(path, 'utf8'));
  } catch {
    return new Map();
  }
}
