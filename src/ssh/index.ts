// SSH on the management interfaces (issue 15): Debian's dropbear, keys only, started by init
// from what `stockade boot` prepared; a login runs root's login shell (rootfs/usr/lib/stockade/
// login-shell): the console menu on the session's pty, or one stockade command.
export { authorizedKeysText, sshEnabled, sshListen, sshPlan, type SshPlan } from './plan.ts';
export { keyFingerprint } from './fingerprint.ts';
export { prepareSsh, type SshPrepared } from './prepare.ts';
export { AUTHORIZED_KEYS_FILE, DROPBEAR_ARGV_FILE, HOST_KEY_FILE, SSH_RUN_DIR, VOLATILE_HOST_KEY_FILE } from './paths.ts';
export { systemSshKeyFiles, type SshKeyFiles } from './live-keys.ts';
