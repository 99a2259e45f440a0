// dropbearkey, Debian's dropbear-bin: the SSH host key. Made into a temp file beside the target
// and renamed, so a power cut while it is made leaves no half key that dropbear would refuse.
import { renameSync, rmSync } from 'node:fs';
import { livePidFromFile, runsProgram } from './pid-file.ts';
import { runTool, toolMessage } from './tools.ts';

/**
 * Makes an Ed25519 host key at `path` (or, with existing, reads the one there) and returns its
 * public key line ("ssh-ed25519 AAAA..."). Throws with dropbearkey's own words.
 */
export async function makeDropbearHostKey(path: string, opts: { existing?: boolean } = {}): Promise<string> {
  let file = path;
  if (!opts.existing) {
    file = `${path}.${process.pid}.tmp`;
    rmSync(file, { force: true });
    const made = await runTool('dropbearkey', ['-t', 'ed25519', '-f', file], { timeoutMs: 60_000 });
    if (made.code !== 0) {
      rmSync(file, { force: true });
      throw new Error(`cannot make the SSH host key: ${toolMessage(made, 'dropbearkey')}`);
    }
    renameSync(file, path);
    file = path;
  }
  const shown = await runTool('dropbearkey', ['-y', '-f', file], { timeoutMs: 30_000 });
  const line = shown.stdout.split('\n').find((l) => /^(ssh-|ecdsa-)/.test(l));
  if (shown.code !== 0 || line === undefined) throw new Error(`cannot read the SSH host key ${file}: ${toolMessage(shown, 'dropbearkey')}`);
  return line.trim();
}

/**
 * Ends the dropbear listener whose pid `pidFile` holds (SIGTERM; its sessions, its children, go
 * on). False when none runs there: no file, or the pid is no longer a dropbear (a stale file).
 */
export function stopDropbearListener(pidFile: string): boolean {
  const pid = livePidFromFile(pidFile, (argv) => runsProgram(argv, 'dropbear'));
  if (pid === undefined) return false;
  try {
    process.kill(pid, 'SIGTERM');
    return true;
  } catch {
    return false; // gone meanwhile
  }
}
