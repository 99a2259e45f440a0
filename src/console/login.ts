// The console's login. With `console.password_hash` set: a password prompt; a wrong password
// waits before the next try, twice as long each time up to a minute (one try per delay, keys
// typed meanwhile are dropped), and the count is shown to whoever logs in next. With no hash:
// the first login sets one (physical access to the console is the trust anchor), saved through
// the config transaction when there is one; until then it is held in this process's memory only.
import { hashPassword, verifySha512Crypt } from './sha512-crypt.ts';
import { Interrupted, type Terminal } from './terminal.ts';
import { sleep, type Timers } from './timers.ts';

export const PASSWORD_MAX = 128;
export const PASSWORD_MIN = 8;
const DELAY_FIRST_MS = 1000;
const DELAY_MAX_MS = 60_000;

/** The wait after the n-th failure in a row (1, 2, 4 ... 60 s). */
export function failureDelayMs(failuresInARow: number): number {
  if (failuresInARow <= 0) return 0;
  return Math.min(DELAY_MAX_MS, DELAY_FIRST_MS * 2 ** Math.min(failuresInARow - 1, 16));
}

export interface LoginCounters {
  /** Failed attempts since the console started. */
  failed: number;
  /** Failed attempts since the last successful login (shown after the next one). */
  failedSinceLogin: number;
  succeeded: number;
}

export interface LoginDeps {
  readonly timers: Timers;
  /** Lines above the prompt (host, version, banner). */
  readonly heading: () => string[];
  readonly passwordHash: () => string | undefined;
  /** Keeps a new hash; returns what to tell the operator about where it went. */
  readonly savePasswordHash: (hash: string) => Promise<string>;
  readonly log: (message: string) => void;
}

/** Until someone logs in (rejects only when the terminal goes away). Returns lines for the menu. */
export async function login(term: Terminal, deps: LoginDeps, counters: LoginCounters, firstNote: string[] = []): Promise<string[]> {
  let note = firstNote;
  let inARow = 0;
  for (;;) {
    const hash = deps.passwordHash();
    if (hash === undefined) return firstLogin(term, deps);
    term.screen([...deps.heading(), '', ...note], 'Password: ');
    let typed: string;
    try {
      typed = await term.readLine({ max: PASSWORD_MAX, secret: true });
    } catch (e) {
      if (e instanceof Interrupted) { note = []; continue; }
      throw e;
    }
    if (verifySha512Crypt(typed, hash)) {
      const missed = counters.failedSinceLogin;
      counters.failedSinceLogin = 0;
      counters.succeeded++;
      deps.log(`console: login${missed > 0 ? ` after ${missed} failed attempts` : ''}`);
      return missed > 0 ? [`${missed} failed login attempt${missed === 1 ? '' : 's'} since the last login.`] : [];
    }
    inARow++;
    counters.failed++;
    counters.failedSinceLogin++;
    const wait = failureDelayMs(inARow);
    deps.log(`console: failed login (${inARow} in a row, ${counters.failed} in all)`);
    term.line(`Login incorrect. Wait ${wait / 1000} s.`);
    await sleep(deps.timers, wait);
    term.flush();
    note = [`Login incorrect (${inARow} in a row).`];
  }
}

async function firstLogin(term: Terminal, deps: LoginDeps): Promise<string[]> {
  const intro = ['No console password is set. Set one now: whoever has this console', 'has the box, and the password keeps the next person out.'];
  for (;;) {
    try {
      const hash = await askNewPassword(term, (note) => [...deps.heading(), '', ...intro, ...note]);
      const where = await deps.savePasswordHash(hash);
      deps.log('console: password set at first login');
      return ['Console password set.', where];
    } catch (e) {
      if (e instanceof Interrupted) continue;
      throw e;
    }
  }
}

/** A new password typed twice under `lines` (given the note to show): its SHA-512 crypt hash. Ctrl-C throws Interrupted. */
export async function askNewPassword(term: Terminal, lines: (note: string[]) => string[]): Promise<string> {
  let note: string[] = [];
  for (;;) {
    term.screen(lines([`At least ${PASSWORD_MIN} characters.`, '', ...note]), 'New password: ');
    const first = await term.readLine({ max: PASSWORD_MAX, secret: true });
    if (first.length < PASSWORD_MIN) { note = [`Too short (${first.length} characters): at least ${PASSWORD_MIN}.`]; continue; }
    term.write('Again: ');
    const second = await term.readLine({ max: PASSWORD_MAX, secret: true });
    if (second !== first) { note = ['The two did not match; nothing set.']; continue; }
    return hashPassword(first);
  }
}
