// A fake network and clock for VRRP state-machine tests: nodes are VrrpEngines on one segment;
// adverts they send reach every other node whose link is up (after `latencyMs`); the clock only
// moves when the simulation says so.
import { VrrpEngine } from '../../../src/vrrp/engine.ts';
import type { EngineConfig, EngineInstanceConfig, TaggedAction } from '../../../src/vrrp/engine.ts';
import { mustParseIpv4 as ip } from '../../../src/vrrp/ipv4.ts';
import type { InstanceOptions } from '../../../src/vrrp/instance.ts';

export const GROUP = ip('224.0.0.18');
export const VIP = ip('192.0.2.100');

export interface SimNode {
  name: string;
  address: number;
  engine: VrrpEngine;
  up: boolean;
  /** Every action with the time it happened. */
  log: Array<TaggedAction & { at: number }>;
}

export function instanceConfig(name: string, address: string, o: Partial<InstanceOptions> & { interface?: string } = {}): EngineInstanceConfig {
  const { interface: ifname, ...rest } = o;
  return {
    name, vrid: 7, version: 3, priority: 100, advertIntervalMs: 1000, preempt: true, preemptDelayMs: 0,
    primaryAddress: ip(address), garp: { delayMs: 0 }, ...rest, interface: ifname ?? 'eth0',
    receive: { checksum: 'pseudo-header', addresses: [VIP], multicastGroup: GROUP, unicastPeers: [], ownAddresses: [ip(address)] },
  };
}

export class Sim {
  now = 0;
  readonly nodes: SimNode[] = [];
  latencyMs = 0;
  private queue: Array<{ at: number; to: SimNode; from: SimNode; payload: Uint8Array }> = [];

  add(name: string, address: string, config: EngineConfig): SimNode {
    const n: SimNode = { name, address: ip(address), engine: new VrrpEngine(config), up: true, log: [] };
    this.nodes.push(n);
    return n;
  }

  node(name: string): SimNode {
    return this.nodes.find((n) => n.name === name)!;
  }

  start(n: SimNode): void {
    this.handle(n, n.engine.start(this.now));
  }

  /** Runs every event up to and including `until`. */
  runUntil(until: number): void {
    for (;;) {
      let next = Infinity;
      for (const n of this.nodes) {
        const d = n.engine.deadline();
        if (d !== undefined && d < next) next = d;
      }
      for (const q of this.queue) if (q.at < next) next = q.at;
      if (next > until) break;
      this.now = Math.max(this.now, next);
      const due = this.queue.filter((q) => q.at <= this.now);
      this.queue = this.queue.filter((q) => q.at > this.now);
      for (const q of due) {
        if (!q.to.up || !q.from.up) continue;
        this.handle(q.to, q.to.engine.receive(this.now, this.now, 'eth0', { payload: q.payload, source: q.from.address, destination: GROUP, ttl: 255 }));
      }
      for (const n of this.nodes) {
        const d = n.engine.deadline();
        if (d !== undefined && d <= this.now) this.handle(n, n.engine.timer(this.now));
      }
    }
    this.now = until;
  }

  handle(n: SimNode, actions: TaggedAction[]): void {
    for (const a of actions) {
      n.log.push({ ...a, at: this.now });
      if (a.kind === 'send-advert' && n.up) {
        for (const pkt of n.engine.advertPackets(a.instance, a.priority, this.now)) {
          for (const to of this.nodes) if (to !== n) this.queue.push({ at: this.now + this.latencyMs, to, from: n, payload: pkt.payload });
        }
      }
    }
  }

  state(n: SimNode, instance = 'vi'): string {
    return n.engine.instance(instance)!.state;
  }

  masters(instance = 'vi'): string[] {
    return this.nodes.filter((n) => n.engine.instance(instance)?.state === 'MASTER').map((n) => n.name);
  }

  /** When `node` last entered `state`. */
  enteredAt(n: SimNode, state: string, instance = 'vi'): number | undefined {
    const t = n.log.filter((a) => a.instance === instance && a.kind === 'transition' && a.to === state);
    return t.at(-1)?.at;
  }
}
