// Captures the golden bytes the IPVS codec is tested against (test/unit/lvs/fixtures/): boots the
// x86_64 image, runs Debian's ipvsadm under strace (the host's strace and its libraries, put on
// /data) and keeps each netlink request ipvsadm sends (and the dump replies it reads), with the
// `ipvsadm -L -n` text of the same table. Run by hand as root, not a test:
//   scripts/node-run test/image/lvs-capture.ts
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostToolTar } from './host-tool.ts';
import { imageFor, root, startVms } from './vm.ts';

const out = join(root, 'test/unit/lvs/fixtures');
// strace is over debugfs' read-back buffer: a tar on an extra disk (/dev/vdb) instead.
const tarDir = mkdtempSync(join(tmpdir(), 'lvs-cap-'));
const strace = hostToolTar(execFileSync('which', ['strace'], { encoding: 'utf8' }).trim(), tarDir);
const tar = strace.tar;

/** name -> ipvsadm arguments; each run alone under strace. Order matters (later ones need earlier). */
const steps: Array<[string, string]> = [
  ['new-service-tcp', '-A -t 192.0.2.100:80 -s wlc'],
  ['new-dest-nat', '-a -t 192.0.2.100:80 -r 198.51.100.2:8080 -m -w 3'],
  ['set-service-persistent', '-E -t 192.0.2.100:80 -s rr -p 300 -M 255.255.255.0'],
  ['set-dest-thresholds', '-e -t 192.0.2.100:80 -r 198.51.100.2:8080 -m -w 5 -x 100 -y 50'],
  ['new-dest-nat-2', '-a -t 192.0.2.100:80 -r 198.51.100.3:8080 -m -w 1'],
  ['new-service-fwmark-sh', '-A -f 7 -s sh -b sh-port,sh-fallback'],
  ['new-dest-tun-gue', '-a -f 7 -r 198.51.100.4 -i --tun-type gue --tun-port 6080 --tun-csum -w 2'],
  ['new-dest-dr', '-a -f 7 -r 198.51.100.5 -g -w 4'],
  ['new-service-udp-ops', '-A -u 192.0.2.100:53 -s rr -o'],
  ['new-service-sctp', '-A --sctp-service 192.0.2.101:3868 -s mh -b mh-port'],
  ['list', '-L -n'],
  ['del-dest', '-d -t 192.0.2.100:80 -r 198.51.100.3:8080'],
  ['del-service', '-D -u 192.0.2.100:53'],
  ['set-timeouts', '--set 901 121 301'],
  ['start-daemon', '--start-daemon master --mcast-interface lan --syncid 7'],
  ['list-daemon', '-L --daemon'],
  ['stop-daemon', '--stop-daemon master'],
  ['flush', '-C'],
];

/** strace -e write=all / read=all hex dumps: the bytes of each sendmsg / recvmsg, in order. */
function dumps(text: string, call: 'sendmsg' | 'recvmsg'): Buffer[] {
  const res: Buffer[] = [];
  let cur: number[] | undefined;
  for (const line of text.split('\n')) {
    if (/^\d+ +\w+\(/.test(line) || /^\w+\(/.test(line)) {
      if (cur) res.push(Buffer.from(cur));
      cur = new RegExp(`(^|\\s)${call}\\(`).test(line) ? [] : undefined;
      continue;
    }
    // ` | 00000  xx xx xx xx xx xx xx xx  xx xx xx xx xx xx xx xx  ascii |`: 49 columns of hex.
    const m = /^\s*\d*\s*\| [0-9a-f]{5}  /.exec(line);
    if (m && cur) cur.push(...line.slice(m[0].length, m[0].length + 49).trim().split(/\s+/).filter((h) => /^[0-9a-f]{2}$/.test(h)).map((h) => parseInt(h, 16)));
  }
  if (cur) res.push(Buffer.from(cur));
  return res.filter((b) => b.length > 0);
}

const vms = await startVms({ vms: { cap: { board: 'x86_64-generic', image: imageFor('x86_64-generic'), extraDisks: [tar] } } });
try {
  const vm = vms.vm('cap');
  await vm.waitFor(/boot complete/, 180_000);
  await vm.login();
  const sh = async (c: string, t = 60_000): Promise<string> => {
    const r = await vm.run(c, t);
    if (r.code !== 0) throw new Error(`${c}: exit ${r.code}: ${r.output}`);
    return r.output;
  };
  await sh('mkdir -p /tmp/x && tar -xf /dev/vdb -C /tmp/x && modprobe ip_vs && ipvsadm -C');
  const fixtures: Record<string, { args: string; trace: string; requests: string[]; replies: string[]; output: string }> = {};
  for (const [name, args] of steps) {
    const output = await sh(`LD_LIBRARY_PATH=${strace.libDir('/tmp/x')} ${strace.binary('/tmp/x')} -qq -e trace=sendmsg,recvmsg -e write=all -e read=all -o /tmp/s.txt ipvsadm ${args}`);
    const trace = await sh('cat /tmp/s.txt', 120_000);
    fixtures[name] = {
      args,
      trace,
      requests: dumps(trace, 'sendmsg').map((b) => b.toString('hex')),
      replies: dumps(trace, 'recvmsg').map((b) => b.toString('hex')),
      output: output.replace(/\r/g, ''),
    };
    process.stderr.write(`${name}: ${fixtures[name].requests.length} requests, ${fixtures[name].replies.length} replies\n`);
  }
  // The listing views, on a table with traffic-free counters.
  await sh('ipvsadm -A -t 192.0.2.100:80 -s wlc -p 600 && ipvsadm -a -t 192.0.2.100:80 -r 198.51.100.2:80 -m -w 1 && ipvsadm -a -t 192.0.2.100:80 -r 198.51.100.10:8080 -m -w 65535 -x 10 -y 5 && ipvsadm -A -f 1 -s sh -b sh-port && ipvsadm -a -f 1 -r 198.51.100.7:0 -g && ipvsadm -A -u 192.0.2.100:53 -s rr -o && ipvsadm -A --sctp-service 192.0.2.99:3868 -s mh -b mh-fallback,mh-port -p 30 -M 255.255.0.0 && ipvsadm -a --sctp-service 192.0.2.99:3868 -r 198.51.100.9 -i --tun-type gre');
  const views: Record<string, string> = {};
  for (const v of ['-L -n', '-L -n --stats', '-L -n --rate', '-L -n --exact --stats', '-L -n -c', '-S -n']) views[v] = (await sh(`ipvsadm ${v}`)).replace(/\r/g, '');
  const trace = await sh(`LD_LIBRARY_PATH=${strace.libDir('/tmp/x')} ${strace.binary('/tmp/x')} -qq -e trace=sendmsg,recvmsg -e write=all -e read=all -o /tmp/s.txt ipvsadm -L -n >/dev/null; cat /tmp/s.txt`, 120_000);
  writeFileSync(join(out, 'ipvsadm-requests.json'), JSON.stringify(fixtures, null, 1) + '\n');
  writeFileSync(join(out, 'ipvsadm-views.json'), JSON.stringify({ views, listRequests: dumps(trace, 'sendmsg').map((b) => b.toString('hex')), listReplies: dumps(trace, 'recvmsg').map((b) => b.toString('hex')) }, null, 1) + '\n');
  process.stderr.write(`wrote ${out}/ipvsadm-requests.json and ipvsadm-views.json\n`);
} finally {
  await vms.destroy(process.exitCode !== undefined && process.exitCode !== 0);
  rmSync(tarDir, { recursive: true, force: true });
}
