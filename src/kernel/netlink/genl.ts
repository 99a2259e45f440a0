// Generic netlink: the genlmsghdr (u8 cmd, u8 version, u16 reserved) that starts every payload,
// and the controller's family lookup by name (CTRL_CMD_GETFAMILY), as libnl's genl_ctrl_resolve
// does. Family ids are given out at module load, so a client asks for its id at open.
import { attrString, attrU16, attrU32, decodeAttributes } from './attributes.ts';
import { AttributeEncoder } from './attributes.ts';
import type { NetlinkMessage } from './message.ts';
import { NetlinkParseError } from './message.ts';
import type { NetlinkSocket } from './socket.ts';

/** struct genlmsghdr. */
export const GENL_HDRLEN = 4;
/** The controller family's fixed id (linux/genetlink.h). */
export const GENL_ID_CTRL = 0x10;
export const CTRL_CMD_GETFAMILY = 3;
/** The controller's version as libnl sends it. */
export const CTRL_VERSION = 1;
export const CTRL_ATTR_FAMILY_ID = 1;
export const CTRL_ATTR_FAMILY_NAME = 2;
export const CTRL_ATTR_VERSION = 3;
export const CTRL_ATTR_MAXATTR = 5;

export interface GenlHeader {
  cmd: number;
  version: number;
}

/** Appends a genlmsghdr to `e` (a payload being built in a batch). */
export function putGenlHeader(e: AttributeEncoder, cmd: number, version: number): void {
  const at = e.raw(GENL_HDRLEN);
  const b = e.buffer;
  b[at] = cmd;
  b[at + 1] = version;
  b[at + 2] = 0;
  b[at + 3] = 0;
}

/** A genl payload: the header then the attributes built by `fill`. */
export function genlPayload(cmd: number, version: number, fill?: (e: AttributeEncoder) => void): Buffer {
  const e = new AttributeEncoder(Buffer.from([cmd, version, 0, 0]));
  fill?.(e);
  return e.encode();
}

/** The header and the attribute bytes after it. */
export function splitGenl(m: NetlinkMessage): { header: GenlHeader; attrs: Buffer } {
  if (m.payload.length < GENL_HDRLEN) throw new NetlinkParseError(`generic netlink payload of ${m.payload.length} bytes, shorter than genlmsghdr`, 0);
  return { header: { cmd: m.payload[0]!, version: m.payload[1]! }, attrs: m.payload.subarray(GENL_HDRLEN) };
}

export interface GenlFamily {
  id: number;
  name: string;
  version: number;
  maxAttr: number;
}

/** The family's id and version; rejects with ENOENT (a NetlinkError) when no such family is registered. */
export async function resolveFamily(sock: NetlinkSocket, name: string): Promise<GenlFamily> {
  const replies = await sock.request(GENL_ID_CTRL, genlPayload(CTRL_CMD_GETFAMILY, CTRL_VERSION, (e) => e.string(CTRL_ATTR_FAMILY_NAME, name)));
  for (const r of replies) {
    if (r.type !== GENL_ID_CTRL) continue;
    const f: GenlFamily = { id: -1, name, version: 0, maxAttr: 0 };
    for (const a of decodeAttributes(splitGenl(r).attrs)) {
      if (a.type === CTRL_ATTR_FAMILY_ID) f.id = attrU16(a);
      else if (a.type === CTRL_ATTR_FAMILY_NAME) f.name = attrString(a);
      else if (a.type === CTRL_ATTR_VERSION) f.version = attrU32(a);
      else if (a.type === CTRL_ATTR_MAXATTR) f.maxAttr = attrU32(a);
    }
    if (f.id >= 0) return f;
  }
  throw new NetlinkParseError(`controller reply for family ${name} without CTRL_ATTR_FAMILY_ID`, 0);
}
