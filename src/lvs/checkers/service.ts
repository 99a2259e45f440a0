// One virtual service's view of its real servers, pure: which are alive (all their checks up),
// their weights (configured, or the one a dynamic check reported, recomputed from scratch on
// every report), the quorum with hysteresis (keepalived update_quorum_state()), and from these
// the destinations IPVS should hold:
//   - quorum held: live servers with their weight; failed ones with weight 0 (inhibit) or absent
//     (remove);
//   - quorum lost, with a sorry server: the sorry server alone (keepalived removes every real
//     server and adds it);
//   - quorum lost, without one: as when held (whatever is alive keeps serving).
// Quorum is lost when the live weight falls below quorum - hysteresis (or nothing is alive) and
// regained at quorum + hysteresis, so a flapping server near the line does not flap the service.
import type { ServiceSpec } from './spec.ts';

export type CheckerEvent =
  | { kind: 'server'; at: number; service: string; server: string; up: boolean; weight: number; inTable: 'yes' | 'weight-0' | 'no'; reason: string }
  | { kind: 'weight'; at: number; service: string; server: string; weight: number; reason: string }
  | { kind: 'quorum'; at: number; service: string; up: boolean; liveWeight: number; sorryServer: boolean; reason: string };

export interface Destination {
  address: string;
  port: number;
  weight: number;
  /** The sorry server, in while the quorum is lost. */
  sorry?: true;
}

export interface ServerState {
  key: string;
  alive: boolean;
  weight: number;
  /** Checks of this server that are down now. */
  down: string[];
}

export type ServiceEffect =
  | { kind: 'event'; event: CheckerEvent }
  | { kind: 'run'; command: readonly string[]; why: 'quorum-up' | 'quorum-down' };

interface Server {
  spec: ServiceSpec['servers'][number];
  down: Set<string>;
  /** Dynamic weight per check that reported one. */
  dynamic: Map<string, number>;
  alive: boolean;
  weight: number;
}

export class ServiceState {
  readonly spec: ServiceSpec;
  readonly #servers = new Map<string, Server>();
  #quorumUp: boolean;

  constructor(spec: ServiceSpec, downAtStart: ReadonlyMap<string, readonly string[]>) {
    this.spec = spec;
    for (const s of spec.servers) {
      const down = new Set(downAtStart.get(s.key) ?? []);
      this.#servers.set(s.key, { spec: s, down, dynamic: new Map(), alive: down.size === 0, weight: s.weight });
    }
    this.#quorumUp = this.liveWeight() >= spec.quorum && this.#anyAlive();
  }

  get quorumUp(): boolean {
    return this.#quorumUp;
  }

  /** What start() reports: a service that starts without its quorum (alpha) says so at once. */
  startEffects(now: number): ServiceEffect[] {
    if (this.#quorumUp) return [];
    return this.#quorumEffects(now, 'not enough live servers at start');
  }

  liveWeight(): number {
    let sum = 0;
    for (const s of this.#servers.values()) if (s.alive) sum += s.weight;
    return sum;
  }

  #anyAlive(): boolean {
    for (const s of this.#servers.values()) if (s.alive) return true;
    return false;
  }

  checkChanged(now: number, serverKey: string, check: string, up: boolean, reason: string): ServiceEffect[] {
    const s = this.#servers.get(serverKey);
    if (!s) return [];
    if (up) s.down.delete(check);
    else s.down.add(check);
    const alive = s.down.size === 0;
    if (alive === s.alive) return [];
    s.alive = alive;
    const out: ServiceEffect[] = [];
    const quorum = this.#updateQuorum(now, `${serverKey} ${alive ? 'up' : 'down'}`);
    out.push({ kind: 'event', event: { kind: 'server', at: now, service: this.spec.name, server: serverKey, up: alive, weight: s.weight, inTable: this.#inTable(s), reason } });
    out.push(...quorum);
    return out;
  }

  weightReported(now: number, serverKey: string, check: string, weight: number | undefined, reason: string): ServiceEffect[] {
    const s = this.#servers.get(serverKey);
    if (!s) return [];
    if (weight === undefined) s.dynamic.delete(check);
    else s.dynamic.set(check, weight);
    const next = s.dynamic.size === 0 ? s.spec.weight : Math.min(...s.dynamic.values());
    if (next === s.weight) return [];
    s.weight = next;
    const out: ServiceEffect[] = [{ kind: 'event', event: { kind: 'weight', at: now, service: this.spec.name, server: serverKey, weight: next, reason } }];
    if (s.alive) out.push(...this.#updateQuorum(now, `${serverKey} weight ${next}`));
    return out;
  }

  /** omega: a stopped service whose quorum was up runs its quorum-down command. */
  stopEffects(): ServiceEffect[] {
    if (this.spec.omega && this.#quorumUp && this.spec.quorumDown) return [{ kind: 'run', command: this.spec.quorumDown, why: 'quorum-down' }];
    return [];
  }

  #updateQuorum(now: number, cause: string): ServiceEffect[] {
    const live = this.liveWeight();
    const { quorum, hysteresis } = this.spec;
    if (this.#quorumUp && (live < quorum - hysteresis || !this.#anyAlive())) {
      this.#quorumUp = false;
      return this.#quorumEffects(now, `live weight ${live} < quorum ${quorum} - hysteresis ${hysteresis} after ${cause}`);
    }
    if (!this.#quorumUp && live >= quorum + hysteresis && this.#anyAlive()) {
      this.#quorumUp = true;
      return this.#quorumEffects(now, `live weight ${live} >= quorum ${quorum} + hysteresis ${hysteresis} after ${cause}`);
    }
    return [];
  }

  #quorumEffects(now: number, reason: string): ServiceEffect[] {
    const up = this.#quorumUp;
    const out: ServiceEffect[] = [{ kind: 'event', event: { kind: 'quorum', at: now, service: this.spec.name, up, liveWeight: this.liveWeight(), sorryServer: !up && this.spec.sorryServer !== undefined, reason } }];
    const command = up ? this.spec.quorumUp : this.spec.quorumDown;
    if (command) out.push({ kind: 'run', command, why: up ? 'quorum-up' : 'quorum-down' });
    return out;
  }

  #inTable(s: Server): 'yes' | 'weight-0' | 'no' {
    if (!this.#quorumUp && this.spec.sorryServer) return 'no';
    if (s.alive) return 'yes';
    return this.spec.onFailure === 'inhibit' ? 'weight-0' : 'no';
  }

  /** The destinations IPVS should hold for this service now. */
  table(): Destination[] {
    if (!this.#quorumUp && this.spec.sorryServer) return [{ ...this.spec.sorryServer, weight: 1, sorry: true }];
    const out: Destination[] = [];
    for (const s of this.#servers.values()) {
      const state = this.#inTable(s);
      if (state === 'yes') out.push({ address: s.spec.address, port: s.spec.port, weight: s.weight });
      else if (state === 'weight-0') out.push({ address: s.spec.address, port: s.spec.port, weight: 0 });
    }
    return out;
  }

  servers(): ServerState[] {
    return [...this.#servers.values()].map((s) => ({ key: s.spec.key, alive: s.alive, weight: s.weight, down: [...s.down] }));
  }
}
