// The fixed header (layout in format.ts): encode, and parse with an error naming the field.
import { fail, type Result } from './errors.ts';
import { FORMAT_VERSION, HEADER_LENGTH, MAGIC, MAX_MANIFEST_LENGTH, MAX_PART_SIZE, SIGNATURE_LENGTH } from './format.ts';

export interface Header {
  readonly manifestLength: number;
  readonly signatureLength: number;
  readonly payloadLength: number;
}

export function encodeHeader(h: Header): Uint8Array {
  const out = new Uint8Array(HEADER_LENGTH);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint16(16, FORMAT_VERSION);
  view.setUint16(18, HEADER_LENGTH);
  view.setUint32(20, h.manifestLength);
  view.setUint32(24, h.signatureLength);
  view.setBigUint64(32, BigInt(h.payloadLength));
  return out;
}

/** What the first bytes look like, for "not a bundle" errors (an HTML error page, random bytes). */
export function describeStart(bytes: Uint8Array): string {
  if (bytes.length === 0) return 'it is empty';
  const head = bytes.subarray(0, 32);
  const printable = head.every((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127));
  if (printable) return `it starts with ${JSON.stringify(new TextDecoder().decode(head))}`;
  return `it starts with bytes ${Buffer.from(head.subarray(0, 16)).toString('hex')}`;
}

/** `bytes` holds at least the header; fewer bytes means the input ended inside it. */
export function parseHeader(bytes: Uint8Array): Result<Header> {
  if (bytes.length < HEADER_LENGTH) {
    const magicSoFar = bytes.subarray(0, MAGIC.length);
    if (bytes.length === 0 || !magicSoFar.every((b, i) => b === MAGIC[i])) {
      return fail(`not a stockade bundle: ${describeStart(bytes)}`, { offset: 0 });
    }
    return fail(`truncated: the input ends at byte ${bytes.length}, inside the ${HEADER_LENGTH}-byte header`, { offset: bytes.length });
  }
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) return fail(`not a stockade bundle: ${describeStart(bytes)} (a bundle starts with "STOCKADE BUNDLE")`, { offset: i });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, HEADER_LENGTH);
  const version = view.getUint16(16);
  if (version !== FORMAT_VERSION) {
    return fail(`bundle format version ${version} is not one this stockade reads (it reads ${FORMAT_VERSION})`, { offset: 16 });
  }
  const headerLength = view.getUint16(18);
  if (headerLength !== HEADER_LENGTH) return fail(`header length ${headerLength}, expected ${HEADER_LENGTH} for format ${FORMAT_VERSION}`, { offset: 18 });
  const manifestLength = view.getUint32(20);
  if (manifestLength === 0 || manifestLength > MAX_MANIFEST_LENGTH) {
    return fail(`manifest length ${manifestLength} is outside 1..${MAX_MANIFEST_LENGTH}`, { offset: 20 });
  }
  const signatureLength = view.getUint32(24);
  if (signatureLength !== 0 && signatureLength !== SIGNATURE_LENGTH) {
    return fail(`signature length ${signatureLength}, expected 0 (unsigned) or ${SIGNATURE_LENGTH}`, { offset: 24 });
  }
  if (view.getUint32(28) !== 0) return fail('reserved header field is not zero', { offset: 28 });
  const payload = view.getBigUint64(32);
  if (payload > BigInt(MAX_PART_SIZE)) return fail(`payload length ${payload} is larger than ${MAX_PART_SIZE}`, { offset: 32 });
  if (view.getBigUint64(40) !== 0n) return fail('reserved header field is not zero', { offset: 40 });
  return { ok: true, value: { manifestLength, signatureLength, payloadLength: Number(payload) } };
}
