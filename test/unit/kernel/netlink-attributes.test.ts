import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  AttributeEncoder, attrBe16, attrBe32, attrBe64, attributeMap, attrNested, attrS32, attrString, attrU16, attrU32,
  attrU64, attrU8, decodeAttributes,
} from '../../../src/kernel/netlink/attributes.ts';
import { NLA_F_NESTED, NLA_F_NET_BYTEORDER, NLA_TYPE_MASK } from '../../../src/kernel/netlink/constants.ts';
import { NetlinkParseError } from '../../../src/kernel/netlink/message.ts';

const hex = (b: Buffer) => b.toString('hex');

test('flag bits match linux/netlink.h', () => {
  assert.is(NLA_F_NESTED, 0x8000);
  assert.is(NLA_F_NET_BYTEORDER, 0x4000);
  assert.is(NLA_TYPE_MASK, 0x3fff);
});

test('integer attributes: exact bytes, host (LE) and big-endian', () => {
  assert.is(hex(new AttributeEncoder().u8(1, 0xab).encode()), '05000100' + 'ab000000');
  assert.is(hex(new AttributeEncoder().u16(2, 0x1234).encode()), '06000200' + '34120000');
  assert.is(hex(new AttributeEncoder().u32(3, 0x01020304).encode()), '08000300' + '04030201');
  assert.is(hex(new AttributeEncoder().s32(3, -2).encode()), '08000300' + 'feffffff');
  assert.is(hex(new AttributeEncoder().u64(4, 0x0102030405060708n).encode()), '0c000400' + '0807060504030201');
  assert.is(hex(new AttributeEncoder().be16(5, 0x1234).encode()), '06000500' + '12340000');
  assert.is(hex(new AttributeEncoder().be32(6, 0x01020304, { netByteOrder: true }).encode()), '08000640' + '01020304');
  assert.is(hex(new AttributeEncoder().be64(7, 1n).encode()), '0c000700' + '0000000000000001');
});

test('strings are NUL-terminated and padded; nla_len excludes padding', () => {
  const b = new AttributeEncoder().string(3, 'eth0').encode();
  assert.is(hex(b), '09000300' + '65746830' + '00000000');
  assert.is(attrString(decodeAttributes(b)[0]!), 'eth0');
});

test('a string attribute without NUL (NLA_STRING) decodes whole', () => {
  const b = new AttributeEncoder().bytes(1, Buffer.from('abc')).encode();
  assert.is(attrString(decodeAttributes(b)[0]!), 'abc');
});

test('flag attribute is a bare header', () => {
  assert.is(hex(new AttributeEncoder().flag(9).encode()), '04000900');
});

test('nested attributes set NLA_F_NESTED and round trip', () => {
  const b = new AttributeEncoder()
    .string(3, 'v0')
    .nested(18, (e) => e.string(1, 'veth').nested(2, (d) => d.u32(1, 7)))
    .u32(4, 1500)
    .encode();
  const top = decodeAttributes(b);
  assert.equal(top.map((a) => [a.type, a.nested]), [[3, false], [18, true], [4, false]]);
  const info = attrNested(top[1]!);
  assert.is(attrString(info[0]!), 'veth');
  assert.ok(info[1]!.nested);
  assert.is(attrU32(attrNested(info[1]!)[0]!), 7);
  assert.is(attrU32(top[2]!), 1500);
  // raw type word of the nest carries the flag
  const nestAt = 8; // after 'v0\0' (7 bytes, padded to 8)
  assert.is(b.readUInt16LE(nestAt + 2), 18 | NLA_F_NESTED);
  assert.is(b.readUInt16LE(nestAt), 4 + 12 + 12); // header + "veth\0" padded + inner nest
});

test('every value helper round trips', () => {
  const b = new AttributeEncoder().u8(1, 200).u16(2, 65535).u32(3, 0xffffffff).u64(4, 2n ** 64n - 1n)
    .be16(5, 443).be32(6, 0xc0000201).be64(7, 12345678901234n).s32(8, -1).encode();
  const m = attributeMap(decodeAttributes(b));
  assert.is(attrU8(m.get(1)!), 200);
  assert.is(attrU16(m.get(2)!), 65535);
  assert.is(attrU32(m.get(3)!), 0xffffffff);
  assert.is(attrU64(m.get(4)!), 2n ** 64n - 1n);
  assert.is(attrBe16(m.get(5)!), 443);
  assert.is(attrBe32(m.get(6)!), 0xc0000201);
  assert.is(attrBe64(m.get(7)!), 12345678901234n);
  assert.is(attrS32(m.get(8)!), -1);
});

test('net byte order flag decodes separately from the type', () => {
  const [a] = decodeAttributes(new AttributeEncoder().be16(0x123, 80, { netByteOrder: true }).encode());
  assert.is(a!.type, 0x123);
  assert.ok(a!.netByteOrder);
  assert.not.ok(a!.nested);
});

test('attributeMap keeps the last of a repeated type', () => {
  const m = attributeMap(decodeAttributes(new AttributeEncoder().u32(1, 1).u32(1, 2).encode()));
  assert.is(attrU32(m.get(1)!), 2);
});

test('wrong value sizes and malformed runs throw', () => {
  const [a] = decodeAttributes(new AttributeEncoder().u16(1, 1).encode());
  assert.throws(() => attrU32(a!), /needs 4 bytes, has 2/);
  assert.throws(() => decodeAttributes(Buffer.from('0300010000', 'hex')), /shorter than the header/);
  assert.throws(() => decodeAttributes(Buffer.from('0c00010000000000', 'hex')), /runs past/);
  assert.throws(() => decodeAttributes(Buffer.from('0800010000000000ff', 'hex')), (e: unknown) => e instanceof NetlinkParseError && e.offset === 8);
  // last attribute without its padding is fine
  assert.is(attrU8(decodeAttributes(Buffer.from('05000100ab', 'hex'))[0]!), 0xab);
});

test('encoder limits', () => {
  assert.throws(() => new AttributeEncoder().bytes(1, Buffer.alloc(0xffff)), RangeError);
  assert.throws(() => new AttributeEncoder().u8(0x4000, 1), RangeError);
  const e = new AttributeEncoder().u8(1, 1).u32(2, 2);
  assert.is(e.length, 16);
  assert.is(e.encode().length, 16);
});

test.run();
