// The segments part in the daemon: applied at start (addresses, DHCP servers; the firewall
// manager has already loaded its chains), changed by config transactions through its applier
// (after the firewall's, which follows segments), viewed by `ctl segments`. A failure at start
// is logged and leaves the rest of the daemon running.
import type { Config } from '../config/index.ts';
import type { PartApplier } from '../apply/index.ts';
import { startSegments, type SegmentsService } from '../segments/index.ts';
import type { VrrpShell } from '../vrrp/index.ts';
import type { ControlServer } from './control.ts';
import type { Log } from './log.ts';

export async function startSegmentsPart(config: Config, log: Log, control: ControlServer): Promise<SegmentsService> {
  const service = await startSegments(config, log);
  control.handle('segments.status', () => service.view());
  return service;
}

export function segmentsApplier(service: SegmentsService): PartApplier {
  return { part: 'segments', apply: (previous, next) => service.apply(previous, next) };
}

/**
 * Segments with a `vrrp` instance are served while it is MASTER here (src/segments/ha.ts). On
 * MASTER the segment's addresses go on only once the shell's queue has run (the master hooks,
 * i.e. the conntrack commit, and the VIPs): a packet of a synced flow reaching a public address
 * before its NAT entry is committed would be answered with a reset. Transitions are handled in
 * the order they came.
 */
export function segmentsFollow(service: SegmentsService, shell: VrrpShell): void {
  let chain: Promise<void> = Promise.resolve();
  shell.on('transition', (e) => {
    if (e.group) return;
    chain = chain.then(async () => {
      if (e.to === 'MASTER') await shell.idle();
      await service.onTransition(e.instance, e.to);
    }).catch(() => undefined);
  });
}
