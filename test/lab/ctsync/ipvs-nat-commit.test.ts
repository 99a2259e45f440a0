// A synced IPVS-NAT entry committed into a live kernel (lab namespace, no IPVS needed): the entry
// captured on the image test's director (test/unit/ctsync/fixtures/ipvs-nat-6.1.json) goes
// through the sync conversion and the commit's create request, and the kernel holds the
// director's entry again: the same tuples (reply from the real server to the SNAT address) and
// the same NAT status (SNAT, no DNAT), as `conntrack -L` lists it.
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { toCtEntry, toSyncEntry } from '../../../src/ctsync/convert.ts';
import { decodeEntry, type CtEntry } from '../../../src/kernel/ctnetlink/entry.ts';
import { withLab } from '../harness.ts';
import type { Topology } from '../harness.ts';
import { runHelper } from '../native/addon.ts';
import { requireLab } from '../require.ts';

const test = suite('ctsync IPVS-NAT commit (lab)');
const ready = requireLab(test, 'lab/ctsync/ipvs-nat-commit', { tools: ['conntrack', 'iptables'] });
const topo: Topology = { hosts: ['a'], links: [], addresses: {} };

const fixture = JSON.parse(readFileSync(new URL('../../unit/ctsync/fixtures/ipvs-nat-6.1.json', import.meta.url), 'utf8')) as { messages: Array<{ name: string; hex: string }> };
const director = decodeEntry(Buffer.from(fixture.messages[0]!.hex, 'hex'));
/** IPS_SRC_NAT | IPS_DST_NAT | IPS_SRC_NAT_DONE | IPS_DST_NAT_DONE. */
const NAT_BITS = 0x10 | 0x20 | 0x80 | 0x100;

const tmp = mkdtempSync(join(tmpdir(), 'stockade-ipvs-nat-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

if (ready) {
  test('the peer\'s kernel holds the director\'s entry: tuples and NAT status', async () => {
    await withLab(topo, async (lab) => {
      await lab.exec('a', ['iptables', '-t', 'nat', '-L', '-n']); // NAT for this namespace
      const create = toCtEntry(toSyncEntry(director));
      const f = join(tmp, 'batch.json');
      writeFileSync(f, JSON.stringify([{ op: 'create', entry: create }]));
      const [r] = await runHelper(lab, 'a', 'ctnetlink-tool.ts', ['batch', f], 60_000);
      assert.equal(r!['failed'], []);
      const dump = await runHelper(lab, 'a', 'ctnetlink-tool.ts', ['dump']);
      const got = dump.map((l) => l['entry'] as CtEntry | undefined).find((e) => e?.orig.src === director.orig.src && e.orig.sport === director.orig.sport);
      assert.ok(got !== undefined, JSON.stringify(dump));
      assert.equal(got!.orig, director.orig);
      assert.equal(got!.reply, director.reply, 'the reply tuple: the real server to the SNAT address');
      assert.is(`0x${(got!.status! & NAT_BITS).toString(16)}`, `0x${(director.status! & NAT_BITS).toString(16)}`, 'SNAT done, DNAT done (null binding), no IPS_DST_NAT');
      const listed = (await lab.exec('a', ['conntrack', '-L'])).stdout;
      const o = director.orig;
      const p = director.reply!;
      assert.match(listed, `src=${o.src} dst=${o.dst} sport=${o.sport} dport=${o.dport} src=${p.src} dst=${p.dst} sport=${p.sport} dport=${p.dport} `);
    });
  });
}

test.run();
