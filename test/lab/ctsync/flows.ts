// Long-lived TCP flows for the failover test and bench, one JSON line per event on stdout.
//   flows.ts server PORT
//     echoes every byte back; SIGUSR2: prints {summary, connections, errors: {code: n}}.
//   flows.ts client HOST PORT N [INTERVAL_MS]
//     opens N connections, each writing 32 bytes every INTERVAL_MS (default 50) and counting the
//     echoed bytes. Prints {event: 'ready'} once every flow has had an echo; SIGUSR1 marks the
//     moment (the test is about to kill the master) and prints {event: 'mark'}; every 250 ms a
//     {event: 'status', progressed, echoing, opened, errors, closed} line, `progressed` counting
//     flows with echoes since the mark, `echoing` flows with any echo; SIGUSR2: prints {summary, flows: [{echoed, afterMark, error, closed}]}.
// Summaries are taken before either side stops: a peer exiting with data in flight resets the
// other side's connections, which is not what the test looks for.
import { createConnection, createServer } from 'node:net';
import type { Socket } from 'node:net';

const [mode, ...args] = process.argv.slice(2);
const out = (o: unknown): void => void process.stdout.write(`${JSON.stringify(o)}\n`);

if (mode === 'server') {
  const port = Number(args[0]);
  let connections = 0;
  const errors: Record<string, number> = {};
  const server = createServer((s) => {
    connections++;
    s.setNoDelay(true);
    s.on('data', (d) => s.write(d));
    s.on('error', (e: NodeJS.ErrnoException) => { errors[e.code ?? e.message] = (errors[e.code ?? e.message] ?? 0) + 1; });
  });
  server.listen({ port, host: '0.0.0.0', backlog: 65535 }, () => out({ event: 'listening', port }));
  process.on('SIGUSR2', () => out({ summary: true, connections, errors }));
} else if (mode === 'client') {
  const host = args[0]!;
  const port = Number(args[1]);
  const n = Number(args[2]);
  const intervalMs = Number(args[3] ?? 50);
  interface Flow { s: Socket; echoed: number; atMark: number; error: string | null; closed: boolean }
  const flows: Flow[] = [];
  const chunk = Buffer.alloc(32, 0x61);
  let marked = false;
  let ready = false;
  let opened = 0;
  // Opened in small batches so that a thousand SYNs do not overflow the server's backlog at once.
  const openSome = (): void => {
    for (let k = 0; k < 50 && opened < n; k++, opened++) {
      const f: Flow = { s: createConnection({ host, port }), echoed: 0, atMark: 0, error: null, closed: false };
      f.s.setNoDelay(true);
      f.s.on('data', (d) => { f.echoed += d.length; });
      f.s.on('error', (e: NodeJS.ErrnoException) => { f.error ??= e.code ?? e.message; });
      f.s.on('close', () => { f.closed = true; });
      flows.push(f);
    }
    if (opened < n) setTimeout(openSome, 20);
  };
  openSome();
  // Each flow writes on its own phase of the interval, so the load is even.
  let step = 0;
  const stepMs = 10;
  setInterval(() => {
    const slots = Math.max(1, Math.round(intervalMs / stepMs));
    for (let i = step % slots; i < flows.length; i += slots) {
      const f = flows[i]!;
      // Writes queue in the socket while the path is down; TCP delivers them when it is back.
      if (!f.closed && f.error === null && f.s.writableLength < 64 * 1024) f.s.write(chunk);
    }
    step++;
  }, stepMs);
  setInterval(() => {
    if (!ready && flows.length === n && flows.every((f) => f.echoed > 0)) {
      ready = true;
      out({ event: 'ready', flows: n });
    }
    out({
      event: 'status',
      progressed: marked ? flows.filter((f) => f.echoed > f.atMark).length : 0,
      echoing: flows.filter((f) => f.echoed > 0).length,
      opened: flows.length,
      errors: flows.filter((f) => f.error !== null).length,
      closed: flows.filter((f) => f.closed).length,
    });
  }, 250);
  process.on('SIGUSR1', () => {
    for (const f of flows) f.atMark = f.echoed;
    marked = true;
    out({ event: 'mark' });
  });
  process.on('SIGUSR2', () => {
    out({ summary: true, flows: flows.map((f) => ({ echoed: f.echoed, afterMark: f.echoed - f.atMark, error: f.error, closed: f.closed })) });
  });
} else {
  process.stderr.write('usage: flows.ts server PORT | client HOST PORT N [INTERVAL_MS]\n');
  process.exit(2);
}
