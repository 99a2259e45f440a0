// An in-memory IPVS kernel for the LVS core's tests: the table as the kernel keeps it (flags with
// HASHED set, as the kernel reports them), every write counted, and refusals on demand.
import type { IpvsDaemonSpec, IpvsDestSpec, IpvsKernel, IpvsServiceKey, IpvsServiceSpec, IpvsTableService, IpvsTimeouts, IpvsWrite } from '../../../src/kernel/ipvs/index.ts';
import { destKeyText, IpvsError, serviceKeyText } from '../../../src/kernel/ipvs/index.ts';

const zero = { conns: 0n, inPkts: 0n, outPkts: 0n, inBytes: 0n, outBytes: 0n, cps: 0n, inPps: 0n, outPps: 0n, inBps: 0n, outBps: 0n };

export class FakeIpvs implements IpvsKernel {
  services = new Map<string, IpvsTableService>();
  timeoutsNow: IpvsTimeouts = { tcp: 900, tcpFin: 120, udp: 300 };
  daemonList: IpvsDaemonSpec[] = [];
  writes: string[] = [];
  /** The table reads asked for ('table', 'service <key>'), in order. */
  reads: string[] = [];
  /** While set, every read waits for it (an apply held in flight). */
  hold: Promise<void> | undefined;
  /** Schedulers the kernel lacks. */
  lacking = new Set<string>();
  /** Refuse the write whose description (op + target) contains this. */
  refuse: string | undefined;
  /** Carry out the writes whose description contains this, but lose their replies (ETIMEDOUT). */
  loseReply: string | undefined;

  #check(what: string): void {
    if (this.refuse !== undefined && what.includes(this.refuse)) throw new IpvsError('add destination', what, Object.assign(new Error('refused'), { code: 'EEXIST' }));
    this.writes.push(what);
  }

  /** Runs a write; its reply is lost when loseReply names it (the kernel did it all the same). */
  async #lost(what: string): Promise<void> {
    if (this.loseReply !== undefined && what.includes(this.loseReply)) {
      throw Object.assign(new Error(`netlink ETIMEDOUT: no reply (${what})`), { code: 'ETIMEDOUT', syscall: 'netlink' });
    }
  }

  /** In order, one at a time (as if each went in its own datagram); with stopAtFailure the
   *  rest after a failure are not sent (an IpvsError, as the client reports them). */
  async writeAll(writes: readonly IpvsWrite[], opts: { stopAtFailure: boolean }): Promise<Array<Error | undefined>> {
    const out: Array<Error | undefined> = [];
    for (const w of writes) {
      if (opts.stopAtFailure && out.some((e) => e !== undefined)) {
        out.push(new IpvsError('write', w.op, Object.assign(new Error('not sent: an earlier write failed'), { code: 'ECANCELED' })));
        continue;
      }
      try {
        await this.#one(w);
        out.push(undefined);
      } catch (e) {
        out.push(e instanceof Error ? e : new Error(String(e)));
      }
    }
    return out;
  }

  #one(w: IpvsWrite): Promise<void> {
    switch (w.op) {
      case 'add-service': return this.newService(w.service);
      case 'edit-service': return this.setService(w.service);
      case 'del-service': return this.delService(w.key);
      case 'add-dest': return this.newDest(w.key, w.dest);
      case 'edit-dest': return this.setDest(w.key, w.dest);
      case 'del-dest': return this.delDest(w.key, w.dest);
    }
  }

  async info() { return { version: 0x010201, connTabSize: 4096 }; }
  async table(): Promise<IpvsTableService[]> {
    this.reads.push('table');
    await this.hold;
    return [...this.services.values()].map((s) => ({ ...s, dests: s.dests.map((d) => ({ ...d })) }));
  }
  async service(key: IpvsServiceKey): Promise<IpvsTableService | undefined> {
    const k = serviceKeyText(key);
    this.reads.push(`service ${k}`);
    await this.hold;
    const s = this.services.get(k);
    return s === undefined ? undefined : { ...s, dests: s.dests.map((d) => ({ ...d })) };
  }
  async newService(s: IpvsServiceSpec) {
    const k = serviceKeyText(s.key);
    this.#check(`add-service ${k}`);
    if (this.services.has(k)) throw new IpvsError('add service', k, Object.assign(new Error('exists'), { code: 'EEXIST' }));
    this.services.set(k, { ...s, flags: s.flags | 2, stats: { ...zero }, dests: [] });
    await this.#lost(`add-service ${k}`);
  }
  async setService(s: IpvsServiceSpec) {
    const k = serviceKeyText(s.key);
    this.#check(`edit-service ${k}`);
    const cur = this.services.get(k)!;
    Object.assign(cur, { ...s, flags: s.flags | 2 });
  }
  async delService(key: IpvsServiceKey) {
    this.#check(`del-service ${serviceKeyText(key)}`);
    this.services.delete(serviceKeyText(key));
  }
  async newDest(key: IpvsServiceKey, d: IpvsDestSpec) {
    const k = serviceKeyText(key);
    this.#check(`add-dest ${k} ${destKeyText(d)}`);
    const s = this.services.get(k);
    if (!s) throw new IpvsError('add destination', k, Object.assign(new Error('no service'), { code: 'ESRCH' }));
    s.dests.push({ ...d, activeConns: 0, inactConns: 0, persistConns: 0, stats: { ...zero } });
    await this.#lost(`add-dest ${k} ${destKeyText(d)}`);
  }
  async setDest(key: IpvsServiceKey, d: IpvsDestSpec) {
    const k = serviceKeyText(key);
    this.#check(`edit-dest ${k} ${destKeyText(d)}`);
    const cur = this.services.get(k)!.dests.find((x) => destKeyText(x) === destKeyText(d))!;
    Object.assign(cur, d);
  }
  async delDest(key: IpvsServiceKey, d: Pick<IpvsDestSpec, 'address' | 'port'>) {
    const k = serviceKeyText(key);
    this.#check(`del-dest ${k} ${destKeyText(d)}`);
    const s = this.services.get(k);
    if (!s) throw new IpvsError('delete destination', k, Object.assign(new Error('no service'), { code: 'ESRCH' }));
    if (!s.dests.some((x) => destKeyText(x) === destKeyText(d))) throw new IpvsError('delete destination', k, Object.assign(new Error('no destination'), { code: 'ENOENT' }));
    s.dests = s.dests.filter((x) => destKeyText(x) !== destKeyText(d));
  }
  async flush() { this.#check('flush'); this.services.clear(); }
  async timeouts() { return { ...this.timeoutsNow }; }
  async setTimeouts(t: Partial<IpvsTimeouts>) { this.#check('timeouts'); Object.assign(this.timeoutsNow, t); }
  async daemons() { return this.daemonList.map((d) => ({ ...d })); }
  async startDaemon(d: IpvsDaemonSpec) { this.#check(`start-daemon ${d.state}`); this.daemonList.push({ ...d }); }
  async stopDaemon(state: 'master' | 'backup') { this.#check(`stop-daemon ${state}`); this.daemonList = this.daemonList.filter((d) => d.state !== state); }
  async missingSchedulers(names: readonly string[]) {
    return new Map(names.filter((n) => this.lacking.has(n)).map((n) => [n, `modprobe: module ip_vs_${n} not found`]));
  }
  close() {}
}
