// crypt(3) SHA-512 ("$6$", Ulrich Drepper's SHA-crypt, what `mkpasswd -m sha-512` and glibc
// make) on node:crypto. Written here rather than taken from npm: the registry's packages
// (unixcrypt, sha512crypt-node, sha512-crypt-ts) are small single-maintainer ones that hash in
// JavaScript, 5,000+ rounds of pure-JS SHA-512 per login on an arm64 board; the algorithm is
// fixed and short, and node:crypto hashes natively and compares in constant time.
// Test vectors: test/unit/console/crypt-vectors.ts (made with Debian's mkpasswd).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const ALPHABET = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const ROUNDS_DEFAULT = 5000;
const ROUNDS_MIN = 1000;
const ROUNDS_MAX = 999_999_999;
const SALT_MAX = 16;

export interface ParsedHash {
  readonly rounds: number;
  /** Whether the hash spelled out "rounds=" (then the output does too). */
  readonly roundsGiven: boolean;
  readonly salt: string;
  readonly hash: string;
}

/** Splits a `$6$[rounds=N$]salt$hash` string; undefined when it is not one. */
export function parseSha512Crypt(text: string): ParsedHash | undefined {
  const m = /^\$6\$(?:rounds=([0-9]{1,9})\$)?([^$]{0,16})\$([./0-9A-Za-z]{86})$/.exec(text);
  if (!m) return undefined;
  const given = m[1] !== undefined;
  const rounds = given ? Math.min(ROUNDS_MAX, Math.max(ROUNDS_MIN, Number(m[1]))) : ROUNDS_DEFAULT;
  return { rounds, roundsGiven: given, salt: m[2]!, hash: m[3]! };
}

function sha512(...parts: Buffer[]): Buffer {
  const h = createHash('sha512');
  for (const p of parts) h.update(p);
  return h.digest();
}

function sha512Repeated(part: Buffer, times: number): Buffer {
  const h = createHash('sha512');
  for (let i = 0; i < times; i++) h.update(part);
  return h.digest();
}

/** `n` bytes of `digest` repeated (the spec's "for each block of 64 bytes ... then the rest"). */
function repeatTo(digest: Buffer, n: number): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i += 64) digest.copy(out, i, 0, Math.min(64, n - i));
  return out;
}

/** The 86-character base-64 of the 64-byte result, in the spec's byte order. */
function encode(f: Buffer): string {
  let out = '';
  const b64 = (b2: number, b1: number, b0: number, n: number): void => {
    let w = (b2 << 16) | (b1 << 8) | b0;
    for (let i = 0; i < n; i++) {
      out += ALPHABET[w & 0x3f];
      w >>>= 6;
    }
  };
  // The spec's byte triples rotate the positions: (0,21,42), (22,43,1), (44,2,23), ... .
  const order: Array<[number, number, number]> = [];
  for (let i = 0, a = 0, b = 21, c = 42; i < 21; i++) {
    order.push([a, b, c]);
    [a, b, c] = [b + 1, c + 1, a + 1];
  }
  for (const [a, b, c] of order) b64(f[a]!, f[b]!, f[c]!, 4);
  b64(0, 0, f[63]!, 2);
  return out;
}

/** The SHA-512 crypt of `password` with `salt` (at most 16 characters used) and `rounds`. */
export function sha512Crypt(password: string, salt: string, rounds = ROUNDS_DEFAULT, roundsGiven = rounds !== ROUNDS_DEFAULT): string {
  const p = Buffer.from(password, 'utf8');
  // glibc takes the salt's first 16 bytes.
  const s = Buffer.from(salt, 'utf8').subarray(0, SALT_MAX);
  const b = sha512(p, s, p);
  const aParts: Buffer[] = [p, s, repeatTo(b, p.length)];
  for (let n = p.length; n > 0; n >>= 1) aParts.push(n & 1 ? b : p);
  const a = sha512(...aParts);
  const dp = repeatTo(sha512Repeated(p, p.length), p.length);
  const ds = repeatTo(sha512Repeated(s, 16 + a[0]!), s.length);
  let c = a;
  for (let i = 0; i < rounds; i++) {
    const h = createHash('sha512');
    h.update(i & 1 ? dp : c);
    if (i % 3) h.update(ds);
    if (i % 7) h.update(dp);
    h.update(i & 1 ? c : dp);
    c = h.digest();
  }
  return `$6$${roundsGiven ? `rounds=${rounds}$` : ''}${s.toString('utf8')}$${encode(c)}`;
}

/** Whether `password` matches a `$6$` hash (false for anything else), in constant time. */
export function verifySha512Crypt(password: string, hash: string): boolean {
  const parsed = parseSha512Crypt(hash);
  if (parsed === undefined) return false;
  const mine = Buffer.from(sha512Crypt(password, parsed.salt, parsed.rounds, parsed.roundsGiven));
  const theirs = Buffer.from(hash);
  return mine.length === theirs.length && timingSafeEqual(mine, theirs);
}

/** A new hash with a random 16-character salt (as mkpasswd makes by default). */
export function hashPassword(password: string, rounds = ROUNDS_DEFAULT): string {
  const bytes = randomBytes(SALT_MAX);
  const salt = [...bytes].map((x) => ALPHABET[x & 0x3f]).join('');
  return sha512Crypt(password, salt, rounds);
}
