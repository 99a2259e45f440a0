// The segments part in the daemon: applied at start (addresses, DHCP servers; the firewall
// manager has already loaded its chains), changed by config transactions through its applier
// (after the firewall's, which follows segments), viewed by `ctl segments`. A failure at start
// is logged and leaves the rest of the daemon running.
import type { Config } from '../config/index.ts';
import type { PartApplier } from '../apply/index.ts';
import { applySegmentOp, SegmentOpError, startSegments, type SegmentOp, type SegmentsService } from '../segments/index.ts';
import { ConfigRejected, type TransactionService } from './transaction.ts';
import type { VrrpShell } from '../vrrp/index.ts';
import type { ControlServer } from './control.ts';
import type { Log } from './log.ts';

export async function startSegmentsPart(config: Config, log: Log, control: ControlServer): Promise<SegmentsService> {
  const service = await startSegments(config, log);
  control.handle('segments.status', () => service.view());
  return service;
}

const OPS: ReadonlySet<string> = new Set(['group-add', 'group-del', 'host-add', 'host-del', 'rule-add', 'rule-del', 'ip-assign', 'ip-unassign']);

/**
 * `segments.op` {op, who, what}: one runtime operation done on the running config here and
 * applied as a config transaction. What the operation or the resulting config refuses comes back
 * as {refused: message} (bad input: nothing applied); the answer is config.apply's otherwise.
 */
export function serveSegmentOps(control: ControlServer, transactions: TransactionService): void {
  control.handle('segments.op', async (p) => {
    const { op, who, what } = (p ?? {}) as { op?: SegmentOp; who?: unknown; what?: unknown };
    if (typeof op !== 'object' || op === null || !OPS.has(op.op) || typeof op.segment !== 'string') {
      throw new Error(`segments.op needs {"op": {"op": one of ${[...OPS].join(', ')}, "segment": NAME, ...}}`);
    }
    const label = typeof what === 'string' ? what : `segment ${op.op}`;
    try {
      return await transactions.applyEdit((c) => applySegmentOp(c, op), typeof who === 'string' && who ? who : 'segment', label);
    } catch (e) {
      if (e instanceof SegmentOpError) return { refused: `${label}: not applied: ${e.message}` };
      if (e instanceof ConfigRejected) return { refused: e.message };
      throw e;
    }
  });
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
