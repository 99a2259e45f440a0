// The streaming installer. Order (issue 16; RAUC/Mender lessons in console-upgrade.md E):
//   1. header, manifest, signature read (bounded sizes) and the signature checked against the
//      trusted keys (none: refused before reading anything);
//   2. board, security-epoch floor, version (policy.ts); the part fits the slot;
//   3. each chunk read, hashed, and handed to the writer only when its hash matched: a bad byte
//      is never written; memory holds one chunk, nothing is staged in tmpfs; just before the
//      first write the target slot is marked bad in GRUB's environment;
//   5. the slot flushed, read back and its whole sha256 checked;
//   6. one environment write: boot the new slot once, the running one after.
// Any fault leaves the running slot and its boot entry untouched; once writing began the target
// stays marked bad.
import { BundleFault, type BundleError, type Result } from './errors.ts';
import { parseHeader } from './header.ts';
import { parseManifest, type Manifest, type ManifestPart } from './manifest.ts';
import { verifyManifestSignature, type PublicKey } from './keys.ts';
import { checkChunk, checkPayloadLength } from './bundle.ts';
import { checkPolicy, type RunningSystem } from './policy.ts';
import { HEADER_LENGTH } from './format.ts';
import { nodeCrypto } from './crypto.ts';
import type { ByteSource } from './source.ts';
import type { BootControl, SlotName, SlotWriter } from './slots.ts';

export interface InstallProgress {
  readonly phase: 'write' | 'read-back';
  readonly done: number;
  readonly total: number;
}

export interface InstallRequest {
  readonly source: ByteSource;
  readonly trusted: readonly PublicKey[];
  readonly running: RunningSystem;
  readonly runningSlot: SlotName;
  readonly writer: SlotWriter;
  readonly boot: BootControl;
  readonly onProgress?: (p: InstallProgress) => void;
  /** Called once the manifest is verified and accepted, before anything is written. */
  readonly onAccepted?: (m: Manifest, signer: PublicKey) => void;
  /**
   * Called once the slot read back right, before the switch: what the slot holds is recorded
   * before GRUB can boot it, so a power cut after the switch never finds a trial of an unknown slot.
   */
  readonly beforeSwitch?: (r: InstallReport) => void | Promise<void>;
}

export interface InstallReport {
  readonly manifest: Manifest;
  readonly signer: PublicKey;
  readonly slot: SlotName;
  readonly bytes: number;
  readonly sha256: string;
}

function must<T>(r: Result<T>): T {
  if (!r.ok) throw new BundleFault(r.error);
  return r.value;
}

async function readExactly(source: ByteSource, length: number, offset: number, what: string, where: Omit<BundleError, 'message' | 'offset'> = {}): Promise<Uint8Array> {
  const bytes = await source.read(length);
  if (bytes.length < length) {
    const end = offset + bytes.length;
    throw new BundleFault({ message: `truncated: the input ends at byte ${end}, inside ${what} (bytes ${offset}..${offset + length})`, offset: end, ...where });
  }
  return bytes;
}

export interface VerifiedHead {
  readonly manifest: Manifest;
  readonly signer: PublicKey;
  /** Where the payload starts in the bundle. */
  readonly payloadOffset: number;
}

/** Header, manifest and signature from the stream; the signature checked before the manifest is read. */
export async function readVerifiedHead(source: ByteSource, trusted: readonly PublicKey[]): Promise<VerifiedHead> {
  const first = await source.read(HEADER_LENGTH);
  const header = must(parseHeader(first));
  const manifestBytes = await readExactly(source, header.manifestLength, HEADER_LENGTH, 'the manifest');
  const sigOffset = HEADER_LENGTH + header.manifestLength;
  const signature = await readExactly(source, header.signatureLength, sigOffset, 'the signature');
  const signer = must(verifyManifestSignature(manifestBytes, signature, trusted, sigOffset));
  const manifest = must(parseManifest(manifestBytes, HEADER_LENGTH));
  const mismatch = checkPayloadLength(header, manifest);
  if (mismatch) throw new BundleFault(mismatch);
  return { manifest, signer, payloadOffset: sigOffset + header.signatureLength };
}

/**
 * Every chunk of every part from the stream, each handed to `use` only after its hash matched;
 * then the whole part's hash, and the end of the input. Returns each part's sha256.
 */
export async function streamVerifiedChunks(
  source: ByteSource,
  head: VerifiedHead,
  use: (part: ManifestPart, partOffset: number, bytes: Uint8Array) => Promise<void>,
): Promise<void> {
  const { manifest } = head;
  let offset = head.payloadOffset;
  for (const part of manifest.parts) {
    const whole = nodeCrypto().createHash('sha256');
    for (let i = 0; i < part.chunks.length; i++) {
      const at = i * manifest.chunk_size;
      const length = Math.min(manifest.chunk_size, part.size - at);
      const chunk = await readExactly(source, length, offset, 'this chunk', { part: part.name, chunk: i });
      const bad = checkChunk(part, i, chunk, offset);
      if (bad) throw new BundleFault(bad);
      await use(part, at, chunk);
      whole.update(chunk);
      offset += length;
    }
    const sha256 = whole.digest('hex');
    if (sha256 !== part.sha256) throw new BundleFault({ message: `sha256 of the whole part is ${sha256}, the manifest says ${part.sha256}`, part: part.name });
  }
  const extra = await source.read(1);
  if (extra.length > 0) throw new BundleFault({ message: 'more bytes after the payload\'s end: not the bundle the manifest describes', offset });
}

/** `bundle verify` on a stream: the same checks as an install, nothing written. */
export async function verifyStream(source: ByteSource, trusted: readonly PublicKey[]): Promise<VerifiedHead> {
  const head = await readVerifiedHead(source, trusted);
  await streamVerifiedChunks(source, head, async () => {});
  return head;
}

export async function install(req: InstallRequest): Promise<InstallReport> {
  const { source, writer, boot } = req;
  if (req.trusted.length === 0) throw new BundleFault({ message: 'no trusted keys configured (upgrade.trusted_keys): upgrades are refused' });
  if (writer.slot === req.runningSlot) throw new BundleFault({ message: `slot ${writer.slot} is the running slot; only the other one is written` });

  const head = await readVerifiedHead(source, req.trusted);
  const { manifest, signer } = head;
  must(checkPolicy(manifest, req.running));
  const part = manifest.parts[0]!;
  if (part.size > writer.capacity) {
    throw new BundleFault({ message: `${part.size} bytes do not fit slot ${writer.slot} (${writer.capacity} bytes)`, part: part.name });
  }
  req.onAccepted?.(manifest, signer);

  // Marked bad just before the first write, so a bundle refused before that (its first chunk
  // included) leaves GRUB's environment and the slot exactly as they were.
  let marked = false;
  await streamVerifiedChunks(source, head, async (_part, at, chunk) => {
    if (!marked) {
      await boot.markBad(writer.slot);
      marked = true;
    }
    await writer.write(at, chunk);
    req.onProgress?.({ phase: 'write', done: at + chunk.length, total: part.size });
  });

  // What the slot holds now, from the disk: a write the device lost or changed is caught here.
  await writer.flush();
  const back = nodeCrypto().createHash('sha256');
  for (let i = 0; i < part.chunks.length; i++) {
    const at = i * manifest.chunk_size;
    const length = Math.min(manifest.chunk_size, part.size - at);
    const bytes = await writer.read(at, length);
    if (bytes.length !== length) throw new BundleFault({ message: `slot ${writer.slot}: read back ${bytes.length} of ${length} bytes at slot offset ${at}`, part: part.name, chunk: i });
    back.update(bytes);
    req.onProgress?.({ phase: 'read-back', done: at + length, total: part.size });
  }
  const readBack = back.digest('hex');
  if (readBack !== part.sha256) {
    throw new BundleFault({ message: `slot ${writer.slot} read back with sha256 ${readBack}, not the ${part.sha256} written: the slot stays marked bad`, part: part.name });
  }
  const report: InstallReport = { manifest, signer, slot: writer.slot, bytes: part.size, sha256: readBack };
  await req.beforeSwitch?.(report);
  await boot.tryOnce(writer.slot, req.runningSlot);
  return report;
}
