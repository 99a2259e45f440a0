// The screens that take a factory-fresh box to an HA member (issue 15's done-when): "HA pair"
// makes the VRRP instance, its advert key, the conntrack sync section and the LAN's gateway rules;
// "SSH keys" lists, adds and removes the keys that may log in. Each field is checked by the
// config loader as typed (a refused value keeps the operator on the field, nothing applied);
// applied through the transaction with its countdown. Golden 80x24 screens.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { assertGolden } from './harness.ts';
import { HASH, session } from './tx-session.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
/** The board default as flashed, with the addresses the operator set first on Interface address. */
function fresh(extra: (doc: Record<string, any>) => void = () => undefined): string {
  const doc = JSON.parse(readFileSync(join(ROOT, 'board', 'x86_64-generic', 'config.json'), 'utf8')) as Record<string, any>;
  doc['system'] = { hostname: 'fw-a' };
  doc['addresses'] = [
    { interface: 'mgmt', static: ['192.0.2.130/26'] },
    { interface: 'lan', static: ['192.0.2.2/25'] },
    { interface: 'sync', static: ['203.0.113.1/30'] },
  ];
  doc['console'] = { password_hash: HASH };
  extra(doc);
  return JSON.stringify(doc, null, 2) + '\n';
}

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHa67NJuDXAl7eO9QrhWXqVRbdUW5BQCRQRdGD+m4ehZ admin@laptop';
/** ssh-keygen -lf of KEY. */
const KEY_FP = 'SHA256:M+sPX7cFMFOygE3snYl+u07/QsHU6ILqAlclH6WQWFY';
const KEY2 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKtXqLSihHJzSa1sMHJzNh1TiMhIGWeFp8O9fAtCgbT0 ops@desk';
/** An RSA 4096 key line (ssh-keygen -t rsa -b 4096): 735 characters, pasted in one go. */
const RSA_KEY = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAACAQC0jz24iPtVnzbKnubA4SA21jCrwl6lO2xpJaCrxweY+SqoAChVJylowdr+EuLcIs9s1iVIhmLOQuy5e/xwevLCEzkkzV5d4R2Vd3OZynj+DQm8p0g4HvWiMbqDzLqVBWgfXbDqhATgZ4r8uVed1yRhnoUeodmYNpnctCltvEN8V2A1q4H5MJ/S0XNU84ZwEav8bUmAAh+wLG6QBzvESfsGaNsmomnK1gZa4caX9TCVQbpSNRQQvNvJ56lx3W8y8t9tNVe7kqIbr+lwcDFECgAWhEB6f/WmpZEymlOD2ea9NV2qL7s0E0ts3PDYhfRk84Upd0LBaKbvsHYclOY8KbVw1a6QzmZ3kiSAPbMYlak8eTORk3QKCw/54NcOZA+KReIEzDz4yQKuA9B3Ppx9iFxi28JSsRPeGkDOsmQ5ic/BqVptGwkfR2LBGg2y1a/GbwouMMxhbDzsdpxQveFfsCaanAzBpoyAk8G/BYD1UkZIleytQ1RxzvNFzBrWNie4BAdvlgVO2YKMjNc5fWfTavnAzaxgVrRJZW0Mjhhr9MQdUvOUym0eNVb+gqm6gG3HgRjdMjwJFrTsy2JKGb6en1Z3lUAYDqqvgaPfC+j797jp69dq+Y6O7UwvgDtPN2G8oXDwS4L8ehJWGDhkFsOCWC4xLD2/8TDUzzhEZzhptveGdw== ops@laptop';
const SECRET = '00112233445566778899aabbccddeeff';
/** 64 hex digits (a SHA-256 HMAC key): longer than the room after the prompt. */
const LONG_SECRET = `${SECRET}${[...SECRET].reverse().join('')}`;

const ha = suite('console: HA pair and SSH keys');

ha('HA pair on a fresh box: every field checked as typed, refused values keep the field; one transaction makes the pair', async () => {
  const s = await session(fresh());
  await s.pick('HA pair');
  assertGolden(s.stream, 'ha-pair');
  await s.type('eth7\r');
  assert.match(s.screen(), /No port 'eth7' in the config: one of wan, lan, sync, mgmt\.[\s\S]*VIP port \(Enter: lan\):$/);
  await s.type('\r');
  await s.type('\r');
  assert.match(s.screen(), /Type at least one VIP[\s\S]*VIPs:$/);
  await s.type('198.51.100.1\r');
  assert.match(s.screen(), /\/vrrp\/instances\/0\/vips\/0: expected an address inside a\s+subnet of lan[\s\S]*VIPs:$/);
  await s.type('192.0.2.1\r');
  await s.type('300\r');
  assertGolden(s.stream, 'ha-pair-refused');
  await s.type('51\r200\r\r');
  await s.type('abc\r');
  assert.match(s.screen(), /Not accepted \(3 characters typed\)\. Nothing was applied\.[\s\S]*authentication\/keys\/0\/secret: expected 32 to 128 hex\s+digits; found \(not shown\)[\s\S]*Advert key \(Enter: none\):$/);
  assert.not.match(s.screen(), /abc/, 'a refused key is not shown back');
  await s.type(LONG_SECRET);
  assert.match(s.screen(), /Advert key \(Enter: none\): \*{40,}$/, 'the key is typed as stars, past the screen\'s width');
  assert.not.match(s.screen(), new RegExp(LONG_SECRET.slice(0, 8)), 'the key is never echoed');
  await s.type('\r');
  await s.type('\r');
  await s.type('203.0.113.300\r');
  assert.match(s.screen(), /\/sync\/peer: expected an IPv4 address[\s\S]*Peer sync address:$/);
  await s.type('203.0.113.2\r');
  await s.type('wan\r');
  assert.match(s.screen(), /HA pair: the plan[\s\S]*instance ha: added[\s\S]*sync: added/);
  assert.equal(s.calls, [], 'nothing applied before yes');
  await s.type('qyes\r');
  assert.match(s.screen(), /Reverts in 60 s\./);
  await s.type('c');
  assert.equal(s.calls, ['apply by console', 'confirm by console']);
  const doc = JSON.parse(s.texts[0]!) as Record<string, any>;
  assert.equal(doc['vrrp'], { instances: [{ name: 'ha', interface: 'lan', vrid: 51, priority: 200, vips: ['192.0.2.1'], preempt: true, authentication: { keys: [{ id: 1, secret: LONG_SECRET }] } }] });
  assert.equal(doc['sync'], { interface: 'sync', peer: '203.0.113.2', vrrp_group: 'ha' });
  assert.equal(doc['sysctls'], { 'net.ipv4.ip_forward': 1 });
  assert.equal(doc['firewall'].rules.slice(2), [
    { chain: 'input', action: 'accept', protocol: 'icmp', in_interface: 'lan', comment: 'console: ping the VIPs' },
    { chain: 'forward', action: 'accept', states: ['established', 'related'] },
    { chain: 'forward', action: 'accept', in_interface: 'lan', out_interface: 'wan', states: ['new'], comment: 'console: LAN out' },
  ]);
});

ha('HA pair on a box in a pair: Enter keeps every value; none drops the key, the sync and the forwarding', async () => {
  const s = await session(fresh((d) => {
    d['vrrp'] = { instances: [{ name: 'gw', interface: 'lan', vrid: 9, priority: 100, vips: ['192.0.2.1'], preempt: false, authentication: { keys: [{ id: 1, secret: SECRET }] } }] };
    d['sync'] = { interface: 'sync', peer: '203.0.113.2', vrrp_group: 'gw', mode: 'notrack' };
  }));
  await s.pick('HA pair');
  assert.match(s.screen(), /VRRP instance gw[\s\S]*on lan, VIPs 192\.0\.2\.1, VRID 9, priority 100, preempt no[\s\S]*advert key: set; sync: sync to peer 203\.0\.113\.2/);
  await s.type('\r\r\r150\r\r');
  assert.match(s.screen(), /Advert key \(Enter: keep\):$/);
  await s.type('\r\r\r\r');
  assert.match(s.screen(), /HA pair: the plan/);
  await s.type('qyes\rc');
  let doc = JSON.parse(s.texts[0]!) as Record<string, any>;
  assert.equal(doc['vrrp'].instances, [{ name: 'gw', interface: 'lan', vrid: 9, priority: 150, vips: ['192.0.2.1'], preempt: false, authentication: { keys: [{ id: 1, secret: SECRET }] } }]);
  assert.equal(doc['sync'], { interface: 'sync', peer: '203.0.113.2', vrrp_group: 'gw', mode: 'notrack' }, 'the other sync keys stay');
  await s.type('\r');
  await s.pick('HA pair');
  await s.type('\r\r\r\r\rnone\rnone\r\r');
  await s.type('qyes\rc');
  doc = JSON.parse(s.texts[1]!) as Record<string, any>;
  assert.equal(doc['sync'], undefined);
  assert.equal(doc['vrrp'].instances[0].authentication, undefined);
  assert.equal(doc['sysctls'], undefined, 'no forwarding asked: ip_forward untouched');
});

ha('SSH keys: none yet says the first starts SSH; a bad or cut key keeps the field; added through the transaction', async () => {
  const s = await session(fresh());
  await s.pick('SSH keys');
  assertGolden(s.stream, 'ssh-keys-none');
  await s.type('ssh-ed25519 AAAA admin@laptop\r');
  assert.match(s.screen(), /Not an OpenSSH public key: its base64 does not hold a ssh-ed25519 key\.[\s\S]*Key \(Enter: back to the menu\):$/);
  await s.type('ssh-dss AAAAB3NzaC1kc3M= old\r');
  assert.match(s.screen(), /management\/ssh_authorized_keys\/0: expected an OpenSSH public key line[\s\S]*Key \(Enter: back to the menu\):$/);
  await s.type('-1\r');
  assert.match(s.screen(), /There is no key to remove\./);
  assert.equal(s.calls, []);
  // Pasted in one go, longer than the screen is wide.
  await s.type(`${KEY}\r`);
  assert.match(s.screen(), /SSH keys: the plan[\s\S]*management/);
  await s.type('qyes\rc');
  assert.equal(s.calls, ['apply by console', 'confirm by console']);
  assert.equal((JSON.parse(s.texts[0]!) as Record<string, any>)['management'].ssh_authorized_keys, [KEY]);
});

ha('SSH keys: listed with type, short fingerprint and comment; removed by number', async () => {
  const s = await session(fresh((d) => { d['management'].ssh_authorized_keys = [KEY, KEY2]; }));
  await s.pick('SSH keys');
  assertGolden(s.stream, 'ssh-keys');
  assert.match(s.screen(), new RegExp(`  1  ssh-ed25519 +${KEY_FP.slice(0, 19).replace(/[+/]/g, '\\$&')}  admin@laptop`));
  await s.type(`${KEY2}\r`);
  assert.match(s.screen(), /That key is already in the list\./);
  await s.type('-3\r');
  assert.match(s.screen(), /No key 3: 1 to 2\./);
  await s.type('-1\r');
  await s.type('qyes\rc');
  assert.equal((JSON.parse(s.texts[0]!) as Record<string, any>)['management'].ssh_authorized_keys, [KEY2]);
});

ha('SSH keys: an RSA 4096 key pasted in one chunk arrives whole (the typed-ahead bound holds a key line)', async () => {
  const s = await session(fresh());
  await s.pick('SSH keys');
  await s.type(`${RSA_KEY}\r`);
  assert.match(s.screen(), /SSH keys: the plan/);
  await s.type('qyes\rc');
  assert.equal((JSON.parse(s.texts[0]!) as Record<string, any>)['management'].ssh_authorized_keys, [RSA_KEY]);
});

ha.run();
