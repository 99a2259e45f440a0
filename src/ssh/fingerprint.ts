// OpenSSH's key fingerprint (SHA256:base64 of the key blob, unpadded), as `ssh-keygen -l` and
// the client's first-connection prompt show it: printed at boot so that a person on the serial
// console can check the host key before trusting it.
import { createHash } from 'node:crypto';

/** From a public key line ("ssh-ed25519 AAAA... comment"); undefined when it is not one. */
export function keyFingerprint(publicKeyLine: string): string | undefined {
  const blob = publicKeyLine.trim().split(/\s+/)[1];
  if (blob === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(blob)) return undefined;
  return `SHA256:${createHash('sha256').update(Buffer.from(blob, 'base64')).digest('base64').replace(/=+$/, '')}`;
}
