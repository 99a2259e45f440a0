// What the netsetup benchmarks compare after each side's apply: `ip -d link`, `ip addr` and
// `ip route` as one text, with what differs between two creations of the same objects taken out
// (interface indexes, MAC addresses, which the kernel makes up for bonds and bridges, running
// timers and counters, the order of links). One shell pipeline, run by the lab's sh and the VM's busybox sh alike.
// iproute2's `ip` by its path: busybox's ash runs its own applets before PATH, and busybox's ip
// prints less.

/** sed -E expressions, in order. */
const NORMALIZE = [
  's/^[0-9]+: //', // ifindex
  's/@if[0-9]+/@ifN/g', // veth peer index
  's/([0-9a-f]{2}:){5}[0-9a-f]{2}/MAC/g',
  's/(bridge_id|designated_root) [^ ]+/\\1 ID/g', // priority.MAC, printed without leading zeros
  's/ [a-z_]*timer +[0-9.]+//g',
  's/ (numtxqueues|numrxqueues|gso_max_size|gso_max_segs|gro_max_size|gso_ipv4_max_size|gro_ipv4_max_size|tso_max_size|tso_max_segs|parentbus [^ ]+|parentdev [^ ]+) ?[0-9]*//g',
  's/ (valid_lft|preferred_lft) [^ ]+//g',
  's/ tentative//g', // IPv6 duplicate address detection still running: a moment, not a state
  's/ +\\\\ */ /g', // -o's line continuations
];

/** A shell command printing the normalized state of the current namespace (or VM). */
export function netStateCommand(ip = '/usr/bin/ip'): string {
  const sed = `sed -E ${NORMALIZE.map((e) => `-e '${e}'`).join(' ')}`;
  // Sorted by the first word, stably: links come in index order, which concurrent creation makes
  // vary, while the order of an interface's addresses (which one is primary) is kept.
  return `{ ${ip} -d -o link show; ${ip} -o addr show; ${ip} route show; } | ${sed} | sort -s -k1,1`;
}

/**
 * What differs between two states, for the report: lines of one object (same first word) with the
 * words only one side has, and lines only one side has (at most `max` in all).
 */
export function stateDiff(want: string, got: string, max = 10): string {
  const a = new Set(want.split('\n'));
  const b = new Set(got.split('\n'));
  const onlyA = [...a].filter((l) => !b.has(l));
  const onlyB = [...b].filter((l) => !a.has(l));
  // A link line starts with its name and a colon; an address or a route line is told by three words.
  const key = (l: string): string => {
    const w = l.split(/\s+/);
    return w.slice(0, w[0]!.endsWith(':') ? 1 : 3).join(' ');
  };
  const out: string[] = [];
  for (const l of onlyA) {
    const m = onlyB.find((x) => key(x) === key(l));
    if (m === undefined) {
      out.push(`- ${l}`);
      continue;
    }
    onlyB.splice(onlyB.indexOf(m), 1);
    const wa = new Set(l.split(/\s+/));
    const wb = new Set(m.split(/\s+/));
    out.push(`${key(l)} ${[...wa].filter((w) => !wb.has(w)).map((w) => `-${w}`).join(' ')} ${[...wb].filter((w) => !wa.has(w)).map((w) => `+${w}`).join(' ')}`);
  }
  out.push(...onlyB.map((l) => `+ ${l}`));
  return out.slice(0, max).join('\n');
}
