// What a link kind's codec provides: its IFLA_INFO_DATA (options) both ways, and, for a kind
// that is a master, its members' IFLA_INFO_SLAVE_DATA. One file per kind beside this one; a new
// kind is a new file listed in kinds.ts.
import type { AttributeEncoder } from '../../netlink/attributes.ts';
import type { Link, LinkInfo } from '../link.ts';

export interface LinkKindCodec {
  /** IFLA_INFO_KIND values this codec reads (macvlan also reads macvtap). */
  readonly kinds: readonly string[];
  /** Writes the options of `info` (its kind is one of `kinds`) into IFLA_INFO_DATA. */
  encode(data: AttributeEncoder, info: LinkInfo): void;
  /** Reads IFLA_INFO_DATA p[start, end) into the link. */
  decode(link: Link, p: Buffer, start: number, end: number): void;
  /** Reads a member's IFLA_INFO_SLAVE_DATA p[start, end) (IFLA_INFO_SLAVE_KIND is this kind). */
  decodeMember?(link: Link, p: Buffer, start: number, end: number): void;
}
