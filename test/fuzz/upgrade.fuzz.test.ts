// Mutation fuzzing of upgrade bundles: a signed bundle with bytes flipped, replaced, inserted,
// deleted or cut off, and random bytes, fed to the in-memory verifier, the manifest parser and
// the streaming installer (with a fake slot that records writes). Never an exception other than
// a BundleFault; nothing but the original bundle is accepted; the installer never writes a byte
// that differs from the original payload. Bounded: fixed runs and a time limit.
// Re-run a failure with FUZZ_SEED=<seed printed in the failure>.
import { test } from 'uvu';
import fc from 'fast-check';
import { BundleFault, bytesSource, install, parseHeader, parseManifest, verifyBundle } from '../../src/upgrade/index.ts';
import { FakeSlot, defaultKey, makeBundle } from '../unit/upgrade/make.ts';

const seed = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : Date.now() % 2 ** 31;
const TIME_LIMIT_MS = 8000;

function run<T>(name: string, arb: fc.Arbitrary<T>, numRuns: number, predicate: (value: T) => void | Promise<void>, isAsync = false): void {
  test(name, async () => {
    try {
      const options = { seed, numRuns, interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: false };
      if (isAsync) await fc.assert(fc.asyncProperty(arb, async (v) => void (await predicate(v))), options);
      else fc.assert(fc.property(arb, (v) => void predicate(v)), options);
    } catch (err) {
      throw new Error(`${name}: failed with FUZZ_SEED=${seed}\n${err instanceof Error ? err.message : String(err)}`);
    }
  });
}

const trusted = [defaultKey().public];
const good = makeBundle();
const original = Buffer.from(good.bytes);

type Mutation =
  | { kind: 'flip'; at: number; mask: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'cut'; at: number };

const position = fc.integer({ min: 0, max: good.bytes.length - 1 });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: position, mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('set' as const), at: position, value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: position, bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: position, count: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: position }),
);

function apply(bytes: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let b = Buffer.from(bytes);
  for (const m of mutations) {
    const at = Math.min(m.at, b.length);
    if (m.kind === 'flip' && at < b.length) b[at]! ^= m.mask;
    else if (m.kind === 'set' && at < b.length) b[at] = m.value;
    else if (m.kind === 'insert') b = Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)]);
    else if (m.kind === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.count)]);
    else if (m.kind === 'cut') b = b.subarray(0, at);
  }
  return b;
}

run('verifyBundle: random bytes never throw and are never accepted', fc.uint8Array({ maxLength: 2048 }), 500, (bytes) => {
  const r = verifyBundle(bytes, trusted);
  if (r.ok) throw new Error('random bytes accepted');
  parseHeader(bytes);
  parseManifest(bytes);
});

run('verifyBundle: a mutated bundle is refused unless it is byte for byte the original', fc.array(mutation, { minLength: 1, maxLength: 4 }), 1500, (ms) => {
  const bytes = apply(good.bytes, ms);
  const r = verifyBundle(bytes, trusted);
  if (r.ok && !Buffer.from(bytes).equals(original)) throw new Error('a changed bundle was accepted');
  if (!r.ok && Buffer.from(bytes).equals(original)) throw new Error(`the original was refused: ${r.error.message}`);
});

run('manifest parser: any JSON value gives a result, never an exception', fc.json({ maxDepth: 4 }), 500, (text) => {
  parseManifest(new TextEncoder().encode(text));
});

run('install: a mutated bundle never gets a changed byte written, and never switches GRUB unless unchanged', fc.tuple(fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 700 })), 600, async ([ms, piece]) => {
  const bytes = apply(good.bytes, ms);
  const slot = new FakeSlot();
  let installed = false;
  try {
    await install({ source: bytesSource(bytes, piece), trusted, running: { board: 'x86_64-generic', version: '1.0.0', epochFloor: 0, allowDowngrade: false }, runningSlot: 'A', writer: slot, boot: slot });
    installed = true;
  } catch (err) {
    if (!(err instanceof BundleFault)) throw err;
  }
  for (const w of slot.writes()) {
    if (!Buffer.from(w.bytes).equals(Buffer.from(good.payload.subarray(w.offset, w.offset + w.bytes.length)))) throw new Error(`changed bytes written at ${w.offset}`);
  }
  const unchanged = Buffer.from(bytes).equals(original);
  if (installed !== unchanged) throw new Error(installed ? 'a changed bundle was installed' : 'the original was refused');
  if (slot.log.some((e) => e.op === 'try-once') !== installed) throw new Error('GRUB switched without an install');
}, true);

test.run();
