import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { constants } from 'node:os';
import { errnoName, isSystemError, systemError } from '../../../src/kernel/errors.ts';

test('errno names as Node names them, either sign', () => {
  assert.is(errnoName(19), 'ENODEV');
  assert.is(errnoName(-105), 'ENOBUFS');
  assert.is(errnoName(constants.errno.EPERM), 'EPERM');
  assert.is(errnoName(4000), 'E4000');
});

test('systemError is shaped like Node system errors', () => {
  const e = systemError(constants.errno.ETIMEDOUT, 'netlink', 'no reply');
  assert.is(e.code, 'ETIMEDOUT');
  assert.is(e.errno, -constants.errno.ETIMEDOUT);
  assert.is(e.syscall, 'netlink');
  assert.is(e.message, 'netlink ETIMEDOUT: no reply');
  assert.ok(isSystemError(e));
  assert.ok(isSystemError(e, 'ETIMEDOUT'));
  assert.not.ok(isSystemError(e, 'ENOBUFS'));
  assert.not.ok(isSystemError(new Error('x')));
  assert.not.ok(isSystemError('ENOBUFS'));
});

test.run();
