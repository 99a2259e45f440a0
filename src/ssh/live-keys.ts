// What a config transaction may change in SSH while the box runs: the authorized keys, because
// dropbear reads that file at every login; SSH's start, going from no key to some, because
// init's dropbear line (rootfs/usr/lib/stockade/sshd) waits for the argv file that boot would
// have written: writing it now is what boot does, and dropbear starts within seconds; and where
// it listens (its port, the management addresses): the argv file written again, then the
// listener ended, and init starts the line again with the new arguments (the open sessions are
// dropbear's children: they go on). The undo of a start, and a stop, empty the keys file:
// dropbear listens on, nobody gets in, and the next boot leaves it off. Only on the appliance
// (init's sshd line there): in a lab namespace nothing is written, the next boot writes the keys
// from the saved config.
import { chmodSync, existsSync, statSync } from 'node:fs';
import { stopDropbearListener, writeFileAtomically } from '../kernel/index.ts';
import type { Config } from '../config/index.ts';
import { AUTHORIZED_KEYS_FILE, DROPBEAR_ARGV_FILE, DROPBEAR_PID_FILE, HOST_KEY_FILE, VOLATILE_HOST_KEY_FILE } from './paths.ts';
import { sshPlan } from './plan.ts';
import { prepareSsh } from './prepare.ts';

/** Init's dropbear line on the appliance; absent elsewhere (a lab, a developer's machine). */
const INIT_SSHD = '/usr/lib/stockade/sshd';
/** /data holds the saved config on the appliance; without it the host key is boot's volatile one. */
const DATA_CONFIG = '/data/config.json';

export interface SshKeyFiles {
  /** Boot set SSH up here (dropbear's arguments are written): the keys file is live. */
  running(): boolean;
  writeKeys(text: string): void;
  /** SSH can be started here without a boot (the appliance's init waits for dropbear's arguments). */
  startable(): boolean;
  /** What boot would do for `config`'s SSH: host key, keys, dropbear's arguments. */
  start(config: Config): Promise<void>;
  /** start(), then the running listener ended, so that init starts it again with them. */
  restart(config: Config): Promise<void>;
}

const hostKeyFile = (): string => (existsSync(DATA_CONFIG) ? HOST_KEY_FILE : VOLATILE_HOST_KEY_FILE);

export const systemSshKeyFiles: SshKeyFiles = {
  running: () => existsSync(DROPBEAR_ARGV_FILE) && statSync(DROPBEAR_ARGV_FILE).size > 0,
  writeKeys(text) {
    writeFileAtomically(AUTHORIZED_KEYS_FILE, text);
    // dropbear refuses a keys file others can write; 0600 as OpenSSH (and boot) writes it.
    chmodSync(AUTHORIZED_KEYS_FILE, 0o600);
  },
  startable: () => existsSync(INIT_SSHD),
  async start(config) {
    await prepareSsh(sshPlan(config, hostKeyFile()));
  },
  async restart(config) {
    await prepareSsh(sshPlan(config, hostKeyFile()));
    stopDropbearListener(DROPBEAR_PID_FILE);
  },
};
