// UDP for the LVS health checks (UDP and DNS): a connected socket, so the kernel reports an ICMP
// port- or host-unreachable for it as an error (ECONNREFUSED, EHOSTUNREACH) instead of silence.
import { createSocket } from 'node:dgram';
import { probeError } from './stream.ts';
import { AfterPollTimer } from '../../common/index.ts';

/**
 * Sends `payload` and waits up to `waitMs` for one reply. Resolves the reply, or undefined when
 * nothing came (which a caller may take as up or down); rejects on an ICMP error or abort.
 * `accept` filters replies (a DNS reply for another query id is not ours).
 */
export function datagramExchange(
  address: string,
  port: number,
  payload: Uint8Array,
  waitMs: number,
  signal: AbortSignal,
  accept: (reply: Buffer) => boolean = () => true,
): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error('cancelled'));
    const sock = createSocket('udp4');
    let settled = false;
    // One poll after the timer: a reply that came in time but waits to be read is taken first.
    const timer = new AfterPollTimer(waitMs, () => finish(undefined));
    const onAbort = (): void => finish(undefined, new Error('cancelled'));
    signal.addEventListener('abort', onAbort, { once: true });
    function finish(reply: Buffer | undefined, err?: unknown): void {
      if (settled) return;
      settled = true;
      timer.cancel();
      signal.removeEventListener('abort', onAbort);
      try { sock.close(); } catch { /* already closed */ }
      if (err !== undefined) reject(probeError(err));
      else resolve(reply);
    }
    sock.on('error', (e) => finish(undefined, e));
    sock.on('message', (m) => {
      if (accept(m)) finish(m);
    });
    sock.connect(port, address, () => {
      sock.send(payload, (e) => {
        if (e) finish(undefined, e);
      });
    });
  });
}
