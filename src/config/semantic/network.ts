// Policy routing rules, sysctls and kernel modules: rules that the kernel would refuse or that
// mean nothing (a drop rule with a table, a mask without a mark), per-interface sysctls naming
// interfaces the config does not have, values out of a known key's range.
import { Checker, checkUnique, pointer } from './context.ts';

/** Known sysctls (the last part of the name) and their ranges, for the ones the seeds use. */
const SYSCTL_RANGES: Array<{ pattern: RegExp; values: readonly number[] | 'count'; what: string }> = [
  { pattern: /^net\.ipv4\.ip_forward$/, values: [0, 1], what: '0 or 1' },
  { pattern: /^net\.ipv4\.conf\.[^.]+\.forwarding$/, values: [0, 1], what: '0 or 1' },
  { pattern: /^net\.ipv4\.conf\.[^.]+\.rp_filter$/, values: [0, 1, 2], what: '0 (off), 1 (strict) or 2 (loose)' },
  { pattern: /^net\.ipv4\.conf\.[^.]+\.(send_redirects|accept_redirects|secure_redirects|promote_secondaries|proxy_arp|arp_filter|accept_source_route|log_martians)$/, values: [0, 1], what: '0 or 1' },
  { pattern: /^net\.ipv4\.conf\.[^.]+\.arp_ignore$/, values: [0, 1, 2, 3, 8], what: '0, 1, 2, 3 or 8' },
  { pattern: /^net\.ipv4\.conf\.[^.]+\.arp_announce$/, values: [0, 1, 2], what: '0, 1 or 2' },
  { pattern: /^net\.netfilter\.nf_conntrack_tcp_be_liberal$/, values: [0, 1], what: '0 or 1' },
  { pattern: /^net\.netfilter\.nf_conntrack_max$/, values: 'count', what: 'a whole number of entries' },
];

export function checkSysctls(c: Checker): void {
  for (const [name, value] of Object.entries(c.config.sysctls)) {
    const at = pointer('sysctls', name);
    const m = /^net\.ipv[46]\.(?:conf|neigh)\.([^.]+)\./.exec(name);
    if (m !== null) {
      const ifname = m[1]!.replace(/\//g, '.');
      if (!['all', 'default', 'lo'].includes(ifname)) c.ref(at, ifname, { allowEnslaved: true, what: `a sysctl of an interface the config defines (or of all, default, lo)` });
    }
    const range = SYSCTL_RANGES.find((r) => r.pattern.test(name));
    if (range === undefined) continue;
    const text = String(value).trim();
    const n = typeof value === 'number' ? value : /^-?\d+$/.test(text) ? Number(text) : NaN;
    const ok = range.values === 'count' ? Number.isInteger(n) && n >= 0 : range.values.includes(n);
    if (!ok) c.fail(at, `${range.what} for ${name}`);
  }
}

export function checkRoutingRules(c: Checker): void {
  const rules = c.config.routing_rules;
  checkUnique(
    c,
    rules,
    (r) => String(r.priority),
    (i) => pointer('routing_rules', i, 'priority'),
    'a priority no other rule has',
    (j) => `already the priority of ${pointer('routing_rules', j)}; the order of two rules at one priority is not defined`,
  );
  rules.forEach((rule, i) => {
    const at = (key: string): string => pointer('routing_rules', i, key);
    if (rule.action === 'lookup' && rule.table === undefined) c.fail(at('table'), 'a routing table for action lookup', 'set "table": 254 for the main table');
    if (rule.action !== 'lookup' && rule.table !== undefined) c.fail(at('table'), `no table for action ${rule.action}`, `${rule.action} drops the packets`);
    if (rule.table === 255) c.fail(at('table'), 'a routing table other than 255', 'table 255 is the kernel\'s own local table, looked up first anyway');
    if (rule.fwmask !== undefined && rule.fwmark === undefined) c.fail(at('fwmask'), 'an fwmask only with an fwmark');
    if (rule.from !== undefined) c.network(at('from'), rule.from);
    if (rule.to !== undefined) c.network(at('to'), rule.to);
    if (rule.in_interface !== undefined) c.ref(at('in_interface'), rule.in_interface);
    if (rule.out_interface !== undefined) c.ref(at('out_interface'), rule.out_interface);
  });
}

export function checkModules(c: Checker): void {
  checkUnique(
    c,
    c.config.modules,
    (m) => m.replace(/-/g, '_'),
    (i) => pointer('modules', i),
    'each module once',
    (j) => `already ${pointer('modules', j)} (modprobe treats - and _ alike)`,
  );
}

/**
 * system keys nothing on the box applies yet are accepted (configs written for later releases
 * load) with a warning each: no NTP client and no remote syslog run, and the box keeps UTC.
 */
export function checkSystem(c: Checker): void {
  const s = c.config.system;
  if (s.timezone !== 'UTC') c.warn(pointer('system', 'timezone'), `time zones are not applied: the box keeps UTC (its log and views show UTC, not ${s.timezone})`, 'remove timezone or set it to UTC');
  if (s.ntp_servers.length > 0) c.warn(pointer('system', 'ntp_servers'), 'no NTP client runs on the box: these servers are not used', 'remove ntp_servers');
  if (s.syslog_servers.length > 0) c.warn(pointer('system', 'syslog_servers'), 'no remote syslog runs on the box: nothing is sent to these servers', 'remove syslog_servers');
}
