// Whole-bundle operations on bytes in memory (pure): build a manifest from a part's bytes, lay
// out a bundle, split one into its sections, and verify it end to end. The streaming installer
// (install.ts) does the same checks in the same order on a stream.
import { fail, type BundleError, type Result } from './errors.ts';
import { encodeHeader, parseHeader, type Header } from './header.ts';
import { chunkCount, parseManifest, payloadLength, type Manifest, type ManifestPart } from './manifest.ts';
import { verifyManifestSignature, type PublicKey } from './keys.ts';
import { HEADER_LENGTH } from './format.ts';
import { nodeCrypto, sha256Hex } from './crypto.ts';

export interface Sections {
  readonly header: Header;
  readonly manifest: Uint8Array;
  readonly signature: Uint8Array;
  /** Where the payload starts in the bundle. */
  readonly payloadOffset: number;
}

/** The bytes before the payload: header, manifest, signature (empty: unsigned). */
export function bundlePrefix(manifest: Uint8Array, signature: Uint8Array, payload: number): Uint8Array {
  const header = encodeHeader({ manifestLength: manifest.length, signatureLength: signature.length, payloadLength: payload });
  const out = new Uint8Array(HEADER_LENGTH + manifest.length + signature.length);
  out.set(header, 0);
  out.set(manifest, HEADER_LENGTH);
  out.set(signature, HEADER_LENGTH + manifest.length);
  return out;
}

/**
 * A part's manifest entry from its bytes, read piecewise through `read(offset, length)` so a
 * large file need not be in memory.
 */
export function describePart(name: string, size: number, chunkSize: number, read: (offset: number, length: number) => Uint8Array): ManifestPart {
  const whole = nodeCrypto().createHash('sha256');
  const chunks: string[] = [];
  for (let i = 0; i < chunkCount(size, chunkSize); i++) {
    const offset = i * chunkSize;
    const bytes = read(offset, Math.min(chunkSize, size - offset));
    whole.update(bytes);
    chunks.push(sha256Hex(bytes));
  }
  return { name, size, sha256: whole.digest('hex'), chunks };
}

/** Header, manifest and signature of `bytes` (which may end anywhere after them). */
export function splitBundle(bytes: Uint8Array): Result<Sections> {
  const header = parseHeader(bytes.subarray(0, HEADER_LENGTH));
  if (!header.ok) return header;
  const h = header.value;
  const manifestEnd = HEADER_LENGTH + h.manifestLength;
  const payloadOffset = manifestEnd + h.signatureLength;
  if (bytes.length < manifestEnd) return fail(`truncated: the input ends at byte ${bytes.length}, inside the manifest (bytes ${HEADER_LENGTH}..${manifestEnd})`, { offset: bytes.length });
  if (bytes.length < payloadOffset) return fail(`truncated: the input ends at byte ${bytes.length}, inside the signature (bytes ${manifestEnd}..${payloadOffset})`, { offset: bytes.length });
  return {
    ok: true,
    value: { header: h, manifest: bytes.subarray(HEADER_LENGTH, manifestEnd), signature: bytes.subarray(manifestEnd, payloadOffset), payloadOffset },
  };
}

/** The manifest agrees with the header's payload length. */
export function checkPayloadLength(header: Header, manifest: Manifest): BundleError | undefined {
  const want = payloadLength(manifest);
  if (header.payloadLength !== want) return { message: `header says the payload is ${header.payloadLength} bytes, the manifest's parts add up to ${want}`, offset: 32 };
  return undefined;
}

export interface Inspected {
  readonly sections: Sections;
  readonly manifest: Manifest;
}

/** Header and manifest, unverified (for `bundle info` and for signing). */
export function inspectBundle(bytes: Uint8Array): Result<Inspected> {
  const split = splitBundle(bytes);
  if (!split.ok) return split;
  const manifest = parseManifest(split.value.manifest, HEADER_LENGTH);
  if (!manifest.ok) return manifest;
  const mismatch = checkPayloadLength(split.value.header, manifest.value);
  if (mismatch) return { ok: false, error: mismatch };
  return { ok: true, value: { sections: split.value, manifest: manifest.value } };
}

export interface Verified {
  readonly manifest: Manifest;
  readonly signer: PublicKey;
}

/** Checks the next chunk: its offset in the bundle is `offset`. */
export function checkChunk(part: ManifestPart, index: number, bytes: Uint8Array, offset: number): BundleError | undefined {
  const got = sha256Hex(bytes);
  if (got === part.chunks[index]) return undefined;
  return { message: `sha256 ${got} differs from the manifest's ${part.chunks[index]}: the payload was changed or damaged`, offset, part: part.name, chunk: index };
}

/**
 * The whole bundle: signature by a trusted key over the manifest, the manifest itself, then
 * every chunk of every part against its hash, and nothing after the payload.
 */
export function verifyBundle(bytes: Uint8Array, trusted: readonly PublicKey[]): Result<Verified> {
  const split = splitBundle(bytes);
  if (!split.ok) return split;
  const s = split.value;
  const signer = verifyManifestSignature(s.manifest, s.signature, trusted, HEADER_LENGTH + s.header.manifestLength);
  if (!signer.ok) return signer;
  const manifest = parseManifest(s.manifest, HEADER_LENGTH);
  if (!manifest.ok) return manifest;
  const m = manifest.value;
  const mismatch = checkPayloadLength(s.header, m);
  if (mismatch) return { ok: false, error: mismatch };
  let offset = s.payloadOffset;
  for (const part of m.parts) {
    const whole = nodeCrypto().createHash('sha256');
    for (let i = 0; i < part.chunks.length; i++) {
      const length = Math.min(m.chunk_size, part.size - i * m.chunk_size);
      if (bytes.length < offset + length) {
        return fail(`truncated: the input ends at byte ${bytes.length}, inside this chunk (bytes ${offset}..${offset + length})`, { offset: bytes.length, part: part.name, chunk: i });
      }
      const chunk = bytes.subarray(offset, offset + length);
      const bad = checkChunk(part, i, chunk, offset);
      if (bad) return { ok: false, error: bad };
      whole.update(chunk);
      offset += length;
    }
    // The chunk hashes are signed too; the whole hash is what a later read-back is checked against.
    const got = whole.digest('hex');
    if (got !== part.sha256) return fail(`sha256 of the whole part is ${got}, the manifest says ${part.sha256}`, { part: part.name });
  }
  if (bytes.length > offset) return fail(`${bytes.length - offset} bytes after the payload's end`, { offset });
  return { ok: true, value: { manifest: m, signer: signer.value } };
}
