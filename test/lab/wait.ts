// Polling with a deadline, for lab tests that wait on the network or on a daemon.

export interface WaitOptions {
  /** Give up after this long (default 5000 ms). */
  timeoutMs?: number;
  /** Pause between probes (default 50 ms). */
  intervalMs?: number;
}

export type Probe<T> = () => Promise<T | undefined | false> | T | undefined | false;

const EXPIRED: unique symbol = Symbol('expired');

/**
 * Calls `probe` until it returns something other than undefined or false, and returns that.
 * A probe that throws counts as not ready; its error is quoted if the wait times out. A probe that
 * hangs cannot stretch the wait past its deadline.
 */
export async function waitFor<T>(what: string, probe: Probe<T>, opts: WaitOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const intervalMs = opts.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  let lastError: { error: unknown } | undefined;
  for (;;) {
    try {
      const value = await beforeDeadline(probe, deadline);
      if (value === EXPIRED) break;
      if (value !== undefined && value !== false) return value as T;
    } catch (error) {
      lastError = { error };
    }
    const left = deadline - Date.now();
    if (left <= 0) break;
    await sleep(Math.min(intervalMs, left));
  }
  const detail = lastError ? `; last probe error: ${errorText(lastError.error)}` : '';
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`, lastError ? { cause: lastError.error } : undefined);
}

function beforeDeadline<T>(probe: Probe<T>, deadline: number): Promise<T | undefined | false | typeof EXPIRED> {
  const running = Promise.resolve().then(probe);
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<typeof EXPIRED>((resolve) => {
    timer = setTimeout(() => resolve(EXPIRED), Math.max(0, deadline - Date.now()));
  });
  // A probe still running at the deadline may fail later; that must not become an unhandled rejection.
  running.catch(() => undefined);
  return Promise.race([running, expired]).finally(() => clearTimeout(timer));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
