// Long-lived TCP flows from the pair's client to its server, through the VIPs: the flow generator of
// the lab's failover test (test/lab/ctsync/flows.ts) run in the lab hosts c and s of pair.ts.
//   const flows = await startFlows(pair, 20);   // every flow has had an echo
//   flows.mark();                                // from here, count echoes ("progressed")
//   await flows.waitProgressed(60_000);          // every flow echoed again
//   const { client, server } = await flows.summaries();
import type { Lab, LabProcess } from '../lab/harness.ts';
import { PORT, flowsHelper } from '../lab/ctsync/gateway.ts';
import type { FlowSummary } from '../lab/ctsync/gateway.ts';
import { SERVER } from './pair.ts';
import type { Pair } from './pair.ts';

export { PORT };
export type { FlowSummary };

/** The JSON lines a helper printed so far; a line still being written is left out. */
function lines(p: LabProcess): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const l of p.stdout().split('\n')) {
    if (!l.startsWith('{')) continue;
    try {
      out.push(JSON.parse(l) as Record<string, unknown>);
    } catch {
      // The last, partial line.
    }
  }
  return out;
}

/** Waits for a JSON line (after the first `after` lines) satisfying pred; fails at once if p exits. */
function waitLine(lab: Lab, p: LabProcess, what: string, pred: (l: Record<string, unknown>) => boolean, timeoutMs: number, after = 0): Promise<Record<string, unknown>> {
  let exited = false;
  void p.exited.then(() => { exited = true; });
  return lab.waitFor(what, () => {
    const hit = lines(p).slice(after).find(pred);
    if (hit) return hit;
    if (exited) throw new Error(`${what}: \`${p.argv.slice(-5).join(' ')}\` exited first; stderr: ${p.stderr().slice(-2000)}`);
    return undefined;
  }, { timeoutMs, intervalMs: 100 });
}

export interface ServerSummary { connections: number; errors: Record<string, number> }

export class PairFlows {
  readonly pair: Pair;
  readonly n: number;
  readonly client: LabProcess;
  readonly server: LabProcess;

  constructor(pair: Pair, n: number, client: LabProcess, server: LabProcess) {
    this.pair = pair;
    this.n = n;
    this.client = client;
    this.server = server;
  }

  /** The client's last status line: flows that echoed since the mark, and those that failed. */
  status(): { progressed: number; errors: number; closed: number } | undefined {
    return lines(this.client).filter((l) => l['event'] === 'status').at(-1) as { progressed: number; errors: number; closed: number } | undefined;
  }

  /** Starts counting echoes anew (SIGUSR1 to the client). */
  async mark(): Promise<void> {
    const at = lines(this.client).length;
    this.client.kill('SIGUSR1');
    await waitLine(this.pair.lab, this.client, 'the client\'s mark', (l) => l['event'] === 'mark', 10_000, at);
  }

  /** Waits until every flow has echoed since the mark; returns how many had when it gave up. */
  async waitProgressed(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = this.status();
      if ((s?.progressed ?? 0) >= this.n || Date.now() > deadline) return s?.progressed ?? 0;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Per-flow summaries from the client, and the server's count of connections and errors. */
  async summaries(): Promise<{ client: FlowSummary[]; server: ServerSummary }> {
    // Taken while both still run: a side that exits resets the other's connections.
    const sAt = lines(this.server).length;
    this.server.kill('SIGUSR2');
    const srv = await waitLine(this.pair.lab, this.server, 'the server\'s summary', (l) => l['summary'] === true, 10_000, sAt);
    const cAt = lines(this.client).length;
    this.client.kill('SIGUSR2');
    const cli = await waitLine(this.pair.lab, this.client, 'the client\'s summary', (l) => l['summary'] === true, 10_000, cAt);
    return { client: cli['flows'] as FlowSummary[], server: { connections: srv['connections'] as number, errors: srv['errors'] as Record<string, number> } };
  }

  /** The peers of the server's established connections to PORT, as it sees them (ss). */
  async serverPeers(): Promise<string[]> {
    const r = await this.pair.lab.exec('s', ['ss', '-Htn', 'state', 'established', `( sport = :${PORT} )`]);
    return r.stdout.split('\n').filter((l) => l.trim()).map((l) => l.trim().split(/\s+/).at(-1)!.replace(/:\d+$/, ''));
  }

  stop(): void {
    this.client.kill('SIGKILL');
    this.server.kill('SIGKILL');
  }
}

/**
 * The server on s and `n` client connections from c to it (each writing 32 bytes every
 * `intervalMs`), through the LAN VIP and the SNAT to the WAN VIP; resolves once every flow has had
 * an echo, or rejects naming how many had.
 */
export async function startFlows(pair: Pair, n: number, opts: { intervalMs?: number; timeoutMs?: number; /** Where the client connects (an LVS virtual service); default the server itself. */ to?: string } = {}): Promise<PairFlows> {
  const server = flowsHelper(pair.lab, 's', ['server', String(PORT)]);
  let client: LabProcess | undefined;
  try {
    await waitLine(pair.lab, server, 'the server listening', (l) => l['event'] === 'listening', 10_000);
    client = flowsHelper(pair.lab, 'c', ['client', opts.to ?? SERVER, String(PORT), String(n), String(opts.intervalMs ?? 200)]);
    await waitLine(pair.lab, client, `${n} flows echoing through the pair`, (l) => l['event'] === 'ready', opts.timeoutMs ?? 60_000);
  } catch (e) {
    const s = client && lines(client).filter((l) => l['event'] === 'status').at(-1);
    server.kill('SIGKILL');
    client?.kill('SIGKILL');
    throw new Error(`${(e as Error).message}${s ? ` (client's last status: ${JSON.stringify(s)})` : ''}`);
  }
  return new PairFlows(pair, n, client, server);
}
