// Who is at the other end of a control-socket connection (SO_PEERCRED through the addon). Node's
// net.Socket does not expose it; its handle's fd is what the kernel is asked about.
import type { Socket } from 'node:net';
import { loadNative } from './native.ts';
import type { PeerCredentials } from './native.ts';

export type { PeerCredentials };

/** Throws when the socket has no fd (closed) or the kernel refuses. */
export function peerCredentials(socket: Socket): PeerCredentials {
  // _handle.fd: Node's own stream handle (a Pipe for unix sockets), public in all but name.
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('peer credentials: the connection has no file descriptor');
  return loadNative().peerCredentials(fd);
}
