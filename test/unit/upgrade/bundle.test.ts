// The bundle format: manifest encode/parse, header errors, signatures (wrong key, several keys,
// unsigned), and that every single-bit flip and every truncation is refused.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  HEADER_LENGTH, encodeManifest, formatBundleError, inspectBundle, parseKeyText, parseManifest, publicKeyFromBase64, verifyBundle,
} from '../../../src/upgrade/index.ts';
import { defaultKey, makeBundle, makeKey, makeManifest, payloadBytes } from './make.ts';

const release = defaultKey();
const trusted = [release.public];

function refusal(bytes: Uint8Array, keys = trusted): string {
  const r = verifyBundle(bytes, keys);
  if (r.ok) throw new Error('accepted');
  return formatBundleError(r.error);
}

test('manifest: encode then parse gives the same manifest; the bytes are readable JSON', () => {
  const m = makeManifest(payloadBytes(10_000), { chunkSize: 4096 });
  const bytes = encodeManifest(m);
  const back = parseManifest(bytes);
  assert.ok(back.ok);
  if (back.ok) assert.equal(back.value, m);
  assert.equal(m.parts[0]!.chunks.length, 3);
  assert.match(new TextDecoder().decode(bytes), /"compatible": "x86_64-generic"/);
});

test('manifest: each wrong field is named by its pointer', () => {
  const m = makeManifest(payloadBytes(5000), { chunkSize: 4096 });
  const cases: Array<[unknown, RegExp]> = [
    [{ ...m, version: '1.2' }, /\/version is "1.2", expected a semver version/],
    [{ ...m, security_epoch: -1 }, /\/security_epoch is -1/],
    [{ ...m, extra: 1 }, /unknown key "extra"/],
    [{ ...m, chunk_size: 5000 }, /\/chunk_size is 5000, expected a power of two/],
    [{ ...m, parts: [{ ...m.parts[0], chunks: [] }] }, /\/parts\/0\/chunks has 0 hashes, expected 2/],
    [{ ...m, parts: [{ ...m.parts[0], sha256: 'zz' }] }, /\/parts\/0\/sha256 is not 64 lowercase hex digits/],
    [{ ...m, build: { id: '', date: 'x' } }, /\/build\/id/],
    [{ ...m, format: 2 }, /\/format is 2, expected 1/],
  ];
  for (const [value, want] of cases) {
    const r = parseManifest(new TextEncoder().encode(JSON.stringify(value)), 48);
    assert.not.ok(r.ok, JSON.stringify(value).slice(0, 80));
    if (!r.ok) {
      assert.match(r.error.message, want);
      assert.is(r.error.offset, 48);
    }
  }
  const dup = parseManifest(new TextEncoder().encode('{"format":1,"format":1}'), 48);
  assert.not.ok(dup.ok);
  if (!dup.ok) assert.match(dup.error.message, /gives \/format twice/);
  const syntax = parseManifest(new TextEncoder().encode('{"format":1,'), 48);
  assert.not.ok(syntax.ok);
  if (!syntax.ok) assert.match(formatBundleError(syntax.error), /^offset 60: manifest is not JSON/);
});

test('a bundle signed by a trusted key verifies; info reads it without a key', () => {
  const b = makeBundle();
  const r = verifyBundle(b.bytes, trusted);
  assert.ok(r.ok);
  if (r.ok) {
    assert.is(r.value.signer.id, release.public.id);
    assert.equal(r.value.manifest, b.manifest);
  }
  const info = inspectBundle(b.bytes);
  assert.ok(info.ok);
  if (info.ok) assert.is(info.value.sections.payloadOffset, b.payloadOffset);
});

test('signatures: wrong key refused naming the signer; several trusted keys; unsigned; no keys', () => {
  const other = makeKey('other');
  const b = makeBundle({ key: other });
  assert.match(refusal(b.bytes), new RegExp(`signed by key ${other.public.id}, which is not trusted \\(trusted: release ${release.public.id}\\)`));
  // Rotation: the box trusts the old and the new key; a bundle signed by either installs.
  assert.ok(verifyBundle(b.bytes, [release.public, other.public]).ok);
  assert.ok(verifyBundle(makeBundle().bytes, [other.public, release.public]).ok);
  assert.match(refusal(makeBundle({ key: null }).bytes), /the bundle is not signed/);
  assert.match(refusal(makeBundle().bytes, []), /no trusted keys/);
});

test('keys: a private PEM, its public PEM and the raw base64 key name the same key', () => {
  const k = makeKey('k');
  const pub = parseKeyText(k.publicPem, 'pub.pem');
  assert.ok(pub.ok);
  if (pub.ok) assert.is(pub.value.public.id, k.public.id);
  const raw = publicKeyFromBase64(Buffer.from(k.public.raw).toString('base64'), 'config');
  assert.ok(raw.ok);
  if (raw.ok) assert.is(raw.value.id, k.public.id);
  assert.ok(verifyBundle(makeBundle({ key: k }).bytes, [raw.ok ? raw.value : k.public]).ok);
  const notKey = parseKeyText('hello', 'x.pem');
  assert.not.ok(notKey.ok);
  if (!notKey.ok) assert.match(notKey.error.message, /x\.pem: not a PEM key/);
});

test('not a bundle: an HTML error page, random bytes, empty input', () => {
  assert.match(refusal(new TextEncoder().encode('<html><body>502 Bad Gateway</body></html>\n'.repeat(3))), /^offset 0: not a stockade bundle: it starts with "<html><body>502 Bad Gateway<\/bod"/);
  assert.match(refusal(payloadBytes(100)), /^offset 0: not a stockade bundle: it starts with bytes [0-9a-f]{32}/);
  assert.match(refusal(new Uint8Array(0)), /not a stockade bundle: it is empty/);
});

test('every single-bit flip in header, manifest, signature or payload is refused', () => {
  const b = makeBundle();
  let refused = 0;
  for (let byte = 0; byte < b.bytes.length; byte++) {
    for (let bit = 0; bit < 8; bit++) {
      const bad = Uint8Array.from(b.bytes);
      bad[byte]! ^= 1 << bit;
      const r = verifyBundle(bad, trusted);
      if (r.ok) assert.unreachable(`flip of byte ${byte} bit ${bit} accepted`);
      refused++;
    }
  }
  assert.is(refused, b.bytes.length * 8);
});

test('flips say where: a payload flip names its part, chunk and offset', () => {
  const b = makeBundle();
  const bad = Uint8Array.from(b.bytes);
  const at = b.payloadOffset + 512 + 10;
  bad[at]! ^= 0x80;
  assert.match(refusal(bad), new RegExp(`^offset ${b.payloadOffset + 512}, part rootfs, chunk 1: sha256 [0-9a-f]{64} differs from the manifest's`));
  const sig = Uint8Array.from(b.bytes);
  sig[b.payloadOffset - 1]! ^= 1;
  assert.match(refusal(sig), /does not match the manifest: the manifest or the signature was changed/);
  const man = Uint8Array.from(b.bytes);
  man[HEADER_LENGTH + 20]! ^= 4;
  assert.match(refusal(man), /does not match the manifest/);
});

test('every truncation is refused, and says where the input ended', () => {
  const b = makeBundle();
  for (let n = 0; n < b.bytes.length; n++) {
    const r = verifyBundle(b.bytes.subarray(0, n), trusted);
    if (r.ok) throw new Error(`truncated to ${n} accepted`);
    if (n >= 16) assert.match(r.error.message, /truncated: the input ends at byte \d+/, `at ${n}`);
  }
  const cut = verifyBundle(b.bytes.subarray(0, b.payloadOffset + 600), trusted);
  assert.not.ok(cut.ok);
  if (!cut.ok) assert.is(formatBundleError(cut.error), `offset ${b.payloadOffset + 600}, part rootfs, chunk 1: truncated: the input ends at byte ${b.payloadOffset + 600}, inside this chunk (bytes ${b.payloadOffset + 512}..${b.payloadOffset + 1024})`);
  const longer = new Uint8Array(b.bytes.length + 1);
  longer.set(b.bytes);
  assert.match(refusal(longer), /1 bytes after the payload's end/);
});

test.run();
