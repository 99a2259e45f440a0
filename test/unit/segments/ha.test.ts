// A segment following a VRRP instance is served (DHCP, router and public addresses) only while
// that instance is MASTER here; segments without one always are.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { servedSegments, segmentsFollowing } from '../../../src/segments/index.ts';
import { config, edited, errorsOf } from './fixture.ts';

const VRRP = { instances: [{ name: 'vi_cloud', interface: 'wan', vrid: 51, priority: 150, vips: ['203.0.113.50/24'] }] };

test('served: segments without vrrp always, a following one only while its instance is MASTER', () => {
  const c = config(edited((d) => { d.vrrp = VRRP; d.segments[0].vrrp = 'vi_cloud'; }));
  assert.equal([...servedSegments(c, new Set())], ['office']);
  assert.equal([...servedSegments(c, new Set(['vi_cloud']))], ['cloud', 'office']);
  assert.equal(segmentsFollowing(c, 'vi_cloud'), ['cloud']);
});

test('vrrp must name an instance (with a suggestion); system segments take none', () => {
  const errors = errorsOf(edited((d) => { d.vrrp = VRRP; d.segments[0].vrrp = 'vi_clod'; }));
  assert.equal(errors.map((e) => e.pointer), ['/segments/0/vrrp']);
  assert.match(errors[0]!.hint ?? '', /did you mean "vi_cloud"/);
  const sys = errorsOf(edited((d) => { d.vrrp = VRRP; d.segments.push({ name: 'z', interfaces: ['trunk'], vrrp: 'vi_cloud' }); d.segments[0].interfaces = ['lan']; d.segments[1].interfaces = ['wan']; }));
  assert.ok(sys.some((e) => e.pointer === '/segments/2/vrrp' && /no vrrp in a system segment/.test(e.expected)), JSON.stringify(sys));
});

test.run();
