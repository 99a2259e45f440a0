import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AttributeEncoder } from '../../../src/kernel/netlink/attributes.ts';
import { IFF_UP, IFLA_ADDRESS, IFLA_IFNAME, IFLA_MTU, RTM_NEWADDR, RTM_NEWLINK } from '../../../src/kernel/rtnetlink/constants.ts';
import { decodeLink, encodeIfinfomsg, formatMac } from '../../../src/kernel/rtnetlink/link.ts';

test('ifinfomsg request bytes', () => {
  assert.is(encodeIfinfomsg().toString('hex'), '00'.repeat(16));
  assert.is(encodeIfinfomsg(2, 7).toString('hex'), '02000000' + '07000000' + '00000000' + '00000000');
});

test('decodeLink reads header fields and the three attributes', () => {
  const hdr = Buffer.alloc(16);
  hdr.writeUInt16LE(1, 2);
  hdr.writeInt32LE(5, 4);
  hdr.writeUInt32LE(IFF_UP, 8);
  const attrs = new AttributeEncoder().string(IFLA_IFNAME, 'wan0').u32(IFLA_MTU, 9000)
    .bytes(IFLA_ADDRESS, Buffer.from('020000000a01', 'hex')).u32(999, 1).encode();
  const link = decodeLink({ type: RTM_NEWLINK, flags: 0, seq: 0, pid: 0, payload: Buffer.concat([hdr, attrs]) });
  assert.equal(link, { index: 5, name: 'wan0', flags: IFF_UP, type: 1, mtu: 9000, address: '02:00:00:00:0a:01' });
});

test('decodeLink rejects other types and short headers', () => {
  assert.throws(() => decodeLink({ type: RTM_NEWADDR, flags: 0, seq: 0, pid: 0, payload: Buffer.alloc(16) }), /not RTM_NEWLINK/);
  assert.throws(() => decodeLink({ type: RTM_NEWLINK, flags: 0, seq: 0, pid: 0, payload: Buffer.alloc(8) }), /ifinfomsg/);
});

test('formatMac', () => {
  assert.is(formatMac(Buffer.from([0, 0x5e, 0, 1, 0xa, 0xff])), '00:5e:00:01:0a:ff');
});

test.run();
