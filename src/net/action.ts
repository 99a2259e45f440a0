// One step of a network apply: what it changes, why, how to do it and how to undo it.
import type { Address, AddressRequest, Link, Route, RtnlApi, Rule } from '../kernel/rtnetlink/index.ts';

/** The apply runs in phases; each later phase is planned from the kernel state the earlier left. */
export type Phase = 'links' | 'link-settings' | 'addresses' | 'routes' | 'rules' | 'sysctls';
export const PHASES: readonly Phase[] = ['links', 'link-settings', 'addresses', 'routes', 'rules', 'sysctls'];

/**
 * create/delete: the object appears/goes; change: settings of an existing object; adopt: an
 * object already there that matches the config is marked as Stockade's (nothing else changes).
 */
export type Verb = 'create' | 'change' | 'delete' | 'adopt';

export interface ActionInfo {
  readonly phase: Phase;
  readonly verb: Verb;
  /** "bond bond0", "address 192.0.2.1/24 on eth0", "route default", "sysctl net.ipv4.ip_forward". */
  readonly object: string;
  /** What changes, e.g. "mtu 1500 -> 9000, up". */
  readonly detail?: string;
  /** Why this is needed. */
  readonly why: string;
}

export type Undo = (x: Exec) => Promise<void>;

export interface Action extends ActionInfo {
  /**
   * Consecutive actions of one group do not depend on each other: they are sent together
   * (pipelined: the kernel still takes them in order) instead of one round trip each.
   */
  readonly group?: string;
  /** Makes the change; returns the step that reverts it. Throws the kernel's refusal. */
  run(x: Exec): Promise<Undo>;
}

/** Reading and writing sysctls (src/kernel/sysctl.ts in production). */
export interface SysctlApi {
  /** The current value, or undefined when there is no such sysctl. */
  read(name: string): string | undefined;
  /** Throws (with the reason) when the kernel refuses. */
  write(name: string, value: string): void;
}

/** What an action runs against: the kernel, and links by name (looked up again after changes). */
export class Exec {
  readonly kernel: RtnlApi;
  readonly sysctl: SysctlApi;
  readonly #links = new Map<string, Link>();
  readonly #lookups = new Map<string, Promise<Link | undefined>>();
  /** Indexes outlive forget(): a change to a link's settings keeps its index; only a delete (invalidate) does not. */
  readonly #indexes = new Map<string, number>();

  constructor(kernel: RtnlApi, sysctl: SysctlApi) {
    this.kernel = kernel;
    this.sysctl = sysctl;
  }

  /** Takes the links of a fresh dump, so that the actions of a phase need no lookups. */
  prime(links: readonly Link[]): void {
    this.#links.clear();
    for (const l of links) {
      this.#links.set(l.name, l);
      this.#indexes.set(l.name, l.index);
    }
  }

  /** After a change to links: they are looked up again (one by one, as needed). */
  invalidate(): void {
    this.#links.clear();
    this.#lookups.clear();
    this.#indexes.clear();
  }

  /** After a change to the settings of these links only (the others' entries, and all indexes, stay good). */
  forget(...names: string[]): void {
    for (const n of names) {
      this.#links.delete(n);
      this.#lookups.delete(n);
    }
  }

  /** A link of this name was just made (with this index, when known): nothing else known about the name holds. */
  made(name: string, index?: number): void {
    this.forget(name);
    if (index !== undefined) this.#indexes.set(name, index);
    else this.#indexes.delete(name);
  }

  async find(name: string): Promise<Link | undefined> {
    const l = this.#links.get(name);
    if (l !== undefined) return l;
    // Actions run side by side often want the same link (the parent of 16 new VLANs): one lookup.
    let pending = this.#lookups.get(name);
    if (pending === undefined) {
      const p = this.kernel.link(name);
      pending = p;
      this.#lookups.set(name, p);
      void p.then(() => { if (this.#lookups.get(name) === p) this.#lookups.delete(name); }, () => { if (this.#lookups.get(name) === p) this.#lookups.delete(name); });
    }
    const found = await pending;
    if (found !== undefined && !this.#links.has(name)) this.#links.set(name, found);
    if (found !== undefined) this.#indexes.set(name, found.index);
    return found;
  }

  async link(name: string): Promise<Link> {
    const l = await this.find(name);
    if (l === undefined) throw new Error(`no interface named ${name}`);
    return l;
  }

  async index(name: string): Promise<number> {
    return this.#indexes.get(name) ?? (await this.link(name)).index;
  }
}

/** The kernel state a phase is planned from (routes: those readPlanRoutes reads). */
export interface KernelState {
  links: Link[];
  addresses: Address[];
  routes: Route[];
  rules: Rule[];
}

export function addressRequest(index: number, a: Address): AddressRequest {
  return {
    index,
    local: a.local ?? a.address!,
    prefixLength: a.prefixLength,
    ...(a.address !== undefined && a.address !== a.local ? { address: a.address } : {}),
    ...(a.broadcast !== undefined ? { broadcast: a.broadcast } : {}),
    ...(a.label !== undefined ? { label: a.label } : {}),
    ...(a.protocol !== undefined ? { protocol: a.protocol } : {}),
    ...(a.metric !== undefined ? { metric: a.metric } : {}),
    scope: a.scope,
  };
}
