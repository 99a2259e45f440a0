// Bundles and fakes for the upgrade tests: keys generated per run, a bundle laid out by the
// same code the CLI uses, a slot writer and boot control that record every call in one log.
import { generateKeyPairSync } from 'node:crypto';
import {
  DEFAULT_CHUNK_SIZE, FORMAT_VERSION, ROOTFS_PART, bundlePrefix, describePart, encodeManifest, parseKeyText, signManifest,
  type BootControl, type Manifest, type SigningKey, type SlotName, type SlotWriter,
} from '../../../src/upgrade/index.ts';

export function makeKey(name: string): SigningKey & { pem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const parsed = parseKeyText(pem, name);
  if (!parsed.ok || !parsed.value.private) throw new Error('key');
  return { private: parsed.value.private, public: parsed.value.public, pem, publicPem: publicKey.export({ format: 'pem', type: 'spki' }).toString() };
}

export function payloadBytes(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

export interface BundleSpec {
  payload?: Uint8Array;
  board?: string;
  version?: string;
  epoch?: number;
  chunkSize?: number;
  key?: SigningKey | null;
}

export function makeManifest(payload: Uint8Array, spec: BundleSpec = {}): Manifest {
  const chunkSize = spec.chunkSize ?? DEFAULT_CHUNK_SIZE;
  return {
    format: FORMAT_VERSION,
    compatible: spec.board ?? 'x86_64-generic',
    version: spec.version ?? '1.2.0',
    security_epoch: spec.epoch ?? 3,
    build: { id: 'abc1234', date: '2026-12-06T04:00:00.000Z' },
    chunk_size: chunkSize,
    parts: [describePart(ROOTFS_PART, payload.length, chunkSize, (o, l) => payload.subarray(o, o + l))],
  };
}

export function makeBundle(spec: BundleSpec = {}): { bytes: Uint8Array; payload: Uint8Array; manifest: Manifest; payloadOffset: number } {
  const payload = spec.payload ?? payloadBytes(512 * 2 + 100);
  const manifest = makeManifest(payload, { chunkSize: 512, ...spec });
  const mbytes = encodeManifest(manifest);
  const sig = spec.key === null ? new Uint8Array(0) : signManifest(mbytes, spec.key ?? defaultKey());
  const prefix = bundlePrefix(mbytes, sig, payload.length);
  const bytes = new Uint8Array(prefix.length + payload.length);
  bytes.set(prefix, 0);
  bytes.set(payload, prefix.length);
  return { bytes, payload, manifest, payloadOffset: prefix.length };
}

let shared: ReturnType<typeof makeKey> | undefined;
export function defaultKey(): ReturnType<typeof makeKey> {
  return (shared ??= makeKey('release'));
}

export type LogEntry =
  | { op: 'write'; offset: number; bytes: Uint8Array }
  | { op: 'flush' }
  | { op: 'mark-bad'; slot: SlotName }
  | { op: 'try-once'; slot: SlotName; running: SlotName };

/** A slot in memory; `corruptOnRead` flips a byte on the way back (a device that lost a write). */
export class FakeSlot implements SlotWriter, BootControl {
  readonly slot: SlotName;
  readonly capacity: number;
  readonly disk: Uint8Array;
  readonly log: LogEntry[] = [];
  corruptOnRead = false;

  constructor(slot: SlotName = 'B', capacity = 4096) {
    this.slot = slot;
    this.capacity = capacity;
    this.disk = new Uint8Array(capacity);
  }

  async write(offset: number, bytes: Uint8Array): Promise<void> {
    this.log.push({ op: 'write', offset, bytes: Uint8Array.from(bytes) });
    this.disk.set(bytes, offset);
  }

  async flush(): Promise<void> {
    this.log.push({ op: 'flush' });
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const out = Uint8Array.from(this.disk.subarray(offset, offset + length));
    if (this.corruptOnRead && offset === 0) out[0]! ^= 1;
    return out;
  }

  async markBad(slot: SlotName): Promise<void> {
    this.log.push({ op: 'mark-bad', slot });
  }

  async tryOnce(slot: SlotName, running: SlotName): Promise<void> {
    this.log.push({ op: 'try-once', slot, running });
  }

  writes(): Array<{ offset: number; bytes: Uint8Array }> {
    return this.log.flatMap((e) => (e.op === 'write' ? [e] : []));
  }
}
