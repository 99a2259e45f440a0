// test/image/vm.ts turns a VM's console into text chunk by chunk (PlainText): whatever the chunks,
// the text is plain() of everything received, and an escape sequence cut by a chunk's end never
// leaves its pieces in the text.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { plain, PlainText } from '../../image/vm.ts';

/** A small deterministic PRNG, so a failure repeats. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
}

function fed(raw: string, cuts: number[]): PlainText {
  const p = new PlainText();
  let at = 0;
  for (const c of [...cuts, raw.length]) {
    p.push(raw.slice(at, c));
    at = c;
  }
  return p;
}

// GRUB's menu and the kernel as they reach the serial console: colour, cursor moves, charset
// switches, carriage returns.
const CONSOLE = '\x1b[0m\x1b[30m\x1b[47m\x1b[2J\x1b[01;01H\x1b(B\x1b)0GNU GRUB  version 2.06\r\n\x1b[?25l\x1b=*stockade slot A\x1b[K\r\n'
  + '[    0.000000] Linux version 6.1.0\r\n\x1b[1;32mstockade: boot complete (0.1.0, slot A)\x1b[0m\r\n\x1b7\x1b8fw-a login: ';

test('cut anywhere, once: the text is plain() of the whole, with no piece of a sequence in it', () => {
  for (let cut = 0; cut <= CONSOLE.length; cut++) {
    const p = fed(CONSOLE, [cut]);
    assert.is(p.text, plain(CONSOLE), `cut at ${cut}`);
  }
  assert.match(plain(CONSOLE), /^GNU GRUB {2}version 2\.06\n\*stockade slot A\n/);
  assert.not.match(plain(CONSOLE), /\[0m|\[2J|\[01;01H|\[\?25l/);
});

test('a sequence still open at a chunk\'s end waits for the next chunk', () => {
  const p = new PlainText();
  p.push('ok \x1b[1;3');
  assert.is(p.text, 'ok ');
  p.push('2mgreen');
  assert.is(p.text, 'ok green');
  p.push('\x1b');
  p.flush();
  assert.is(p.text, plain('ok \x1b[1;32mgreen\x1b'), 'flush takes a cut-off sequence as it is');
  assert.is(p.raw, 'ok \x1b[1;32mgreen\x1b', 'raw is everything pushed');
});

test('random chunks of random console bytes: the text is plain() of everything received', () => {
  const r = random(20261206);
  const pieces = ['a', 'Z', ' ', '\x1b', '[', '1', ';', '?', '=', 'm', 'H', '(', ')', 'B', '0', '7', '>', '~', '\r', '\n', '\x07', '\xff'];
  for (let k = 0; k < 3000; k++) {
    let raw = '';
    const len = 1 + Math.floor(r() * 60);
    for (let i = 0; i < len; i++) raw += pieces[Math.floor(r() * pieces.length)];
    const cuts: number[] = [];
    for (let at = Math.floor(r() * 5); at < raw.length; at += 1 + Math.floor(r() * 5)) cuts.push(at);
    const p = fed(raw, cuts);
    p.flush();
    assert.is(p.text, plain(raw), JSON.stringify({ raw, cuts }));
  }
});

test.run();
