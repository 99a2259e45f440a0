import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isMac, macAt, parseMac } from '../../../src/common/mac.ts';
import { linkState } from '../../../src/kernel/rtnetlink/link-state.ts';
import { IFF_LOWER_UP, IFF_UP } from '../../../src/kernel/rtnetlink/constants.ts';

test('parseMac and macAt are each other\'s inverse (either case in, lower case out)', () => {
  const b = parseMac('02:AB:cd:00:01:ff');
  assert.is(b.toString('hex'), '02abcd0001ff');
  assert.is(macAt(b), '02:ab:cd:00:01:ff');
  assert.is(macAt(Buffer.concat([Buffer.from([9, 9]), b, Buffer.from([7])]), 2, 8), '02:ab:cd:00:01:ff', 'a slice of a longer buffer');
});

test('parseMac refuses anything but six colon-separated hex pairs, naming the text', () => {
  for (const bad of ['00:11:22:33:44', '00:11:22:33:44:zz', '00-11-22-33-44-55', '0:11:22:33:44:55', '00:11:22:33:44:55:66', '']) {
    assert.not.ok(isMac(bad), bad);
    assert.throws(() => parseMac(bad), (e: Error) => e.message === `not a MAC address: ${JSON.stringify(bad)}`, bad);
  }
});

test('linkState: down without IFF_UP, up only with carrier', () => {
  assert.is(linkState(0), 'down');
  assert.is(linkState(IFF_LOWER_UP), 'down');
  assert.is(linkState(IFF_UP), 'no-carrier');
  assert.is(linkState(IFF_UP | IFF_LOWER_UP), 'up');
  assert.is(linkState(IFF_UP, () => true), 'up', 'carrier read elsewhere (sysfs)');
});

test.run();
