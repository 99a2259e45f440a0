// npm start: boots a board's appliance image in qemu with the serial console on this terminal.
// Builds what is missing first (dist/<arch>/ when absent, the image when missing or stale).
//
//   npm start                              x86_64-generic, console here; quit with Ctrl-A X
//   npm start -- --board arm64-generic
//   npm start -- --detach                  in the background; prints the console socket and PID
//   npm start -- --attach                  this terminal on the detached VM's console (Ctrl-] leaves)
//   npm start -- --stop                    stops the board's detached VM
//   npm start -- --kvm                     use KVM instead of TCG (where /dev/kvm works)
//
// Each run boots the image as built: the disk is opened with snapshot=on, so what the VM writes
// (GRUB's boot counter, /data) goes to a temporary overlay and dist/images/ never changes.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadBoard } from '../../src/config/board.ts';
import { qemuArgv } from './qemu.ts';
import { imagePath } from './stale.ts';

const root = resolve(import.meta.dirname, '..', '..');

function say(s: string): void {
  process.stderr.write(`start: ${s}\n`);
}

function step(argv: string[]): void {
  const r = spawnSync(argv[0]!, argv.slice(1), { stdio: 'inherit', cwd: root });
  if (r.status !== 0) {
    say(`\`${argv.join(' ')}\` failed`);
    process.exit(r.status ?? 1);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** This terminal on a console socket, raw, until Ctrl-] (0x1d) or the VM goes away. */
function attach(path: string): void {
  const sock = connect(path);
  const leave = (code: number) => {
    if (process.stdin.isTTY) process.stdin.setRawMode(false);
    sock.destroy();
    process.stderr.write('\n');
    process.exit(code);
  };
  sock.on('error', (e) => {
    say(`${path}: ${e.message}`);
    leave(1);
  });
  sock.on('close', () => leave(0));
  sock.on('connect', () => {
    say('attached; Ctrl-] leaves (the VM keeps running)');
    if (process.stdin.isTTY) process.stdin.setRawMode(true);
    process.stdin.on('data', (d: Buffer) => {
      const at = d.indexOf(0x1d);
      if (at >= 0) {
        if (at > 0) sock.write(d.subarray(0, at));
        leave(0);
      }
      sock.write(d);
    });
    sock.pipe(process.stdout);
  });
}

function main(): number {
  const { values } = parseArgs({
    options: {
      board: { type: 'string', default: 'x86_64-generic' },
      detach: { type: 'boolean', default: false },
      stop: { type: 'boolean', default: false },
      attach: { type: 'boolean', default: false },
      kvm: { type: 'boolean', default: false },
    },
  });
  const name = values.board!;
  const boardJson = join(root, 'board', name, 'board.json');
  if (!existsSync(boardJson)) {
    say(`unknown board '${name}'`);
    return 2;
  }
  const board = loadBoard(boardJson);
  const runDir = join(root, '.cache', 'start', name);
  const pidFile = join(runDir, 'qemu.pid');
  const runningPid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : undefined;
  if (values.stop) {
    if (runningPid && alive(runningPid)) {
      process.kill(runningPid, 'SIGTERM');
      say(`stopped ${name} (qemu PID ${runningPid})`);
    } else say(`no detached ${name} VM is running`);
    rmSync(runDir, { recursive: true, force: true });
    return 0;
  }
  if (values.attach) {
    if (!runningPid || !alive(runningPid)) {
      say(`no detached ${name} VM is running (npm start -- --board ${name} --detach)`);
      return 1;
    }
    attach(join(runDir, 'console.sock'));
    return -1;
  }
  if (values.detach && runningPid && alive(runningPid)) {
    say(`a detached ${name} VM is already running (qemu PID ${runningPid}); npm start -- --board ${name} --stop`);
    return 1;
  }

  if (!existsSync(join(root, 'dist', board.arch, 'stockade'))) step([join(root, 'scripts', 'build'), '--arch', board.arch]);
  step([join(root, 'scripts', 'build-image'), '--board', name, '--if-stale']);
  const image = imagePath(root, name);

  if (values.detach) {
    rmSync(runDir, { recursive: true, force: true });
    mkdirSync(runDir, { recursive: true });
    const consoleSock = join(runDir, 'console.sock');
    const argv = qemuArgv({
      board, image, kvm: values.kvm!, varsFile: join(runDir, 'vars.fd'),
      console: [
        '-chardev', `socket,id=con,path=${consoleSock},server=on,wait=off,logfile=${join(runDir, 'console.log')}`,
        '-serial', 'chardev:con',
        '-monitor', `unix:${join(runDir, 'monitor.sock')},server=on,wait=off`,
        '-daemonize', '-pidfile', pidFile,
      ],
    });
    step(argv);
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    process.stdout.write([
      `board:    ${name}`,
      `qemu:     PID ${pid}`,
      `console:  ${consoleSock}`,
      `          attach: npm start -- --board ${name} --attach   (Ctrl-] leaves)`,
      `log:      ${join(runDir, 'console.log')} (everything the console printed)`,
      `monitor:  ${join(runDir, 'monitor.sock')}`,
      `stop:     npm start -- --board ${name} --stop`,
      '',
    ].join('\n'));
    return 0;
  }

  const tmp = mkdtempSync(join(tmpdir(), 'stockade-start-'));
  const argv = qemuArgv({ board, image, kvm: values.kvm!, varsFile: join(tmp, 'vars.fd'), console: ['-serial', 'mon:stdio'] });
  process.stderr.write([
    '',
    `Stockade ${name} in qemu (${values.kvm ? 'KVM' : 'TCG: about 20 s to the login prompt'}). The serial console follows.`,
    'Log in as root (no password). Quit: Ctrl-A then X.  qemu monitor: Ctrl-A then C.',
    '',
  ].join('\n') + '\n');
  const child = spawn(argv[0]!, argv.slice(1), { stdio: 'inherit' });
  // Ctrl-C goes to the guest (the terminal is raw); these only arrive from outside.
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, () => child.kill('SIGTERM'));
  child.on('close', (code) => {
    rmSync(tmp, { recursive: true, force: true });
    process.exit(code ?? 1);
  });
  return -1;
}

const code = main();
if (code >= 0) process.exitCode = code;
