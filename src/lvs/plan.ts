// Reconcile: the desired table against a dump of the kernel's (IPVS sends no change events, so
// the dump is the truth). Only what differs becomes an action; an unchanged table gives none.
// Services the config does not name are the admin's and are left alone, unless `exclusive`.
// Order: new services first (their destinations need them), then service edits, destination
// deletes, edits and adds, and last the deletes of whole services. Pure.
import type { DesiredDest, DesiredService } from './model.ts';
import { destKeyText, IP_VS_SVC_F_HASHED, serviceKeyText } from '../kernel/ipvs/index.ts';
import type { IpvsDest, IpvsDestSpec, IpvsServiceKey, IpvsServiceSpec, IpvsTableService } from '../kernel/ipvs/index.ts';

export type LvsAction =
  | { op: 'add-service'; key: IpvsServiceKey; service: IpvsServiceSpec; pointer?: string; why: string }
  | { op: 'edit-service'; key: IpvsServiceKey; service: IpvsServiceSpec; pointer?: string; why: string }
  | { op: 'del-service'; key: IpvsServiceKey; pointer?: string; why: string }
  | { op: 'add-dest'; key: IpvsServiceKey; dest: IpvsDestSpec; pointer?: string; why: string }
  | { op: 'edit-dest'; key: IpvsServiceKey; dest: IpvsDestSpec; pointer?: string; why: string }
  | { op: 'del-dest'; key: IpvsServiceKey; dest: Pick<IpvsDestSpec, 'address' | 'port'>; pointer?: string; why: string };

export interface PlanOptions {
  /** Delete services the config does not name. */
  exclusive: boolean;
}

/** Flags the kernel sets itself (HASHED: the service is in the hash table). */
const KERNEL_FLAGS = IP_VS_SVC_F_HASHED;

function serviceDiff(want: IpvsServiceSpec, have: IpvsServiceSpec): string[] {
  const d: string[] = [];
  if (want.scheduler !== have.scheduler) d.push(`scheduler ${have.scheduler} -> ${want.scheduler}`);
  if ((want.flags & ~KERNEL_FLAGS) !== (have.flags & ~KERNEL_FLAGS)) d.push(`flags 0x${(have.flags & ~KERNEL_FLAGS).toString(16)} -> 0x${want.flags.toString(16)}`);
  if (want.timeout !== have.timeout) d.push(`persistence ${have.timeout} -> ${want.timeout} s`);
  if (want.netmask >>> 0 !== have.netmask >>> 0) d.push('persistence netmask');
  if (want.pe !== have.pe) d.push(`persistence engine '${have.pe}' -> '${want.pe}'`);
  return d;
}

function destDiff(want: IpvsDestSpec, have: IpvsDest): string[] {
  const d: string[] = [];
  if (want.forward !== have.forward) d.push(`forward ${have.forward} -> ${want.forward}`);
  if (want.weight !== have.weight) d.push(`weight ${have.weight} -> ${want.weight}`);
  if (want.upperThreshold !== have.upperThreshold) d.push(`upper threshold ${have.upperThreshold} -> ${want.upperThreshold}`);
  if (want.lowerThreshold !== have.lowerThreshold) d.push(`lower threshold ${have.lowerThreshold} -> ${want.lowerThreshold}`);
  if (want.forward === 'tun') {
    const w = want.tunnel ?? { type: 'ipip', port: 0, csum: 'nocsum' };
    const h = have.tunnel ?? { type: 'ipip', port: 0, csum: 'nocsum' };
    if (w.type !== h.type || w.port !== h.port || w.csum !== h.csum) d.push(`tunnel ${h.type}:${h.port}:${h.csum} -> ${w.type}:${w.port}:${w.csum}`);
  }
  return d;
}

function specOf(d: DesiredDest): IpvsDestSpec {
  const { pointer: _, ...spec } = d;
  return spec;
}

function serviceOf(s: DesiredService): IpvsServiceSpec {
  return { key: s.key, scheduler: s.scheduler, flags: s.flags, timeout: s.timeout, netmask: s.netmask, pe: s.pe };
}

export function planLvs(desired: readonly DesiredService[], kernel: readonly IpvsTableService[], opts: PlanOptions): LvsAction[] {
  const have = new Map(kernel.map((s) => [serviceKeyText(s.key), s]));
  const adds: LvsAction[] = [];
  const edits: LvsAction[] = [];
  const destDels: LvsAction[] = [];
  const destEdits: LvsAction[] = [];
  const destAdds: LvsAction[] = [];
  const dels: LvsAction[] = [];
  const wanted = new Set<string>();
  for (const s of desired) {
    const k = serviceKeyText(s.key);
    wanted.add(k);
    const h = have.get(k);
    if (h === undefined) {
      adds.push({ op: 'add-service', key: s.key, service: serviceOf(s), pointer: s.pointer, why: `${s.name}: not in the kernel` });
      for (const d of s.dests) destAdds.push({ op: 'add-dest', key: s.key, dest: specOf(d), pointer: d.pointer, why: `${s.name}: new service` });
      continue;
    }
    const sd = serviceDiff(s, h);
    if (sd.length > 0) edits.push({ op: 'edit-service', key: s.key, service: serviceOf(s), pointer: s.pointer, why: `${s.name}: ${sd.join(', ')}` });
    const hd = new Map(h.dests.map((d) => [destKeyText(d), d]));
    const wd = new Set<string>();
    for (const d of s.dests) {
      const dk = destKeyText(d);
      wd.add(dk);
      const cur = hd.get(dk);
      if (cur === undefined) destAdds.push({ op: 'add-dest', key: s.key, dest: specOf(d), pointer: d.pointer, why: `${s.name}: ${dk} not in the kernel` });
      else {
        const dd = destDiff(d, cur);
        if (dd.length > 0) destEdits.push({ op: 'edit-dest', key: s.key, dest: specOf(d), pointer: d.pointer, why: `${s.name}: ${dk} ${dd.join(', ')}` });
      }
    }
    for (const [dk, cur] of hd) {
      if (!wd.has(dk)) destDels.push({ op: 'del-dest', key: s.key, dest: { address: cur.address, port: cur.port }, pointer: s.pointer, why: `${s.name}: ${dk} not wanted (not in the config, disabled or down)` });
    }
  }
  if (opts.exclusive) {
    for (const [k, h] of have) if (!wanted.has(k)) dels.push({ op: 'del-service', key: h.key, why: `${k}: not in the config (lvs.exclusive)` });
  }
  return [...adds, ...edits, ...destDels, ...destEdits, ...destAdds, ...dels];
}

/** One line per action, for `lvs plan` and logs. */
export function formatAction(a: LvsAction): string {
  const svc = serviceKeyText(a.key);
  switch (a.op) {
    case 'add-service': return `+ service ${svc} ${a.service.scheduler} (${a.why})`;
    case 'edit-service': return `~ service ${svc} (${a.why})`;
    case 'del-service': return `- service ${svc} (${a.why})`;
    case 'add-dest': return `+ ${svc} -> ${destKeyText(a.dest)} ${a.dest.forward} weight ${a.dest.weight} (${a.why})`;
    case 'edit-dest': return `~ ${svc} -> ${destKeyText(a.dest)} (${a.why})`;
    case 'del-dest': return `- ${svc} -> ${destKeyText(a.dest)} (${a.why})`;
  }
}
