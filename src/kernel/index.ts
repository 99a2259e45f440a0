// The kernel's face for what is not a netlink family: the addon's sockets (raw IP, packet, UDP),
// the control socket's Unix socket, sysctl, modules, mounts, block devices, iptables-restore, the
// programs it runs (tools, notify and check programs, udhcpc), the kernel command line. Each netlink
// family has its own face: netlink/, rtnetlink/, ctnetlink/, nftables/ (index.ts in each).
export { DiskRegion, openPartition } from './block-device.ts';
export { isSystemError } from './errors.ts';
export { setHostname } from './hostname.ts';
export { IPTABLES_TABLES, restoreTable, saveTables } from './iptables-restore.ts';
export type { IpFamily, IptablesTable, RestoreOutcome } from './iptables-restore.ts';
export { linkStatus } from './link-state.ts';
export type { LinkStatus } from './link-state.ts';
export { loadModules } from './modules.ts';
export type { ModuleOutcome } from './modules.ts';
export { filesystemKnown, findPartitionByLabel, mount, mountedAt, readMounts } from './mount.ts';
export type { MountEntry, MountOutcome, MountSpec } from './mount.ts';
export { ifNameToIndex } from './native.ts';
export { PacketSocket } from './packet-socket.ts';
export { peerCredentials } from './peer-credentials.ts';
export type { PeerCredentials } from './peer-credentials.ts';
export { RawIpSocket } from './raw-ip-socket.ts';
export { ETH_P_ARP, IPPROTO_VRRP } from './socket-constants.ts';
export { readSysctl, writeSysctl } from './sysctl.ts';
export type { SysctlOutcome } from './sysctl.ts';
export { netDeviceChain } from './sysfs-net.ts';
export { runCheckProgram, runTool, startDetached, toolMessage } from './tools.ts';
export { runDir, runningUdhcpc, startUdhcpc, stopUdhcpc, udhcpcPidfileInterfaces } from './udhcpc.ts';
export { UdpSocket, interfaceOfAddress } from './udp-socket.ts';
export type { UdpDatagram } from './udp-socket.ts';
export { ensureVmac, removeVmac } from './vrrp-vmac.ts';
export type { VmacSpec } from './vrrp-vmac.ts';
export { clearStaleSocket, connectUnix, listenPrivate, socketAnswers, unixServer } from './unix-socket.ts';
export { KERNEL_CMDLINE_FILE } from './cmdline.ts';
export { lstatOf, realpathOf } from './path-stat.ts';
export { LOG_MAX_BYTES, rotatingLog } from './rotating-log.ts';
export { auditFiles, durableFiles, writeFileAtomically, writeFileDurably } from './durable-file.ts';
export { readArpTable } from './arp-table.ts';
export { currentHostname } from './hostname.ts';
export { startLineShell, streamTool } from './interactive-tools.ts';
export { modulePresent } from './modules.ts';
export { openSerialPort } from './serial-port.ts';
export { uptimeSeconds } from './uptime.ts';
export { httpsGet, type HttpsBody, type HttpsGetOptions } from './https-get.ts';
export { flushUdhcpdLeases, readUdhcpdLeases, runningUdhcpd, startUdhcpd, stopUdhcpd, udhcpdConfText, udhcpdInterfaces, udhcpdLeaseMtime, udhcpdPaths } from './udhcpd.ts';
export type { UdhcpdPaths } from './udhcpd.ts';
export { sendArpAnnouncements, syncSegmentAddresses } from './segment-addresses.ts';
export type { AddressChanges, OwnedAddress } from './segment-addresses.ts';
export { makeDropbearHostKey } from './dropbear.ts';
export { runSsh, startSsh, type SshRun, type SshTarget } from './ssh-client.ts';
