// The console session: log in, then the numbered main menu (two columns, the OPNsense habit),
// each item one screen, until logout, idle logout or the terminal going away. Ctrl-C on any
// screen comes back here. Items that change the config appear only with a config transaction
// to apply them through (a part not there is absent, not faked).
import { Disconnected, IdleLogout, Interrupted, Terminal, type ByteStream } from './terminal.ts';
import { login, type LoginCounters } from './login.ts';
import { columns } from './text.ts';
import type { Timers } from './timers.ts';
import type { ConsoleHost, ConsoleSettings } from './host.ts';
import type { ConfigTransaction } from './transaction.ts';
import { proposeChange, setPasswordHash } from './transaction.ts';
import { configScreen, historyScreen, logScreen, statusScreen } from './screens/read-only.ts';
import { diagnoseScreen } from './screens/diagnose.ts';
import { powerScreen } from './screens/power.ts';
import { shellScreen } from './screens/shell.ts';
import { addressScreen } from './screens/address.ts';
import { nameDnsScreen } from './screens/name-dns.ts';
import { vrrpScreen } from './screens/vrrp.ts';
import { haPairScreen } from './screens/ha-pair.ts';
import { sshKeysScreen } from './screens/ssh-keys.ts';
import { configMenu } from './screens/config.ts';
import { passwordScreen } from './screens/password.ts';
import { upgradeScreen } from './screens/upgrade.ts';
import { portsScreen } from './screens/ports.ts';
import { diagnoseLvsScreen } from './screens/diagnose-lvs.ts';
import type { ScreenContext } from './screens/context.ts';

export interface MenuItem {
  readonly key: string;
  readonly label: string;
  run(ctx: ScreenContext): Promise<void>;
}

export interface ConsoleDeps {
  readonly host: ConsoleHost;
  readonly timers: Timers;
  /** The daemon's config transaction; undefined until it is built (see transaction.ts). */
  readonly transaction?: ConfigTransaction;
  readonly log: (message: string) => void;
  /**
   * One login only (an SSH session): logout and idle logout end runConsole, so the session ends
   * with them. Absent: a serial line, whose login prompt comes back for the next person.
   */
  readonly session?: boolean;
}

/**
 * The main menu's items, in order (0 is always Logout). With the daemon's config transaction the
 * items that change the config are there, each proposeChange() -> applyScreen(); without one
 * (a console started with no daemon to apply through) only what shows.
 */
export function menuItems(settings: ConsoleSettings, transaction?: ConfigTransaction, upgrade?: ConsoleHost['upgrade'], lvs?: ConsoleHost['diagnoseLvs']): MenuItem[] {
  const tx = transaction;
  // Setting the box up (with a transaction), or only looking at the config (without one).
  const setup: Array<Omit<MenuItem, 'key'>> = tx
    ? [
        { label: 'Assign ports', run: (c) => portsScreen(c, tx) },
        { label: 'Interface address', run: (c) => addressScreen(c, tx) },
        { label: 'Name and DNS', run: (c) => nameDnsScreen(c, tx) },
        { label: 'HA pair', run: (c) => haPairScreen(c, tx) },
        { label: 'VRRP quick settings', run: (c) => vrrpScreen(c, tx) },
        { label: 'SSH keys', run: (c) => sshKeysScreen(c, tx) },
        { label: 'Config', run: (c) => configMenu(c, tx) },
        { label: 'Console password', run: (c) => passwordScreen(c, tx) },
      ]
    : [{ label: 'Show saved config', run: configScreen }, { label: 'Config history', run: historyScreen }];
  const items: Array<Omit<MenuItem, 'key'>> = [
    { label: 'Status', run: statusScreen },
    ...(tx ? setup : []),
    { label: 'Log', run: logScreen },
    ...(tx ? [] : setup),
    { label: 'Ping a host', run: (c) => diagnoseScreen(c, 'ping') },
    { label: 'Traceroute', run: (c) => diagnoseScreen(c, 'traceroute') },
    ...(lvs ? [{ label: 'Diagnose LVS', run: (c: ScreenContext) => diagnoseLvsScreen(c, lvs) }] : []),
    ...(upgrade ? [{ label: 'Upgrade', run: (c: ScreenContext) => upgradeScreen(c, upgrade) }] : []),
    { label: 'Reboot', run: (c) => powerScreen(c, 'reboot') },
    { label: 'Halt', run: (c) => powerScreen(c, 'halt') },
  ];
  if (settings.shell) items.push({ label: 'Shell', run: shellScreen });
  return items.map((i, n) => ({ ...i, key: String(n + 1) }));
}

/** The menu's rows: items 1.. in two columns, 0) Logout last in the left one. */
export function menuRows(items: readonly MenuItem[]): string[] {
  const all = [...items.map((i) => `${i.key.padStart(2)}) ${i.label}`), ' 0) Logout'];
  const half = Math.ceil(all.length / 2);
  return columns(all.slice(0, half).map((s) => ` ${s}`), all.slice(half).map((s) => ` ${s}`));
}

export interface ConsoleState {
  readonly counters: LoginCounters;
  /** A hash set at first login while nothing could save it (held for this process only). */
  memoryHash?: string;
}

/** One terminal until it goes away: login, menu, logout, login ... */
export async function runConsole(stream: ByteStream, deps: ConsoleDeps, state: ConsoleState = { counters: { failed: 0, failedSinceLogin: 0, succeeded: 0 } }): Promise<void> {
  const term = new Terminal(stream, deps.timers);
  const counters = (): string => {
    const k = term.stats;
    const l = state.counters;
    return `Console: keys ${k.keys} (ignored ${k.ignored}, dropped ${k.dropped}); logins ${l.succeeded}, failed ${l.failed}`;
  };
  const ctx: ScreenContext = { term, host: deps.host, timers: deps.timers, who: 'console', log: deps.log, counters };
  const heading = (): string[] => {
    const id = deps.host.identity();
    const banner = deps.host.settings().banner;
    return [`${deps.host.hostname()} - stockade console`, `${id.version}, slot ${id.slot}`, ...(banner ? ['', ...banner.split('\n').slice(0, 8)] : [])];
  };
  const savePasswordHash = async (hash: string): Promise<string> => {
    state.memoryHash = hash;
    const tx = deps.transaction;
    const saved = deps.host.savedConfig();
    if (tx === undefined) return 'It holds until the console restarts: no daemon to save it through.';
    if ('error' in saved) return `It holds until the console restarts: the saved config could not be read (${saved.error}).`;
    const p = proposeChange(saved.text, setPasswordHash(hash));
    if (!p.ok) return `Not saved (${p.errors[0]}); it holds until the console restarts.`;
    const r = await tx.apply(p.text, 'console');
    if (!r.ok) return `Not saved (${r.error}); it holds until the console restarts.`;
    if (r.pending !== undefined) {
      const c = await tx.confirm('console');
      if (!c.ok) return `Not saved (${c.error}); it holds until the console restarts.`;
    }
    return 'Saved in the config.';
  };
  let loginNote: string[] = [];
  try {
    for (;;) {
      term.setIdleLogout(0);
      const notes = await login(term, {
        timers: deps.timers,
        heading,
        passwordHash: () => deps.host.settings().passwordHash ?? state.memoryHash,
        savePasswordHash,
        log: deps.log,
      }, state.counters, loginNote);
      loginNote = [];
      term.setIdleLogout(deps.host.settings().idleLogoutS * 1000);
      try {
        await menuLoop(ctx, heading, notes, deps.transaction);
        deps.log('console: logout');
        if (deps.session) return endSession(term, 'Logged out.');
      } catch (e) {
        if (!(e instanceof IdleLogout)) throw e;
        deps.log('console: idle logout');
        const why = `Logged out: no key for ${deps.host.settings().idleLogoutS} s.`;
        if (deps.session) return endSession(term, why);
        loginNote = [why];
      }
    }
  } catch (e) {
    if (e instanceof Disconnected) {
      deps.log(`console: ${e.message}`);
      return;
    }
    throw e;
  }
}

/** The last words of a one-login session; no timer is left to hold the process. */
function endSession(term: Terminal, why: string): void {
  term.setIdleLogout(0);
  term.write(`\n${why}\n`);
}

async function menuLoop(ctx: ScreenContext, heading: () => string[], notes: string[], transaction: ConfigTransaction | undefined): Promise<void> {
  let note = notes;
  for (;;) {
    const items = menuItems(ctx.host.settings(), transaction, ctx.host.upgrade?.bind(ctx.host), ctx.host.diagnoseLvs?.bind(ctx.host));
    ctx.term.screen([...heading(), '', ...menuRows(items), '', ...note], 'Enter an option: ');
    let choice: string;
    try {
      choice = (await ctx.term.readLine({ max: 8 })).trim();
    } catch (e) {
      if (e instanceof Interrupted) { note = []; continue; }
      throw e;
    }
    note = [];
    if (choice === '') continue;
    if (choice === '0' || choice === 'exit' || choice === 'logout' || choice === 'quit') return;
    const item = items.find((i) => i.key === choice);
    if (item === undefined) {
      note = [`No option '${choice}'.`];
      continue;
    }
    try {
      await item.run(ctx);
    } catch (e) {
      if (e instanceof Interrupted) continue;
      if (e instanceof IdleLogout || e instanceof Disconnected) throw e;
      // A screen's fault must not end the session: say it and come back to the menu.
      ctx.log(`console: ${item.label}: ${(e as Error).message}`);
      note = [`${item.label} failed: ${(e as Error).message}`];
    }
  }
}
