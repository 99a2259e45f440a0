// The IPVS face of src/kernel: codec, client and the connection table.
export * from './codec.ts';
export { IpvsClient, IpvsError } from './client.ts';
export type { IpvsKernel, IpvsTableService, IpvsWrite } from './client.ts';
export { parseIpvsConnections, readIpvsConnections } from './connections.ts';
export type { IpvsConnection } from './connections.ts';
export {
  IP_VS_SVC_F_PERSISTENT, IP_VS_SVC_F_HASHED, IP_VS_SVC_F_ONEPACKET, IP_VS_SVC_F_SCHED1, IP_VS_SVC_F_SCHED2, IP_VS_SVC_F_SCHED3,
  IP_VS_SYNC_PORT, IP_VS_SYNC_GROUP,
} from './constants.ts';
