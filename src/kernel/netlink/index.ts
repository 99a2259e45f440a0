// Generic netlink framing's face: the socket with request/ack and its error.
export { NetlinkError } from './ack.ts';
export { NETLINK_NETFILTER, NETLINK_ROUTE } from './constants.ts';
export { NetlinkSocket } from './socket.ts';
