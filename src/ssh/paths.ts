// Where SSH's files live on the appliance. The host key is on /data, so it survives upgrades
// (a slot switch replaces the root, never /data) and clients keep trusting the box; what boot
// derives from the config is in /run, made again at every boot. /root/.ssh in the image is a
// link to SSH_RUN_DIR (the root filesystem is read-only).
export const HOST_KEY_DIR = '/data/ssh';
export const HOST_KEY_FILE = `${HOST_KEY_DIR}/dropbear_ed25519_host_key`;
/** Without a data partition: a host key that lasts until the next boot. */
export const VOLATILE_HOST_KEY_FILE = '/run/stockade/ssh/dropbear_ed25519_host_key';
export const SSH_RUN_DIR = '/run/stockade/ssh';
export const AUTHORIZED_KEYS_FILE = `${SSH_RUN_DIR}/authorized_keys`;
/** dropbear's arguments, one a line, for init's dropbear line (rootfs/usr/lib/stockade/sshd). */
export const DROPBEAR_ARGV_FILE = `${SSH_RUN_DIR}/dropbear.argv`;
/** The running dropbear listener's pid, written by init's dropbear line just before it execs it. */
export const DROPBEAR_PID_FILE = `${SSH_RUN_DIR}/dropbear.pid`;
