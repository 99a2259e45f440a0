// The menu's side of a duplex byte stream (a serial line, a pty, a test's fake): keys in, screens
// out. A screen is drawn whole, 23 rows and a prompt, so on a dumb terminal each one scrolls
// the last one away and nothing needs cursor addressing; Ctrl-L draws it again with the input
// typed so far. Input lines are bounded (a key past the limit rings the bell and is dropped).
// Reads end with Interrupted (Ctrl-C), IdleLogout (no key for the idle time) or Disconnected
// (the stream ended: cable pulled, pty closed), which the session turns into back-to-menu and
// log-out.
import { KeyDecoder, type Key } from './keys.ts';
import { BODY_ROWS, LINE_MAX, fit } from './text.ts';
import type { Timers } from './timers.ts';

/** What the terminal needs of a stream (a SerialPort, a net.Socket, a PassThrough pair). */
export interface ByteStream {
  write(chunk: string): unknown;
  on(event: 'data', fn: (chunk: Buffer | string) => void): unknown;
  on(event: 'end' | 'close', fn: () => void): unknown;
  on(event: 'error', fn: (e: Error) => void): unknown;
}

export class Interrupted extends Error {
  constructor() { super('interrupted'); this.name = 'Interrupted'; }
}
export class IdleLogout extends Error {
  constructor() { super('idle'); this.name = 'IdleLogout'; }
}
export class Disconnected extends Error {
  constructor(why: string) { super(why); this.name = 'Disconnected'; }
}

/**
 * Keys waiting to be read; more than this (line noise, a runaway paste) are dropped. A pasted
 * line arrives in one chunk and waits here whole: room for an RSA 8192 key line (~1,400).
 */
const QUEUE_LIMIT = 2048;
const BELL = '\x07';

export interface LineOptions {
  /** Most characters accepted (default 64). */
  readonly max?: number;
  /** Echo '*' instead of the characters. */
  readonly secret?: boolean;
  /** Plain text may run on past the screen's width, unseen (a pasted key line). */
  readonly overflow?: boolean;
}

export interface TerminalStats {
  keys: number;
  /** Keys dropped because the queue was full. */
  dropped: number;
  ignored: number;
}

export class Terminal {
  readonly #stream: ByteStream;
  readonly #timers: Timers;
  readonly #decoder = new KeyDecoder();
  readonly #queue: Key[] = [];
  #waiter: { resolve: (k: Key) => void; reject: (e: Error) => void } | undefined;
  #closed: Disconnected | undefined;
  #idleMs = 0;
  #lastKeyAt: number;
  #idleTimer: unknown;
  /** What Ctrl-L draws again: the screen, and the prompt with what has been typed. */
  #screen = '';
  #line = '';
  /** Where the cursor is on its line, so that what is typed never reaches the last column. */
  #column = 0;
  /** Counts cancelRead()s: a line reader given up must not take the next reader's keys. */
  #generation = 0;
  readonly stats: TerminalStats = { keys: 0, dropped: 0, ignored: 0 };

  constructor(stream: ByteStream, timers: Timers) {
    this.#stream = stream;
    this.#timers = timers;
    this.#lastKeyAt = timers.now();
    stream.on('data', (chunk) => this.#bytes(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk));
    stream.on('end', () => this.#close('the terminal went away'));
    stream.on('close', () => this.#close('the terminal went away'));
    stream.on('error', (e) => this.#close(`terminal error: ${e.message}`));
  }

  get closed(): boolean {
    return this.#closed !== undefined;
  }

  /** 0: never. */
  setIdleLogout(ms: number): void {
    this.#idleMs = ms;
    this.#lastKeyAt = this.#timers.now();
  }

  write(text: string): void {
    if (this.#closed) return;
    try {
      this.#stream.write(text.replace(/\r?\n/g, '\r\n'));
      this.#column = columnAfter(this.#column, text);
    } catch (e) {
      this.#close(`terminal error: ${(e as Error).message}`);
    }
  }

  /** Draws a whole screen: `body` (cut to 23 rows) then `prompt` on the last row. */
  screen(body: readonly string[], prompt: string): void {
    const rows = body.slice(0, BODY_ROWS).map((l) => fit(l));
    while (rows.length < BODY_ROWS) rows.push('');
    this.#screen = '\r\n' + rows.join('\r\n') + '\r\n';
    this.#line = fit(prompt);
    this.write(this.#screen + this.#line);
  }

  /**
   * Writes the prompt line again in place (a countdown): carriage return, the new text, blanks
   * over what is left of the old one. Only CR is needed, which every dumb terminal has.
   */
  prompt(text: string): void {
    const next = fit(text);
    const blank = Math.max(0, this.#line.length - next.length);
    this.#line = next;
    this.write('\r' + next + ' '.repeat(blank) + '\b'.repeat(blank));
  }

  /** The next key, or undefined when `ms` pass first (the read is given up, no key is lost). */
  async keyWithin(ms: number): Promise<Key | undefined> {
    let handle: unknown;
    const tick = new Promise<undefined>((resolve) => { handle = this.#timers.setTimeout(() => resolve(undefined), ms); });
    try {
      const k = await Promise.race([this.readKey(), tick]);
      if (k === undefined) this.cancelRead();
      return k;
    } finally {
      this.#timers.clearTimeout(handle);
    }
  }

  /** Starts a screen whose lines follow as they come (a running command): no padding. */
  begin(lines: readonly string[]): void {
    this.#screen = '\r\n' + lines.map((l) => fit(l)).join('\r\n') + '\r\n';
    this.#line = '';
    this.write(this.#screen);
  }

  /** Prints a line below what is shown (progress, a running command's output). */
  line(text: string): void {
    this.write(fit(text) + '\n');
  }

  #redraw(typed: string): void {
    this.write(this.#screen + this.#line + typed);
  }

  #close(why: string): void {
    if (this.#closed) return;
    this.#closed = new Disconnected(why);
    this.#stopIdle();
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.reject(this.#closed);
  }

  #bytes(bytes: Uint8Array): void {
    for (const k of this.#decoder.feed(bytes)) {
      this.stats.keys++;
      if (k.type === 'ignored') {
        // Not activity: line noise on a floating RX pin must not hold a session open.
        this.stats.ignored++;
        continue;
      }
      this.#lastKeyAt = this.#timers.now();
      const w = this.#waiter;
      if (w) {
        this.#waiter = undefined;
        this.#stopIdle();
        w.resolve(k);
      } else if (this.#queue.length < QUEUE_LIMIT) this.#queue.push(k);
      else this.stats.dropped++;
    }
  }

  #stopIdle(): void {
    if (this.#idleTimer !== undefined) this.#timers.clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }

  #armIdle(): void {
    if (this.#idleMs <= 0) return;
    const left = this.#lastKeyAt + this.#idleMs - this.#timers.now();
    this.#idleTimer = this.#timers.setTimeout(() => {
      this.#idleTimer = undefined;
      if (this.#timers.now() - this.#lastKeyAt < this.#idleMs) return this.#armIdle();
      const w = this.#waiter;
      this.#waiter = undefined;
      w?.reject(new IdleLogout());
    }, Math.max(0, left));
  }

  /** The next key (Ctrl-C included, as a key). */
  readKey(): Promise<Key> {
    if (this.#closed) return Promise.reject(this.#closed);
    const k = this.#queue.shift();
    if (k) return Promise.resolve(k);
    if (this.#waiter) return Promise.reject(new Error('terminal: two readers at once'));
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
      this.#armIdle();
    });
  }

  /** Drops keys typed ahead (during a login delay). */
  flush(): void {
    this.#queue.length = 0;
  }

  /** Gives up a pending readKey (its promise never settles). */
  cancelRead(): void {
    this.#generation++;
    this.#waiter = undefined;
    this.#stopIdle();
  }

  /** A line typed after the current prompt; Ctrl-C throws Interrupted. */
  async readLine(opts: LineOptions = {}): Promise<string> {
    const max = opts.max ?? 64;
    // What fits after the prompt is shown; a secret may run on unseen, plain text may not
    // (the operator would type blind).
    const room = Math.max(0, LINE_MAX - this.#column);
    let typed = '';
    const shown = (): string => (opts.secret ? '*'.repeat(typed.length) : typed).slice(0, room);
    const generation = this.#generation;
    for (;;) {
      const k = await this.readKey();
      if (generation !== this.#generation) {
        // Given up (cancelRead) after this key arrived: it belongs to whoever reads next.
        this.#queue.unshift(k);
        return new Promise<string>(() => undefined);
      }
      switch (k.type) {
        case 'enter':
          this.write('\n');
          return typed;
        case 'interrupt':
          this.write(this.#column + 2 <= LINE_MAX ? '^C\n' : '\n');
          throw new Interrupted();
        case 'redraw':
          this.#redraw(shown());
          break;
        case 'backspace':
          if (typed.length > 0) {
            if (typed.length <= room) this.write('\b \b');
            typed = typed.slice(0, -1);
          }
          break;
        case 'char':
          if (typed.length >= max || (!opts.secret && !opts.overflow && typed.length >= room)) this.write(BELL);
          else {
            typed += k.char;
            if (typed.length <= room) this.write(opts.secret ? '*' : k.char);
          }
          break;
        default:
          break;
      }
    }
  }

  /** Any key; Ctrl-C throws Interrupted, Ctrl-L redraws and waits on. */
  async anyKey(): Promise<Key> {
    for (;;) {
      const k = await this.readKey();
      if (k.type === 'interrupt') throw new Interrupted();
      if (k.type === 'redraw') this.#redraw('');
      else return k;
    }
  }
}

/** The cursor's column after `text` is written from `column`. */
function columnAfter(column: number, text: string): number {
  let c = column;
  for (const ch of text) {
    if (ch === '\n' || ch === '\r') c = 0;
    else if (ch === '\b') c = Math.max(0, c - 1);
    else if (ch >= ' ' && ch <= '~') c++;
  }
  return c;
}
