// Shared by the net unit tests. (Not a test file: uvu only runs *.test.ts.)
import * as assert from 'uvu/assert';

/** Awaits fn and asserts it rejects with an error whose message matches (or that passes pred). */
export async function rejects(fn: () => Promise<unknown>, expected: RegExp | ((e: Error) => boolean)): Promise<Error> {
  try {
    await fn();
  } catch (e) {
    const err = e as Error;
    if (expected instanceof RegExp) assert.match(err.message, expected);
    else assert.ok(expected(err), `unexpected error: ${err.message}`);
    return err;
  }
  assert.unreachable('expected a rejection');
  throw new Error('unreachable');
}
