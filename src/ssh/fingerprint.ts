// OpenSSH's key fingerprint (SHA256:base64 of the key blob, unpadded), as `ssh-keygen -l` and
// the client's first-connection prompt show it: printed at boot so that a person on the serial
// console can check the host key before trusting it.
import { nodeCrypto } from '../common/index.ts';

/**
 * From a public key line ("ssh-ed25519 AAAA... comment"); undefined when it is not one: the
 * blob must open with its own type name (RFC 4253 6.6: a uint32 length, then the name).
 */
export function keyFingerprint(publicKeyLine: string): string | undefined {
  const [type, b64] = publicKeyLine.trim().split(/\s+/);
  if (type === undefined || b64 === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return undefined;
  const blob = Buffer.from(b64, 'base64');
  if (blob.length < 4 + type.length || blob.readUInt32BE(0) !== type.length || blob.toString('latin1', 4, 4 + type.length) !== type) return undefined;
  return `SHA256:${nodeCrypto().createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}
