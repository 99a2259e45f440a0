// The heartbeat path's I/O for accelerated failover: a UDP socket bound to the sync interface
// (SO_BINDTODEVICE, src/kernel/udp-socket.ts) and to our address and port there, sending every
// heartbeat interval to the peer's port; what arrives goes to the engine, which checks the source,
// the MAC and the counter (heartbeat-link.ts) and counts what it refuses. A datagram reported on
// another interface is handed on as foreign (counted, never used). The socket is opened again when
// the sync interface is created again (a device-bound socket keeps the old ifindex).
import { UdpSocket, type UdpDatagram } from '../../kernel/index.ts';
import type { AcceleratedSettings } from '../from-config.ts';
import { mustParseIpv4 } from '../ipv4.ts';
import type { KernelIo, Logger } from './kernel-io.ts';
import type { VrrpShell } from './shell.ts';

export interface HeartbeatIo {
  close(): void;
}

export function startHeartbeats(acc: AcceleratedSettings, local: string, io: KernelIo, shell: VrrpShell, log: Logger): HeartbeatIo {
  let sock: UdpSocket | undefined;
  let sendErrors = 0;
  const open = (): void => {
    sock?.close();
    sock = UdpSocket.open({ port: acc.port, address: local, device: acc.interface });
    sock.receive(
      (d: UdpDatagram) => shell.heartbeatIn(mustParseIpv4(d.source), d.data, d.ifindex !== io.links.byName(acc.interface)?.index),
      (err) => log('warn', `vrrp: heartbeat socket: ${err.code}`),
    );
  };
  open();
  const onLink = (e: { type: string; link: { name: string } }): void => {
    if (e.type !== 'created' || e.link.name !== acc.interface) return;
    try {
      open();
      log('info', `vrrp: ${acc.interface} created again: heartbeat socket opened again`);
    } catch (err) {
      sock = undefined;
      log('warn', `vrrp: heartbeat socket not opened again on ${acc.interface}: ${(err as Error).message}`);
    }
  };
  io.links.on('event', onLink);
  const beat = setInterval(() => {
    const bytes = shell.heartbeatOut();
    try {
      sock?.sendTo(bytes, acc.peer, acc.port);
    } catch (err) {
      // Link down and the like: the peer's view of us goes stale, which is the point.
      if (sendErrors++ === 0) log('warn', `vrrp: heartbeat not sent: ${(err as Error).message}`);
    }
  }, acc.heartbeatIntervalMs);
  log('info', `vrrp: accelerated failover: heartbeats every ${acc.heartbeatIntervalMs} ms ${local} -> ${acc.peer}:${acc.port} on ${acc.interface}, ${acc.key ? `signed (key ${acc.key.id})` : 'unsigned: they can only delay a takeover'}`);
  return {
    close() {
      clearInterval(beat);
      io.links.off('event', onLink);
      sock?.close();
      sock = undefined;
    },
  };
}
