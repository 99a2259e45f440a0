// The console's ConfigTransaction (transaction.ts) over the daemon's control socket: the same
// config.apply / config.confirm / config.status a `stockade config apply` uses
// (src/daemon/transaction.ts). The daemon down: a clear error, nothing saved.
import { controlRequest } from './daemon-views.ts';
import type { ConfigTransaction, PendingView, TransactionResult } from './transaction.ts';

interface PendingAnswer { id: number; who: string; summary: string; leftS: number }

const pendingOf = (p: PendingAnswer): PendingView => ({ id: p.id, who: p.who, summary: p.summary, secondsLeft: p.leftS });

export function daemonTransaction(socketPath: string): ConfigTransaction {
  const ask = async (method: string, params?: unknown): Promise<{ ok: true; value: unknown } | { ok: false; error: string }> => {
    try {
      return { ok: true, value: await controlRequest(socketPath, method, params, 120_000) };
    } catch (e) {
      return { ok: false, error: (e as Error).message };
    }
  };
  return {
    async apply(text, who): Promise<TransactionResult> {
      const r = await ask('config.apply', { text, who, source: 'the console' });
      if (!r.ok) return r;
      const a = r.value as { changed: boolean; applied?: string[]; pending?: PendingAnswer; revision?: number };
      if (!a.changed) return { ok: true, message: 'Nothing to change: this is what runs.' };
      return {
        ok: true,
        message: a.pending ? `Applied (${(a.applied ?? []).join(', ')}).` : `Applied and saved as revision ${a.revision}.`,
        ...(a.pending ? { pending: pendingOf(a.pending) } : {}),
      };
    },
    async confirm(who): Promise<TransactionResult> {
      const r = await ask('config.confirm', { who });
      if (!r.ok) return r;
      return { ok: true, message: `Confirmed: saved as revision ${(r.value as { revision: number }).revision}.` };
    },
    async abort(who): Promise<TransactionResult> {
      const r = await ask('config.abort', { who });
      if (!r.ok) return r;
      return { ok: true, message: 'Reverted: the confirmed config runs again.' };
    },
    async status() {
      const r = await ask('config.status');
      if (!r.ok) return { pending: null, error: r.error };
      const p = (r.value as { pending: PendingAnswer | null }).pending;
      return { pending: p === null ? null : pendingOf(p) };
    },
  };
}
