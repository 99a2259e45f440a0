// Starting and stopping busybox's DHCP client, one per DHCP interface. The issue chose udhcpc
// over writing a DHCP client: it is already in the image (busybox), small and proven, and it
// hands every lease to our script (`stockade net dhcp-event`), so the kernel objects are still
// made by our rtnetlink code, with our mark. It is a long-running daemon, so unlike tools.ts's
// runs it is started detached (its own session; init adopts it when stockade exits) and found
// again through its pidfile.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { processAlive } from './process-alive.ts';
import { livePidFromFile, runsProgram } from './pid-file.ts';
import { join } from 'node:path';
import { toolArgv } from './tools.ts';

/**
 * /run, or STOCKADE_RUN_DIR (tests): the DHCP client's resolv.conf goes there (/etc/resolv.conf
 * links to /run/resolv.conf in the image), the pidfiles under its stockade/ (not /run/udhcpc.IF.pid,
 * which is ifupdown's name for its own udhcpc on a Debian host).
 */
export function runDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return env.STOCKADE_RUN_DIR !== undefined && env.STOCKADE_RUN_DIR !== '' ? env.STOCKADE_RUN_DIR : '/run';
}

/** The script udhcpc runs (rootfs/usr/share/stockade/udhcpc.script), or STOCKADE_UDHCPC_SCRIPT (tests). */
export function udhcpcScript(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return env.STOCKADE_UDHCPC_SCRIPT !== undefined && env.STOCKADE_UDHCPC_SCRIPT !== '' ? env.STOCKADE_UDHCPC_SCRIPT : '/usr/share/stockade/udhcpc.script';
}

const PREFIX = 'udhcpc.';
const SUFFIX = '.pid';

export function pidDir(dir = runDir()): string {
  return join(dir, 'stockade');
}

export function pidfileFor(ifname: string, dir = runDir()): string {
  return join(pidDir(dir), `${PREFIX}${ifname}${SUFFIX}`);
}

/** The PID of the udhcpc serving `ifname`, from its pidfile, if that process still runs udhcpc on it. */
export function runningUdhcpc(ifname: string, dir = runDir()): number | undefined {
  // It must be a udhcpc we started, for this interface (told to write this very pidfile).
  return livePidFromFile(pidfileFor(ifname, dir), (argv) => {
    const after = (flag: string): string | undefined => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
    return runsProgram(argv, 'udhcpc') && after('-i') === ifname && after('-p') === pidfileFor(ifname, dir);
  });
}

/** The interfaces with a udhcpc pidfile in the run directory (running or stale). */
export function udhcpcPidfileInterfaces(dir = runDir()): string[] {
  let names: string[];
  try {
    names = readdirSync(pidDir(dir));
  } catch {
    return [];
  }
  return names.filter((n) => n.startsWith(PREFIX) && n.endsWith(SUFFIX) && n.length > PREFIX.length + SUFFIX.length)
    .map((n) => n.slice(PREFIX.length, -SUFFIX.length));
}

/**
 * Starts `udhcpc -f -i IF -s SCRIPT -p PIDFILE` detached. -f (not -b): it stays the process we
 * started, so the PID we report is the one in its pidfile (with -b it forks once it has a lease
 * and rewrites the file). Returns its PID.
 */
export function startUdhcpc(ifname: string, opts: { dir?: string; script?: string } = {}): number {
  const argv = toolArgv('udhcpc');
  if (argv === undefined) throw new Error('udhcpc: not found (busybox)');
  const dir = opts.dir ?? runDir();
  mkdirSync(pidDir(dir), { recursive: true });
  const child = spawn(argv[0]!, [...argv.slice(1), '-f', '-i', ifname, '-s', opts.script ?? udhcpcScript(), '-p', pidfileFor(ifname, dir)], {
    detached: true,
    stdio: 'ignore',
    // The script (stockade) reads STOCKADE_RUN_DIR from the environment udhcpc passes on.
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C', ...(dir !== '/run' ? { STOCKADE_RUN_DIR: dir } : {}) },
  });
  child.on('error', () => undefined);
  child.unref();
  if (child.pid === undefined) throw new Error(`udhcpc: could not be started on ${ifname}`);
  // udhcpc writes the same PID itself, a moment later: written now, an apply right after this
  // one already finds it running.
  writeFileSync(pidfileFor(ifname, dir), `${child.pid}\n`);
  return child.pid;
}

/** Stops the udhcpc of `ifname` (SIGTERM to the PID in its pidfile, if it is that udhcpc) and waits for it to go. */
export async function stopUdhcpc(ifname: string, dir = runDir(), waitMs = 3000): Promise<number | undefined> {
  const pid = runningUdhcpc(ifname, dir);
  if (pid === undefined) {
    rmSync(pidfileFor(ifname, dir), { force: true });
    return undefined;
  }
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline && processAlive(pid)) await new Promise((r) => setTimeout(r, 20));
  if (processAlive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(pidfileFor(ifname, dir), { force: true });
  return pid;
}

