// busybox udhcpd, one per interface a segment serves DHCP on (src/segments decides which and
// writes the config); dnsmasq instead where one interface carries several subnets
// (managed_novlan), run and found the same way (its config names the same pidfile and lease file). Like udhcpc (udhcpc.ts) it runs detached in its own session and is found
// again through its pidfile, so a daemon restarted after kill -9 adopts the servers that still
// run instead of starting a second one. A config change is a SIGTERM (udhcpd writes its lease
// file as it exits) and a start that reads the lease file back: no lease is forgotten.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { processAlive } from './process-alive.ts';
import { catchesSignal } from './process-signals.ts';
import { livePidFromFile, runsProgram } from './pid-file.ts';
import { join } from 'node:path';
import { toolArgv } from './tools.ts';
import { runDir } from './udhcpc.ts';

export interface UdhcpdPaths {
  readonly conf: string;
  readonly leaseFile: string;
  readonly pidFile: string;
}

export function udhcpdDir(dir = runDir()): string {
  return join(dir, 'stockade', 'dhcpd');
}

export function udhcpdPaths(ifname: string, dir = runDir()): UdhcpdPaths {
  const base = join(udhcpdDir(dir), ifname);
  return { conf: `${base}.conf`, leaseFile: `${base}.leases`, pidFile: `${base}.pid` };
}


/** The PID of the udhcpd serving `ifname`, if its pidfile names a live udhcpd started with this interface's config. */
export function runningUdhcpd(ifname: string, dir = runDir()): number | undefined {
  const paths = udhcpdPaths(ifname, dir);
  return livePidFromFile(paths.pidFile, (argv) => DHCPD_PROGRAMS.some((p) => runsProgram(argv, p)) && argv.includes(paths.conf));
}

/** The config text the running server was started with (its conf file), if any. */
export function udhcpdConfText(ifname: string, dir = runDir()): string | undefined {
  try {
    return readFileSync(udhcpdPaths(ifname, dir).conf, 'utf8');
  } catch {
    return undefined;
  }
}

const DHCPD_PROGRAMS = ['udhcpd', 'dnsmasq'] as const;

/** Writes the config and starts `udhcpd -f CONF` (or `dnsmasq -k -C CONF`) detached; returns its PID. */
export function startUdhcpd(ifname: string, confText: string, dir = runDir(), program: (typeof DHCPD_PROGRAMS)[number] = 'udhcpd'): number {
  const argv = toolArgv(program);
  // dnsmasq is not a busybox applet: only the program itself will do.
  if (argv === undefined || (program === 'dnsmasq' && argv.length !== 1)) throw new Error(program === 'dnsmasq' ? 'dnsmasq: not found (Debian package dnsmasq-base)' : 'udhcpd: not found (busybox)');
  const paths = udhcpdPaths(ifname, dir);
  mkdirSync(udhcpdDir(dir), { recursive: true });
  writeFileSync(`${paths.conf}.tmp`, confText);
  renameSync(`${paths.conf}.tmp`, paths.conf);
  // udhcpd refuses to start without its lease file.
  try {
    writeFileSync(paths.leaseFile, '', { flag: 'wx' });
  } catch { /* kept from the server before */ }
  const child = spawn(argv[0]!, [...argv.slice(1), ...(program === 'dnsmasq' ? ['-k', '-C'] : ['-f']), paths.conf], { detached: true, stdio: 'ignore', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' } });
  child.on('error', () => undefined);
  child.unref();
  if (child.pid === undefined) throw new Error(`udhcpd: could not be started on ${ifname}`);
  // udhcpd writes the same PID itself a moment later; written now so the next look finds it.
  writeFileSync(paths.pidFile, `${child.pid}\n`);
  return child.pid;
}

/** SIGTERM (udhcpd saves its leases) and wait for it to go; SIGKILL after `waitMs`. */
export async function stopUdhcpd(ifname: string, dir = runDir(), waitMs = 3000): Promise<number | undefined> {
  const pid = runningUdhcpd(ifname, dir);
  const paths = udhcpdPaths(ifname, dir);
  if (pid !== undefined) {
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline && processAlive(pid)) await new Promise((r) => setTimeout(r, 10));
    if (processAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  rmSync(paths.pidFile, { force: true });
  rmSync(paths.conf, { force: true });
  return pid;
}

/**
 * Asks a running udhcpd to write its lease file now (SIGUSR1). Not one that has yet to install its
 * handler (it has only just started, and has no lease to write): SIGUSR1 would end it.
 */
export function flushUdhcpdLeases(ifname: string, dir = runDir()): boolean {
  const pid = runningUdhcpd(ifname, dir);
  if (pid === undefined || !catchesSignal(pid, 'SIGUSR1')) return false;
  process.kill(pid, 'SIGUSR1');
  return true;
}

/** When the lease file was last written (ms), if it exists. */
export function udhcpdLeaseMtime(ifname: string, dir = runDir()): number | undefined {
  try {
    return statSync(udhcpdPaths(ifname, dir).leaseFile).mtimeMs;
  } catch {
    return undefined;
  }
}

/** The raw lease file (src/segments/leases.ts parses it). */
export function readUdhcpdLeases(ifname: string, dir = runDir()): Buffer | undefined {
  try {
    return readFileSync(udhcpdPaths(ifname, dir).leaseFile);
  } catch {
    return undefined;
  }
}

/** Interfaces with a udhcpd pidfile of ours (running or stale). */
export function udhcpdInterfaces(dir = runDir()): string[] {
  try {
    return readdirSync(udhcpdDir(dir)).filter((n) => n.endsWith('.pid') && n.length > 4).map((n) => n.slice(0, -4));
  } catch {
    return [];
  }
}
