// `stockade install DISK`: the running system laid down on another disk, as scripts/flash lays
// down a built image: the same GPT (ESP, root-a, root-b at the same places; data to the end of
// the disk), the ESP copied with GRUB's environment reset to a fresh disk's, the running slot
// copied into both slots, the start of the data partition cleared (the caller makes its
// filesystem once the kernel has read the new table). Then everything written is read back from
// the disk and its sha256 compared with what was meant.
//
// Order, for a power cut on the way: the old table is wiped first and the new one written last,
// so a disk cut halfway has no table at all (nothing boots half a copy), never a valid one over
// partial contents. The partitions get new GUIDs: two disks in one box do not share them.
import { createHash } from 'node:crypto';
import type { BlockRegion } from './boot-env.ts';
import { GrubEnvFile } from './boot-env.ts';
import { GPT_FIRST_USABLE, SECTOR, encodeGpt, gptLastUsable, partitionRange, randomGuid, readGptPartitions, type GptPartition } from './gpt.ts';
import { FRESH_ENV } from './grubenv.ts';
import type { Progress } from './progress.ts';
import { ESP_LABEL, SLOT_LABEL, type SlotName } from './slots.ts';

export const DATA_LABEL = 'data';
const LABELS = [ESP_LABEL, SLOT_LABEL.A, SLOT_LABEL.B, DATA_LABEL] as const;
const CHUNK = 4 << 20;
/** Partitions end on MiB boundaries (2048 sectors), as sgdisk aligns them. */
const ALIGN = 2048;
/** Cleared at the start of the data partition: any old filesystem's superblocks. */
const DATA_WIPE = 1 << 20;

export interface DiskInstallRequest {
  /** The disk this system runs from, whole. */
  readonly source: BlockRegion;
  readonly sourceName: string;
  /** The disk to lay down, whole. */
  readonly target: BlockRegion;
  readonly targetName: string;
  /** The slot the system runs from: its bytes go into both slots. */
  readonly running: SlotName;
  readonly onProgress?: (p: Progress) => void;
  /** New GUIDs (random; tests pass fixed ones). */
  readonly guid?: () => Uint8Array;
}

export interface PlannedPartition {
  readonly name: string;
  readonly firstLba: number;
  readonly lastLba: number;
}

export interface DiskPlan {
  /** The running disk's partitions by name (one each of esp, root-a, root-b, data). */
  readonly source: ReadonlyMap<string, GptPartition>;
  readonly partitions: readonly PlannedPartition[];
  readonly targetSectors: number;
}

export interface DiskInstallReport {
  readonly plan: DiskPlan;
  /** Bytes written and read back (the table, the ESP, both slots, the data partition's start). */
  readonly bytes: number;
  /** Where the data partition is on the target (bytes), for its filesystem. */
  readonly data: { readonly number: number; readonly offset: number; readonly size: number };
}

function mib(n: number): string {
  return `${(n / 1048576).toFixed(1)} MiB`;
}

/**
 * Where each partition goes on the target: the source's places, with data running to the end of
 * the target (aligned). Throws naming what is missing or too small.
 */
export function planDiskLayout(source: readonly GptPartition[], sourceName: string, targetBytes: number, targetName: string): DiskPlan {
  const order = LABELS.map((label) => {
    const matches = source.filter((p) => p.name === label);
    if (matches.length !== 1) throw new Error(`${sourceName}: ${matches.length === 0 ? 'no partition' : `${matches.length} partitions`} named ${label}; a Stockade disk has one each of ${LABELS.join(', ')}`);
    return matches[0]!;
  });
  const [esp, rootA, rootB, data] = order as [GptPartition, GptPartition, GptPartition, GptPartition];
  for (let i = 1; i < order.length; i++) {
    if (order[i]!.firstLba <= order[i - 1]!.lastLba) throw new Error(`${sourceName}: partitions ${LABELS[i - 1]} and ${LABELS[i]} are not in the order the layout has`);
  }
  const targetSectors = Math.floor(targetBytes / SECTOR);
  const dataFirst = data.firstLba;
  const dataLast = Math.floor((gptLastUsable(targetSectors) + 1) / ALIGN) * ALIGN - 1;
  // The data partition keeps at least the size it has on the running disk.
  const need = (data.lastLba + 1 + GPT_FIRST_USABLE) * SECTOR;
  if (dataLast < data.lastLba) throw new Error(`${targetName} holds ${mib(targetBytes)}; the layout of ${sourceName} needs at least ${mib(need)}`);
  const partitions: PlannedPartition[] = [
    ...[esp, rootA, rootB].map((p) => ({ name: p.name, firstLba: p.firstLba, lastLba: p.lastLba })),
    { name: DATA_LABEL, firstLba: dataFirst, lastLba: dataLast },
  ];
  return { source: new Map(order.map((p) => [p.name, p])), partitions, targetSectors };
}

/** A BlockRegion over bytes in memory (the ESP is edited here before it is written). */
function memoryRegion(bytes: Uint8Array): BlockRegion {
  return {
    size: bytes.length,
    read: (offset, length) => bytes.slice(offset, offset + length),
    write: (offset, b) => bytes.set(b, offset),
    flush: () => {},
  };
}

interface Write {
  readonly what: string;
  readonly offset: number;
  readonly length: number;
  /** The bytes of [at, at + length) of this write. */
  bytes(at: number, length: number): Uint8Array;
}

export async function installDisk(req: DiskInstallRequest): Promise<DiskInstallReport> {
  const { source, target } = req;
  const table = readGptPartitions((o, l) => source.read(o, l), req.sourceName);
  const plan = planDiskLayout(table, req.sourceName, target.size, req.targetName);
  const guid = req.guid ?? randomGuid;
  const at = (name: string) => {
    const p = plan.partitions.find((q) => q.name === name)!;
    return { offset: p.firstLba * SECTOR, size: (p.lastLba - p.firstLba + 1) * SECTOR };
  };

  const from = (label: string): GptPartition => plan.source.get(label)!;
  const espFrom = partitionRange(from(ESP_LABEL));
  const esp = source.read(espFrom.offset, espFrom.size);
  // The copy must not inherit this disk's trial or a slot marked bad: a fresh disk's environment.
  const env = new GrubEnvFile(memoryRegion(esp));
  const current = env.read();
  env.set({ ...Object.fromEntries(Object.keys(current).map((k) => [k, null])), ...FRESH_ENV });

  const slotFrom = partitionRange(from(SLOT_LABEL[req.running]));
  const sourceSlot = (offset: number, length: number) => source.read(slotFrom.offset + offset, length);
  const slotWrite = (label: string): Write => {
    const to = at(label);
    if (to.size < slotFrom.size) throw new Error(`${req.targetName}: partition ${label} is smaller than ${req.sourceName}'s`);
    return { what: `partition ${label}`, offset: to.offset, length: slotFrom.size, bytes: sourceSlot };
  };
  const gpt = encodeGpt({
    sectors: plan.targetSectors,
    diskGuid: guid(),
    partitions: plan.partitions.map((p) => {
      const was = from(p.name);
      return { name: p.name, type: was.type ?? new Uint8Array(16), guid: guid(), firstLba: p.firstLba, lastLba: p.lastLba, ...(was.attributes === undefined ? {} : { attributes: was.attributes }) };
    }),
  });
  const slice = (b: Uint8Array) => (o: number, l: number) => b.subarray(o, o + l);
  const zeros = new Uint8Array(DATA_WIPE);
  const data = at(DATA_LABEL);
  const contents: Write[] = [
    { what: `partition ${ESP_LABEL}`, offset: at(ESP_LABEL).offset, length: esp.length, bytes: slice(esp) },
    slotWrite(SLOT_LABEL.A),
    slotWrite(SLOT_LABEL.B),
    { what: `partition ${DATA_LABEL} (start)`, offset: data.offset, length: Math.min(DATA_WIPE, data.size), bytes: slice(zeros) },
  ];
  const tables: Write[] = [
    { what: 'GPT (primary)', offset: 0, length: gpt.head.length, bytes: slice(gpt.head) },
    { what: 'GPT (backup)', offset: gpt.tailOffset, length: gpt.tail.length, bytes: slice(gpt.tail) },
  ];
  const total = [...contents, ...tables].reduce((n, w) => n + w.length, 0);

  // 1. No table while the contents are copied.
  for (const t of tables) target.write(t.offset, new Uint8Array(t.length));
  target.flush();
  // 2. The contents, then 3. the table, each hashed as written.
  const written = new Map<Write, string>();
  let done = 0;
  const copy = (w: Write) => {
    const h = createHash('sha256');
    for (let o = 0; o < w.length; o += CHUNK) {
      const b = w.bytes(o, Math.min(CHUNK, w.length - o));
      h.update(b);
      target.write(w.offset + o, b);
      done += b.length;
      req.onProgress?.({ phase: 'write', done, total });
    }
    written.set(w, h.digest('hex'));
  };
  for (const w of contents) copy(w);
  target.flush();
  for (const t of tables) copy(t);
  target.flush();
  // 4. Everything read back from the disk.
  done = 0;
  for (const w of [...contents, ...tables]) {
    const h = createHash('sha256');
    for (let o = 0; o < w.length; o += CHUNK) {
      const b = target.read(w.offset + o, Math.min(CHUNK, w.length - o));
      h.update(b);
      done += b.length;
      req.onProgress?.({ phase: 'read-back', done, total });
    }
    const got = h.digest('hex');
    if (got !== written.get(w)) throw new Error(`${req.targetName}: ${w.what} read back with sha256 ${got}, ${written.get(w)} was written: the disk did not keep it`);
  }
  const dataNumber = plan.partitions.findIndex((p) => p.name === DATA_LABEL) + 1;
  return { plan, bytes: total, data: { number: dataNumber, ...data } };
}
