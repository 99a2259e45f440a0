// struct ifinfomsg, the fixed header of every link message.
import { AF_UNSPEC, IFI_OFF_CHANGE, IFI_OFF_FAMILY, IFI_OFF_FLAGS, IFI_OFF_INDEX, IFI_OFF_TYPE, IFINFOMSG_LEN } from '../constants.ts';

/** struct ifinfomsg for requests (family, type, index, flags, change). */
export function encodeIfinfomsg(family = AF_UNSPEC, index = 0, flags = 0, change = 0): Buffer {
  const b = Buffer.alloc(IFINFOMSG_LEN);
  b.writeUInt8(family, IFI_OFF_FAMILY);
  b.writeInt32LE(index, IFI_OFF_INDEX);
  b.writeUInt32LE(flags >>> 0, IFI_OFF_FLAGS);
  b.writeUInt32LE(change >>> 0, IFI_OFF_CHANGE);
  return b;
}

/** The request flags of a link change: family, index, flags, change (for tests). */
export function decodeIfinfomsg(p: Buffer): { family: number; type: number; index: number; flags: number; change: number } {
  return {
    family: p.readUInt8(IFI_OFF_FAMILY),
    type: p.readUInt16LE(IFI_OFF_TYPE),
    index: p.readInt32LE(IFI_OFF_INDEX),
    flags: p.readUInt32LE(IFI_OFF_FLAGS),
    change: p.readUInt32LE(IFI_OFF_CHANGE),
  };
}
