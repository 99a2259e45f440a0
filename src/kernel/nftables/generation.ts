// The nf_tables generation id of this network namespace (NFT_MSG_GETGEN over NETLINK_NETFILTER,
// one request). The kernel bumps it on every committed nf_tables transaction, so every change
// that iptables-nft (or nft) makes to any table moves it: an unchanged id since our last apply
// means nobody changed the rules. Counters and conntrack do not move it.
// Layout (include/uapi/linux/netfilter/nf_tables.h): type NFNL_SUBSYS_NFTABLES << 8 |
// NFT_MSG_GETGEN, a struct nfgenmsg (family AF_UNSPEC), no attributes; the reply NFT_MSG_NEWGEN
// carries NFTA_GEN_ID (be32).
import { readFileSync, statSync } from 'node:fs';
import { attributeMap, attrBe32, decodeAttributes } from '../netlink/attributes.ts';
import { NETLINK_NETFILTER } from '../netlink/constants.ts';
import { NetlinkSocket } from '../netlink/socket.ts';
import { NFGENMSG_LEN } from '../ctnetlink/constants.ts';
import { encodeNfgenmsg } from '../ctnetlink/entry.ts';

export const NFNL_SUBSYS_NFTABLES = 10;
export const NFT_MSG_NEWGEN = 15;
export const NFT_MSG_GETGEN = 16;
export const NFTA_GEN_ID = 1;

/** The request's payload: nfgenmsg { family AF_UNSPEC, version 0, res_id 0 }. */
export function encodeGetGen(): Buffer {
  return encodeNfgenmsg(0);
}

/** NFTA_GEN_ID of a NEWGEN reply's payload, or undefined if it has none. */
export function decodeGen(payload: Uint8Array): number | undefined {
  const id = attributeMap(decodeAttributes(payload.subarray(NFGENMSG_LEN))).get(NFTA_GEN_ID);
  return id === undefined ? undefined : attrBe32(id);
}

/** This namespace's nf_tables generation id. Throws if the kernel has no nf_tables. */
export async function nftablesGeneration(): Promise<number> {
  const sock = NetlinkSocket.open(NETLINK_NETFILTER, { timeoutMs: 2000 });
  try {
    const replies = await sock.request((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETGEN, encodeGetGen());
    const reply = replies.find((m) => (m.type & 0xff) === NFT_MSG_NEWGEN);
    const gen = reply === undefined ? undefined : decodeGen(reply.payload);
    if (gen === undefined) throw new Error('nf_tables: no generation id in the reply to NFT_MSG_GETGEN');
    return gen;
  } finally {
    sock.close();
  }
}

/**
 * True when this namespace holds legacy (x_tables) iptables tables: the generation id does not
 * see their changes, so it cannot stand for "nothing changed" there.
 */
export function legacyTablesPresent(): boolean {
  for (const f of ['/proc/net/ip_tables_names', '/proc/net/ip6_tables_names']) {
    try {
      if (readFileSync(f, 'utf8').trim() !== '') return true;
    } catch {
      // No legacy module loaded: no legacy tables.
    }
  }
  return false;
}

/**
 * This process's network namespace (the inode of /proc/self/ns/net): generation ids are per
 * namespace and start small in each, so a recorded id only means something in its own.
 */
export function netnsId(): string {
  const st = statSync('/proc/self/ns/net');
  return `${st.dev}:${st.ino}`;
}
