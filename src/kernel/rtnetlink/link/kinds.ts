// The link kinds whose options Stockade encodes and decodes, by IFLA_INFO_KIND. A kind not here
// (dummy, ...) is created and listed without options.
import { bondCodec } from './bond.ts';
import { bridgeCodec } from './bridge.ts';
import type { LinkKindCodec } from './kind.ts';
import { macvlanCodec } from './macvlan.ts';
import { vethCodec } from './veth.ts';
import { vlanCodec } from './vlan.ts';

const CODECS: readonly LinkKindCodec[] = [bondCodec, bridgeCodec, vlanCodec, macvlanCodec, vethCodec];

const BY_KIND = new Map(CODECS.flatMap((c) => c.kinds.map((k) => [k, c] as const)));

export function codecFor(kind: string | undefined): LinkKindCodec | undefined {
  return kind === undefined ? undefined : BY_KIND.get(kind);
}
