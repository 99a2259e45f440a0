// Shared by the native lab tests: the addon to load in lab children, and reading the JSON lines
// those children (test/lab/helpers/native-*.ts) print.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Lab, LabProcess } from '../harness.ts';

export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

let built: string | undefined;

/** $STOCKADE_NATIVE if set, else dist/<arch>/stockade.node, (re)built by scripts/build-native if stale. */
export function addonPath(): string {
  const fromEnv = process.env['STOCKADE_NATIVE'];
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv);
  if (built === undefined) {
    execFileSync(resolve(ROOT, 'scripts/build-native'), { stdio: ['ignore', 'ignore', 'inherit'] });
    built = resolve(ROOT, 'dist', process.arch, 'stockade.node');
  }
  return built;
}

/** Starts a helper script with the pinned node inside `host`. */
export function spawnHelper(lab: Lab, host: string, script: string, args: string[]): LabProcess {
  return lab.spawn(host, [process.execPath, resolve(ROOT, 'test/lab/helpers', script), ...args],
    { env: { STOCKADE_NATIVE: addonPath() }, cwd: ROOT });
}

/** Runs a helper to completion inside `host`; returns its JSON lines (throws on non-zero exit). */
export async function runHelper(lab: Lab, host: string, script: string, args: string[], timeoutMs = 20_000): Promise<Array<Record<string, unknown>>> {
  const r = await lab.exec(host, ['env', `STOCKADE_NATIVE=${addonPath()}`, process.execPath, resolve(ROOT, 'test/lab/helpers', script), ...args], { timeoutMs });
  return parseLines(r.stdout);
}

export function parseLines(text: string): Array<Record<string, unknown>> {
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Waits until a line of p's stdout satisfies pred; fails fast (with stderr) if p exits first. */
export async function waitLine(lab: Lab, p: LabProcess, what: string, pred: (l: Record<string, unknown>) => boolean, timeoutMs = 10_000): Promise<Record<string, unknown>> {
  let exited = false;
  void p.exited.then(() => { exited = true; });
  return lab.waitFor(what, () => {
    const hit = parseLines(p.stdout()).find(pred);
    if (hit !== undefined) return hit;
    if (exited) throw new Error(`${what}: helper exited first; stdout: ${p.stdout()} stderr: ${p.stderr()}`);
    return undefined;
  }, { timeoutMs, intervalMs: 20 });
}

/** ifindex of host:ifname from iproute2 (an oracle independent of the addon). */
export async function ifindexOf(lab: Lab, host: string, ifname: string): Promise<number> {
  const r = await lab.exec(host, ['ip', '-j', 'link', 'show', 'dev', ifname]);
  const [link] = JSON.parse(r.stdout) as Array<{ ifindex: number }>;
  if (link === undefined) throw new Error(`no ${ifname} in ${host}`);
  return link.ifindex;
}

export async function macOf(lab: Lab, host: string, ifname: string): Promise<string> {
  const r = await lab.exec(host, ['cat', `/sys/class/net/${ifname}/address`]);
  return r.stdout.trim();
}
