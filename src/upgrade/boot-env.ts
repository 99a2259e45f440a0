// GRUB's environment block on the ESP, edited in place: the file's clusters are found in the
// FAT (fat.ts) and its 1024 bytes rewritten there, then read back from the device and compared
// (rauc#1140: a mark-good that "succeeded" without the write landing).
import { locateFatFile, type FatFile } from './fat.ts';
import { GRUBENV_PATH, GRUBENV_SIZE, applyGrubEnvChange, encodeGrubEnv, markBadVars, markGoodVars, parseGrubEnvBlock, tryOnceVars, type GrubEnv, type GrubEnvChange } from './grubenv.ts';
import { otherSlot, type BootControl, type SlotName } from './slots.ts';

/** A byte range of a disk: a partition, or a partition's place in an image file. */
export interface BlockRegion {
  readonly size: number;
  read(offset: number, length: number): Uint8Array;
  write(offset: number, bytes: Uint8Array): void;
  /** Written bytes on stable storage; later reads come from the device, not a cache. */
  flush(): void;
}

export class GrubEnvFile implements BootControl {
  private readonly esp: BlockRegion;
  private readonly file: FatFile;

  constructor(esp: BlockRegion, path = GRUBENV_PATH) {
    this.esp = esp;
    this.file = locateFatFile((o, l) => esp.read(o, l), path);
    if (this.file.size !== GRUBENV_SIZE) throw new Error(`${path}: ${this.file.size} bytes, a GRUB environment block has ${GRUBENV_SIZE}`);
  }

  private bytes(): Uint8Array {
    const out = new Uint8Array(GRUBENV_SIZE);
    let at = 0;
    for (const e of this.file.extents) {
      out.set(this.esp.read(e.offset, e.length), at);
      at += e.length;
    }
    return out;
  }

  read(): GrubEnv {
    return parseGrubEnvBlock(this.bytes());
  }

  /** Sets (or, null, removes) `vars`, keeping the others; one write of the block, then checked from the device. */
  set(vars: GrubEnvChange): GrubEnv {
    const next = applyGrubEnvChange(this.read(), vars);
    const block = encodeGrubEnv(next);
    let at = 0;
    for (const e of this.file.extents) {
      this.esp.write(e.offset, block.subarray(at, at + e.length));
      at += e.length;
    }
    this.esp.flush();
    const back = this.bytes();
    if (!Buffer.from(back).equals(Buffer.from(block))) throw new Error(`${GRUBENV_PATH}: read back differs from what was written`);
    return next;
  }

  async markBad(slot: SlotName): Promise<void> {
    this.set(markBadVars(slot, this.read()));
  }

  async tryOnce(slot: SlotName, running: SlotName): Promise<void> {
    this.set(tryOnceVars(slot, running));
  }

  markGood(running: SlotName): GrubEnv {
    return this.set(markGoodVars(running, otherSlot(running)));
  }
}
