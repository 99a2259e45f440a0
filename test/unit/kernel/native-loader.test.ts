// Where the addon is looked for and how a missing one is reported; the addon is not loaded here.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadNativeFrom, nativeCandidates } from '../../../src/kernel/native.ts';

test('STOCKADE_NATIVE wins, resolved to an absolute path', () => {
  assert.equal(nativeCandidates({ STOCKADE_NATIVE: 'dist/x64/stockade.node' }, '/opt/stockade/stockade'),
    [{ path: `${process.cwd()}/dist/x64/stockade.node`, from: 'STOCKADE_NATIVE' }]);
});

test('otherwise next to the executable', () => {
  assert.equal(nativeCandidates({}, '/usr/bin/stockade'), [{ path: '/usr/bin/stockade.node', from: 'next to the executable' }]);
  assert.equal(nativeCandidates({ STOCKADE_NATIVE: '' }, '/usr/bin/stockade')[0]!.path, '/usr/bin/stockade.node');
});

test('a missing addon is an error naming every path tried', () => {
  assert.throws(() => loadNativeFrom([
    { path: '/nonexistent/a/stockade.node', from: 'STOCKADE_NATIVE' },
    { path: '/nonexistent/b/stockade.node', from: 'next to the executable' },
  ]), (e: unknown) => e instanceof Error
    && e.message.includes('/nonexistent/a/stockade.node (STOCKADE_NATIVE)')
    && e.message.includes('/nonexistent/b/stockade.node (next to the executable)')
    && e.message.includes('scripts/build-native'));
});

test.run();
