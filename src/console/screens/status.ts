// The status screen: who the box is, its ports, and what the daemon says (VRRP, sync,
// firewall, the pending transaction); with the daemon down, that it is down and what the kernel
// shows. Pure: a report in, lines out (paged when longer than a screen).
import type { PortView, StatusReport } from '../host.ts';
import type { SyncStatusView, VrrpStatusView, FirewallStatusView } from '../daemon-views.ts';

export function duration(s: number): string {
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.floor(s % 60);
  const hms = `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`;
  return d > 0 ? `${d}d ${hms}` : hms;
}

function portLines(ports: readonly PortView[] | string): string[] {
  if (typeof ports === 'string') return [`  (cannot read the links: ${ports})`];
  if (ports.length === 0) return ['  (no links)'];
  return ports.map((p) => `  ${p.name.padEnd(15)} ${p.state.padEnd(10)} ${(p.mac ?? '-').padEnd(17)}  ${p.addresses.length > 0 ? p.addresses.join(' ') : '-'}`);
}

function vrrpLines(v: VrrpStatusView | string): string[] {
  if (typeof v === 'string') return [`VRRP: ${v}`];
  if (!v.running || v.instances.length === 0) return ['VRRP: no instances configured'];
  return ['VRRP:', ...v.instances.map((i) => {
    const who = i.state === 'MASTER' ? 'this box is master' : i.masterAddress !== null ? `master ${i.masterAddress}` : 'no master heard';
    return `  ${i.name.padEnd(12)} ${i.interface.padEnd(10)} vrid ${String(i.vrid).padEnd(3)} ${(i.state + (i.fault ? '*' : '')).padEnd(7)} prio ${String(i.effectivePriority).padEnd(3)} ${who}`;
  })];
}

function syncLine(s: SyncStatusView | string): string {
  if (typeof s === 'string') return `Sync: ${s}`;
  if (!s.running) return `Sync: not running${s.reason ? ` (${s.reason})` : ''}`;
  const peer = s.peer !== undefined ? `peer ${s.peer}` : 'multicast';
  return `Sync: ${s.mode ?? '?'} on ${s.interface ?? '?'}, ${peer}; cache internal ${s.internal?.active ?? 0}, external ${s.external?.active ?? 0}`;
}

function firewallLine(f: FirewallStatusView | string): string {
  if (typeof f === 'string') return `Firewall: ${f}`;
  if (!f.managed) return 'Firewall: not managed (no stockade ruleset in the kernel)';
  if (f.error !== null) return `Firewall: NOT applied: ${f.error}`;
  const drift = f.drift.length > 0 ? `; DRIFT in ${f.drift.length} chain${f.drift.length === 1 ? '' : 's'}` : '; no drift';
  return `Firewall: ${f.applied ? `applied ${f.appliedAt ?? ''}` : 'not applied yet'}${drift}`;
}

function transactionLine(t: StatusReport['transaction']): string {
  if (t === undefined) return 'Transaction: unknown (the daemon is not running)';
  if (typeof t === 'string') return `Transaction: ${t}`;
  if (t.pending === null) return 'Transaction: none pending';
  const p = t.pending;
  return `Transaction: #${p.id} by ${p.who} waits for confirmation, reverts in ${p.secondsLeft} s`;
}

export function formatStatus(r: StatusReport): string[] {
  const up = r.uptimeS !== undefined ? `, up ${duration(r.uptimeS)}` : '';
  const head = [`${r.hostname}: ${r.version}`, `slot ${r.slot}${up}`];
  const d = r.daemon;
  if (!d.up) {
    return [...head, '', `DAEMON NOT RUNNING: ${d.why}`, 'VRRP, sync and the firewall manager are down; the kernel shows:', '',
      'Ports:', ...portLines(r.ports)];
  }
  const s = d.status;
  return [...head, '', `Daemon: pid ${s.pid}, up ${duration(s.uptimeMs / 1000)}${s.fallback ? ', RUNNING THE BOARD DEFAULT (the config did not load)' : ''}`, '',
    'Ports:', ...portLines(r.ports), '', ...vrrpLines(d.vrrp), syncLine(d.sync), firewallLine(d.firewall), transactionLine(r.transaction)];
}
