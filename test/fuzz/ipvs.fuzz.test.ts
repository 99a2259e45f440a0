// IPVS reply decoders under mutation: the dump replies captured from the VM's kernel
// (test/unit/lvs/fixtures) with bytes changed or cut decode or fail with a parse error
// (NetlinkParseError, RangeError), never another exception. Bounded: fixed runs and a time limit.
import { test } from 'uvu';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { property } from './property.ts';
import { decodeMessages, NetlinkParseError } from '../../src/kernel/netlink/message.ts';
import { GENL_HDRLEN } from '../../src/kernel/netlink/genl.ts';
import { decodeDaemon, decodeDest, decodeInfo, decodeService } from '../../src/kernel/ipvs/codec.ts';

const views = JSON.parse(readFileSync(new URL('../unit/lvs/fixtures/ipvsadm-views.json', import.meta.url), 'utf8')) as { listReplies: string[] };
// The IPVS family's replies (type >= 0x11; the controller's are 0x10), by command.
const golden = views.listReplies.flatMap((h) => decodeMessages(Buffer.from(h, 'hex'))).filter((m) => m.type > 0x10 && m.payload.length > GENL_HDRLEN);
const decoders = [decodeService, (b: Buffer) => decodeDest(b), decodeInfo, decodeDaemon];

const mutated = fc.record({
  which: fc.nat({ max: golden.length - 1 }),
  decoder: fc.nat({ max: decoders.length - 1 }),
  edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
  cut: fc.option(fc.nat(), { nil: undefined }),
});

property(test, 'IPVS decoders: mutated replies decode or fail with a parse error', mutated, { runs: 600, timeLimitMs: 4000 }, ({ which, decoder, edits, cut }) => {
  const attrs = Buffer.from(golden[which]!.payload.subarray(GENL_HDRLEN));
  for (const [at, v] of edits) attrs[at % attrs.length] = v;
  const bytes = cut === undefined ? attrs : attrs.subarray(0, cut % (attrs.length + 1));
  try {
    decoders[decoder]!(bytes);
  } catch (e) {
    if (!(e instanceof NetlinkParseError || e instanceof RangeError)) throw e;
  }
});

test.run();
