// Real servers for the checker lab tests, good and bad, run inside a lab namespace:
//   node servers.ts CERT_DIR  -> listens on every port below, prints "ready" when all are up.
// TCP/HTTP on 198.51.100.11, ports:
//   8001 accepts                    8003 HTTP 200 "status: ok"      8004 HTTP 503
//   8005 accepts, never answers     8006 resets the connection      8007 answers after 700 ms
//   8008 answers garbage            8009 HTTP 200, keeps the connection open
//   8443 HTTPS 200                  8444 TLS handshake, then silence
// UDP: 9001 echoes                  9003 answers "nope"             (9002: nothing, ICMP unreachable)
// DNS: 5353 answers NOERROR         5354 answers SERVFAIL           5355 reads and never answers
import { createServer } from 'node:net';
import type { Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const HOST = '198.51.100.11';
const certDir = process.argv[2]!;
const pending: Promise<void>[] = [];
const held: Socket[] = [];

function http(status: string, body: string): string {
  return `HTTP/1.1 ${status}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

function tcp(port: number, onConn: (s: Socket) => void): void {
  const srv = createServer(onConn);
  pending.push(new Promise((r) => srv.listen(port, HOST, r)));
}

/** Answers once the request's header has arrived. */
function answer(text: string, delayMs = 0): (s: Socket) => void {
  return (s) => {
    let got = '';
    s.on('error', () => undefined);
    s.on('data', (d) => {
      got += d.toString('latin1');
      if (!got.includes('\r\n\r\n')) return;
      setTimeout(() => s.end(text), delayMs);
    });
  };
}

tcp(8001, (s) => { s.on('error', () => undefined); s.end(); });
tcp(8003, answer(http('200 OK', 'status: ok\n')));
tcp(8004, answer(http('503 Service Unavailable', 'busy\n')));
tcp(8005, (s) => { s.on('error', () => undefined); held.push(s); });
tcp(8006, (s) => { s.on('error', () => undefined); s.on('data', () => s.resetAndDestroy()); });
tcp(8007, answer(http('200 OK', 'slow but fine\n'), 700));
tcp(8008, answer('SSH-2.0-OpenSSH_9.2\r\n\r\n'));
tcp(8009, (s) => {
  s.on('error', () => undefined);
  held.push(s);
  s.once('data', () => s.write('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\nok\n'));
});

const tlsOpts = { key: readFileSync(join(certDir, 'key.pem')), cert: readFileSync(join(certDir, 'cert.pem')) };
for (const [port, handler] of [[8443, answer(http('200 OK', 'secure ok\n'))], [8444, (s: Socket) => { s.on('error', () => undefined); held.push(s); }]] as const) {
  const srv = createTlsServer(tlsOpts, handler);
  pending.push(new Promise((r) => srv.listen(port, HOST, r)));
}

function udp(port: number, onMsg: (m: Buffer, reply: (b: Buffer) => void) => void): void {
  const s = createSocket('udp4');
  s.on('message', (m, rinfo) => onMsg(m, (b) => s.send(b, rinfo.port, rinfo.address)));
  pending.push(new Promise((r) => s.bind(port, HOST, () => r())));
}

udp(9001, (m, reply) => reply(m));
udp(9003, (_m, reply) => reply(Buffer.from('nope')));
/** A DNS reply: the query with QR, RA and `rcode`, no answers. */
const dns = (rcode: number) => (m: Buffer, reply: (b: Buffer) => void) => {
  const r = Buffer.from(m);
  r.writeUInt16BE(0x8180 | rcode, 2);
  reply(r);
};
udp(5353, dns(0));
udp(5354, dns(2));
udp(5355, () => undefined);

await Promise.all(pending);
process.stdout.write('ready\n');
