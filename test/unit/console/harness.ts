// Drives the console in-process: a fake duplex stream whose output lands on an 80x24 dumb
// terminal model (what an operator on a serial line sees), a fake clock, a fake box.
import { EventEmitter } from 'node:events';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as assert from 'uvu/assert';
import type { ByteStream, ConsoleHost, ConsoleSettings, StatusReport, Timers } from '../../../src/console/index.ts';

/** A dumb terminal: CR, LF (scrolls at the bottom), BS, BEL; printable ASCII; wraps at 80. */
export class VTerm {
  readonly rows: string[][] = Array.from({ length: 24 }, () => []);
  row = 0;
  col = 0;
  /** Everything written, for assertions on bytes. */
  raw = '';
  /** Bytes outside printable ASCII + CR LF BS BEL (never expected). */
  garbage = 0;
  longest = 0;

  write(text: string): void {
    this.raw += text;
    for (const ch of text) {
      const c = ch.codePointAt(0)!;
      if (ch === '\r') this.col = 0;
      else if (ch === '\n') this.#down();
      else if (ch === '\b') this.col = Math.max(0, this.col - 1);
      else if (ch === '\x07') continue;
      else if (c >= 0x20 && c < 0x7f) {
        if (this.col >= 80) { this.col = 0; this.#down(); }
        this.rows[this.row]![this.col++] = ch;
        this.longest = Math.max(this.longest, this.col);
      } else this.garbage++;
    }
  }

  #down(): void {
    if (this.row === 23) {
      this.rows.shift();
      this.rows.push([]);
    } else this.row++;
  }

  screen(): string {
    return this.rows.map((r) => Array.from({ length: r.length }, (_, i) => r[i] ?? ' ').join('').trimEnd()).join('\n');
  }
}

export class FakeStream extends EventEmitter implements ByteStream {
  readonly vt = new VTerm();
  write(chunk: string): boolean {
    this.vt.write(chunk);
    return true;
  }
  type(text: string | Uint8Array): void {
    this.emit('data', typeof text === 'string' ? Buffer.from(text, 'latin1') : Buffer.from(text));
  }
  hangUp(): void {
    this.emit('close');
  }
}

export class FakeTimers implements Timers {
  t = 0;
  #next = 1;
  readonly #due = new Map<number, { at: number; fn: () => void }>();
  now(): number { return this.t; }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#next++;
    this.#due.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimeout(h: unknown): void { this.#due.delete(h as number); }
  get pending(): number { return this.#due.size; }
  /** Moves the clock, running what falls due in order (and what those schedule). */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await settle();
      const next = [...this.#due.entries()].filter(([, d]) => d.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!next) break;
      this.#due.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
    }
    this.t = end;
    await settle();
  }
}

/** Lets the console's promises run (a few turns of the event loop). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}

export const STATUS_UP: StatusReport = {
  hostname: 'fw-a', version: 'stockade 0.1.0 (commit 0123456789ab, built 2026-12-01T00:00:00Z)', slot: 'A', uptimeS: 93784,
  transaction: { pending: { id: 3, who: 'ssh admin', summary: 'net: address lan', secondsLeft: 241 } },
  ports: [
    { name: 'wan', state: 'up', mac: '52:54:00:00:00:01', addresses: ['203.0.113.2/24'] },
    { name: 'lan', state: 'up', mac: '52:54:00:00:00:02', addresses: ['192.0.2.2/24', '192.0.2.1/24'] },
    { name: 'sync', state: 'no-carrier', mac: '52:54:00:00:00:03', addresses: ['198.51.100.1/30'] },
    { name: 'mgmt', state: 'down', mac: '52:54:00:00:00:04', addresses: [] },
  ],
  daemon: {
    up: true,
    status: { pid: 321, version: '0.1.0', uptimeMs: 3_723_000, config: '/data/config.json', fallback: false, testHooks: false, control: {} as never, log: null },
    vrrp: { running: true, uptimeMs: 1, interfaceDrops: {}, lag: null, instances: [
      { name: 'lan_vip', interface: 'lan', vrid: 51, version: 3, state: 'MASTER', fault: false, masterAddress: '192.0.2.2', masterPriority: 200, priority: 200, effectivePriority: 200, advertIntervalMs: 1000, masterAdverIntervalMs: 1000, masterDownIntervalMs: 3000, nextTimerInMs: 10, vips: ['192.0.2.1/24'], vipsPresent: true, vmac: null, counters: {} as never, drops: {} },
      { name: 'wan_vip', interface: 'wan', vrid: 52, version: 3, state: 'BACKUP', fault: false, masterAddress: '203.0.113.3', masterPriority: 250, priority: 100, effectivePriority: 100, advertIntervalMs: 1000, masterAdverIntervalMs: 1000, masterDownIntervalMs: 3000, nextTimerInMs: 10, vips: ['203.0.113.1/24'], vipsPresent: false, vmac: null, counters: {} as never, drops: {} },
    ] },
    sync: { running: true, mode: 'ftfw', interface: 'sync', peer: '198.51.100.2', internal: { active: 1200, created: 0, updated: 0, destroyed: 0, expired: 0, full: 0 }, external: { active: 1187, created: 0, updated: 0, destroyed: 0, expired: 0, full: 0 } },
    firewall: { applied: true, managed: true, error: null, appliedAt: '2026-12-01T10:00:00.000Z', checkedAt: null, drift: [] },
  },
};

export const STATUS_DOWN: StatusReport = {
  ...STATUS_UP,
  daemon: { up: false, why: 'the daemon is not running (no /run/stockade.sock)' },
};

export interface HostCalls { power: string[]; diagnose: string[]; shellLines: string[] }

export function fakeHost(over: Omit<Partial<ConsoleHost>, 'settings'> & { settings?: Partial<ConsoleSettings> } = {}): ConsoleHost & { calls: HostCalls } {
  const calls: HostCalls = { power: [], diagnose: [], shellLines: [] };
  const { settings, ...rest } = over;
  const s: ConsoleSettings = { idleLogoutS: 900, shell: false, ...settings };
  return {
    calls,
    settings: () => s,
    hostname: () => 'fw-a',
    identity: () => ({ version: 'stockade 0.1.0 (commit 0123456789ab, built 2026-12-01T00:00:00Z)', slot: 'A' }),
    status: async () => STATUS_UP,
    ports: async () => STATUS_UP.ports,
    logTail: () => ({ text: Array.from({ length: 50 }, (_, i) => `stockade[321]: info: line ${i + 1}`).join('\n') + '\n' }),
    savedConfig: () => ({ path: '/data/config.json', text: '{\n  "version": 1,\n  "interfaces": { "ports": [{ "name": "eth0" }] },\n  "addresses": [{ "interface": "eth0", "dhcp": true }]\n}\n' }),
    history: () => [],
    boardDefault: () => ({ path: '/usr/share/stockade/default-config.json', text: '{\n  "version": 1,\n  "interfaces": { "ports": [{ "name": "eth0" }] },\n  "addresses": [{ "interface": "eth0", "dhcp": true }]\n}\n' }),
    runningConfig: async () => ({ error: 'no daemon in this test' }),
    revisionText: (n) => ({ error: `no revision ${n} kept` }),
    diagnose: async (tool, target, onLine) => {
      calls.diagnose.push(`${tool} ${target}`);
      onLine(`PING ${target} (${target}): 56 data bytes`);
      onLine(`64 bytes from ${target}: seq=0 ttl=64 time=0.100 ms`);
      return `${tool} exited with status 0`;
    },
    power: async (a) => { calls.power.push(a); return `${a} requested`; },
    shell: () => ({ error: 'no shell here' }),
    ...rest,
  };
}

const GOLDEN = join(dirname(new URL(import.meta.url).pathname), 'golden');

/** The screen equals golden/<name>.txt (UPDATE_GOLDEN=1 writes it), and no line reaches column 80. */
export function assertGolden(stream: FakeStream, name: string): void {
  const screen = stream.vt.screen() + '\n';
  const path = join(GOLDEN, `${name}.txt`);
  if (process.env.UPDATE_GOLDEN) {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(path, screen);
  }
  assert.fixture(screen, readFileSync(path, 'utf8'), `screen ${name}`);
  assert.ok(stream.vt.longest < 80, `a line reached column 80 on ${name}`);
  assert.is(stream.vt.garbage, 0, `non-ASCII bytes written on ${name}`);
}
