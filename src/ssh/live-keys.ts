// What a config transaction may change in SSH while dropbear runs: the authorized keys, because
// dropbear reads that file at every login. Its port, its listen addresses and whether it runs at
// all are dropbear's arguments, written by `stockade boot` and read when init starts it: those
// need a reboot. On a machine where boot did not set SSH up (no argv file: a lab namespace, SSH
// off) there is nothing to rewrite; the next boot writes the keys from the saved config.
import { chmodSync, existsSync, statSync } from 'node:fs';
import { writeFileAtomically } from '../kernel/index.ts';
import { AUTHORIZED_KEYS_FILE, DROPBEAR_ARGV_FILE } from './paths.ts';

export interface SshKeyFiles {
  /** Boot set SSH up here (dropbear's arguments are written): the keys file is live. */
  running(): boolean;
  writeKeys(text: string): void;
}

export const systemSshKeyFiles: SshKeyFiles = {
  running: () => existsSync(DROPBEAR_ARGV_FILE) && statSync(DROPBEAR_ARGV_FILE).size > 0,
  writeKeys(text) {
    writeFileAtomically(AUTHORIZED_KEYS_FILE, text);
    // dropbear refuses a keys file others can write; 0600 as OpenSSH (and boot) writes it.
    chmodSync(AUTHORIZED_KEYS_FILE, 0o600);
  },
};

/** The authorized_keys text for these keys: one a line. */
export const authorizedKeysText = (keys: readonly string[]): string => keys.map((k) => `${k}\n`).join('');
