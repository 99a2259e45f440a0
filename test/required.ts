// Missing prerequisites (a tool, root, a built file): under CI (CI=true, or
// STOCKADE_TIERS_REQUIRED=1 which .ci/run sets) a test that cannot run has proved nothing, so it
// fails naming what is missing; elsewhere it is a counted skip (uvu's "Skipped", summed by
// test/run.ts). Lab files declare theirs through test/lab/require.ts.
import type { Test } from 'uvu';

export function prerequisitesRequired(): boolean {
  return process.env.CI === 'true' || process.env.STOCKADE_TIERS_REQUIRED === '1';
}

/** Registers, in place of the tests `what` names, a failing test (required) or a counted skip. */
export function unmet(test: Test, what: string, reason: string): void {
  if (prerequisitesRequired()) {
    test(`${what}: missing prerequisite: ${reason}`, () => {
      throw new Error(`${what} cannot run: ${reason}`);
    });
  } else {
    console.log(`SKIP ${what}: ${reason}`);
    test.skip(what);
  }
}
