// ctnetlink's face: conntrack entries, dumps, the event stream and batched writes.
export { IPS_ASSURED, IPS_SEEN_REPLY, TCP_CONNTRACK_NAMES } from './constants.ts';
export { icmpReplyType, invertTuple } from './entry.ts';
export type { CtEntry, CtTuple } from './entry.ts';
export { CtBatchWriter, CtEventStream, dumpConntrack } from './socket.ts';
export type { CtBatchResult } from './socket.ts';
