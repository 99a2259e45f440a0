// Every semantic check, each with a failing case (the error's pointer, expected text and hint)
// and a passing case close to it. Cases start from the HA fixture, which is valid.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describeErrors, errorsOf, fixture, load, semanticCases, type SemanticCase } from './helpers.ts';


const addPort = (c: any, name: string) => c.interfaces.ports.push({ name });

const cases: SemanticCase[] = [
  // interfaces
  {
    name: 'interface names are unique across ports, bonds, VLANs and bridges',
    bad: (c) => (c.interfaces.vlans[2].name = 'eth3'),
    pointer: '/interfaces/vlans/2/name',
    expected: /a name no other port, bond, VLAN or bridge has/,
    hint: /"eth3" is already a port \(\/interfaces\/ports\/3\)/,
    good: (c) => c.interfaces.vlans.push({ name: 'dmz', parent: 'bond0', id: 40 }),
  },
  {
    name: 'reserved interface names',
    bad: (c) => addPort(c, 'lo'),
    pointer: '/interfaces/ports/4/name',
    expected: /a name other than lo, all, default/,
    good: (c) => addPort(c, 'lo0'),
  },
  {
    name: 'bond members exist (did you mean)',
    bad: (c) => (c.interfaces.bonds[0].members[1] = 'eth7'),
    pointer: '/interfaces/bonds/0/members/1',
    expected: /the name of a port/,
    hint: /did you mean "eth0"/,
    good: (c) => {
      addPort(c, 'eth7');
      c.interfaces.bonds[0].members[1] = 'eth7';
    },
  },
  {
    name: 'bond members are ports',
    bad: (c) => (c.interfaces.bonds[0].members[1] = 'ext'),
    pointer: '/interfaces/bonds/0/members/1',
    expected: /the name of a port/,
    hint: /"ext" is a VLAN/,
  },
  {
    name: 'a NIC is a member of at most one bond or bridge',
    bad: (c) => (c.interfaces.bridges = [{ name: 'br0', members: ['eth1'] }]),
    pointer: '/interfaces/bridges/0/members/0',
    expected: /not already a member of a bond or bridge/,
    hint: /already a member of bond "bond0"/,
    good: (c) => {
      addPort(c, 'eth4');
      c.interfaces.bridges = [{ name: 'br0', members: ['eth4'] }];
    },
  },
  {
    name: 'a member is listed once',
    bad: (c) => (c.interfaces.bonds[0].members = ['eth0', 'eth1', 'eth0']),
    pointer: '/interfaces/bonds/0/members/2',
    expected: /each member once/,
  },
  {
    name: 'a bridge is not its own member',
    bad: (c) => (c.interfaces.bridges = [{ name: 'br0', members: ['br0'] }]),
    pointer: '/interfaces/bridges/0/members/0',
    expected: /a member other than the bridge itself/,
  },
  {
    name: 'bond primary is one of its members',
    bad: (c) => Object.assign(c.interfaces.bonds[0], { mode: 'active-backup', primary: 'eth2' }),
    pointer: '/interfaces/bonds/0/primary',
    expected: /one of the bond's members \(eth0, eth1\)/,
    good: (c) => Object.assign(c.interfaces.bonds[0], { mode: 'active-backup', primary: 'eth1' }),
  },
  {
    name: 'bond primary only in modes that have one',
    bad: (c) => (c.interfaces.bonds[0].primary = 'eth1'),
    pointer: '/interfaces/bonds/0/primary',
    expected: /no primary in mode 802\.3ad/,
  },
  {
    name: 'bond up/down delays are multiples of miimon',
    bad: (c) => (c.interfaces.bonds[0].updelay_ms = 150),
    pointer: '/interfaces/bonds/0/updelay_ms',
    expected: /a multiple of miimon_ms \(100\)/,
    good: (c) => (c.interfaces.bonds[0].updelay_ms = 200),
  },
  {
    name: 'bond min_links at most its members',
    bad: (c) => (c.interfaces.bonds[0].min_links = 3),
    pointer: '/interfaces/bonds/0/min_links',
    expected: /at most the number of members \(2\)/,
    good: (c) => (c.interfaces.bonds[0].min_links = 2),
  },
  {
    name: 'VLAN parents exist',
    bad: (c) => (c.interfaces.vlans[0].parent = 'bond1'),
    pointer: '/interfaces/vlans/0/parent',
    expected: /the name of a port, a bond or a bridge/,
    hint: /did you mean "bond0"/,
  },
  {
    name: 'a VLAN is not put on a bond member',
    bad: (c) => (c.interfaces.vlans[0].parent = 'eth0'),
    pointer: '/interfaces/vlans/0/parent',
    expected: /not a member of a bond or bridge/,
    hint: /use "bond0" instead/,
  },
  {
    name: 'VLAN id unique per parent',
    bad: (c) => (c.interfaces.vlans[1].id = 10),
    pointer: '/interfaces/vlans/1/id',
    expected: /a VLAN id not yet used on bond0/,
    hint: /VLAN 10 on bond0 is already ext/,
    good: (c) => Object.assign(c.interfaces.vlans[1], { id: 10, parent: 'eth3' }),
  },
  {
    name: 'VLAN MTU at most the parent MTU',
    bad: (c) => (c.interfaces.vlans[0].mtu = 9000),
    pointer: '/interfaces/vlans/0/mtu',
    expected: /an MTU of at most 1500 \(the MTU of bond0\)/,
    good: (c) => {
      c.interfaces.bonds[0].mtu = 9000;
      c.interfaces.vlans[0].mtu = 9000;
    },
  },
  {
    name: 'MAC overrides are unicast',
    bad: (c) => (c.interfaces.ports[2].mac = '01:00:5e:00:00:01'),
    pointer: '/interfaces/ports/2/mac',
    expected: /a unicast MAC address/,
    good: (c) => (c.interfaces.ports[2].mac = '02:00:00:00:00:01'),
  },
  {
    name: 'MAC overrides are unique',
    bad: (c) => {
      c.interfaces.ports[2].mac = '02:00:00:00:00:01';
      c.interfaces.ports[3].mac = '02:00:00:00:00:01';
    },
    pointer: '/interfaces/ports/3/mac',
    expected: /a MAC address no other interface has/,
  },
  // addresses
  {
    name: 'address interfaces exist (did you mean)',
    bad: (c) => (c.addresses[0].interface = 'exy'),
    pointer: '/addresses/0/interface',
    expected: /the name of a port, a bond, a VLAN or a bridge/,
    hint: /did you mean "ext"\?/,
  },
  {
    name: 'no addresses on a bond member',
    bad: (c) => c.addresses.push({ interface: 'eth0', dhcp: true }),
    pointer: '/addresses/5/interface',
    expected: /not a member of a bond or bridge/,
  },
  {
    name: 'one address entry per interface',
    bad: (c) => c.addresses.push({ interface: 'ext', dhcp: true }),
    pointer: '/addresses/5/interface',
    expected: /one address entry per interface/,
    hint: /ext already has \/addresses\/0/,
    good: (c) => (c.addresses[0].dhcp = true),
  },
  {
    name: 'an address entry configures something',
    bad: (c) => {
      addPort(c, 'eth4');
      c.addresses.push({ interface: 'eth4' });
    },
    pointer: '/addresses/5',
    expected: /static addresses, "dhcp": true, or both/,
    good: (c) => {
      addPort(c, 'eth4');
      c.addresses.push({ interface: 'eth4', dhcp: true });
    },
  },
  {
    name: 'static addresses are host addresses, not the network address',
    bad: (c) => (c.addresses[0].static[0] = '203.0.113.0/24'),
    pointer: '/addresses/0/static/0',
    expected: /a host address inside 203\.0\.113\.0\/24/,
    hint: /network address; use e\.g\. 203\.0\.113\.1\/24/,
  },
  {
    name: 'static addresses are not the broadcast address',
    bad: (c) => (c.addresses[4].static[0] = '192.0.2.191/26'),
    pointer: '/addresses/4/static/0',
    expected: /a host address inside 192\.0\.2\.128\/26/,
    hint: /broadcast/,
  },
  {
    name: 'static addresses are unicast',
    bad: (c) => (c.addresses[4].static[0] = '127.0.0.2/8'),
    pointer: '/addresses/4/static/0',
    expected: /a unicast host address/,
  },
  {
    name: 'an address is configured once',
    bad: (c) => c.addresses[0].static.push('203.0.113.2/24'),
    pointer: '/addresses/0/static/1',
    expected: /an address configured once/,
    good: (c) => c.addresses[0].static.push('203.0.113.4/24'),
  },
  {
    name: 'subnets do not overlap across interfaces',
    bad: (c) => {
      addPort(c, 'eth4');
      c.addresses.push({ interface: 'eth4', static: ['192.0.2.3/24'] });
    },
    pointer: '/addresses/5/static/0',
    expected: /a subnet that no other interface has/,
    hint: /192\.0\.2\.0\/24 overlaps 192\.0\.2\.0\/25 on int \(\/addresses\/1\/static\/0\)/,
    good: (c) => {
      addPort(c, 'eth4');
      c.addresses.push({ interface: 'eth4', static: ['192.0.2.193/27'] });
    },
  },
  // routes
  {
    name: 'route destinations are networks',
    bad: (c) => c.routes.push({ destination: '192.0.2.200/27', gateway: '203.0.113.254' }),
    pointer: '/routes/1/destination',
    expected: /a network address \(host bits zero\)/,
    hint: /did you mean 192\.0\.2\.192\/27\?/,
    good: (c) => c.routes.push({ destination: '192.0.2.192/27', gateway: '203.0.113.254' }),
  },
  {
    name: 'unicast routes need a gateway or an interface',
    bad: (c) => c.routes.push({ destination: '192.0.2.192/27' }),
    pointer: '/routes/1',
    expected: /a gateway, an interface, or both/,
    good: (c) => c.routes.push({ destination: '192.0.2.192/27', interface: 'ext' }),
  },
  {
    name: 'route interfaces exist',
    bad: (c) => (c.routes[0].interface = 'ext0'),
    pointer: '/routes/0/interface',
    expected: /the name of a port/,
    hint: /did you mean "ext"/,
  },
  {
    name: 'gateways are on a connected subnet of the interface',
    bad: (c) => (c.routes[0].gateway = '198.51.100.254'),
    pointer: '/routes/0/gateway',
    expected: /a gateway: an address on a connected subnet of ext/,
    hint: /connected: 203\.0\.113\.0\/24/,
    good: (c) => (c.routes[0].gateway = '203.0.113.253'),
  },
  {
    name: 'gateways on any connected subnet when no interface is given',
    bad: (c) => {
      delete c.routes[0].interface;
      c.routes[0].gateway = '192.0.2.222';
    },
    pointer: '/routes/0/gateway',
    expected: /a gateway: an address on a connected subnet$/,
    good: (c) => {
      delete c.routes[0].interface;
      c.routes[0].gateway = '198.51.100.254';
    },
  },
  {
    name: 'a gateway is not the box itself',
    bad: (c) => (c.routes[0].gateway = '203.0.113.2'),
    pointer: '/routes/0/gateway',
    expected: /an address of another host/,
  },
  {
    name: 'a gateway with DHCP on the interface cannot be checked before run time and passes',
    bad: (c) => (c.routes[0].gateway = '203.0.113.255'),
    pointer: '/routes/0/gateway',
    expected: /a host address/,
    hint: /broadcast address of 203\.0\.113\.0\/24/,
    good: (c) => {
      c.addresses.push({ interface: 'eth3', dhcp: true });
      c.addresses.splice(4, 1);
      c.management.allowed_sources = [];
      c.routes[0] = { destination: '192.0.2.192/27', gateway: '192.0.2.222', interface: 'eth3' };
    },
  },
  {
    name: 'one route per destination and metric',
    bad: (c) => c.routes.push({ destination: '0.0.0.0/0', gateway: '203.0.113.253' }),
    pointer: '/routes/1/destination',
    expected: /one route per destination and metric/,
    good: (c) => c.routes.push({ destination: '0.0.0.0/0', gateway: '203.0.113.253', metric: 10 }),
  },
  {
    name: 'blackhole routes have no gateway',
    bad: (c) => c.routes.push({ destination: '192.0.2.192/27', type: 'blackhole', gateway: '203.0.113.254' }),
    pointer: '/routes/1/gateway',
    expected: /no gateway for a blackhole route/,
    good: (c) => c.routes.push({ destination: '192.0.2.192/27', type: 'blackhole' }),
  },
  // firewall
  {
    name: 'no in_interface in the output chain',
    bad: (c) => c.firewall.rules.push({ chain: 'output', action: 'drop', in_interface: 'ext' }),
    pointer: '/firewall/rules/7/in_interface',
    expected: /no in_interface in the output chain/,
    good: (c) => c.firewall.rules.push({ chain: 'output', action: 'drop', out_interface: 'ext' }),
  },
  {
    name: 'no out_interface in the input chain',
    bad: (c) => c.firewall.rules.push({ chain: 'input', action: 'drop', out_interface: 'ext' }),
    pointer: '/firewall/rules/7/out_interface',
    expected: /no out_interface in the input chain/,
  },
  {
    name: 'rule interfaces exist',
    bad: (c) => (c.firewall.rules[4].in_interface = 'inn'),
    pointer: '/firewall/rules/4/in_interface',
    expected: /the name of a port/,
    hint: /did you mean "int"/,
  },
  {
    name: 'ports only with tcp, udp or sctp',
    bad: (c) => (c.firewall.rules[2].protocol = 'icmp'),
    pointer: '/firewall/rules/2/destination_ports',
    expected: /no ports unless protocol is tcp, udp or sctp/,
    good: (c) => (c.firewall.rules[2].protocol = 'udp'),
  },
  {
    name: 'port ranges run low to high',
    bad: (c) => (c.firewall.rules[2].destination_ports = ['9000-80']),
    pointer: '/firewall/rules/2/destination_ports/0',
    expected: /a port range low-high/,
    good: (c) => (c.firewall.rules[2].destination_ports = ['80-9000']),
  },
  {
    name: 'rule networks have no host bits',
    bad: (c) => (c.firewall.rules[4].source = '192.0.2.7/25'),
    pointer: '/firewall/rules/4/source',
    expected: /host bits zero, or a single address/,
    hint: /did you mean 192\.0\.2\.0\/25 \(or 192\.0\.2\.7 alone\)\?/,
    good: (c) => (c.firewall.rules[4].source = '192.0.2.7'),
  },
  {
    name: 'masquerade needs an outgoing interface',
    bad: (c) => delete c.firewall.nat[0].out_interface,
    pointer: '/firewall/nat/0/out_interface',
    expected: /the interface to masquerade behind/,
  },
  {
    name: 'snat needs to_address',
    bad: (c) => (c.firewall.nat[0].type = 'snat'),
    pointer: '/firewall/nat/0/to_address',
    expected: /the new source address \(required for snat\)/,
    good: (c) => Object.assign(c.firewall.nat[0], { type: 'snat', to_address: '203.0.113.2' }),
  },
  {
    name: 'dnat has no out_interface',
    bad: (c) => c.firewall.nat.push({ type: 'dnat', out_interface: 'ext', to_address: '198.51.100.11' }),
    pointer: '/firewall/nat/2/out_interface',
    expected: /no out_interface for dnat/,
    good: (c) => c.firewall.nat.push({ type: 'dnat', in_interface: 'ext', protocol: 'tcp', destination_ports: [2222], to_address: '198.51.100.11', to_port: 22 }),
  },
  {
    name: 'to_port only for dnat',
    bad: (c) => (c.firewall.nat[0].to_port = 80),
    pointer: '/firewall/nat/0/to_port',
    expected: /no to_port for masquerade/,
  },
  // segments, management, upgrade
  {
    name: 'an interface is in one segment',
    bad: (c) => c.segments[1].interfaces.push('ext'),
    pointer: '/segments/1/interfaces/1',
    expected: /an interface in only one segment/,
    hint: /already in segment "external"/,
  },
  {
    name: 'segment interfaces exist',
    bad: (c) => (c.segments[0].interfaces[0] = 'extt'),
    pointer: '/segments/0/interfaces/0',
    expected: /the name of a port/,
    hint: /did you mean "ext"/,
  },
  {
    name: 'allow_from names another segment',
    bad: (c) => (c.segments[0].allow_from[0] = 'intern'),
    pointer: '/segments/0/allow_from/0',
    expected: /the name of another segment \(internal, servers\)/,
  },
  {
    name: 'segment names are unique',
    bad: (c) => (c.segments[2].name = 'internal'),
    pointer: '/segments/2/name',
    expected: /a segment name used once/,
  },
  {
    name: 'management interfaces exist',
    bad: (c) => (c.management.interfaces[0] = 'eth9'),
    pointer: '/management/interfaces/0',
    expected: /the name of a port/,
  },
  {
    name: 'allowed_sources needs management interfaces',
    bad: (c) => (c.management.interfaces = []),
    pointer: '/management/interfaces',
    expected: /the interfaces the box is managed on/,
    good: (c) => {
      c.management.interfaces = [];
      c.management.allowed_sources = [];
    },
  },
  {
    name: 'trusted key names are unique',
    bad: (c) => c.upgrade.trusted_keys.push({ name: 'release', ed25519_public_key: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' }),
    pointer: '/upgrade/trusted_keys/1/name',
    expected: /a key name used once/,
    good: (c) => c.upgrade.trusted_keys.push({ name: 'next', ed25519_public_key: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' }),
  },
  // vrrp
  {
    name: 'VRRP interfaces exist',
    bad: (c) => (c.vrrp.instances[0].interface = 'exit'),
    pointer: '/vrrp/instances/0/interface',
    expected: /the name of a port/,
    hint: /did you mean "ext"/,
  },
  {
    name: 'a VRRP interface has an address',
    bad: (c) => {
      addPort(c, 'eth4');
      c.vrrp.instances.push({ name: 'vi4', interface: 'eth4', vrid: 4, vips: ['192.0.2.200'] });
    },
    pointer: '/vrrp/instances/3/interface',
    expected: /an interface with an IPv4 address/,
    good: (c) => {
      addPort(c, 'eth4');
      c.addresses.push({ interface: 'eth4', static: ['192.0.2.194/27'] });
      c.vrrp.instances.push({ name: 'vi4', interface: 'eth4', vrid: 4, vips: ['192.0.2.200'] });
    },
  },
  {
    name: 'virtual MAC interfaces: one name per instance',
    bad: (c) => {
      c.vrrp.instances[1].vrid = 10;
      c.vrrp.instances[0].use_vmac = true;
      c.vrrp.instances[1].use_vmac = true;
    },
    pointer: '/vrrp/instances/1/use_vmac',
    expected: /a virtual MAC interface name used once/,
    hint: /vrrp\.10 is already the one of \/vrrp\/instances\/0 .*name one with vmac_interface/,
    good: (c) => {
      c.vrrp.instances[1].vrid = 10;
      c.vrrp.instances[0].use_vmac = true;
      Object.assign(c.vrrp.instances[1], { use_vmac: true, vmac_interface: 'vmac-int' });
    },
  },
  {
    name: 'a virtual MAC interface is not a configured interface',
    bad: (c) => Object.assign(c.vrrp.instances[0], { use_vmac: true, vmac_interface: 'int' }),
    pointer: '/vrrp/instances/0/vmac_interface',
    expected: /not a configured interface/,
    good: (c) => Object.assign(c.vrrp.instances[0], { use_vmac: true }),
  },
  {
    name: 'pair means one peer',
    bad: (c) => Object.assign(c.vrrp.instances[0], { pair: true, unicast_peers: ['203.0.113.3', '203.0.113.4'] }),
    pointer: '/vrrp/instances/0/pair',
    expected: /pair only with one peer/,
    good: (c) => Object.assign(c.vrrp.instances[0], { pair: true, unicast_peers: ['203.0.113.3'] }),
  },
  {
    name: 'VIPs are inside a subnet of the instance interface',
    bad: (c) => (c.vrrp.instances[0].vips[0] = '198.51.100.50'),
    pointer: '/vrrp/instances/0/vips/0',
    expected: /an address inside a subnet of ext \(203\.0\.113\.0\/24\)/,
    hint: /198\.51\.100\.0\/24 is on srv; did you mean "interface": "srv"\?/,
    good: (c) => (c.vrrp.instances[0].vips[0] = '203.0.113.50'),
  },
  {
    name: 'VIPs on a DHCP-only interface pass (the subnet is known only at run time)',
    bad: (c) => (c.vrrp.instances[0].vips[0] = '203.0.113.255'),
    pointer: '/vrrp/instances/0/vips/0',
    expected: /a host address/,
    good: (c) => {
      c.addresses[0] = { interface: 'ext', dhcp: true };
      c.routes = [];
      c.lvs.virtual_services = [];
      c.firewall.rules.splice(2, 1);
      c.vrrp.instances[0].vips = ['198.51.100.77/24'];
    },
  },
  {
    name: 'a VIP is not also a static address of the box',
    bad: (c) => (c.vrrp.instances[1].vips[0] = '192.0.2.2'),
    pointer: '/vrrp/instances/1/vips/0',
    expected: /an address that is not also a static address of this box/,
    hint: /priority 255/,
    good: (c) => Object.assign(c.vrrp.instances[1], { vips: ['192.0.2.2'], priority: 255 }),
  },
  {
    name: 'priority 255 means the box owns the VIPs',
    bad: (c) => (c.vrrp.instances[1].priority = 255),
    pointer: '/vrrp/instances/1/priority',
    expected: /a priority from 1 to 254/,
    good: (c) => (c.vrrp.instances[1].priority = 254),
  },
  {
    name: 'a VIP belongs to one instance',
    bad: (c) => c.vrrp.instances[1].vips.push('203.0.113.1'),
    pointer: '/vrrp/instances/1/vips/1',
    expected: /a VIP not used by another instance/,
    hint: /already \/vrrp\/instances\/0\/vips\/0/,
  },
  {
    name: 'VRIDs are unique per interface, whatever the version',
    bad: (c) => c.vrrp.instances.push({ name: 'vi_ext2', interface: 'ext', vrid: 10, version: 2, vips: ['203.0.113.20'] }),
    pointer: '/vrrp/instances/3/vrid',
    expected: /a VRID not yet used on ext/,
    hint: /instance "vi_ext" .* uses VRID 10 there; versions 2 and 3 share VRIDs/,
    good: (c) => c.vrrp.instances.push({ name: 'vi_ext2', interface: 'ext', vrid: 11, version: 2, vips: ['203.0.113.20'] }),
  },
  {
    name: 'the same VRID on different interfaces is fine',
    bad: (c) => (c.vrrp.instances[1].vrid = 0),
    pointer: '/vrrp/instances/1/vrid',
    expected: /an integer from 1 to 255/,
    good: (c) => (c.vrrp.instances[1].vrid = 10),
  },
  {
    name: 'VRRPv2 intervals are whole seconds',
    bad: (c) => Object.assign(c.vrrp.instances[0], { version: 2, advert_interval_ms: 1500 }),
    pointer: '/vrrp/instances/0/advert_interval_ms',
    expected: /whole seconds for VRRP version 2/,
    good: (c) => Object.assign(c.vrrp.instances[0], { version: 2, advert_interval_ms: 2000 }),
  },
  {
    name: 'VRRPv3 intervals are centiseconds up to 40.95 s',
    bad: (c) => (c.vrrp.instances[0].advert_interval_ms = 50000),
    pointer: '/vrrp/instances/0/advert_interval_ms',
    expected: /centiseconds for VRRP version 3/,
    good: (c) => (c.vrrp.instances[0].advert_interval_ms = 100),
  },
  {
    name: 'preempt_delay_s needs preempt',
    bad: (c) => Object.assign(c.vrrp.instances[0], { preempt: false, preempt_delay_s: 5 }),
    pointer: '/vrrp/instances/0/preempt_delay_s',
    expected: /no preempt_delay_s while preempt is false/,
    good: (c) => Object.assign(c.vrrp.instances[0], { preempt: true, preempt_delay_s: 5 }),
  },
  {
    name: 'tracked interfaces exist (bond members may be tracked)',
    bad: (c) => (c.vrrp.instances[0].track_interfaces[1].interface = 'eth5'),
    pointer: '/vrrp/instances/0/track_interfaces/1/interface',
    expected: /the name of a port/,
  },
  {
    name: 'unicast peers are other hosts',
    bad: (c) => (c.vrrp.instances[0].unicast_peers = ['203.0.113.2']),
    pointer: '/vrrp/instances/0/unicast_peers/0',
    expected: /a unicast peer: an address of another host/,
    good: (c) => (c.vrrp.instances[0].unicast_peers = ['203.0.113.3']),
  },
  {
    name: 'sync group members are instances (did you mean)',
    bad: (c) => (c.vrrp.sync_groups[0].instances[2] = 'vi_svr'),
    pointer: '/vrrp/sync_groups/0/instances/2',
    expected: /the name of a VRRP instance/,
    hint: /did you mean "vi_srv"/,
  },
  {
    name: 'an instance is in one sync group',
    bad: (c) => c.vrrp.sync_groups.push({ name: 'other', instances: ['vi_int'] }),
    pointer: '/vrrp/sync_groups/1/instances/0',
    expected: /an instance in only one sync group/,
  },
  {
    name: 'sync group names differ from instance names',
    bad: (c) => (c.vrrp.sync_groups[0].name = 'vi_ext'),
    pointer: '/vrrp/sync_groups/0/name',
    expected: /a name no VRRP instance has/,
  },
  {
    name: 'instance names are unique',
    bad: (c) => (c.vrrp.instances[2].name = 'vi_int'),
    pointer: '/vrrp/instances/2/name',
    expected: /an instance name used once/,
  },
  // lvs
  {
    name: 'a virtual service is on a VIP or an address of the box',
    bad: (c) => (c.lvs.virtual_services[0].address = '203.0.113.99'),
    pointer: '/lvs/virtual_services/0/address',
    expected: /a VRRP VIP or a static address of this box/,
    good: (c) => (c.lvs.virtual_services[0].address = '203.0.113.2'),
  },
  {
    name: 'address and port, or fwmark: not both',
    bad: (c) => (c.lvs.virtual_services[0].fwmark = 7),
    pointer: '/lvs/virtual_services/0/fwmark',
    expected: /either address and port, or fwmark, not both/,
    good: (c) => {
      const vs = c.lvs.virtual_services[0];
      delete vs.address;
      delete vs.port;
      vs.fwmark = 7;
    },
  },
  {
    name: 'address and port, or fwmark: not neither',
    bad: (c) => delete c.lvs.virtual_services[0].address,
    pointer: '/lvs/virtual_services/0',
    expected: /an address and port, or a fwmark/,
  },
  {
    name: 'a service address needs a port',
    bad: (c) => delete c.lvs.virtual_services[0].port,
    pointer: '/lvs/virtual_services/0/port',
    expected: /the service port \(required with address\)/,
  },
  {
    name: 'port 0 needs persistence',
    bad: (c) => (c.lvs.virtual_services[0].port = 0),
    pointer: '/lvs/virtual_services/0/port',
    expected: /0, all ports, needs persistence_s/,
    good: (c) => Object.assign(c.lvs.virtual_services[0], { port: 0, persistence_s: 600 }),
  },
  {
    name: 'a service is defined once',
    bad: (c) => (c.lvs.virtual_services[1].port = 80),
    pointer: '/lvs/virtual_services/1/address',
    expected: /a service defined once/,
    hint: /tcp 203\.0\.113\.10:80 is already \/lvs\/virtual_services\/0/,
    good: (c) => Object.assign(c.lvs.virtual_services[1], { port: 80, protocol: 'udp' }),
  },
  {
    name: 'real servers are listed once per service',
    bad: (c) => c.lvs.virtual_services[0].real_servers.push({ address: '198.51.100.11', port: 8080 }),
    pointer: '/lvs/virtual_services/0/real_servers/2/address',
    expected: /a real server listed once per service/,
    good: (c) => c.lvs.virtual_services[0].real_servers.push({ address: '198.51.100.11', port: 8081 }),
  },
  {
    name: 'a real server is not the box',
    bad: (c) => (c.lvs.virtual_services[0].real_servers[0].address = '198.51.100.2'),
    pointer: '/lvs/virtual_services/0/real_servers/0/address',
    expected: /a real server: an address of another host/,
  },
  {
    name: 'a real server is not a VIP',
    bad: (c) => (c.lvs.virtual_services[0].real_servers[0].address = '198.51.100.1'),
    pointer: '/lvs/virtual_services/0/real_servers/0/address',
    expected: /a real server address, not a VIP/,
  },
  {
    name: 'dr real servers are on a connected subnet',
    bad: (c) => Object.assign(c.lvs.virtual_services[1], { method: 'dr', real_servers: [{ address: '192.0.2.200' }] }),
    pointer: '/lvs/virtual_services/1/real_servers/0/address',
    expected: /a real server: an address on a connected subnet/,
    good: (c) => (c.lvs.virtual_services[1].method = 'dr'),
  },
  {
    name: 'dr cannot change ports',
    bad: (c) => (c.lvs.virtual_services[0].method = 'dr'),
    pointer: '/lvs/virtual_services/0/real_servers/0/port',
    expected: /the service's port 80 \(dr cannot change ports\)/,
  },
  {
    name: 'http settings only for http checks',
    bad: (c) => (c.lvs.virtual_services[1].health_check.path = '/'),
    pointer: '/lvs/virtual_services/1/health_check/path',
    expected: /no path for a tcp check/,
  },
  {
    name: 'a check times out within its interval',
    bad: (c) => (c.lvs.virtual_services[0].health_check.timeout_s = 10),
    pointer: '/lvs/virtual_services/0/health_check/timeout_s',
    expected: /a timeout of at most interval_s \(5\)/,
    good: (c) => (c.lvs.virtual_services[0].health_check.timeout_s = 5),
  },
  // sync
  {
    name: 'the sync interface exists',
    bad: (c) => (c.sync.interface = 'eth22'),
    pointer: '/sync/interface',
    expected: /the name of a port/,
    hint: /did you mean "eth2"/,
  },
  {
    name: 'the sync link has a static address',
    bad: (c) => {
      addPort(c, 'eth4');
      c.addresses.push({ interface: 'eth4', dhcp: true });
      c.sync.interface = 'eth4';
      delete c.sync.peer;
      c.sync.transport = 'multicast';
    },
    pointer: '/sync/interface',
    expected: /an interface with a static address/,
  },
  {
    name: 'udp sync needs a peer',
    bad: (c) => delete c.sync.peer,
    pointer: '/sync/peer',
    expected: /the peer's address on the sync link \(required for transport udp\)/,
    good: (c) => {
      delete c.sync.peer;
      c.sync.transport = 'multicast';
    },
  },
  {
    name: 'the sync peer is on the sync link',
    bad: (c) => (c.sync.peer = '192.0.2.5'),
    pointer: '/sync/peer',
    expected: /the sync peer: an address on a connected subnet of eth2/,
    hint: /connected: 192\.0\.2\.248\/30/,
  },
  {
    name: 'the sync peer is not the box',
    bad: (c) => (c.sync.peer = '192.0.2.249'),
    pointer: '/sync/peer',
    expected: /an address of another host/,
  },
  {
    name: 'multicast sync uses a multicast group and no peer',
    bad: (c) => Object.assign(c.sync, { transport: 'multicast', multicast_group: '192.0.2.50' }),
    pointer: '/sync/multicast_group',
    expected: /a multicast address/,
    good: (c) => {
      delete c.sync.peer;
      Object.assign(c.sync, { transport: 'multicast', multicast_group: '225.0.0.50' });
    },
  },
  {
    name: 'local_address is an address of the sync link',
    bad: (c) => (c.sync.local_address = '203.0.113.2'),
    pointer: '/sync/local_address',
    expected: /a static address of eth2 \(192\.0\.2\.249\)/,
    good: (c) => (c.sync.local_address = '192.0.2.249'),
  },
  {
    name: 'vrrp_group names a sync group or instance',
    bad: (c) => (c.sync.vrrp_group = 'fw1'),
    pointer: '/sync/vrrp_group',
    expected: /the name of a VRRP sync group or instance/,
    hint: /did you mean "fw"/,
    good: (c) => (c.sync.vrrp_group = 'vi_ext'),
  },
  {
    name: 'vrrp_group is required when VRRP runs',
    bad: (c) => delete c.sync.vrrp_group,
    pointer: '/sync/vrrp_group',
    expected: /whose master commits the synced connections/,
    good: (c) => {
      delete c.sync.vrrp_group;
      c.vrrp = { instances: [], sync_groups: [] };
      c.lvs.virtual_services = [];
      c.firewall.rules.splice(2, 1);
    },
  },
];

semanticCases(test, cases);

test('management.api_port still loads (configs of earlier releases) with a warning that nothing opens it', () => {
  const c = fixture();
  c.management.api_port = 8443;
  const r = load(c);
  if (!r.ok) throw new Error(describeErrors(r.errors));
  assert.equal(r.warnings?.map((w) => [w.pointer, w.message]), [['/management/api_port', 'no management API exists: this port is not opened']]);
  assert.is(load(fixture()).ok && (load(fixture()) as { warnings?: unknown }).warnings, undefined);
});

test('system keys nothing applies (a time zone other than UTC, NTP and syslog servers) load with a warning each', () => {
  const c = fixture();
  c.system = { ...c.system, timezone: 'Europe/Berlin', ntp_servers: ['ntp.example.net'], syslog_servers: ['192.0.2.140'] };
  const r = load(c);
  if (!r.ok) throw new Error(describeErrors(r.errors));
  assert.equal(r.warnings?.map((w) => w.pointer), ['/system/timezone', '/system/ntp_servers', '/system/syslog_servers']);
  assert.match(r.warnings![0]!.message, /the box keeps UTC .*not Europe\/Berlin/);
  assert.match(r.warnings![1]!.message, /no NTP client runs on the box/);
  assert.match(r.warnings![2]!.message, /no remote syslog runs on the box/);
});

test('statistics-only sync (conntrackd -S) needs no peer and no VRRP group', () => {
  const c = fixture();
  delete c.sync.peer;
  delete c.sync.vrrp_group;
  assert.is(errorsOf(c).filter((e) => e.pointer.startsWith('/sync')).length, 2, 'both required without stats_only');
  c.sync.stats_only = true;
  assert.equal(errorsOf(c).filter((e) => e.pointer.startsWith('/sync')), []);
});

test('semantic errors quote the file as written, not the defaults filled in', () => {
  const c = fixture();
  c.routes.push({ destination: '192.0.2.192/27' });
  const route = errorsOf(c).find((e) => e.pointer === '/routes/1');
  assert.is(route?.found, '{"destination":"192.0.2.192/27"}');
});

test('a default that breaks a rule is shown as the default', () => {
  const c = fixture();
  c.lvs.virtual_services[1].health_check.interval_s = 1;
  const e = errorsOf(c).find((x) => x.pointer === '/lvs/virtual_services/1/health_check/timeout_s');
  assert.is(e?.found, '3 (the default)');
  assert.is(e?.expected, 'a timeout of at most interval_s (1)');
});

test('semantic checks report every problem at once', () => {
  const c = fixture();
  c.interfaces.bonds[0].members[1] = 'eth7';
  c.vrrp.instances[0].vips[0] = '198.51.100.50';
  c.sync.peer = '192.0.2.5';
  c.lvs.virtual_services[0].address = '203.0.113.99';
  const pointers = errorsOf(c).map((e) => e.pointer);
  assert.equal(pointers, ['/interfaces/bonds/0/members/1', '/lvs/virtual_services/0/address', '/vrrp/instances/0/vips/0', '/sync/peer']);
});

test.run();
