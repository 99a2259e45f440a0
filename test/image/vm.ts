// The VM helper for image-tier tests: boots appliance images in qemu (TCG) with the serial console
// on a pipe the test reads (and types on: typeConsole), a root shell on a second channel (a
// virtio serial port named org.stockade.test-shell, which the image's test-shell runs sh on; the
// console tty itself runs the menu), and joins VMs' ports by
//   - links: point-to-point qemu UDP socket netdevs on loopback (no privileges), or
//   - bridges: taps on a bridge inside a lab namespace (test/lab/harness.ts, needs root), so that
//     more than two VMs, and lab hosts, share a segment.
// Every qemu is killed by its PID on every exit path: destroy(), process exit and SIGINT/SIGTERM/
// SIGHUP. Waits are bounded and a timeout quotes the end of the console. Each VM has a qemu
// monitor (HMP on a unix socket): monitor(cmd), and setLink(label, up) to cut a port's carrier.
//
//   const vms = await startVms({ vms: { a: { board: 'x86_64-generic' }, b: { board: 'x86_64-generic' } },
//                                links: [['a:sync', 'b:sync']] });
//   try { await vms.vm('a').waitFor(/boot complete/, 120_000); await vms.vm('a').login(); ... }
//   finally { await vms.destroy(); }
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants } from 'node:os';
import { loadBoard } from '../../src/config/board.ts';
import type { Board } from '../../src/config/board.ts';
import { defaultMac, qemuArgv } from '../../scripts/image/qemu.ts';
import type { NetBackend } from '../../scripts/image/qemu.ts';
import type { Lab } from '../lab/harness.ts';
import { provisionDisk } from './data-disk.ts';

export const root = join(import.meta.dirname, '..', '..');

export function imageFor(board: string): string {
  return join(root, 'dist', 'images', board, `stockade-${board}.img`);
}

export function boardFile(board: string): Board {
  return loadBoard(join(root, 'board', board, 'board.json'));
}

export interface VmSpec {
  board: string;
  /** Disk image (default dist/images/<board>/stockade-<board>.img). */
  image?: string;
  /** Let the VM write to the image (GRUB's boot counter, /data). Default: writes are discarded. */
  writable?: boolean;
  memoryMb?: number;
  /**
   * Files attached as extra virtio disks (/dev/vdb, /dev/vdc, ... in this order): read-only, or
   * writable when given as { file, writable: true } (a second disk to install onto, a stick).
   */
  extraDisks?: Array<string | { file: string; writable: true }>;
  /**
   * Files on the data partition (/data) as the box boots for the first time, path -> content,
   * e.g. { 'config.json': JSON.stringify(cfg) }: the VM boots from a private copy of the image
   * holding them (test/image/data-disk.ts), as a provisioned box would.
   */
  data?: Record<string, string | Uint8Array>;
}

export interface VmsSpec {
  vms: Record<string, VmSpec>;
  /** Point-to-point links between two ports, as 'vm:label'. */
  links?: Array<[string, string]>;
  /**
   * Ports put on a bridge: the bridge name (which must exist at `lab.host`) -> 'vm:label' ports.
   * Needs `lab`; the VMs' qemus then run in that host's namespace.
   */
  bridges?: Record<string, string[]>;
  lab?: { lab: Lab; host: string };
  /** Where console logs go (vm name + '.log'); default a temp dir removed on success. */
  logDir?: string;
}

// ---- process-wide registry of running qemus, for the exit paths that cannot await ----

const running = new Set<number>();
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const handlers = new Map<NodeJS.Signals, () => void>();

function killAll(): void {
  for (const pid of running) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  running.clear();
}

function track(pid: number): void {
  if (running.size === 0) {
    process.on('exit', killAll);
    for (const s of SIGNALS) {
      const h = () => {
        killAll();
        untrackAll();
        if (process.listenerCount(s) > 0) return;
        process.kill(process.pid, s);
        setTimeout(() => process.exit(128 + (constants.signals[s] ?? 0)), 1000);
      };
      handlers.set(s, h);
      process.on(s, h);
    }
  }
  running.add(pid);
}

function untrackAll(): void {
  process.removeListener('exit', killAll);
  for (const [s, h] of handlers) process.removeListener(s, h);
  handlers.clear();
}

function untrack(pid: number): void {
  running.delete(pid);
  if (running.size === 0) untrackAll();
}

// ---- console text ----

const ANSI = /\x1b(\[[0-9;?=]*[A-Za-z]|[()][A-Z0-9]|[=>78])/g;

/** Console output as text: escape sequences, carriage returns and GRUB's box drawing removed. */
export function plain(raw: string): string {
  return raw.replace(ANSI, '').replace(/\r/g, '').replace(/[\x00-\x08\x0b-\x1f\x7f\ufffd]/g, '');
}

/** An escape sequence cut off by the end of a chunk: it may still become one ANSI matches. */
const OPEN_ESCAPE = /\x1b(\[[0-9;?=]*|[()])?$/;

/**
 * plain() of a stream, chunk by chunk: each chunk's text is appended, so the cost is the chunk's,
 * not the whole output's (a console gets thousands of small chunks over several boots). Equal to
 * plain(everything so far) once flushed; an escape sequence cut by a chunk's end waits for the
 * next (no match of ANSI holds a second ESC, so text before an ESC is final).
 */
export class PlainText {
  /** Everything pushed, as it came (kept as one growing string: never sliced, so never copied). */
  raw = '';
  text = '';
  /** The end of raw not yet in text: a cut-off escape sequence. */
  private pending = '';

  push(chunk: string): void {
    this.raw += chunk;
    const p = this.pending + chunk;
    const esc = p.lastIndexOf('\x1b');
    const end = esc >= 0 && OPEN_ESCAPE.test(p.slice(esc)) ? esc : p.length;
    this.text += plain(p.slice(0, end));
    this.pending = p.slice(end);
  }

  /** The end of the stream: a cut-off sequence is taken as it is. */
  flush(): void {
    this.text += plain(this.pending);
    this.pending = '';
  }
}

export class Vm {
  readonly name: string;
  readonly board: Board;
  readonly pid: number;
  readonly startedAt: number;
  readonly logFile: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;
  private readonly out = new PlainText();
  /** The test shell's channel (a unix socket qemu serves), and what came out of it. */
  private shell: Socket | undefined;
  private readonly shellOut = new PlainText();
  private readonly shellPath: string;
  private stderr = '';
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private listeners = new Set<() => void>();
  private commands = 0;

  private readonly monitorPath: string;

  constructor(name: string, board: Board, argv: string[], logFile: string, monitorPath: string, shellPath: string, netns?: string) {
    this.name = name;
    this.board = board;
    this.logFile = logFile;
    this.monitorPath = monitorPath;
    this.shellPath = shellPath;
    const full = netns ? ['ip', 'netns', 'exec', netns, ...argv] : argv;
    this.startedAt = Date.now();
    // `ip netns exec` execs qemu, so the PID is qemu's either way.
    this.child = spawn(full[0]!, full.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    if (this.child.pid === undefined) throw new Error(`${name}: could not start ${full[0]}`);
    this.pid = this.child.pid;
    track(this.pid);
    this.child.stdin!.on('error', () => undefined);
    this.child.stdout!.setEncoding('latin1');
    this.child.stdout!.on('data', (d: string) => {
      this.out.push(d);
      for (const l of [...this.listeners]) l();
    });
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (d: string) => { this.stderr += d; });
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        untrack(this.pid);
        this.exitInfo = { code, signal };
        this.shell?.destroy();
        this.out.flush();
        this.shellOut.flush();
        writeFileSync(this.logFile, this.out.raw);
        if (this.shellOut.raw) writeFileSync(this.logFile.replace(/\.log$/, '-shell.log'), this.shellOut.raw);
        for (const l of [...this.listeners]) l();
        resolve(this.exitInfo);
      });
    });
  }

  /** Everything on the console (the board's console tty) so far, as plain text. */
  console(): string {
    return this.out.text;
  }

  /** Everything the test shell printed so far, as plain text. */
  shellOutput(): string {
    return this.shellOut.text;
  }

  /** Connects to qemu's end of the test shell's port (qemu serves it once it runs). */
  private async connectShell(timeoutMs: number): Promise<Socket> {
    if (this.shell && !this.shell.destroyed) return this.shell;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.exitInfo) throw new Error(`${this.name}: qemu ended before its test shell port could be reached`);
      try {
        const sock = await new Promise<Socket>((resolve, reject) => {
          const c = connect(this.shellPath);
          c.once('connect', () => resolve(c));
          c.once('error', reject);
        });
        sock.setEncoding('latin1');
        sock.on('error', () => undefined);
        sock.on('data', (d: string) => {
          this.shellOut.push(d);
          for (const l of [...this.listeners]) l();
        });
        this.shell = sock;
        return sock;
      } catch (e) {
        if (Date.now() > deadline) throw new Error(`${this.name}: cannot reach the test shell port ${this.shellPath}: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  /** Seconds since qemu was started. */
  uptime(): number {
    return (Date.now() - this.startedAt) / 1000;
  }

  /** Types on the test shell (a command line, `reboot\n`); login() first. */
  write(text: string): void {
    if (!this.shell) throw new Error(`${this.name}: write before login(): the test shell is not connected`);
    this.shell.write(text);
  }

  /** Types on the board's console tty (the menu). */
  typeConsole(text: string): void {
    this.child.stdin!.write(text);
  }

  /**
   * Waits until `pattern` matches the console text after character `from` (default 0) and returns
   * the match (its index is into the whole text). Rejects at the deadline, or at once if qemu ends.
   */
  waitFor(pattern: RegExp | string, timeoutMs: number, from = 0, on: 'console' | 'shell' = 'console'): Promise<RegExpExecArray> {
    const re = typeof pattern === 'string' ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : pattern;
    const text = (): string => (on === 'console' ? this.out.text : this.shellOut.text);
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      // Every chunk on either channel calls every waiter: look again only when this text grew.
      let seen = -1;
      const check = () => {
        const now = text();
        const m = now.length === seen ? null : re.exec(now.slice(from));
        seen = now.length;
        if (m) {
          m.index += from;
          done();
          resolve(m);
          return;
        }
        if (this.exitInfo) {
          done();
          reject(new Error(`${this.name}: qemu ended (${this.exitInfo.signal ?? `exit ${this.exitInfo.code}`}) before ${re} appeared${this.stderr ? `; qemu said: ${this.stderr.trim().slice(-500)}` : ''}\n--- ${on} (end) ---\n${text().slice(-3000)}`));
        }
      };
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      timer = setTimeout(() => {
        done();
        reject(new Error(`${this.name}: timed out after ${timeoutMs / 1000} s waiting for ${re} on the ${on} (qemu up ${this.uptime().toFixed(0)} s)\n--- ${on} (end) ---\n${text().slice(-3000)}`));
      }, timeoutMs);
      this.listeners.add(check);
      check();
    });
  }

  /**
   * Opens the test shell (root's sh on the VM's test port, started by init once boot is done) and
   * waits for its prompt. Kernel messages are then kept off the console (dmesg -n 1). The shell
   * is no tty: nothing typed is echoed, so command output is exactly what the command printed.
   */
  async login(timeoutMs = 60_000): Promise<void> {
    await this.connectShell(timeoutMs);
    const from = this.shellOut.text.length;
    // The prompt may already be there; a newline makes the shell print it again.
    this.write('\n');
    await this.waitFor(/[#$] $/m, timeoutMs, Math.max(0, this.shellOut.text.lastIndexOf('\n', from - 1)), 'shell');
    await this.run('dmesg -n 1', 10_000);
  }

  /** Runs a shell command line on the test shell; returns its output and exit status. */
  async run(command: string, timeoutMs = 30_000): Promise<{ output: string; code: number }> {
    const n = ++this.commands;
    const from = this.shellOut.text.length;
    // The markers are split in what is typed, so an echo of the line is never taken for them.
    this.write(`echo "@@B""${n}@@"; ${command}; echo "@@E""${n}@@ $?"\n`);
    const end = await this.waitFor(new RegExp(`@@E${n}@@ (\\d+)\\n`), timeoutMs, from, 'shell');
    const start = this.shellOut.text.indexOf(`@@B${n}@@\n`, from);
    const output = start >= 0 && start < end.index ? this.shellOut.text.slice(start + `@@B${n}@@\n`.length, end.index) : '';
    return { output, code: Number(end[1]) };
  }

  /** Runs a qemu monitor (HMP) command and returns what it printed. */
  monitor(command: string, timeoutMs = 10_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const sock = connect(this.monitorPath);
      let buf = '';
      let sent = false;
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new Error(`${this.name}: qemu monitor did not answer \`${command}\` within ${timeoutMs} ms`));
      }, timeoutMs);
      sock.setEncoding('utf8');
      sock.on('error', (e) => {
        clearTimeout(timer);
        reject(new Error(`${this.name}: qemu monitor: ${e.message}`));
      });
      sock.on('data', (d: string) => {
        buf += d;
        if (!sent && buf.includes('(qemu) ')) {
          sent = true;
          buf = '';
          sock.write(`${command}\n`);
        } else if (sent && buf.includes('(qemu) ')) {
          clearTimeout(timer);
          sock.end();
          // The monitor echoes the command line; what follows it is the answer.
          resolve(plain(buf.slice(0, buf.lastIndexOf('(qemu) '))).split('\n').slice(1).join('\n').trim());
        }
      });
    });
  }

  /** Cuts (false) or restores (true) the carrier of the NIC of port `label`, as a cable would. */
  async setLink(label: string, up: boolean): Promise<void> {
    const i = this.board.ports.findIndex((p) => p.label === label);
    if (i < 0) throw new Error(`${this.name}: board ${this.board.name} has no port ${label}`);
    const out = await this.monitor(`set_link net${i} ${up ? 'on' : 'off'}`);
    if (out) throw new Error(`${this.name}: set_link net${i}: ${out}`);
  }

  /** Kills qemu (SIGKILL, by PID) and waits until it is gone. Idempotent. */
  async kill(): Promise<void> {
    if (!this.exitInfo) {
      try {
        process.kill(this.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await this.exited;
  }
}

export class Vms {
  private readonly map: Map<string, Vm>;
  private readonly tmp: string;
  private destroying: Promise<void> | undefined;

  constructor(map: Map<string, Vm>, tmp: string) {
    this.map = map;
    this.tmp = tmp;
  }

  vm(name: string): Vm {
    const v = this.map.get(name);
    if (!v) throw new Error(`no VM '${name}' (VMs: ${[...this.map.keys()].join(', ')})`);
    return v;
  }

  get all(): Vm[] {
    return [...this.map.values()];
  }

  /** Kills every qemu and removes the run's temporary files (console logs stay if keepLogs). */
  destroy(keepLogs = false): Promise<void> {
    this.destroying ??= (async () => {
      await Promise.all(this.all.map((v) => v.kill()));
      if (!keepLogs) rmSync(this.tmp, { recursive: true, force: true });
      else {
        // The disk copies of VMs with data files are hundreds of MiB: only the logs are kept.
        for (const f of readdirSync(this.tmp)) if (f.endsWith('.img')) rmSync(join(this.tmp, f), { force: true });
        process.stderr.write(`vm: console logs kept in ${this.tmp}\n`);
      }
    })();
    return this.destroying;
  }
}

/** A free UDP port on 127.0.0.1 (bound and released; qemu binds it next). */
async function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.on('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function splitPort(ref: string, specs: Record<string, VmSpec>, boards: Map<string, Board>): { vm: string; label: string } {
  const [vm, label] = ref.split(':');
  if (!vm || !label || !(vm in specs)) throw new Error(`'${ref}': expected vm:label with a VM of this set`);
  if (!boards.get(vm)!.ports.some((p) => p.label === label)) throw new Error(`'${ref}': board ${specs[vm]!.board} has no port ${label}`);
  return { vm, label };
}

/** Starts the VMs (in parallel; qemu is up when this returns, the guests are booting). */
export async function startVms(spec: VmsSpec): Promise<Vms> {
  const names = Object.keys(spec.vms);
  const boards = new Map(names.map((n) => [n, boardFile(spec.vms[n]!.board)]));
  const nets = new Map<string, Record<string, NetBackend>>(names.map((n) => [n, {}]));
  const used = new Set<string>();
  const claim = (ref: { vm: string; label: string }) => {
    const key = `${ref.vm}:${ref.label}`;
    if (used.has(key)) throw new Error(`port ${key} is connected twice`);
    used.add(key);
  };
  for (const [a, b] of spec.links ?? []) {
    const pa = splitPort(a, spec.vms, boards);
    const pb = splitPort(b, spec.vms, boards);
    claim(pa);
    claim(pb);
    const [portA, portB] = [await freeUdpPort(), await freeUdpPort()];
    nets.get(pa.vm)![pa.label] = { type: 'udp', localPort: portA, remotePort: portB };
    nets.get(pb.vm)![pb.label] = { type: 'udp', localPort: portB, remotePort: portA };
  }
  const bridges = Object.entries(spec.bridges ?? {});
  if (bridges.length > 0 && !spec.lab) throw new Error('bridges need a lab (spec.lab: { lab, host })');
  let tapCount = 0;
  for (const [bridge, ports] of bridges) {
    for (const ref of ports) {
      const p = splitPort(ref, spec.vms, boards);
      claim(p);
      const tap = `vt${process.pid % 10000}x${tapCount++}`;
      const { lab, host } = spec.lab!;
      await lab.exec(host, ['ip', 'tuntap', 'add', 'dev', tap, 'mode', 'tap']);
      await lab.exec(host, ['ip', 'link', 'set', tap, 'master', bridge, 'up']);
      nets.get(p.vm)![p.label] = { type: 'tap', ifname: tap };
    }
  }
  const tmp = spec.logDir ?? mkdtempSync(join(tmpdir(), 'stockade-vm-'));
  const netns = spec.lab ? spec.lab.lab.nsName(spec.lab.host) : undefined;
  const map = new Map<string, Vm>();
  try {
    names.forEach((name, vmIndex) => {
      const s = spec.vms[name]!;
      const board = boards.get(name)!;
      let image = s.image ?? imageFor(s.board);
      if (!existsSync(image)) throw new Error(`${image} does not exist (scripts/build-image --board ${s.board})`);
      if (s.data) {
        const own = join(tmp, `${name}.img`);
        provisionDisk(image, own, s.data);
        image = own;
      }
      const argv = qemuArgv({
        board,
        image,
        snapshot: !s.writable,
        varsFile: join(tmp, `${name}-vars.fd`),
        console: [
          '-chardev', 'stdio,id=con,signal=off', '-serial', 'chardev:con', '-monitor', `unix:${join(tmp, `${name}-monitor.sock`)},server=on,wait=off`,
          // The test shell's port (rootfs/usr/lib/stockade/test-shell), in a PCI slot of its own.
          '-device', 'virtio-serial-pci,id=tsh,addr=0x0f',
          '-chardev', `socket,id=tshc,path=${join(tmp, `${name}-shell.sock`)},server=on,wait=off`,
          '-device', 'virtserialport,bus=tsh.0,chardev=tshc,name=org.stockade.test-shell',
        ],
        nets: nets.get(name)!,
        macFor: (_label, i) => defaultMac(i, vmIndex + 1),
        ...(s.memoryMb ? { memoryMb: s.memoryMb } : {}),
      });
      (s.extraDisks ?? []).forEach((disk, i) => {
        // Fixed PCI slots after the ports: the guest names them vdb, vdc, ... in this order.
        const [file, mode] = typeof disk === 'string' ? [disk, 'readonly=on'] : [disk.file, 'cache=writeback'];
        argv.push('-drive', `if=none,id=extra${i},format=raw,${mode},file=${file}`, '-device', `virtio-blk-pci,drive=extra${i},addr=0x${(0x10 + i).toString(16)}`);
      });
      map.set(name, new Vm(name, board, argv, join(tmp, `${name}.log`), join(tmp, `${name}-monitor.sock`), join(tmp, `${name}-shell.sock`), netns));
    });
  } catch (e) {
    await new Vms(map, tmp).destroy();
    throw e;
  }
  return new Vms(map, tmp);
}
