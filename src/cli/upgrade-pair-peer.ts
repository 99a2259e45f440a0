// The peer of `stockade upgrade pair`, over SSH (src/kernel/ssh-client.ts: Debian's dbclient):
// who it is (upgrade.peer), this box's client key (made once on /data), one stockade command's
// JSON answer, and `stockade upgrade pair-keys`, which prints what each box's config needs from
// the other: this box's client key for the peer's management.ssh_authorized_keys, and this box's
// host key for the peer's upgrade.peer.host_key.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { EXIT_BAD_INPUT, EXIT_OK, UserError, type Command, type Io } from './command.ts';
import { parseOptions, usageError } from './upgrade-args.ts';
import { UPGRADE_DEFAULTS, loadUpgradeConfig } from './upgrade-disk.ts';
import { makeDropbearHostKey, runSsh, type SshTarget } from '../kernel/index.ts';
import { HOST_KEY_FILE, keyFingerprint } from '../ssh/index.ts';
import type { Config } from '../config/index.ts';
import type { Answer } from '../upgrade/index.ts';

/** Each SSH run's HOME (its known_hosts holds only the configured host key). */
export const PAIR_HOME = '/run/stockade/upgrade-pair';
/** Where upgrade.peer.key_file defaults to (the schema's default). */
export const DEFAULT_CLIENT_KEY = '/data/ssh/upgrade_peer_key';

export function peerTarget(config: Config, configFile: string): SshTarget {
  const p = config.upgrade.peer;
  if (p === undefined) throw new UserError(`${configFile}: /upgrade/peer is not set: upgrade pair needs the peer's address and host key (stockade upgrade pair-keys on the peer prints its host key)`, EXIT_BAD_INPUT);
  if (keyFingerprint(p.host_key) === undefined) throw new UserError(`${configFile}: /upgrade/peer/host_key: not an SSH public key (its blob does not name its own type)`, EXIT_BAD_INPUT);
  return { address: p.address, port: p.port, hostKey: p.host_key, keyFile: p.key_file, homeDir: PAIR_HOME };
}

/** This box's client key's public line; the key is made (Ed25519, dropbear's format) when missing. */
export async function clientKey(file: string): Promise<{ line: string; made: boolean }> {
  const made = !existsSync(file);
  if (made) mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  try {
    return { line: await makeDropbearHostKey(file, { existing: !made }), made };
  } catch (err) {
    throw new UserError(`${file}: ${(err as Error).message.replace('SSH host key', 'SSH client key')}`);
  }
}

/** dbclient's or the remote command's complaint in one line. */
export function sshMessage(r: { code: number; stdout: string; stderr: string; timedOut?: boolean; startError?: string }): string {
  if (r.startError) return r.startError;
  if (r.timedOut) return 'no answer in time';
  const text = `${r.stderr}\n${r.stdout}`.split('\n').map((l) => l.trim()).filter((l) => l !== '').join(' ').replace(/^\S*dbclient: /, '');
  return `${text.slice(0, 400) || `exit status ${r.code}`}${r.code === 255 ? ' (SSH)' : ''}`;
}

/** A `stockade ... --json` answer from the peer. */
export async function askPeer<T>(t: SshTarget, words: readonly string[], timeoutMs: number): Promise<Answer<T>> {
  const r = await runSsh(t, ['stockade', ...words, '--json'], timeoutMs);
  if (r.code !== 0) return { ok: false, error: sshMessage(r) };
  const at = r.stdout.indexOf('{');
  try {
    return { ok: true, value: JSON.parse(r.stdout.slice(Math.max(at, 0))) as T };
  } catch {
    return { ok: false, error: `stockade ${words.join(' ')}: not JSON: ${r.stdout.slice(0, 200)}` };
  }
}

export const upgradePairKeysCommand: Command = {
  words: ['upgrade', 'pair-keys'],
  usage: '[--json] [--config FILE]',
  summary: 'this box\'s SSH client key (for the peer\'s management.ssh_authorized_keys; made once) and host key (for the peer\'s upgrade.peer.host_key)',
  async run(args: readonly string[], io: Io): Promise<number> {
    const { values, positionals } = parseOptions(upgradePairKeysCommand, args, { json: { type: 'boolean' }, config: { type: 'string' } });
    if (positionals.length > 0) throw usageError(upgradePairKeysCommand, `unexpected argument '${positionals[0]}'`);
    const { config } = loadUpgradeConfig(values.config ?? UPGRADE_DEFAULTS.config, UPGRADE_DEFAULTS.defaultConfig, 'upgrade.peer.key_file comes from the config');
    const keyFile = config.upgrade.peer?.key_file ?? DEFAULT_CLIENT_KEY;
    const client = await clientKey(keyFile);
    let host: string | undefined;
    try {
      host = existsSync(HOST_KEY_FILE) ? await makeDropbearHostKey(HOST_KEY_FILE, { existing: true }) : undefined;
    } catch {
      host = undefined;
    }
    if (values.json) {
      io.out(JSON.stringify({ client_key: client.line, client_key_file: keyFile, host_key: host ?? null }) + '\n');
      return EXIT_OK;
    }
    io.out(`client key (${keyFile}${client.made ? ', made now' : ''}): add it to the peer's management.ssh_authorized_keys\n  ${client.line}\n`);
    io.out(host ? `host key (${HOST_KEY_FILE}, ${keyFingerprint(host)}): the peer's upgrade.peer.host_key\n  ${host}\n` : `host key: none yet (${HOST_KEY_FILE}: SSH makes it at boot once it is configured)\n`);
    return EXIT_OK;
  },
};
