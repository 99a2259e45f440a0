// IPVS over one persistent generic netlink socket (keepalived's way; ipvsadm opens one per
// message). The family id is looked up at open; when the family is missing, ip_vs is loaded
// and the lookup tried again (keepalived's modprobe quirk). Writes made in one turn of the event
// loop go out batched (NetlinkSocket.cork), and every write is counted: `writes` is how a caller
// proves an unchanged apply wrote nothing. An apply's writes go through writeAll(): encoded into
// as few datagrams as fit, one ack each, no promise or timer per write (11,000 writes for 1,000
// services of 10 servers; a promise each cost more than the kernel's work under the VM's TCG).
import { NETLINK_GENERIC, NLM_F_ACK, NLM_F_REQUEST } from '../netlink/constants.ts';
import { beginMessage, endMessage } from '../netlink/message.ts';
import { AttributeEncoder } from '../netlink/attributes.ts';
import { systemError } from '../errors.ts';
import { NetlinkSocket } from '../netlink/socket.ts';
import type { NetlinkSocketOptions } from '../netlink/socket.ts';
import { NetlinkError } from '../netlink/ack.ts';
import { resolveFamily, splitGenl } from '../netlink/genl.ts';
import { loadModules, modulePresent } from '../modules.ts';
import * as C from './codec.ts';
import type { IpvsDaemonSpec, IpvsDest, IpvsDestSpec, IpvsInfo, IpvsService, IpvsServiceKey, IpvsServiceSpec, IpvsTimeouts, IpvsWrite } from './codec.ts';
import { IPVS_GENL_NAME } from './constants.ts';

export type { IpvsWrite } from './codec.ts';

export interface IpvsTableService extends IpvsService {
  dests: IpvsDest[];
}

/** What the LVS core needs from the kernel; IpvsClient implements it, tests fake it. */
export interface IpvsKernel {
  /**
   * The writes in order; per write: undefined done, an IpvsError refused by the kernel (or, with
   * stopAtFailure, not sent because an earlier one failed: not done either), another Error: the
   * outcome is unknown (no reply in time, replies lost), it may have been done.
   */
  writeAll(writes: readonly IpvsWrite[], opts: { stopAtFailure: boolean }): Promise<Array<Error | undefined>>;
  info(): Promise<IpvsInfo>;
  /** Every service with its destinations (`stats: false`: counters left at zero, for a reconcile). */
  table(opts?: { stats?: boolean }): Promise<IpvsTableService[]>;
  /** One service with its destinations, undefined when the kernel has no such service (a
   * reconcile of a few services without dumping them all). */
  service(key: IpvsServiceKey, opts?: { stats?: boolean }): Promise<IpvsTableService | undefined>;
  newService(s: IpvsServiceSpec): Promise<void>;
  setService(s: IpvsServiceSpec): Promise<void>;
  delService(key: IpvsServiceKey): Promise<void>;
  newDest(key: IpvsServiceKey, d: IpvsDestSpec): Promise<void>;
  setDest(key: IpvsServiceKey, d: IpvsDestSpec): Promise<void>;
  delDest(key: IpvsServiceKey, d: Pick<IpvsDestSpec, 'address' | 'port'>): Promise<void>;
  flush(): Promise<void>;
  timeouts(): Promise<IpvsTimeouts>;
  setTimeouts(t: Partial<IpvsTimeouts>): Promise<void>;
  daemons(): Promise<IpvsDaemonSpec[]>;
  startDaemon(d: IpvsDaemonSpec): Promise<void>;
  stopDaemon(state: 'master' | 'backup'): Promise<void>;
  /** Schedulers whose module does not load: name -> why (the kernel loads them on use, but
   * its ENOENT then says only "not found"; asked first, a plan fails before any write). */
  missingSchedulers(names: readonly string[]): Promise<Map<string, string>>;
  close(): void;
}

/** ipvsadm's words for the kernel's errors (libipvs ipvs_strerror), by command. */
function ipvsErrorText(cmd: string, code: string): string | undefined {
  const table: Record<string, Record<string, string>> = {
    'add service': { EEXIST: 'Service already exists', ENOENT: 'Scheduler or persistence engine not found' },
    'edit service': { ESRCH: 'No such service', ENOENT: 'Scheduler or persistence engine not found' },
    'delete service': { ESRCH: 'No such service' },
    'add destination': { ESRCH: 'Service not defined', EEXIST: 'Destination already exists' },
    'edit destination': { ESRCH: 'Service not defined', ENOENT: 'No such destination' },
    'delete destination': { ESRCH: 'Service not defined', ENOENT: 'No such destination' },
    'start daemon': { EEXIST: 'Daemon has already run' },
    'stop daemon': { ESRCH: 'No daemon is running' },
  };
  return table[cmd]?.[code];
}

/** A refused IPVS command, named in words (what, which service, the kernel's reason). */
export class IpvsError extends Error {
  readonly code: string;
  constructor(what: string, target: string, cause: Error & { code?: string }) {
    const code = cause.code ?? 'EIO';
    const text = ipvsErrorText(what, code);
    super(`IPVS ${what} ${target}: ${text !== undefined ? `${text} (${code})` : cause.message}`);
    this.name = 'IpvsError';
    this.code = code;
  }
}

/** A write's words (what, which service) for the kernel's refusal; made only when one comes. */
function describeWrite(w: IpvsWrite): { what: string; target: string } {
  switch (w.op) {
    case 'add-service': return { what: 'add service', target: C.serviceKeyText(w.service.key) };
    case 'edit-service': return { what: 'edit service', target: C.serviceKeyText(w.service.key) };
    case 'del-service': return { what: 'delete service', target: C.serviceKeyText(w.key) };
    case 'add-dest': return { what: 'add destination', target: `${C.destKeyText(w.dest)} to ${C.serviceKeyText(w.key)}` };
    case 'edit-dest': return { what: 'edit destination', target: `${C.destKeyText(w.dest)} of ${C.serviceKeyText(w.key)}` };
    case 'del-dest': return { what: 'delete destination', target: `${C.destKeyText(w.dest)} from ${C.serviceKeyText(w.key)}` };
  }
}

/** Bytes per datagram of writeAll(): what NetlinkSocket batches too. */
const WRITE_DATAGRAM_MAX = 64 * 1024;

/** The kernel has no generic netlink family IPVS (ip_vs not loaded, or not there to load). */
class IpvsAbsent extends Error {
  constructor() {
    super('IPVS: the kernel has no generic netlink family IPVS (module ip_vs not available)');
  }
}

export class IpvsClient implements IpvsKernel {
  /** Write commands sent (NEW/SET/DEL, FLUSH, SET_CONFIG, daemons). */
  writes = 0;
  readonly #sock: NetlinkSocket;
  readonly #family: number;
  /** writeAll()'s datagram, made at its first use and reused. */
  #batch: AttributeEncoder | undefined;

  /** Over `sock`, whose IPVS family id is known (open() finds it; tests: a fake kernel). */
  constructor(sock: NetlinkSocket, family: number) {
    this.#sock = sock;
    this.#family = family;
    // Corked for good: the writes made in one turn of the event loop (a whole plan) leave
    // together at its end, as many per datagram as fit (see NetlinkSocket); dumps still go alone.
    this.#sock.cork();
  }

  /** Opens the socket and finds the family, loading ip_vs if it is not there yet. */
  static async open(opts: NetlinkSocketOptions & { loadModule?: boolean } = {}): Promise<IpvsClient> {
    const sock = NetlinkSocket.open(NETLINK_GENERIC, { timeoutMs: 10_000, ...opts });
    try {
      let family;
      try {
        family = await resolveFamily(sock, IPVS_GENL_NAME);
      } catch (e) {
        if (!(e instanceof NetlinkError && e.code === 'ENOENT') || opts.loadModule === false) throw e;
        const outcome = (await loadModules(['ip_vs'])).get('ip_vs');
        if (outcome?.status === 'failed') throw new Error(`IPVS: the kernel has no IPVS and module ip_vs did not load: ${outcome.reason}`);
        family = await resolveFamily(sock, IPVS_GENL_NAME);
      }
      return new IpvsClient(sock, family.id);
    } catch (e) {
      sock.close();
      if (e instanceof NetlinkError && e.code === 'ENOENT') throw new IpvsAbsent();
      throw e;
    }
  }

  /** As open(), but never loads ip_vs (a look that changes nothing): undefined when IPVS is not there. */
  static async openLoaded({ sysModuleDir, ...opts }: NetlinkSocketOptions & { sysModuleDir?: string } = {}): Promise<IpvsClient | undefined> {
    // Asked first: since Linux 5.16 looking the family up loads ip_vs by itself (its genl alias).
    if (!modulePresent('ip_vs', sysModuleDir)) return undefined;
    try {
      return await IpvsClient.open({ ...opts, loadModule: false });
    } catch (e) {
      if (e instanceof IpvsAbsent) return undefined;
      throw e;
    }
  }

  get familyId(): number {
    return this.#family;
  }

  async #get(payload: Buffer): Promise<Buffer[]> {
    const replies = await this.#sock.request(this.#family, payload);
    return replies.filter((r) => r.type === this.#family).map((r) => splitGenl(r).attrs);
  }

  async #dump(payload: Buffer): Promise<Buffer[]> {
    const replies = await this.#sock.dump(this.#family, payload);
    return replies.filter((r) => r.type === this.#family).map((r) => splitGenl(r).attrs);
  }

  async #write(payload: Buffer, what: string, target: string): Promise<void> {
    this.writes++;
    try {
      await this.#sock.request(this.#family, payload);
    } catch (e) {
      if (e instanceof NetlinkError) throw new IpvsError(what, target, e);
      throw e;
    }
  }

  async info(): Promise<IpvsInfo> {
    const [r] = await this.#get(C.getInfoPayload());
    if (r === undefined) throw new Error('IPVS: no reply to GET_INFO');
    return C.decodeInfo(r);
  }

  async services(stats = true): Promise<IpvsService[]> {
    return (await this.#dump(C.getServicesPayload())).map((a) => C.decodeService(a, stats));
  }

  async dests(key: IpvsServiceKey, stats = true): Promise<IpvsDest[]> {
    const af = C.serviceFamily(key);
    return (await this.#dump(C.getDestsPayload(key))).map((a) => C.decodeDest(a, af, stats));
  }

  async table(opts: { stats?: boolean } = {}): Promise<IpvsTableService[]> {
    const stats = opts.stats ?? true;
    const services = await this.services(stats);
    // Dumps run one at a time per socket; asked together they queue without a round trip between.
    const dests = await Promise.all(services.map((s) => this.dests(s.key, stats)));
    return services.map((s, i) => ({ ...s, dests: dests[i]! }));
  }

  async service(key: IpvsServiceKey, opts: { stats?: boolean } = {}): Promise<IpvsTableService | undefined> {
    const stats = opts.stats ?? true;
    // Asked together: the request leaves with the loop's batch while the dump runs (a dump of a
    // service the kernel lacks is empty, not an error; the GET says whether it is there).
    const [svc, dests] = await Promise.all([
      this.#get(C.getServicePayload(key)).catch((e: unknown): Buffer[] => {
        if (e instanceof NetlinkError && e.code === 'ESRCH') return [];
        throw e;
      }),
      this.dests(key, stats),
    ]);
    const [attrs] = svc;
    return attrs === undefined ? undefined : { ...C.decodeService(attrs, stats), dests };
  }

  newService(s: IpvsServiceSpec): Promise<void> { return this.#writeOne({ op: 'add-service', service: s }); }
  setService(s: IpvsServiceSpec): Promise<void> { return this.#writeOne({ op: 'edit-service', service: s }); }
  delService(key: IpvsServiceKey): Promise<void> { return this.#writeOne({ op: 'del-service', key }); }
  newDest(key: IpvsServiceKey, d: IpvsDestSpec): Promise<void> { return this.#writeOne({ op: 'add-dest', key, dest: d }); }
  setDest(key: IpvsServiceKey, d: IpvsDestSpec): Promise<void> { return this.#writeOne({ op: 'edit-dest', key, dest: d }); }
  delDest(key: IpvsServiceKey, d: Pick<IpvsDestSpec, 'address' | 'port'>): Promise<void> { return this.#writeOne({ op: 'del-dest', key, dest: d }); }

  #writeOne(w: IpvsWrite): Promise<void> {
    const words = describeWrite(w);
    return this.#write(C.writePayload(w), words.what, words.target);
  }

  async writeAll(writes: readonly IpvsWrite[], opts: { stopAtFailure: boolean }): Promise<Array<Error | undefined>> {
    const out = new Array<Error | undefined>(writes.length).fill(undefined);
    const refused = (k: number, cause: Error & { code?: string }): IpvsError => {
      const words = describeWrite(writes[k]!);
      return new IpvsError(words.what, words.target, cause);
    };
    // Each datagram's messages are written straight into one reused buffer (no buffer per
    // write). sendBatch() sends it before it returns (the kernel copies it), so the next
    // datagram, or a concurrent writeAll(), may overwrite it at once.
    const batch = (this.#batch ??= new AttributeEncoder(undefined, WRITE_DATAGRAM_MAX + 1024));
    let i = 0;
    while (i < writes.length) {
      batch.truncate(0);
      const first = i;
      const bySeq = new Map<number, number>();
      let lastOff = 0;
      for (; i < writes.length; i++) {
        const start = beginMessage(batch);
        C.putWrite(batch, writes[i]!);
        if (i > first && batch.offset > WRITE_DATAGRAM_MAX) {
          batch.truncate(start); // it leads the next datagram
          break;
        }
        const seq = this.#sock.nextSeq();
        endMessage(batch, start, this.#family, NLM_F_REQUEST, seq);
        bySeq.set(seq, i);
        lastOff = start;
      }
      this.writes += i - first;
      let failed = false;
      try {
        await this.#sock.sendBatch(batch.encode(), lastOff, (seq, errno) => {
          const k = bySeq.get(seq);
          if (k === undefined) return;
          failed = true;
          out[k] = refused(k, systemError(errno, 'netlink', `IPVS ${describeWrite(writes[k]!).what}`));
        });
      } catch (e) {
        failed = true;
        for (let k = first; k < i; k++) if (out[k] === undefined) out[k] = e instanceof Error ? e : new Error(String(e));
      }
      if (failed && opts.stopAtFailure) {
        for (; i < writes.length; i++) out[i] = refused(i, { name: 'Error', code: 'ECANCELED', message: 'not sent: an earlier write failed' });
      }
    }
    return out;
  }
  flush(): Promise<void> { return this.#write(C.flushPayload(), 'flush', 'table'); }

  async timeouts(): Promise<IpvsTimeouts> {
    const [r] = await this.#get(C.getConfigPayload());
    if (r === undefined) throw new Error('IPVS: no reply to GET_CONFIG');
    return C.decodeTimeouts(r);
  }
  setTimeouts(t: Partial<IpvsTimeouts>): Promise<void> { return this.#write(C.setTimeoutsPayload(t), 'set', 'timeouts'); }

  async daemons(): Promise<IpvsDaemonSpec[]> {
    return (await this.#dump(C.getDaemonsPayload())).map((a) => C.decodeDaemon(a));
  }
  startDaemon(d: IpvsDaemonSpec): Promise<void> { return this.#write(C.newDaemonPayload(d), 'start daemon', `${d.state} on ${d.interface}`); }
  stopDaemon(state: 'master' | 'backup'): Promise<void> { return this.#write(C.delDaemonPayload(state), 'stop daemon', state); }

  async missingSchedulers(names: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const unique = [...new Set(names)];
    if (unique.length === 0) return out;
    const outcomes = await loadModules(unique.map((n) => `ip_vs_${n}`));
    for (const n of unique) {
      const o = outcomes.get(`ip_vs_${n}`);
      if (o?.status === 'failed') out.set(n, o.reason);
    }
    return out;
  }

  close(): void {
    this.#sock.close();
  }
}

/** The request flags libnl's nl_send_auto puts on a non-dump request (for golden comparisons). */
export const IPVS_REQUEST_FLAGS = NLM_F_REQUEST | NLM_F_ACK;
