// What every typed wrapper around an addon socket shares: receive stop, event-loop ref/unref,
// close. The wrappers add their own open/send/receive shapes.
import type { NativeSocket } from './native.ts';

// any[]: the receive-details tuple differs per socket kind and is not used here.
export class OwnedSocket<S extends NativeSocket<any[]>> {
  protected readonly sock: S;

  constructor(sock: S) {
    this.sock = sock;
  }

  get closed(): boolean {
    return this.sock.closed;
  }

  stop(): void {
    this.sock.recvStop();
  }

  ref(): void {
    this.sock.ref();
  }

  unref(): void {
    this.sock.unref();
  }

  close(): void {
    this.sock.close();
  }
}
