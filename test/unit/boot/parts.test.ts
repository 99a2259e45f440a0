// The pure parts of boot: kernel command line, flags, the plan of steps, step lines, summary.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseCmdline, slotFromCmdline } from '../../../src/boot/cmdline.ts';
import { DEFAULT_BOOT_OPTIONS, parseBootArgs, refuseReason } from '../../../src/boot/options.ts';
import { BOOT_STEPS, bootPlan } from '../../../src/boot/plan.ts';
import { formatStep, listText } from '../../../src/boot/report.ts';
import { bootCompleteLine, formatSummary } from '../../../src/boot/summary.ts';
import { UserError } from '../../../src/cli/command.ts';

test('cmdline: key=value words, quotes group, the last of a key wins', () => {
  const m = parseCmdline('BOOT_IMAGE=/vmlinuz root=PARTLABEL=root-a ro console=ttyS0,115200 foo="a b c" stockade.slot=A stockade.slot=B\n');
  assert.is(m.get('root'), 'PARTLABEL=root-a');
  assert.is(m.get('ro'), '');
  assert.is(m.get('foo'), 'a b c');
  assert.is(m.get('stockade.slot'), 'B');
  assert.is(m.get('console'), 'ttyS0,115200');
});

test('cmdline: the slot is A or B; anything else, or nothing, is ?', () => {
  assert.is(slotFromCmdline('quiet stockade.slot=A'), 'A');
  assert.is(slotFromCmdline('stockade.slot=b'), 'B');
  assert.is(slotFromCmdline('stockade.slot="B"'), 'B');
  assert.is(slotFromCmdline('stockade.slot=C'), '?');
  assert.is(slotFromCmdline('stockade.slot='), '?');
  assert.is(slotFromCmdline('stockade.slotx=A'), '?');
  assert.is(slotFromCmdline(''), '?');
  assert.is(slotFromCmdline(undefined), '?');
});

test('flags: defaults are the appliance paths', () => {
  assert.equal(parseBootArgs([]), DEFAULT_BOOT_OPTIONS);
  assert.is(DEFAULT_BOOT_OPTIONS.boardFile, '/usr/share/stockade/board.json');
  assert.is(DEFAULT_BOOT_OPTIONS.configFile, '/data/config.json');
  assert.is(DEFAULT_BOOT_OPTIONS.defaultConfigFile, '/usr/share/stockade/default-config.json');
  assert.is(DEFAULT_BOOT_OPTIONS.cmdlineFile, '/proc/cmdline');
});

test('flags: --flag VALUE and --flag=VALUE; --skip takes a comma list', () => {
  const o = parseBootArgs(['--board', 'b.json', '--config=c.json', '--default-config', 'd.json', '--cmdline=cl', '--skip', 'mounts,modules']);
  assert.is(o.boardFile, 'b.json');
  assert.is(o.configFile, 'c.json');
  assert.is(o.defaultConfigFile, 'd.json');
  assert.is(o.cmdlineFile, 'cl');
  assert.equal([...o.skip], ['mounts', 'modules']);
});

test('flags: mistakes are bad input (exit 2) with the usage', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--bord', 'x'], /unexpected argument '--bord'/],
    [['extra'], /unexpected argument 'extra'/],
    [['--board'], /--board needs a value/],
    [['--board='], /--board needs a value/],
    [['--board', 'a', '--board', 'b'], /--board given twice/],
    [['--skip', 'mounts,board'], /--skip: unknown step 'board' \(steps: mounts, modules, ports, network, hostname, firewall, ssh\)/],
    [['--skip', 'toString'], /unknown step 'toString'/],
    [['--toString', 'x'], /unexpected argument/],
  ];
  for (const [args, message] of cases) {
    try {
      parseBootArgs(args);
      assert.unreachable(`${args.join(' ')} should be refused`);
    } catch (err) {
      assert.instance(err, UserError);
      assert.is((err as UserError).exitCode, 2);
      assert.match((err as Error).message, message);
      assert.match((err as Error).message, /usage: stockade boot \[--board FILE\]/);
    }
  }
});

test('boot refuses to run where it would firewall a workstation: not init\'s child, no image, no --board', () => {
  assert.match(refuseReason({ ppid: 4242, boardGiven: false, applianceShare: false })!, /not a stockade appliance .* name the board with --board FILE/);
  assert.is(refuseReason({ ppid: 1, boardGiven: false, applianceShare: false }), undefined, 'init starts it');
  assert.is(refuseReason({ ppid: 4242, boardGiven: false, applianceShare: true }), undefined, 'on an image');
  assert.is(refuseReason({ ppid: 4242, boardGiven: true, applianceShare: false }), undefined, 'a deliberate run');
  assert.is(parseBootArgs(['--board', 'x']).boardGiven, true);
  assert.is(parseBootArgs([]).boardGiven, undefined);
});

test('plan: every step in order; skipped ones marked', () => {
  assert.equal([...BOOT_STEPS], ['mounts', 'board', 'config', 'modules', 'ports', 'network', 'sysctls', 'hostname', 'firewall', 'ssh']);
  assert.equal(
    bootPlan(new Set(['mounts', 'modules'])).map((p) => `${p.step}:${p.run}`),
    ['mounts:false', 'board:true', 'config:true', 'modules:false', 'ports:true', 'network:true', 'sysctls:true', 'hostname:true', 'firewall:true', 'ssh:true'],
  );
});

test('step lines: aligned, with indented detail lines, terminal-safe', () => {
  assert.is(formatStep({ step: 'mounts', status: 'ok', detail: '/run already mounted' }), 'stockade: mounts    ok       /run already mounted\n');
  assert.is(
    formatStep({ step: 'config', status: 'failed', detail: 'bad', more: ['f:1:2: /x: expected y; found "\u001b[31m"'] }),
    'stockade: config    failed   bad\nstockade:   f:1:2: /x: expected y; found "\\u001b[31m"\n',
  );
  assert.is(formatStep({ step: 'hostname', status: 'ok', detail: '' }), 'stockade: hostname  ok\n');
  assert.is(listText(['a', 'b', 'c'], 2), 'a, b and 1 more');
  assert.is(listText(['a', 'b']), 'a, b');
});

test('summary: one screen, 80 columns, ending with the boot-complete line', () => {
  const text = formatSummary({
    hostname: 'fw1',
    board: 'x86_64-generic',
    slot: 'B',
    config: '/data/config.json',
    ports: [
      { label: 'wan', mac: '52:54:00:12:34:01', state: 'up' },
      { label: 'sync', state: 'missing' },
    ],
    addresses: [{ ifname: 'wan', cidrs: ['192.0.2.1/24', '192.0.2.2/24'] }],
    firewall: 'fail-closed; open: tcp/8443 from 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 and ping in on mgmt, sync',
    failures: ['ports: no NIC for sync (MAC 52:54:00:12:34:09); named wan <- eth0 and a great deal more text than fits'],
    elapsedMs: 5859.4,
    startupMs: 2900.2,
    stepMs: [['mounts', 320], ['board', 2], ['config', 4.9], ['modules', 2010.5], ['ports', 150], ['sysctls', 1], ['hostname', 0], ['firewall', 300]],
  });
  assert.fixture(
    text,
    `stockade: summary
  hostname   fw1
  board      x86_64-generic
  slot       B
  config     /data/config.json
  ports      wan   52:54:00:12:34:01  up
             sync  -                  missing
  addresses  wan 192.0.2.1/24 192.0.2.2/24
  firewall   fail-closed; open: tcp/8443 from 192.0.2.0/24, 198.51.100.0/24,
             203.0.113.0/24 and ping in on mgmt, sync
  failures   ports: no NIC for sync (MAC 52:54:00:12:34:09); named wan <- et...
  boot time  5859 ms since the process started (runtime start 2900, mounts 320,
             modules 2011, ports 150, firewall 300)
`,
  );
  for (const line of text.split('\n')) assert.ok(line.length <= 79, `reaches column 80: ${line}`);
  assert.is(bootCompleteLine('0.1.0', 'A'), 'stockade: boot complete (0.1.0, slot A)\n');
  assert.is(bootCompleteLine('0.1.0', '?'), 'stockade: boot complete (0.1.0, slot ?)\n');
});

test('summary: nothing to list says none', () => {
  const text = formatSummary({ hostname: 'h', board: undefined, slot: '?', config: 'c', ports: [], addresses: [], firewall: 'f', failures: [], elapsedMs: 0 });
  assert.match(text, /^  ports {6}none$/m);
  assert.match(text, /^  addresses  none$/m);
  assert.match(text, /^  failures {3}none$/m);
  assert.match(text, /^  board {6}unknown \(board file unusable\)$/m);
  assert.match(text, /^  boot time  0 ms since the process started$/m);
});

test.run();
