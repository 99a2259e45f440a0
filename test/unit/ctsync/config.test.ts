// The sync section's new settings (filters, buffers, authentication): schema and semantic checks,
// starting from the HA fixture, which is valid.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describeErrors, errorsOf, fixture } from '../config/helpers.ts';

const KEY = Buffer.alloc(32, 9).toString('base64');

test('the HA fixture with every new sync setting is valid', () => {
  const c = fixture();
  Object.assign(c.sync, {
    ignore_protocols: ['icmp'], tcp_states: ['ESTABLISHED', 'FIN_WAIT'], commit_timeout_s: 180,
    event_buffer_bytes: 4194304, event_buffer_max_bytes: 67108864, authentication: { key: KEY, replay_window: 2048 },
  });
  assert.equal(describeErrors(errorsOf(c)), '');
});

const bad: Array<[string, (s: any) => void, string, RegExp]> = [
  ['a protocol listed twice', (s) => (s.ignore_protocols = ['udp', 'udp']), '/sync/ignore_protocols/1', /each protocol once/],
  ['a state listed twice', (s) => (s.tcp_states = ['CLOSE', 'CLOSE']), '/sync/tcp_states/1', /each state once/],
  ['an unknown state', (s) => (s.tcp_states = ['OPEN']), '/sync/tcp_states/0', /.+/],
  ['max buffer below the start size', (s) => Object.assign(s, { event_buffer_bytes: 8388608, event_buffer_max_bytes: 1048576 }), '/sync/event_buffer_max_bytes', /at least event_buffer_bytes/],
  ['a short key', (s) => (s.authentication = { key: Buffer.alloc(31, 1).toString('base64') + 'AAAA' }), '/sync/authentication/key', /at least 32 bytes/],
  ['a key that is not base64', (s) => (s.authentication = { key: 'not a key' }), '/sync/authentication/key', /base64/],
];
for (const [name, mutate, pointer, expected] of bad) {
  test(`rejected: ${name}`, () => {
    const c = fixture();
    mutate(c.sync);
    const errs = errorsOf(c);
    const hit = errs.find((e) => e.pointer === pointer);
    assert.ok(hit !== undefined, `error at ${pointer}; got:\n${describeErrors(errs)}`);
    assert.match(`${hit!.expected} ${hit!.hint ?? ''}`, expected);
  });
}

test.run();
