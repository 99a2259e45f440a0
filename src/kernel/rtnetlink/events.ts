// Link events as typed events: a link appeared or went, was taken up or down, gained or lost
// its carrier, or changed otherwise (name, MTU, master, ...). For VRRP interface tracking and
// bond-member alarms.
//
// The monitor joins RTNLGRP_LINK first and then dumps the links, so nothing is missed between
// the two; events that arrive during the dump are applied after it, in order. A receive
// overrun (ENOBUFS: the kernel dropped events) makes it dump again and report what changed, so
// the picture it gives stays the kernel's.
import { EventEmitter } from 'node:events';
import { NETLINK_ROUTE } from '../netlink/constants.ts';
import type { NetlinkMessage } from '../netlink/message.ts';
import { NetlinkSocket } from '../netlink/socket.ts';
import { AF_UNSPEC, IFI_OFF_FAMILY, IFINFOMSG_LEN, RTM_DELLINK, RTM_NEWLINK, RTNLGRP_LINK } from './constants.ts';
import { decodeLink, listLinks } from './link.ts';
import type { Link } from './link.ts';
import { hasCarrier as carrierOf, isAdminUp } from './link-state.ts';

export type LinkEventType = 'created' | 'deleted' | 'up' | 'down' | 'carrier-up' | 'carrier-down' | 'changed';

export interface LinkEvent {
  type: LinkEventType;
  /** The link as the kernel reported it with the event (as it was, for 'deleted'). */
  link: Link;
  /** The link before the event, when it was known. */
  before?: Link;
}

export interface LinkMonitorEvents {
  event: [event: LinkEvent];
  /** Not fatal: a resync failed, a message did not decode. */
  error: [err: Error];
}

function isUp(l: Link): boolean {
  return isAdminUp(l.flags);
}

function hasCarrier(l: Link): boolean {
  return carrierOf(l.flags);
}

/** What changed from `before` to `after` (both the same ifindex), as events. */
export function linkTransitions(before: Link | undefined, after: Link): LinkEvent[] {
  if (before === undefined) return [{ type: 'created', link: after }];
  const out: LinkEvent[] = [];
  if (isUp(before) !== isUp(after)) out.push({ type: isUp(after) ? 'up' : 'down', link: after, before });
  if (hasCarrier(before) !== hasCarrier(after)) out.push({ type: hasCarrier(after) ? 'carrier-up' : 'carrier-down', link: after, before });
  const other = before.name !== after.name || before.mtu !== after.mtu || before.master !== after.master || before.address !== after.address
    || before.alias !== after.alias || before.operstate !== after.operstate;
  if (out.length === 0 && other) out.push({ type: 'changed', link: after, before });
  return out;
}

export class LinkMonitor extends EventEmitter<LinkMonitorEvents> {
  readonly #sock: NetlinkSocket;
  readonly #links = new Map<number, Link>();
  #ready = false;
  #pending: NetlinkMessage[] = [];
  #resyncing = false;

  constructor(sock: NetlinkSocket) {
    super();
    this.#sock = sock;
    sock.on('message', (m) => this.#onMessage(m));
    sock.on('error', (err) => {
      if ((err as { code?: string }).code === 'ENOBUFS') void this.#resync();
      else this.emit('error', err);
    });
  }

  /** A monitor on its own socket; resolves once it knows the current links. */
  static async open(): Promise<LinkMonitor> {
    const sock = NetlinkSocket.open(NETLINK_ROUTE, { rcvbuf: 1 << 20 });
    const mon = new LinkMonitor(sock);
    try {
      await mon.start();
    } catch (e) {
      sock.close();
      throw e;
    }
    return mon;
  }

  /** Joins the group, then dumps the links (separate from the constructor for tests). */
  async start(): Promise<void> {
    this.#sock.subscribe(RTNLGRP_LINK);
    for (const l of await listLinks(this.#sock)) this.#links.set(l.index, l);
    this.#ready = true;
    const queued = this.#pending;
    this.#pending = [];
    for (const m of queued) this.#apply(m);
  }

  /** The links as last reported, by ifindex. */
  get links(): ReadonlyMap<number, Link> {
    return this.#links;
  }

  byName(name: string): Link | undefined {
    for (const l of this.#links.values()) if (l.name === name) return l;
    return undefined;
  }

  /** Lets the process exit while only this monitor is left. */
  unref(): void {
    this.#sock.unref();
  }

  close(): void {
    this.#sock.close();
  }

  #onMessage(m: NetlinkMessage): void {
    if (m.type !== RTM_NEWLINK && m.type !== RTM_DELLINK) return;
    if (!this.#ready || this.#resyncing) {
      this.#pending.push(m);
      return;
    }
    this.#apply(m);
  }

  #apply(m: NetlinkMessage): void {
    // The bridge also reports its ports' STP state as RTM_NEWLINK/RTM_DELLINK of family
    // AF_BRIDGE (a port leaving the bridge is such a "delete"); those are not about the link.
    if (m.payload.length < IFINFOMSG_LEN || m.payload.readUInt8(IFI_OFF_FAMILY) !== AF_UNSPEC) return;
    let link: Link;
    try {
      link = decodeLink(m);
    } catch (e) {
      this.emit('error', e as Error);
      return;
    }
    const before = this.#links.get(link.index);
    if (m.type === RTM_DELLINK) {
      if (before === undefined) return;
      this.#links.delete(link.index);
      this.emit('event', { type: 'deleted', link: { ...before, ...link }, before });
      return;
    }
    this.#links.set(link.index, link);
    for (const e of linkTransitions(before, link)) this.emit('event', e);
  }

  /** After lost events: dump again and report the differences. */
  async #resync(): Promise<void> {
    if (this.#resyncing) return;
    this.#resyncing = true;
    try {
      const now = new Map((await listLinks(this.#sock)).map((l) => [l.index, l]));
      for (const [index, before] of [...this.#links]) {
        if (!now.has(index)) {
          this.#links.delete(index);
          this.emit('event', { type: 'deleted', link: before, before });
        }
      }
      for (const [index, link] of now) {
        const before = this.#links.get(index);
        this.#links.set(index, link);
        for (const e of linkTransitions(before, link)) this.emit('event', e);
      }
    } catch (e) {
      this.emit('error', e as Error);
    } finally {
      this.#resyncing = false;
      const queued = this.#pending;
      this.#pending = [];
      for (const m of queued) this.#apply(m);
    }
  }
}
