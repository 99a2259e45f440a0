// Lab prerequisites, declared in one way by every lab test file: root, a working `ip netns`, and
// the tools the file names. A file whose prerequisites are missing registers, instead of its
// tests, one failing test naming what is missing when prerequisites are required (CI=true or
// STOCKADE_TIERS_REQUIRED=1), else one counted skip (test/required.ts).
//
//   const test = suite('vrrp: ...');
//   if (requireLab(test, 'lab/vrrp/x', { tools: ['keepalived'] })) {
//     test('...', async () => { ... });
//   }
//   test.run();
import type { Test } from 'uvu';
import { labAvailable } from './harness.ts';
import { unmet } from '../required.ts';

export interface LabNeeds {
  /** Commands the tests run (looked up on PATH, /usr/sbin and /sbin), e.g. ['keepalived']. */
  tools?: string[];
}

/** True when the tests `what` names can run; otherwise registers the failure or the skip. */
export function requireLab(test: Test, what: string, needs: LabNeeds = {}): boolean {
  const avail = labAvailable(needs);
  if (avail.ok) return true;
  unmet(test, what, avail.reason);
  return false;
}

