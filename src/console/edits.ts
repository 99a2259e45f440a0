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
