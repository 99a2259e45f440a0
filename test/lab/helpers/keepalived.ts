// Lab helper: Debian's keepalived as a VRRP peer. Its config text (one vrrp_instance), its argv,
// and its state read back from its log ("Entering MASTER STATE").
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lab, LabProcess } from '../harness.ts';

export interface KeepalivedInstance {
  /** vrrp_instance name (default VI_1). */
  name?: string;
  state: 'MASTER' | 'BACKUP';
  interface: string;
  vrid: number;
  priority: number;
  /** Seconds (0.1 for 100 ms). */
  advertInt: number;
  version: 2 | 3;
  useVmac?: boolean;
  /** auth_type PASS with this auth_pass. */
  auth?: string;
  unicast?: { src: string; peers: string[] };
  /** CIDRs. */
  vips: string[];
}

// One renderer per field. The lines follow the order the caller gives the fields in: the texts are
// kept as each test first wrote them, and the golden fixtures store theirs byte for byte.
const LINES: { [K in keyof KeepalivedInstance]-?: (v: NonNullable<KeepalivedInstance[K]>) => string[] } = {
  name: () => [],
  state: (v) => [`state ${v}`],
  interface: (v) => [`interface ${v}`],
  vrid: (v) => [`virtual_router_id ${v}`],
  priority: (v) => [`priority ${v}`],
  advertInt: (v) => [`advert_int ${v}`],
  version: (v) => [`version ${v}`],
  useVmac: (v) => (v ? ['use_vmac'] : []),
  auth: (v) => ['authentication {', '    auth_type PASS', `    auth_pass ${v}`, '}'],
  unicast: (v) => [`unicast_src_ip ${v.src}`, 'unicast_peer {', ...v.peers.map((p) => `    ${p}`), '}'],
  vips: (v) => ['virtual_ipaddress {', ...v.map((a) => `    ${a}`), '}'],
};

/** global_defs lines for one gratuitous ARP, sent at once, on becoming MASTER. */
export const GARP_ONCE: Record<string, string | number> = { vrrp_garp_master_repeat: 1, vrrp_garp_master_delay: 0 };

export interface KeepalivedConf {
  routerId: string;
  instance: KeepalivedInstance;
  /** More global_defs lines, in order (e.g. GARP_ONCE). */
  globals?: Record<string, string | number>;
  /** A `# ...` first line. */
  comment?: string;
}

/** keepalived.conf text: global_defs (router_id, script security, `globals`) and one vrrp_instance. */
export function keepalivedConf(c: KeepalivedConf): string {
  const render = LINES as Record<string, (v: unknown) => string[]>;
  const body = Object.entries(c.instance).filter(([, v]) => v !== undefined).flatMap(([k, v]) => render[k]!(v));
  const globals = Object.entries(c.globals ?? {}).map(([k, v]) => `${k} ${v}`);
  return `${c.comment === undefined ? '' : `# ${c.comment}\n`}global_defs {
    router_id ${c.routerId}
    enable_script_security
${globals.map((l) => `    ${l}\n`).join('')}}
vrrp_instance ${c.instance.name ?? 'VI_1'} {
${body.map((l) => `    ${l}\n`).join('')}}
`;
}

/** keepalived's argv for a config in dir (foreground, VRRP only, logs on the console). */
export function keepalivedArgv(dir: string): string[] {
  return ['keepalived', '--dont-fork', '--log-console', '--log-detail', '--vrrp',
    '-f', join(dir, 'keepalived.conf'), '-p', join(dir, 'keepalived.pid'), '-r', join(dir, 'vrrp.pid')];
}

/** Writes `conf` as dir/keepalived.conf and starts keepalived on it in `host`. */
export function startKeepalived(lab: Lab, host: string, dir: string, conf: string): LabProcess {
  writeFileSync(join(dir, 'keepalived.conf'), conf);
  return lab.spawn(host, keepalivedArgv(dir));
}

export const kaLog = (ka: LabProcess): string => `${ka.stdout()}${ka.stderr()}`;

/** Whether keepalived's last transition was into `state`. */
export function kaIn(ka: LabProcess, state: string): boolean {
  const all = [...kaLog(ka).matchAll(/Entering (\w+) STATE/g)];
  return all.length > 0 && all[all.length - 1]![1] === state;
}

/** Whether keepalived has entered `state` at any time. */
export const kaEntered = (ka: LabProcess, state: string): boolean => new RegExp(`Entering ${state} STATE`).test(kaLog(ka));

/** Waits until keepalived is in `state` (its last transition). */
export const kaState = (lab: Lab, ka: LabProcess, state: string): Promise<true> => lab.waitFor(`keepalived ${state}`, () => kaIn(ka, state) || undefined, { timeoutMs: 10_000 });
