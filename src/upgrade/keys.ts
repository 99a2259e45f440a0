// Ed25519 keys: raw keys without expiry (no X.509: an expired certificate on a box in the field
// means no more upgrades, RAUC #460/#781), several trusted at once so keys can be rotated. A
// key is named by its id, the first 8 bytes of sha256 over the raw 32-byte public key; the
// signature block carries it so a refusal can say which key signed.
//
// Accepted forms: a PEM file (`openssl genpkey -algorithm ed25519`, public or private; a private
// key also yields its public key), or the raw public key in base64 (as in upgrade.trusted_keys).
import type { KeyObject } from 'node:crypto';
import { nodeCrypto } from './crypto.ts';
import { ED25519_SIGNATURE_LENGTH, KEY_ID_LENGTH, SIGNATURE_LENGTH } from './format.ts';
import { fail, type Result } from './errors.ts';

export interface PublicKey {
  readonly name: string;
  readonly key: KeyObject;
  /** The raw 32-byte public key. */
  readonly raw: Uint8Array;
  /** Hex of the first KEY_ID_LENGTH bytes of sha256(raw). */
  readonly id: string;
}

export interface SigningKey {
  readonly private: KeyObject;
  readonly public: PublicKey;
}

const RAW_BASE64 = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

export function keyId(raw: Uint8Array): string {
  return nodeCrypto().createHash('sha256').update(raw).digest().subarray(0, KEY_ID_LENGTH).toString('hex');
}

function publicFrom(key: KeyObject, name: string): PublicKey {
  const x = key.export({ format: 'jwk' }).x;
  if (key.asymmetricKeyType !== 'ed25519' || x === undefined) throw new Error(`${name}: not an Ed25519 key`);
  const raw = new Uint8Array(Buffer.from(x, 'base64url'));
  return { name, key, raw, id: keyId(raw) };
}

/** The raw public key in base64 (the config's form). */
export function publicKeyFromBase64(text: string, name: string): Result<PublicKey> {
  if (!RAW_BASE64.test(text)) return fail(`${name}: not a base64 Ed25519 public key (44 characters ending in '=')`);
  const x = Buffer.from(text, 'base64').toString('base64url');
  return { ok: true, value: publicFrom(nodeCrypto().createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' }), name) };
}

/** A key file's text: PEM (public or private) or a base64 raw public key. */
export function parseKeyText(text: string, name: string): Result<{ public: PublicKey; private?: KeyObject }> {
  const trimmed = text.trim();
  if (RAW_BASE64.test(trimmed)) {
    const pub = publicKeyFromBase64(trimmed, name);
    return pub.ok ? { ok: true, value: { public: pub.value } } : pub;
  }
  if (!trimmed.startsWith('-----BEGIN ')) return fail(`${name}: not a PEM key or a base64 Ed25519 public key`);
  const c = nodeCrypto();
  try {
    if (/^-----BEGIN (ENCRYPTED )?PRIVATE KEY-----/.test(trimmed)) {
      const priv = c.createPrivateKey(trimmed);
      if (priv.asymmetricKeyType !== 'ed25519') return fail(`${name}: a ${priv.asymmetricKeyType ?? 'unknown'} key, expected Ed25519`);
      return { ok: true, value: { public: publicFrom(c.createPublicKey(priv), name), private: priv } };
    }
    const pub = c.createPublicKey(trimmed);
    if (pub.asymmetricKeyType !== 'ed25519') return fail(`${name}: a ${pub.asymmetricKeyType ?? 'unknown'} key, expected Ed25519`);
    return { ok: true, value: { public: publicFrom(pub, name) } };
  } catch (err) {
    return fail(`${name}: cannot read the key (${err instanceof Error ? err.message : String(err)})`);
  }
}

/** The signature block for `manifest`: key id, then the Ed25519 signature. */
export function signManifest(manifest: Uint8Array, key: SigningKey): Uint8Array {
  const sig = nodeCrypto().sign(null, manifest, key.private);
  const out = new Uint8Array(SIGNATURE_LENGTH);
  out.set(Buffer.from(key.public.id, 'hex'), 0);
  out.set(sig, KEY_ID_LENGTH);
  return out;
}

export function signatureKeyId(block: Uint8Array): string {
  return Buffer.from(block.subarray(0, KEY_ID_LENGTH)).toString('hex');
}

/**
 * Which trusted key signed `manifest`. `offset`: where the signature block starts, for errors.
 * Ed25519 is one-shot (the whole message at once), hence a small signed manifest that carries
 * the payload's hashes.
 */
export function verifyManifestSignature(manifest: Uint8Array, block: Uint8Array, trusted: readonly PublicKey[], offset = 0): Result<PublicKey> {
  if (trusted.length === 0) return fail('no trusted keys: nothing can be verified (configure upgrade.trusted_keys, or give --key)');
  if (block.length === 0) return fail('the bundle is not signed (stockade bundle sign --key KEY)', { offset });
  if (block.length !== SIGNATURE_LENGTH) return fail(`signature block of ${block.length} bytes, expected ${SIGNATURE_LENGTH}`, { offset });
  const id = signatureKeyId(block);
  const signer = trusted.find((k) => k.id === id);
  if (!signer) {
    return fail(`signed by key ${id}, which is not trusted (trusted: ${trusted.map((k) => `${k.name} ${k.id}`).join(', ')})`, { offset });
  }
  const sig = block.subarray(KEY_ID_LENGTH, KEY_ID_LENGTH + ED25519_SIGNATURE_LENGTH);
  if (!nodeCrypto().verify(null, manifest, signer.key, sig)) {
    return fail(`the signature by key ${signer.name} (${id}) does not match the manifest: the manifest or the signature was changed`, { offset: offset + KEY_ID_LENGTH });
  }
  return { ok: true, value: signer };
}
