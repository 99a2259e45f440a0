// What boot does for SSH before init starts dropbear: the host key made once on /data (kept
// afterwards), the authorized keys and dropbear's argv written to /run. Nothing is written when
// SSH is off.
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { makeDropbearHostKey } from '../kernel/index.ts';
import { keyFingerprint } from './fingerprint.ts';
import { AUTHORIZED_KEYS_FILE, DROPBEAR_ARGV_FILE, SSH_RUN_DIR } from './paths.ts';
import type { SshPlan } from './plan.ts';

export interface SshPrepared {
  readonly hostKey: 'made' | 'kept';
  /** The host key's fingerprint (SHA256:...), when its public half could be read. */
  readonly fingerprint?: string;
}

export async function prepareSsh(plan: SshPlan): Promise<SshPrepared | undefined> {
  // Off: nothing is written (/run starts empty at every boot, so init's dropbear line idles).
  if (!plan.enabled) return undefined;
  mkdirSync(SSH_RUN_DIR, { recursive: true, mode: 0o700 });
  chmodSync(SSH_RUN_DIR, 0o700);
  const made = !existsSync(plan.hostKeyFile);
  mkdirSync(dirname(plan.hostKeyFile), { recursive: true, mode: 0o700 });
  const publicLine = await makeDropbearHostKey(plan.hostKeyFile, { existing: !made });
  // dropbear refuses an authorized_keys file others can write; 0600 as OpenSSH writes it.
  writeFileSync(AUTHORIZED_KEYS_FILE, plan.authorizedKeys, { mode: 0o600 });
  chmodSync(AUTHORIZED_KEYS_FILE, 0o600);
  writeFileSync(DROPBEAR_ARGV_FILE, plan.argv.map((a) => `${a}\n`).join(''), { mode: 0o600 });
  const fingerprint = keyFingerprint(publicLine);
  return { hostKey: made ? 'made' : 'kept', ...(fingerprint !== undefined ? { fingerprint } : {}) };
}
