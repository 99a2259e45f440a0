// `stockade upgrade pair BUNDLE`: the rolling upgrade of an HA pair, run on one box (issue 16
// item 5). The order and its stops are src/upgrade/pair-plan.ts (pure); here is the I/O: the
// bundle read once (a file, stdin or an https URL) and teed into the peer's `upgrade install -
// --no-switch` over SSH and this box's own slot writer, the peer switched and rebooted
// (`upgrade activate`), its status, VRRP and sync polled over SSH until it is good and the pair
// settled, then this box switched and rebooted. Every wait has a deadline (--timeout).
import type { Writable } from 'node:stream';
import { EXIT_BAD_INPUT, EXIT_FAILURE, UserError, type Command, type Io } from './command.ts';
import { parseOptions, usageError } from './upgrade-args.ts';
import { UPGRADE_DEFAULTS, loadUpgradeConfig, machineDisk, runningSlot, withEnv } from './upgrade-disk.ts';
import { openBundle, rebootNow, trialRefusal, writeBundle } from './upgrade-write.ts';
import { activateOther } from './upgrade-activate.ts';
import { askPeer, clientKey, peerTarget, sshMessage } from './upgrade-pair-peer.ts';
import { buildInfo } from './build-info.ts';
import { controlRequest, controlSocketPath } from '../control/index.ts';
import { runSsh, startSsh, type SshTarget } from '../kernel/index.ts';
import {
  BundleFault, DEFAULT_STATE_DIR, HEALTH_HOLD_MS, PairWait, otherSlot, pairPlan, pairPreflight, pairStop, trialSlot,
  type Answer, type InstallReport, type PairObservation, type PairStatusView, type PairStep, type PairSyncView, type PairVrrpView, type SlotName,
} from '../upgrade/index.ts';

const DEFAULT_TIMEOUT_S = 1800;
/** One SSH command's deadline (a peer under load, or TCG in the tests, answers slowly). */
const ASK_MS = 120_000;
/** The bundle's stream to the peer: until the whole install has been read back there. */
const STREAM_MS = 3_600_000;
const POLL_MS = 2000;

function stamp(line: string): string {
  return `${new Date().toISOString().slice(11, 19)} ${line}\n`;
}

async function hereVrrp(socket: string): Promise<Answer<PairVrrpView>> {
  try {
    return { ok: true, value: (await controlRequest(socket, 'vrrp.status', undefined, 5000)) as PairVrrpView };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

const NOT_ASKED = { ok: false, error: 'not asked yet' } as const;

/** Resolves when the peer's stdin takes more, or is gone; leaves no listener behind. */
function drainedOrClosed(w: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      w.off('drain', done);
      w.off('close', done);
      resolve();
    };
    w.on('drain', done);
    w.on('close', done);
  });
}

/** Writes each piece to the peer's stdin (waiting when it is full), then hands it on to this box's writer. */
async function* teeToPeer(body: AsyncIterable<Uint8Array | string>, peer: Writable, peerEnded: () => boolean): AsyncGenerator<Uint8Array> {
  for await (const piece of body) {
    if (peerEnded()) throw new Error('the peer stopped reading the bundle (its install ended first)');
    const bytes = typeof piece === 'string' ? Buffer.from(piece) : piece;
    if (!peer.write(bytes)) await drainedOrClosed(peer);
    yield bytes;
  }
  peer.end();
}

export const upgradePairCommand: Command = {
  words: ['upgrade', 'pair'],
  usage: 'FILE|-|https://URL [--timeout S] [--config FILE] [--state DIR] [--socket PATH]',
  summary: 'rolling upgrade of the HA pair from this box: the peer (over SSH, upgrade.peer) first, good and synced, then this box, each handing over its MASTER instances',
  async run(args: readonly string[], io: Io): Promise<number> {
    const { values, positionals } = parseOptions(upgradePairCommand, args, {
      timeout: { type: 'string' }, config: { type: 'string' }, state: { type: 'string' }, socket: { type: 'string' }, cmdline: { type: 'string' }, 'board-file': { type: 'string' },
    });
    if (positionals.length !== 1) throw usageError(upgradePairCommand, positionals.length === 0 ? 'which bundle? (a file, - for stdin, or an https URL)' : `unexpected argument '${positionals[1]}'`);
    const file = positionals[0]!;
    const timeoutS = values.timeout === undefined ? DEFAULT_TIMEOUT_S : Number(values.timeout);
    if (!Number.isInteger(timeoutS) || timeoutS < 60) throw usageError(upgradePairCommand, `--timeout: a whole number of seconds, at least 60 (not '${values.timeout}')`);
    const { config, file: configFile } = loadUpgradeConfig(values.config ?? UPGRADE_DEFAULTS.config, UPGRADE_DEFAULTS.defaultConfig);
    const peer: SshTarget = peerTarget(config, configFile);
    const stateDir = values.state ?? DEFAULT_STATE_DIR;
    const socket = controlSocketPath(values.socket);
    const disk = machineDisk();
    const running: SlotName = runningSlot(disk, values.cmdline ?? UPGRADE_DEFAULTS.cmdline);
    const target = otherSlot(running);
    await clientKey(peer.keyFile);
    const peerName = `the peer ${peer.address}`;

    // Before anything is read or written: both boxes answer, neither is on trial, the pair is settled.
    io.out(stamp(`upgrade pair: this box runs slot ${running} (${buildInfo.version}); ${peerName} over SSH, host key checked against upgrade.peer.host_key`));
    const hereTrial = withEnv(disk, false, (e) => trialSlot(e.read()));
    const pre = pairPreflight({
      hereStatus: { ok: true, value: { running, trial: hereTrial ?? null, slots: [], last_failure: null } },
      peerStatus: await askPeer<PairStatusView>(peer, ['upgrade', 'status'], ASK_MS),
      peerVrrp: await askPeer<PairVrrpView>(peer, ['ctl', 'vrrp'], ASK_MS),
      peerSync: NOT_ASKED,
      hereVrrp: await hereVrrp(socket),
    });
    if ('refused' in pre) throw new UserError(`upgrade pair: ${pre.refused}; nothing was written`, EXIT_BAD_INPUT);
    const onTrial = trialRefusal(disk, running);
    if (onTrial) throw new UserError(`upgrade pair: ${onTrial}; nothing was written`, EXIT_BAD_INPUT);

    for (const s of pairPlan(pre.roles, 'the bundle')) io.out(stamp(`plan: ${s.n}. ${s.title}`));

    // 1. One stream, two slots.
    const bundle = await openBundle(file, config);
    const versions = { old: buildInfo.version, next: '(the bundle\'s)' };
    let steps: PairStep[] = pairPlan(pre.roles, 'the bundle');
    const stop = (step: PairStep, reason: string): number => {
      io.err(`${pairStop(step, reason, versions)}\n`);
      return EXIT_FAILURE;
    };
    const ssh = startSsh(peer, ['stockade', 'upgrade', 'install', '-', '--no-switch'], { stdin: true, timeoutMs: STREAM_MS });
    let peerEnded = false;
    const peerDone = ssh.done.then((r) => { peerEnded = true; return r; });
    let report: InstallReport | undefined;
    let localFault: string | undefined;
    try {
      report = await writeBundle({
        file, body: ssh.stdin ? teeToPeer(bundle.body, ssh.stdin, () => peerEnded) : bundle.body, config, configFile,
        boardFile: values['board-file'] ?? UPGRADE_DEFAULTS.board, stateDir, disk, running, switch: false, tty: process.stderr.isTTY === true,
      }, io);
    } catch (err) {
      if (!(err instanceof BundleFault) && !(err instanceof UserError)) throw err;
      localFault = err.message;
      // The peer's install sees its stdin cut short: it refuses, and switches nothing.
      ssh.stop();
    } finally {
      bundle.close();
    }
    const peerInstall = await peerDone;
    if (report) {
      versions.next = report.manifest.version;
      steps = pairPlan(pre.roles, report.manifest.version);
    }
    const [write, activatePeer, , , activateHere] = steps as [PairStep, PairStep, PairStep, PairStep, PairStep];
    const peerInstalled = peerInstall.code === 0 && /installed and read back/.test(peerInstall.stdout);
    if (!peerInstalled) return stop(write, `${peerName} did not install it: ${sshMessage(peerInstall)}${localFault ? `; this box: ${localFault}` : ''}`);
    if (!report) return stop(write, `this box: ${localFault ?? 'not written'}`);
    io.out(stamp(`step 1 done: ${report.manifest.version} written and read back in slot ${target} here and in the peer's other slot; neither switched`));

    // 2. The peer switched and rebooted (its reboot may cut the session once it said so).
    // Its slot is read back again before the switch: longer than a plain question.
    const activated = await runSsh(peer, ['stockade', 'upgrade', 'activate', ...(pre.roles.peerMasters.length > 0 ? ['--handover'] : [])], STREAM_MS);
    if (!/GRUB boots it next/.test(activated.stdout)) return stop(activatePeer, sshMessage(activated));
    io.out(stamp(`step 2 done: ${peerName} reboots into its new slot${pre.roles.peerMasters.length > 0 ? ` (handing over ${pre.roles.peerMasters.join(', ')})` : ''}`));

    // 3 and 4. Polled until the peer is good and the pair settled, or the deadline.
    const wait = new PairWait({ startMs: performance.now(), timeoutMs: timeoutS * 1000, holdMs: HEALTH_HOLD_MS }, otherSlot(pre.roles.peerRunning), report.manifest.version, config.sync?.enabled === true);
    let last = '';
    for (;;) {
      const good = wait.step === 'peer-good';
      const o: PairObservation = {
        peerStatus: await askPeer<PairStatusView>(peer, ['upgrade', 'status'], ASK_MS),
        peerVrrp: good ? NOT_ASKED : await askPeer<PairVrrpView>(peer, ['ctl', 'vrrp'], ASK_MS),
        peerSync: good ? NOT_ASKED : await askPeer<PairSyncView>(peer, ['ctl', 'sync', '-s'], ASK_MS),
        hereVrrp: good ? NOT_ASKED : await hereVrrp(socket),
      };
      const before = wait.step;
      const v = wait.judge(o, performance.now());
      if (before === 'peer-good' && wait.step === 'peer-settled') {
        io.out(stamp(`step 3 done: ${peerName} runs ${report.manifest.version}, marked good by its trial`));
        // Step 4's answers were not asked for in this look: look again at once.
        if (v.action === 'wait') continue;
      }
      if (v.action === 'next') break;
      if (v.action === 'stop') return stop(wait.step === 'peer-good' ? steps[2]! : steps[3]!, v.reason);
      if (v.pending !== last) io.out(stamp(`waiting: ${v.pending}`));
      last = v.pending;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    io.out(stamp('step 4 done: the pair settled with the peer upgraded'));

    // 5. This box: its MASTER instances go to the peer as it reboots (the daemon's priority 0).
    const masters = await hereVrrp(socket);
    const mine = masters.ok ? masters.value.instances.filter((i) => i.state === 'MASTER').map((i) => i.name) : [];
    try {
      activateOther(disk, running, stateDir);
    } catch (err) {
      if (err instanceof UserError) return stop(activateHere, err.message);
      throw err;
    }
    io.out(stamp(`step 5: slot ${target} (${report.manifest.version}) switched to; rebooting${mine.length > 0 ? `, handing ${mine.join(', ')} to the peer` : ''}; this box's trial keeps it once healthy (stockade upgrade status)`));
    return rebootNow(io);
  },
};
