// The qemu command line for a board (board.json "qemu"), shared by `npm start` (scripts/start) and
// the image tests (test/image/vm.ts): firmware (OVMF/AAVMF) with a private copy of its variable
// store, the disk on virtio-blk, one virtio NIC per board port, placed where the board says (PCI
// slot for ports found by path, the MAC for ports found by MAC), and a virtio RNG.
import { copyFileSync, existsSync } from 'node:fs';
import type { Board } from '../../src/config/board.ts';

/** PCI slot of the disk; NICs by MAC and the RNG take free slots from FIRST_FREE_SLOT up. */
const DISK_SLOT = 2;
const FIRST_FREE_SLOT = 3;

/** How a port's NIC is connected, as a qemu -netdev value without its id. */
export type NetBackend =
  /** Point-to-point UDP on loopback: frames go to remotePort, arrive on localPort. */
  | { type: 'udp'; localPort: number; remotePort: number }
  /** A tap device (created beforehand; qemu runs in its network namespace). */
  | { type: 'tap'; ifname: string }
  /**
   * Not connected: carrier up, frames go to the discard port on loopback and nothing comes back
   * (a lone qemu hub would do the same but warns about it on every start).
   */
  | { type: 'none' };

export interface QemuOptions {
  board: Board;
  image: string;
  /** Writes go to a temporary overlay, never to the image (default true). */
  snapshot?: boolean;
  /** Private copy of the firmware variable store (made if missing). */
  varsFile: string;
  /** -chardev/-serial/-monitor arguments for the console. */
  console: string[];
  /** Per port label; missing ones are not connected. */
  nets?: Record<string, NetBackend>;
  /** MAC for ports the board finds by path (so that several VMs do not share MACs). */
  macFor?: (label: string, index: number) => string;
  memoryMb?: number;
  cpus?: number;
  kvm?: boolean;
}

export function boardQemu(board: Board): NonNullable<Board['qemu']> {
  if (!board.qemu) throw new Error(`board ${board.name} has no "qemu" section: it cannot run in qemu`);
  return board.qemu;
}

/** The PCI slot a path like 0000:00:05.0 names on the root bus, or undefined for other paths. */
export function pciSlot(path: string): number | undefined {
  const m = /^0000:00:([0-9a-f]{2})\.0$/i.exec(path);
  return m ? parseInt(m[1]!, 16) : undefined;
}

export function defaultMac(index: number, vm = 0): string {
  return `52:54:00:53:${vm.toString(16).padStart(2, '0')}:${(index + 1).toString(16).padStart(2, '0')}`;
}

export function qemuArgv(o: QemuOptions): string[] {
  const q = boardQemu(o.board);
  for (const f of [q.firmware_code, q.firmware_vars]) {
    if (f && !existsSync(f)) throw new Error(`${f} (board ${o.board.name} firmware) is missing: scripts/setup-host installs it`);
  }
  if (q.firmware_vars && !existsSync(o.varsFile)) copyFileSync(q.firmware_vars, o.varsFile);
  const args = [
    q.system,
    '-machine', `${q.machine},accel=${o.kvm ? 'kvm' : 'tcg'}`,
    ...(q.cpu ? ['-cpu', q.cpu] : []),
    '-m', String(o.memoryMb ?? q.memory_mb),
    '-smp', String(o.cpus ?? 1),
    '-nodefaults', '-no-user-config', '-display', 'none',
  ];
  if (q.firmware_code) {
    args.push('-drive', `if=pflash,format=raw,unit=0,readonly=on,file=${q.firmware_code}`);
    if (q.firmware_vars) args.push('-drive', `if=pflash,format=raw,unit=1,file=${o.varsFile}`);
  }
  args.push(
    '-drive', `if=none,id=disk,format=raw,file=${o.image}${o.snapshot === false ? '' : ',snapshot=on'}`,
    '-device', `virtio-blk-pci,drive=disk,addr=${hex(DISK_SLOT)}`,
  );
  const used = new Set([DISK_SLOT]);
  for (const p of o.board.ports) {
    const s = p.path !== undefined ? pciSlot(p.path) : undefined;
    if (p.path !== undefined && s === undefined) throw new Error(`board ${o.board.name} port ${p.label}: path ${p.path} is not a slot on PCI bus 0, which is all qemu can place`);
    if (s !== undefined) used.add(s);
  }
  let next = FIRST_FREE_SLOT;
  const freeSlot = () => {
    while (used.has(next)) next++;
    used.add(next);
    return next;
  };
  o.board.ports.forEach((p, i) => {
    const slot = p.path !== undefined ? pciSlot(p.path)! : freeSlot();
    const mac = p.mac ?? (o.macFor ?? ((_l, n) => defaultMac(n)))(p.label, i);
    const net = o.nets?.[p.label] ?? { type: 'none' };
    const id = `net${i}`;
    switch (net.type) {
      case 'udp': args.push('-netdev', `socket,id=${id},udp=127.0.0.1:${net.remotePort},localaddr=127.0.0.1:${net.localPort}`); break;
      case 'tap': args.push('-netdev', `tap,id=${id},ifname=${net.ifname},script=no,downscript=no`); break;
      case 'none': args.push('-netdev', `socket,id=${id},udp=127.0.0.1:9,localaddr=127.0.0.1:0`); break;
    }
    // romfile= : no iPXE option ROM, so the firmware does not try to network-boot from the port.
    args.push('-device', `${q.nic_model},netdev=${id},mac=${mac},addr=${hex(slot)},romfile=`);
  });
  args.push('-device', `virtio-rng-pci,addr=${hex(freeSlot())}`);
  args.push(...o.console);
  return args;
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}
