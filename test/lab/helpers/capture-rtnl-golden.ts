// Captures the rtnetlink golden fixtures (test/unit/kernel/fixtures/rtnetlink-golden.ts):
//  - requests: what iproute2 sends for each command below (seen with strace), including bond
//    and VLAN creation, which this host's kernel then refuses (no bonding, no 8021q);
//  - dumps: what the kernel reports about the objects those commands made.
// Runs in a lab namespace (root). Prints the fixture module:
//   scripts/node-run test/lab/helpers/capture-rtnl-golden.ts > test/unit/kernel/fixtures/rtnetlink-golden.ts
import { execFileSync } from 'node:child_process';
import { release } from 'node:os';
import { withLab } from '../harness.ts';
import type { Lab } from '../harness.ts';
import { runHelper } from '../native/addon.ts';

/** Commands whose request bytes are kept: [fixture name, ip arguments]. */
const REQUESTS: Array<[string, string[]]> = [
  ['NEWLINK_BRIDGE', ['link', 'add', 'name', 'br0', 'type', 'bridge', 'forward_delay', '400', 'hello_time', '300', 'max_age', '2500', 'ageing_time', '30000', 'stp_state', '1', 'priority', '4096']],
  ['NEWLINK_BOND', ['link', 'add', 'name', 'bond0', 'mtu', '9000', 'address', '02:00:00:00:00:01', 'type', 'bond', 'mode', '802.3ad', 'miimon', '100', 'updelay', '200', 'downdelay', '200', 'xmit_hash_policy', 'layer3+4', 'min_links', '1', 'lacp_rate', 'fast']],
  ['NEWLINK_BOND_AB', ['link', 'add', 'name', 'bond1', 'type', 'bond', 'mode', 'active-backup', 'miimon', '100', 'primary', 'eth1']],
  ['NEWLINK_VLAN', ['link', 'add', 'mtu', '1400', 'link', 'eth0', 'name', 'eth0.10', 'type', 'vlan', 'id', '10', 'protocol', '802.1Q']],
  ['NEWLINK_MACVLAN', ['link', 'add', 'link', 'eth1', 'name', 'mv0', 'type', 'macvlan', 'mode', 'bridge']],
  ['NEWLINK_VETH', ['link', 'add', 'name', 'va', 'address', '02:00:00:00:00:0a', 'type', 'veth', 'peer', 'name', 'vb', 'address', '02:00:00:00:00:0b']],
  ['SETLINK_MASTER', ['link', 'set', 'dev', 'eth0', 'master', 'br0']],
  ['SETLINK_ATTRS', ['link', 'set', 'dev', 'va', 'mtu', '1400', 'address', '02:00:00:00:00:0c', 'alias', 'stockade: uplink']],
  ['SETLINK_UP', ['link', 'set', 'dev', 'va', 'up']],
  ['SETLINK_DOWN', ['link', 'set', 'dev', 'va', 'down']],
  ['SETLINK_RENAME', ['link', 'set', 'dev', 'vb', 'name', 'wan']],
  ['SETLINK_BRIDGE_OPTIONS', ['link', 'set', 'dev', 'br0', 'type', 'bridge', 'stp_state', '0']],
  // Setup steps (name ''): run, not kept. Routes need their link up to be accepted.
  ['', ['link', 'set', 'dev', 'va', 'up']],
  ['', ['link', 'set', 'dev', 'wan', 'up']],
  ['NEWADDR', ['addr', 'add', '192.0.2.1/24', 'brd', '+', 'dev', 'va']],
  ['', ['addr', 'add', '192.0.2.10/32', 'dev', 'va']],
  ['DELADDR', ['addr', 'del', '192.0.2.10/32', 'dev', 'va']],
  ['NEWROUTE', ['route', 'add', '198.51.100.0/24', 'via', '192.0.2.254', 'metric', '10', 'dev', 'va', 'proto', '83']],
  ['NEWROUTE_TABLE', ['route', 'add', 'default', 'via', '192.0.2.254', 'table', '1000', 'dev', 'va', 'proto', '83']],
  ['NEWROUTE_BLACKHOLE', ['route', 'add', 'blackhole', '203.0.113.0/24', 'table', '100', 'proto', '83']],
  ['REPLACEROUTE', ['route', 'replace', '198.51.100.0/24', 'via', '192.0.2.253', 'metric', '10', 'dev', 'va', 'proto', '83']],
  ['NEWRULE', ['rule', 'add', 'from', '192.0.2.0/24', 'to', '198.51.100.0/24', 'iif', 'eth0', 'oif', 'va', 'fwmark', '5/0xff', 'priority', '1001', 'table', '1000', 'protocol', '83']],
  ['NEWRULE_PROHIBIT', ['rule', 'add', 'fwmark', '7/0xffffffff', 'priority', '1002', 'prohibit', 'protocol', '83']],
  ['', ['link', 'add', 'name', 'vx', 'type', 'veth', 'peer', 'name', 'vy']],
  ['DELLINK', ['link', 'del', 'dev', 'vx']],
];

const GET_TYPES = new Set([18, 22, 26, 34]);

/** The last change request `ip` sent (strace's hex dump of sendmsg), and how ip ended. */
async function capture(lab: Lab, args: string[]): Promise<{ hex: string; stderr: string }> {
  const r = await lab.exec('a', ['strace', '-f', '-e', 'trace=sendmsg', '-e', 'write=all', '-xx', '-s', '65535', 'ip', ...args], { check: false });
  const msgs: string[][] = [];
  let cur: string[] | undefined;
  for (const line of r.stderr.split('\n')) {
    if (line.includes('sendmsg(')) {
      cur = [];
      msgs.push(cur);
      continue;
    }
    const m = /^ \| [0-9a-f]{5}  (.{48})/.exec(line);
    if (m && cur) cur.push(m[1]!.replace(/ /g, ''));
  }
  const hexes = msgs.map((c) => c.join('')).filter((h) => h.length >= 32 && !GET_TYPES.has(Buffer.from(h, 'hex').readUInt16LE(4)));
  const last = hexes.at(-1);
  if (last === undefined) throw new Error(`no request captured for ip ${args.join(' ')}: ${r.stderr}`);
  const errors = r.stderr.split('\n').filter((l) => /^(Error|RTNETLINK)/.test(l)).join(' ');
  return { hex: last, stderr: errors };
}

const lines: string[] = [];
await withLab({ hosts: ['a', 'b'], links: [['a:eth0', 'b:eth0'], ['a:eth1', 'b:eth1']] }, async (lab) => {
  const requests: string[] = [];
  for (const [name, args] of REQUESTS) {
    if (name === '') {
      await lab.exec('a', ['ip', ...args]);
      continue;
    }
    const { hex, stderr } = await capture(lab, args);
    requests.push(`/** \`ip ${args.join(' ')}\`${stderr ? ` (the kernel answered: ${stderr.replace(/\*\//g, '')})` : ''} */\nexport const REQ_${name} =\n  '${hex}';`);
  }
  await lab.exec('a', ['ip', 'addr', 'add', '192.0.2.9/32', 'dev', 'va', 'label', 'va:vip']);
  // The objects the commands made (not lo, eth1, the local table or the kernel's rules).
  const keep = (d: Record<string, unknown>): boolean => {
    const key = String(d['key']);
    if (d['what'] === 'link') return ['br0', 'eth0', 'va', 'wan', 'mv0'].includes(key);
    if (d['what'] === 'address') return key !== '127.0.0.1/8';
    if (d['what'] === 'route') return !key.startsWith('255 ');
    return key === '1001' || key === '1002';
  };
  const dump = (await runHelper(lab, 'a', 'rtnl-dump-hex.ts', ['proto-address:wan:203.0.113.5/24:83'])).filter(keep);
  const ip = async (...args: string[]): Promise<string> => (await lab.exec('a', ['ip', '-d', ...args])).stdout.trim();
  const oracle = [await ip('link', 'show'), await ip('addr', 'show'), await ip('route', 'show', 'table', 'all'), await ip('rule', 'show')].join('\n');
  lines.push(
    '// GENERATED by test/lab/helpers/capture-rtnl-golden.ts: real iproute2 requests and kernel dumps',
    `// (iproute2 ${execFileSync('ip', ['-V'], { encoding: 'utf8' }).trim().replace(/^ip utility, /, '')}, kernel ${release()}, x86_64), hex.`,
    '// Requests are as `ip` sent them (seq and pid included); dump messages have seq and pid zeroed.',
    '',
    ...requests,
    '',
    '/** The dumps after those commands, each message with what identifies it. */',
    `export const DUMP: ReadonlyArray<{ what: string; key: string; hex: string }> = ${JSON.stringify(dump, null, 2)};`,
    '',
    '/* What `ip -d` said about the same objects (the oracle the decode tests were written from):',
    ...oracle.split('\n').map((l) => ` * ${l.replace(/\*\//g, '')}`),
    ' */',
    '',
  );
});
process.stdout.write(lines.join('\n'));
