// Bytes from a dumb terminal -> keys. Pure and incremental: a chunk may end anywhere (inside an
// escape sequence or a UTF-8 character) and the rest arrives with the next one. What the menu
// cannot use is consumed whole, never passed on to be echoed as garbage: escape sequences
// (arrow and function keys, Alt+key), non-ASCII characters, NULs (a serial BREAK), other control
// bytes. Enter is CR, LF or CRLF (one key); backspace is DEL or BS.

export type Key =
  | { readonly type: 'char'; readonly char: string }
  | { readonly type: 'enter' }
  | { readonly type: 'backspace' }
  /** Ctrl-C: back to the menu. */
  | { readonly type: 'interrupt' }
  /** Ctrl-L: draw the screen again. */
  | { readonly type: 'redraw' }
  /** Ctrl-D. */
  | { readonly type: 'eof' }
  /** Something consumed that the menu cannot use (an arrow key, a non-ASCII character). */
  | { readonly type: 'ignored' };

const ESC = 0x1b;
/** An escape sequence longer than this is line noise: dropped, and decoding starts afresh. */
const MAX_SEQUENCE = 32;

type State =
  | { kind: 'ground' }
  /** After ESC. */
  | { kind: 'escape' }
  /** In a CSI (ESC [) or SS3 (ESC O) sequence; `length` bytes so far. */
  | { kind: 'sequence'; ss3: boolean; length: number }
  /** In a UTF-8 character, `left` continuation bytes to come. */
  | { kind: 'utf8'; left: number };

export class KeyDecoder {
  #state: State = { kind: 'ground' };
  #afterCr = false;

  /** Keys in `bytes` (may be empty: a sequence not finished yet). */
  feed(bytes: Uint8Array): Key[] {
    const keys: Key[] = [];
    for (const b of bytes) this.#byte(b, keys);
    return keys;
  }

  #byte(b: number, keys: Key[]): void {
    const s = this.#state;
    if (s.kind === 'escape') {
      if (b === 0x5b /* [ */ || b === 0x4f /* O */) {
        this.#state = { kind: 'sequence', ss3: b === 0x4f, length: 2 };
        return;
      }
      this.#state = { kind: 'ground' };
      // ESC ESC: the second may start a sequence; ESC + a control byte: the control byte counts.
      if (b === ESC || b < 0x20) return this.#byte(b, keys);
      keys.push({ type: 'ignored' }); // Alt+key
      return;
    }
    if (s.kind === 'sequence') {
      if (b === ESC) {
        this.#state = { kind: 'escape' };
        keys.push({ type: 'ignored' });
        return;
      }
      // SS3 is ESC O + one byte; CSI ends at a byte in 0x40-0x7e.
      if (s.ss3 || (b >= 0x40 && b <= 0x7e) || b < 0x20 || b > 0x7e || s.length + 1 >= MAX_SEQUENCE) {
        this.#state = { kind: 'ground' };
        keys.push({ type: 'ignored' });
        // A control byte inside a sequence is itself (a CR after a cut-off sequence is still Enter).
        if (b < 0x20 && b !== ESC) this.#byte(b, keys);
        return;
      }
      this.#state = { ...s, length: s.length + 1 };
      return;
    }
    if (s.kind === 'utf8') {
      if ((b & 0xc0) === 0x80) {
        if (s.left === 1) {
          this.#state = { kind: 'ground' };
          keys.push({ type: 'ignored' });
        } else this.#state = { kind: 'utf8', left: s.left - 1 };
        return;
      }
      // A broken character: drop it and read this byte afresh.
      this.#state = { kind: 'ground' };
      keys.push({ type: 'ignored' });
      return this.#byte(b, keys);
    }
    const afterCr = this.#afterCr;
    this.#afterCr = b === 0x0d;
    if (b === 0x0d) keys.push({ type: 'enter' });
    else if (b === 0x0a) {
      if (!afterCr) keys.push({ type: 'enter' });
    } else if (b === 0x7f || b === 0x08) keys.push({ type: 'backspace' });
    else if (b === 0x03) keys.push({ type: 'interrupt' });
    else if (b === 0x0c) keys.push({ type: 'redraw' });
    else if (b === 0x04) keys.push({ type: 'eof' });
    else if (b === ESC) this.#state = { kind: 'escape' };
    else if (b >= 0x20 && b < 0x7f) keys.push({ type: 'char', char: String.fromCharCode(b) });
    else if (b >= 0xc2 && b <= 0xf4) this.#state = { kind: 'utf8', left: b >= 0xf0 ? 3 : b >= 0xe0 ? 2 : 1 };
    else if (b >= 0x80) keys.push({ type: 'ignored' }); // a stray continuation or invalid lead byte
    // Other control bytes (NUL from a BREAK, TAB, XON/XOFF ...) are dropped silently.
  }
}
