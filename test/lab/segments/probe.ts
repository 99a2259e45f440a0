// The segments lab's TCP probe (tcp-peer.ts probe, run in a lab host on the pinned Node): what a
// host got back from address:port ("blocked" when nothing answered), and the same as an
// assertion that names the box's rules when the answer is not the expected one.
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import type { Lab } from '../harness.ts';

const node = process.execPath;
const peer = join(import.meta.dirname, 'tcp-peer.ts');

export async function probe(l: Lab, host: string, address: string, port: number, from?: string): Promise<string> {
  return (await l.exec(host, [node, peer, 'probe', address, String(port), ...(from ? [from] : [])], { timeoutMs: 10_000 })).stdout.trim();
}

export async function expectProbe(l: Lab, host: string, address: string, port: number, expected: RegExp, what: string, from?: string): Promise<void> {
  const answer = await probe(l, host, address, port, from);
  if (expected.test(answer)) return;
  const rules = (await l.exec('gw', ['iptables-save', '-c'], { check: false })).stdout;
  assert.unreachable(`${what}: ${host} -> ${address}:${port} answered ${JSON.stringify(answer)}, expected ${expected}\n${rules}`);
}
