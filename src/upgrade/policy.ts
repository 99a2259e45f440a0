// Whether this box may install a verified bundle: its board, the security-epoch floor (never
// relaxed: it is what stops a signed but vulnerable old build, rugix#121), the version (older
// ones only with allow_downgrade), and only parts this stockade knows how to write.
import { fail, type Result } from './errors.ts';
import { ROOTFS_PART } from './format.ts';
import type { Manifest } from './manifest.ts';
import { compareVersions, isVersion } from './version.ts';

export interface RunningSystem {
  readonly board: string;
  readonly version: string;
  /** The lowest security epoch this box accepts (raised only after a new slot is marked good). */
  readonly epochFloor: number;
  readonly allowDowngrade: boolean;
}

export function checkPolicy(m: Manifest, running: RunningSystem): Result<void> {
  if (m.compatible !== running.board) return fail(`the bundle is for board ${m.compatible}; this box is ${running.board}`);
  if (m.security_epoch < running.epochFloor) {
    return fail(`security epoch ${m.security_epoch} is below this box's floor ${running.epochFloor}: refused (allow_downgrade does not relax the epoch)`);
  }
  if (isVersion(running.version) && compareVersions(m.version, running.version) < 0 && !running.allowDowngrade) {
    return fail(`version ${m.version} is older than the running ${running.version} (set upgrade.allow_downgrade to install it)`);
  }
  const other = m.parts.find((p) => p.name !== ROOTFS_PART);
  if (other) return fail(`the bundle has a part "${other.name}"; this stockade installs only "${ROOTFS_PART}"`, { part: other.name });
  return { ok: true, value: undefined };
}
