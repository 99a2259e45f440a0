// What the installer writes through: the inactive slot and GRUB's environment. Interfaces, so
// the core is tested with fakes that record every write; the real ones are in src/kernel/
// (block-device.ts) and boot-env.ts.

export type SlotName = 'A' | 'B';

export function otherSlot(slot: SlotName): SlotName {
  return slot === 'A' ? 'B' : 'A';
}

export interface SlotWriter {
  readonly slot: SlotName;
  /** Bytes the slot holds. */
  readonly capacity: number;
  write(offset: number, bytes: Uint8Array): Promise<void>;
  /** Everything written is on stable storage, and later reads come from it, not from a cache. */
  flush(): Promise<void>;
  read(offset: number, length: number): Promise<Uint8Array>;
}

export interface BootControl {
  /** The slot must not be booted (it is about to be overwritten, or failed). */
  markBad(slot: SlotName): Promise<void>;
  /** One atomic switch: boot `slot` next, once; should it fail, the running slot boots again. */
  tryOnce(slot: SlotName, running: SlotName): Promise<void>;
}

/** The slot writer over a byte range of a disk (the real one: src/kernel/block-device.ts). */
export function regionSlotWriter(slot: SlotName, region: {
  readonly size: number;
  read(offset: number, length: number): Uint8Array;
  write(offset: number, bytes: Uint8Array): void;
  flush(): void;
}): SlotWriter {
  return {
    slot,
    capacity: region.size,
    write: async (offset, bytes) => region.write(offset, bytes),
    flush: async () => region.flush(),
    read: async (offset, length) => region.read(offset, length),
  };
}

/** GPT partition names (PARTLABEL) of the slots and the ESP, as scripts/build-image lays them out. */
export const SLOT_LABEL: Record<SlotName, string> = { A: 'root-a', B: 'root-b' };
export const ESP_LABEL = 'esp';
