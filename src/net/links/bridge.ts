// Bridges: made with their options; every option changes in place.
import type { BridgeOptions, Link, LinkInfo } from '../../kernel/rtnetlink/index.ts';
import type { DesiredBridge } from '../desired.ts';
import { baseRequest, foreignLink, otherKind, type LinkKind, type OptionChange, type Recreate } from './kind.ts';

function bridgeOptions(d: DesiredBridge): BridgeOptions {
  return {
    forwardDelayCs: d.forwardDelayCs,
    helloTimeCs: d.helloTimeCs,
    maxAgeCs: d.maxAgeCs,
    ageingTimeCs: d.ageingTimeCs,
    stpState: d.stp ? 1 : 0,
    priority: d.priority,
    // Only sent when wanted: kernels without CONFIG_BRIDGE_VLAN_FILTERING refuse the attribute.
    ...(d.vlanFiltering ? { vlanFiltering: true } : {}),
  };
}

function describe(d: DesiredBridge): string {
  const parts = [`stp ${d.stp ? 'on' : 'off'}`];
  if (d.stp) parts.push(`priority ${d.priority}`, `forward_delay ${d.forwardDelayCs / 100} s`);
  if (d.vlanFiltering) parts.push('vlan_filtering');
  return parts.join(', ');
}

function options(d: DesiredBridge, a: Link): OptionChange {
  const cur = a.bridge ?? {};
  const want = bridgeOptions(d);
  const set: BridgeOptions = {};
  const old: BridgeOptions = {};
  const words: string[] = [];
  const cs = (key: 'forwardDelayCs' | 'helloTimeCs' | 'maxAgeCs' | 'ageingTimeCs', word: string): void => {
    if (cur[key] === want[key]) return;
    set[key] = want[key]!;
    if (cur[key] !== undefined) old[key] = cur[key];
    words.push(`${word} ${cur[key] === undefined ? 'unset' : `${cur[key] / 100} s`} -> ${want[key]! / 100} s`);
  };
  cs('forwardDelayCs', 'forward_delay');
  cs('helloTimeCs', 'hello_time');
  cs('maxAgeCs', 'max_age');
  cs('ageingTimeCs', 'ageing_time');
  if ((cur.stpState ?? 0) !== 0 !== d.stp) {
    set.stpState = d.stp ? 1 : 0;
    old.stpState = cur.stpState ?? 0;
    words.push(`stp ${d.stp ? 'off -> on' : 'on -> off'}`);
  }
  if (cur.priority !== d.priority) {
    set.priority = d.priority;
    if (cur.priority !== undefined) old.priority = cur.priority;
    words.push(`priority ${cur.priority ?? 'unset'} -> ${d.priority}`);
  }
  if ((cur.vlanFiltering ?? false) !== d.vlanFiltering) {
    set.vlanFiltering = d.vlanFiltering;
    old.vlanFiltering = cur.vlanFiltering ?? false;
    words.push(`vlan_filtering ${d.vlanFiltering ? 'off -> on' : 'on -> off'}`);
  }
  return { words, needsDown: false, forward: async () => ({ kind: 'bridge', bridge: set }), backward: { kind: 'bridge', bridge: old } };
}

export const bridge: LinkKind<DesiredBridge> = {
  kind: 'bridge',
  identityMismatch: otherKind,
  conflict: (d, _a, why) => foreignLink(d, why),
  create: {
    stage: 'masters',
    make: (d) => ({
      detail: describe(d),
      up: d.up,
      request: async () => ({
        ...baseRequest(d),
        info: { kind: 'bridge', bridge: bridgeOptions(d) },
      }),
    }),
  },
  options,
};

export const bridgeAgain: Recreate = {
  kind: 'bridge',
  recreate(a: Link): { info: LinkInfo } {
    const { vlanFiltering, ...rest } = a.bridge ?? {};
    return { info: { kind: 'bridge', bridge: { ...rest, ...(vlanFiltering ? { vlanFiltering } : {}) } } };
  },
};
