// What the console needs from the box, as one interface: the real one (system-host.ts) reads
// the kernel, the daemon's control socket and /data; the unit tests pass a fake.
import type { DaemonStatusView, FirewallStatusView, SyncStatusView, VrrpStatusView } from './daemon-views.ts';
import type { PendingView } from './transaction.ts';
import type { Config } from '../config/index.ts';

export interface PortView {
  readonly name: string;
  readonly state: string;
  readonly mac?: string;
  readonly addresses: readonly string[];
  /** A NIC (not a bond, bridge, VLAN ...): what a port label can name. */
  readonly nic?: boolean;
  /** The NIC's hardware MAC (the kernel's permanent address, else its current one). */
  readonly hwMac?: string;
}

export interface StatusReport {
  readonly hostname: string;
  readonly version: string;
  readonly slot: string;
  /** Seconds since the kernel booted. */
  readonly uptimeS?: number;
  /** The kernel's links (not lo), or why they could not be read. */
  readonly ports: readonly PortView[] | string;
  /** Up: its answers (each may be an error text); down: why. */
  readonly daemon:
    | { readonly up: true; readonly status: DaemonStatusView; readonly vrrp: VrrpStatusView | string; readonly sync: SyncStatusView | string; readonly firewall: FirewallStatusView | string }
    | { readonly up: false; readonly why: string };
  /** undefined: the config transaction does not exist yet. */
  readonly transaction?: { readonly pending: PendingView | null } | string;
}

export interface ConsoleSettings {
  readonly passwordHash?: string;
  readonly idleLogoutS: number;
  readonly shell: boolean;
  readonly banner?: string;
}

export type PowerAction = 'reboot' | 'halt';
export type UpgradeAction = 'status' | 'mark-good' | 'rollback';
export type DiagnosticTool = 'ping' | 'traceroute';

export interface ConsoleHost {
  /** The console block of the saved config (the board default's, else built-in defaults). */
  settings(): ConsoleSettings;
  hostname(): string;
  /** Version line and booted slot. */
  identity(): { version: string; slot: string };
  status(): Promise<StatusReport>;
  /** The kernel's links (not lo) with state, MAC and addresses, or why not (cheap: no daemon). */
  ports(): Promise<readonly PortView[] | string>;
  /** `stockade diagnose`'s LVS-NAT checklist as it prints it; absent: no Diagnose item. */
  diagnoseLvs?(): Promise<string[]>;
  /** The end of the daemon's log (bounded), or why not. */
  logTail(): { text: string } | { error: string };
  /** The saved config's path and text, or why not. */
  savedConfig(): { path: string; text: string } | { error: string };
  /** The board's default config file's path and text, or why not. */
  boardDefault(): { path: string; text: string } | { error: string };
  /** The config the daemon runs now (with a transaction pending, not the saved one), or why not. */
  runningConfig(): Promise<{ config: Config } | { error: string }>;
  /** A kept revision's text, or why not. */
  revisionText(revision: number): string | { error: string };
  /** Confirmed revisions, oldest first (empty before the first transaction). */
  history(): Array<{ revision: number; who: string; at: string; summary: string }>;
  /** Runs ping or traceroute, each output line to `onLine`; the signal stops it. Resolves to a last line. */
  diagnose(tool: DiagnosticTool, target: string, onLine: (line: string) => void, signal: AbortSignal): Promise<string>;
  power(action: PowerAction): Promise<string>;
  /** The upgrade commands (status, mark-good, rollback) and what they printed; absent: no Upgrade item. */
  upgrade?(action: UpgradeAction): Promise<{ ok: boolean; text: string }>;
  /** A shell fed line by line (the console edits the line: a serial line has no pty). */
  shell(): ShellProcess | { error: string };
}

export interface ShellProcess {
  send(line: string): void;
  onOutput(fn: (text: string) => void): void;
  /** Exit status. */
  readonly exited: Promise<number>;
  stop(): void;
}
