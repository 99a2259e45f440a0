// The changes the menu's screens make to the config as written (not with defaults filled in):
// each a pure edit for proposeChange(), which runs the config loader on the result. They leave
// everything they do not name as it was.
type Doc = Record<string, unknown>;

const objectAt = (doc: Doc, key: string): Doc => {
  const v = doc[key];
  const o: Doc = typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Doc) : {};
  doc[key] = o;
  return o;
};
const arrayAt = (doc: Doc, key: string): unknown[] => {
  const v = doc[key];
  const a = Array.isArray(v) ? v : [];
  doc[key] = a;
  return a;
};
const isObject = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The interfaces the config defines (ports, bonds, VLANs, bridges), in that order. */
export function interfaceNames(doc: Doc): string[] {
  const i = isObject(doc['interfaces']) ? doc['interfaces'] : {};
  return ['ports', 'bonds', 'vlans', 'bridges'].flatMap((k) => (Array.isArray(i[k]) ? (i[k] as unknown[]) : []))
    .map((e) => (isObject(e) && typeof e['name'] === 'string' ? e['name'] : undefined)).filter((n): n is string => n !== undefined);
}

export interface AddressSetting {
  readonly static: readonly string[];
  readonly dhcp: boolean;
}

/** What the config says about `ifname`'s addresses (none: no static, no DHCP). */
export function addressOf(doc: Doc, ifname: string): AddressSetting {
  const e = (Array.isArray(doc['addresses']) ? doc['addresses'] : []).find((a) => isObject(a) && a['interface'] === ifname);
  if (!isObject(e)) return { static: [], dhcp: false };
  return { static: Array.isArray(e['static']) ? e['static'].map(String) : [], dhcp: e['dhcp'] === true };
}

/** `ifname`'s addresses become exactly `setting` (no address at all: its entry goes). */
export function setAddress(ifname: string, setting: AddressSetting): (doc: Doc) => void {
  return (doc) => {
    const list = arrayAt(doc, 'addresses');
    const at = list.findIndex((a) => isObject(a) && a['interface'] === ifname);
    const entry: Doc = { interface: ifname, ...(setting.static.length > 0 ? { static: [...setting.static] } : {}), ...(setting.dhcp ? { dhcp: true } : {}) };
    if (setting.static.length === 0 && !setting.dhcp) {
      if (at >= 0) list.splice(at, 1);
    } else if (at >= 0) {
      // Other keys of the entry stay; static and dhcp are what was asked, and only that.
      const { static: _s, dhcp: _d, ...rest } = list[at] as Doc;
      list[at] = { ...rest, ...entry };
    } else list.push(entry);
  };
}

const isDefaultMain = (r: unknown): boolean => isObject(r) && (r['destination'] === 'default' || r['destination'] === '0.0.0.0/0') && (r['table'] === undefined || r['table'] === 254 || r['table'] === 'main');

/** The main table's default gateway, as the config says. */
export function defaultGatewayOf(doc: Doc): string | undefined {
  const r = (Array.isArray(doc['routes']) ? doc['routes'] : []).find(isDefaultMain);
  return isObject(r) && typeof r['gateway'] === 'string' ? r['gateway'] : undefined;
}

/** The main table's default route goes through `gateway` (null: no static default route). */
export function setDefaultGateway(gateway: string | null): (doc: Doc) => void {
  return (doc) => {
    const list = arrayAt(doc, 'routes');
    const kept = list.filter((r) => !isDefaultMain(r));
    if (gateway !== null) kept.push({ destination: 'default', gateway });
    doc['routes'] = kept;
  };
}

export interface VrrpQuick {
  readonly priority?: number;
  readonly vips?: readonly string[];
  readonly preempt?: boolean;
}

/** The VRRP instances the config names, with what the quick settings show. */
export function vrrpInstances(doc: Doc): Array<{ name: string; interface: string; priority: number | undefined; vips: string[]; preempt: boolean | undefined }> {
  const v = isObject(doc['vrrp']) ? doc['vrrp'] : {};
  return (Array.isArray(v['instances']) ? v['instances'] : []).filter(isObject).map((i) => ({
    name: String(i['name']), interface: String(i['interface']),
    priority: typeof i['priority'] === 'number' ? i['priority'] : undefined,
    vips: Array.isArray(i['vips']) ? i['vips'].map(String) : [],
    preempt: typeof i['preempt'] === 'boolean' ? i['preempt'] : undefined,
  }));
}

/** Priority, VIPs and preempt of the instance called `name` (what is not given stays). */
export function setVrrpQuick(name: string, quick: VrrpQuick): (doc: Doc) => void {
  return (doc) => {
    const v = objectAt(doc, 'vrrp');
    const inst = arrayAt(v, 'instances').find((i) => isObject(i) && i['name'] === name);
    if (!isObject(inst)) return;
    if (quick.priority !== undefined) inst['priority'] = quick.priority;
    if (quick.vips !== undefined) inst['vips'] = [...quick.vips];
    if (quick.preempt !== undefined) inst['preempt'] = quick.preempt;
  };
}

/** The config's ports (labels) and the NIC each is assigned by nic_mac, if any. */
export function portAssignments(doc: Doc): Array<{ label: string; nicMac: string | undefined }> {
  const i = isObject(doc['interfaces']) ? doc['interfaces'] : {};
  return (Array.isArray(i['ports']) ? i['ports'] : []).filter(isObject).filter((p) => typeof p['name'] === 'string')
    .map((p) => ({ label: p['name'] as string, nicMac: typeof p['nic_mac'] === 'string' ? p['nic_mac'].toLowerCase() : undefined }));
}

/**
 * Port `label` is carried by the NIC with hardware MAC `mac` (null: the board file's mapping
 * again). `swapWith`: the label that NIC has now, which takes `label`'s NIC (`itsMac`), so two
 * labels change places in one change rather than two ports fight over one NIC.
 */
export function setPortNic(label: string, mac: string | null, swap?: { label: string; mac: string }): (doc: Doc) => void {
  return (doc) => {
    const ports = arrayAt(objectAt(doc, 'interfaces'), 'ports');
    const set = (name: string, value: string | null): void => {
      const port = ports.find((p) => isObject(p) && p['name'] === name);
      if (!isObject(port)) return;
      if (value === null) delete port['nic_mac'];
      else port['nic_mac'] = value;
    };
    set(label, mac);
    if (swap !== undefined) set(swap.label, swap.mac);
  };
}

export interface HaPair {
  /** The port the adverts go out on and the VIPs live on. */
  readonly interface: string;
  readonly vips: readonly string[];
  readonly vrid: number;
  readonly priority: number;
  readonly preempt: boolean;
  /** The advert HMAC key in hex (both boxes the same); null: none. */
  readonly secret: string | null;
  /** The conntrack sync link and the peer's address on it; null: no sync. */
  readonly sync: { readonly interface: string; readonly peer: string } | null;
}

/** The instance the "HA pair" screen edits: the config's first, if it has one. */
export function haPairOf(doc: Doc): (HaPair & { name: string }) | undefined {
  const v = isObject(doc['vrrp']) ? doc['vrrp'] : {};
  const inst = (Array.isArray(v['instances']) ? v['instances'] : []).find(isObject);
  if (inst === undefined) return undefined;
  const s = isObject(doc['sync']) ? doc['sync'] : undefined;
  const auth = isObject(inst['authentication']) ? inst['authentication'] : undefined;
  const key = Array.isArray(auth?.['keys']) ? (auth['keys'] as unknown[]).find(isObject) : undefined;
  return {
    name: String(inst['name']), interface: String(inst['interface']),
    vips: Array.isArray(inst['vips']) ? inst['vips'].map(String) : [],
    vrid: typeof inst['vrid'] === 'number' ? inst['vrid'] : 0,
    priority: typeof inst['priority'] === 'number' ? inst['priority'] : 100,
    preempt: inst['preempt'] !== false,
    secret: typeof key?.['secret'] === 'string' ? key['secret'] : null,
    sync: s !== undefined && typeof s['interface'] === 'string' && typeof s['peer'] === 'string' ? { interface: s['interface'], peer: s['peer'] } : null,
  };
}

/**
 * The pair: instance `name` (made when the config has none of that name; its other keys stay),
 * its authentication, and the sync section pointing at the peer with this instance as the VRRP
 * group whose master commits the peer's connections. No sync: the section goes.
 */
export function setHaPair(name: string, pair: HaPair): (doc: Doc) => void {
  return (doc) => {
    const list = arrayAt(objectAt(doc, 'vrrp'), 'instances');
    let inst = list.find((i) => isObject(i) && i['name'] === name) as Doc | undefined;
    if (inst === undefined) {
      inst = { name };
      list.push(inst);
    }
    Object.assign(inst, { interface: pair.interface, vrid: pair.vrid, priority: pair.priority, vips: [...pair.vips], preempt: pair.preempt });
    if (pair.secret === null) delete inst['authentication'];
    else inst['authentication'] = { keys: [{ id: 1, secret: pair.secret }] };
    if (pair.sync === null) {
      delete doc['sync'];
      return;
    }
    // The other sync keys (mode, port, ...) stay; a local_address of another link would not.
    const { local_address: _l, ...rest } = isObject(doc['sync']) ? doc['sync'] : {};
    doc['sync'] = { ...rest, interface: pair.sync.interface, peer: pair.sync.peer, vrrp_group: name };
  };
}

const FORWARD_COMMENT = 'console: LAN out';
const PING_COMMENT = 'console: ping the VIPs';

/** The port the console's "LAN out" forward rule sends `from`'s hosts out of, if it is there. */
export function lanOutOf(doc: Doc): string | undefined {
  const fw = isObject(doc['firewall']) ? doc['firewall'] : {};
  const r = (Array.isArray(fw['rules']) ? fw['rules'] : []).find((x) => isObject(x) && x['comment'] === FORWARD_COMMENT);
  return isObject(r) && typeof r['out_interface'] === 'string' ? r['out_interface'] : undefined;
}

/**
 * What a gateway pair needs around VRRP: its hosts on `lan` may ping the box (the VIP is their
 * gateway) and, with `out`, go out through that port (IPv4 forwarding on, replies back in).
 * Rules this edit added before are replaced, others stay; out null: no forwarding rule.
 */
export function setLanGateway(lan: string, out: string | null): (doc: Doc) => void {
  return (doc) => {
    const fw = objectAt(doc, 'firewall');
    const rules = arrayAt(fw, 'rules').filter((r) => !(isObject(r) && (r['comment'] === FORWARD_COMMENT || r['comment'] === PING_COMMENT)));
    rules.push({ chain: 'input', action: 'accept', protocol: 'icmp', in_interface: lan, comment: PING_COMMENT });
    if (out !== null) {
      const replies = rules.some((r) => isObject(r) && r['chain'] === 'forward' && Array.isArray(r['states']) && r['states'].includes('established') && r['action'] === 'accept' && r['in_interface'] === undefined);
      if (!replies) rules.push({ chain: 'forward', action: 'accept', states: ['established', 'related'] });
      rules.push({ chain: 'forward', action: 'accept', in_interface: lan, out_interface: out, states: ['new'], comment: FORWARD_COMMENT });
      objectAt(doc, 'sysctls')['net.ipv4.ip_forward'] = 1;
    }
    fw['rules'] = rules;
  };
}

/** The SSH keys the config lets in (management.ssh_authorized_keys), as written. */
export function sshKeysOf(doc: Doc): string[] {
  const m = isObject(doc['management']) ? doc['management'] : {};
  return Array.isArray(m['ssh_authorized_keys']) ? m['ssh_authorized_keys'].map(String) : [];
}

/** The SSH keys become exactly `keys` (none: the key goes, as the board default has it). */
export function setSshKeys(keys: readonly string[]): (doc: Doc) => void {
  return (doc) => {
    const m = objectAt(doc, 'management');
    if (keys.length === 0) delete m['ssh_authorized_keys'];
    else m['ssh_authorized_keys'] = [...keys];
  };
}

export interface NameAndDns {
  readonly hostname: string | undefined;
  readonly nameservers: readonly string[];
}

/** The box's name and name servers as written (system.hostname, system.nameservers). */
export function nameAndDnsOf(doc: Doc): NameAndDns {
  const s = isObject(doc['system']) ? doc['system'] : {};
  return { hostname: typeof s['hostname'] === 'string' ? s['hostname'] : undefined, nameservers: Array.isArray(s['nameservers']) ? s['nameservers'].map(String) : [] };
}

/** The name (undefined: left as it is) and the name servers (none: the key goes, DHCP's are used). */
export function setNameAndDns(hostname: string | undefined, nameservers: readonly string[]): (doc: Doc) => void {
  return (doc) => {
    const s = objectAt(doc, 'system');
    if (hostname !== undefined) s['hostname'] = hostname;
    if (nameservers.length === 0) delete s['nameservers'];
    else s['nameservers'] = [...nameservers];
  };
}
