// Writing a bundle into the inactive slot, shared by `upgrade install` and `upgrade pair`: the
// bundle's bytes (a file, stdin or an https URL, never staged), the trusted keys from the config,
// progress lines, and the installer (src/upgrade/install.ts) over this machine's partitions.
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK, UserError, type Io } from './command.ts';
import { buildInfo } from './build-info.ts';
import { withEnv, type Disk } from './upgrade-disk.ts';
import { formatConfigError, loadBoardFile, type Config } from '../config/index.ts';
import { httpsGet, runTool, toolMessage } from '../kernel/index.ts';
import {
  BundleFault, ESP_LABEL, GrubEnvFile, SLOT_LABEL, StreamSource, install, otherSlot, progressPrinter, publicKeyFromBase64, readState, regionSlotWriter, trialSlot, writeState,
  type BootControl, type InstallReport, type PublicKey, type SlotName,
} from '../upgrade/index.ts';

export function trustedKeys(config: Config, file: string): PublicKey[] {
  return config.upgrade.trusted_keys.map((k, i) => {
    const key = publicKeyFromBase64(k.ed25519_public_key, k.name);
    if (!key.ok) throw new UserError(`${file}: /upgrade/trusted_keys/${i}: ${key.error.message}`, EXIT_BAD_INPUT);
    return key.value;
  });
}

const isUrl = (file: string): boolean => /^[a-z][a-z0-9+.-]*:\/\//i.test(file);

/** The bundle's bytes: a file, stdin (-) or an https URL (fetched as it is written, never staged). */
export async function openBundle(file: string, config: Config): Promise<{ body: AsyncIterable<Uint8Array | string>; close: () => void }> {
  if (!isUrl(file)) {
    if (file !== '-' && !existsSync(file)) throw new UserError(`${file}: no such file`, EXIT_BAD_INPUT);
    const stream = file === '-' ? process.stdin : createReadStream(file, { highWaterMark: 1 << 20 });
    return { body: stream, close: () => stream.destroy() };
  }
  const caFile = config.upgrade.ca_file;
  let ca: string | undefined;
  if (caFile !== undefined) {
    try {
      ca = readFileSync(caFile, 'utf8');
    } catch (err) {
      throw new UserError(`upgrade.ca_file ${caFile}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`, EXIT_BAD_INPUT);
    }
  }
  try {
    return await httpsGet(file, { ...(ca !== undefined ? { ca } : {}) });
  } catch (err) {
    throw new UserError(`${file}: ${(err as Error).message}; nothing was written`, EXIT_BAD_INPUT);
  }
}

/** A read that fails half-way (a cut connection, a disk error) is a fault of the bundle's input. */
async function* faultsNamed(stream: AsyncIterable<Uint8Array | string>): AsyncGenerator<Uint8Array | string> {
  try {
    yield* stream;
  } catch (err) {
    throw new BundleFault({ message: (err as Error).message });
  }
}

export interface WriteRequest {
  /** The bundle's name in messages ('-' is stdin). */
  readonly file: string;
  readonly body: AsyncIterable<Uint8Array | string>;
  readonly config: Config;
  readonly configFile: string;
  readonly boardFile: string;
  readonly stateDir: string;
  readonly disk: Disk;
  readonly running: SlotName;
  /** false: the slot is written, read back and recorded, but GRUB is not switched (`upgrade activate` does it). */
  readonly switch: boolean;
  /** Progress as a live line (a terminal) or a line per 10 %. */
  readonly tty: boolean;
}

/** The running slot's refusal to be overwritten: it runs on trial, so the other one is the last good one. */
export function trialRefusal(disk: Disk, running: SlotName): string | undefined {
  if (trialSlot(withEnv(disk, false, (e) => e.read())) !== running) return undefined;
  return `slot ${running} runs on its trial boot and is not marked good yet; installing would overwrite slot ${otherSlot(running)}, the last good one. Wait for the trial's verdict (stockade upgrade status) or mark it good first`;
}

/**
 * Verifies the bundle and writes it to the inactive slot (install.ts), recording what the slot
 * holds before GRUB may boot it; with `switch` GRUB then boots it next, once. A refused bundle
 * throws BundleFault (nothing switched).
 */
export async function writeBundle(req: WriteRequest, io: Io): Promise<InstallReport> {
  const { config, disk, running, stateDir } = req;
  const trusted = trustedKeys(config, req.configFile);
  if (trusted.length === 0) throw new UserError(`no trusted keys configured (${req.configFile}: /upgrade/trusted_keys is empty): upgrades are refused`, EXIT_BAD_INPUT);
  const board = loadBoardFile(req.boardFile);
  if (!board.ok) throw new UserError(formatConfigError(req.boardFile, board.errors[0]!), EXIT_BAD_INPUT);
  const state = readState(stateDir);
  const target = otherSlot(running);
  const slotRegion = disk.region(SLOT_LABEL[target], true);
  const esp = disk.region(ESP_LABEL, true);
  const grub = new GrubEnvFile(esp);
  // Without the switch the slot stays as the write left it: marked bad, so nothing boots it yet.
  const boot: BootControl = req.switch ? grub : { markBad: (s) => grub.markBad(s), tryOnce: async () => undefined };
  try {
    return await install({
      source: new StreamSource(faultsNamed(req.body)),
      trusted,
      running: { board: board.board.name, version: buildInfo.version, epochFloor: state.epoch_floor, allowDowngrade: config.upgrade.allow_downgrade },
      runningSlot: running,
      writer: regionSlotWriter(target, slotRegion),
      boot,
      onProgress: progressPrinter((t) => io.err(t), req.tty),
      // Recorded before the switch: GRUB never boots a slot the state does not describe.
      beforeSwitch: (r) => writeState(stateDir, {
        ...state,
        slots: {
          ...state.slots,
          [target]: { version: r.manifest.version, build: r.manifest.build.id, build_date: r.manifest.build.date, security_epoch: r.manifest.security_epoch, sha256: r.sha256, size: r.bytes, installed_at: new Date().toISOString() },
        },
      }),
      onAccepted: (m, signer) => io.err(`${req.file}: ${m.compatible} ${m.version} (epoch ${m.security_epoch}, build ${m.build.id}), signed by ${signer.name} (${signer.id}); writing slot ${target} (${disk.describe(SLOT_LABEL[target])}); slot ${running} runs\n`),
    });
  } finally {
    slotRegion.close();
    esp.close();
  }
}

/** Reboots the box (busybox init stops the daemon first: a MASTER's priority 0 hands over). */
export async function rebootNow(io: Io): Promise<number> {
  io.out('rebooting\n');
  const r = await runTool('reboot', []);
  if (r.code !== 0) throw new UserError(`reboot: ${toolMessage(r, 'reboot')}`, EXIT_FAILURE);
  return EXIT_OK;
}

