// The shape every subcommand has. `Io`, the exit statuses and `UserError` live in src/common/
// (config and boot use them too); they are re-exported here for the commands.
import type { Io } from '../common/index.ts';

export { EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK, UserError, processIo } from '../common/index.ts';
export type { Io } from '../common/index.ts';

export interface Command {
  /** Words that select the command, e.g. ["config", "validate"]. */
  readonly words: readonly string[];
  /** Argument synopsis shown by `stockade help`, e.g. "FILE". */
  readonly usage: string;
  readonly summary: string;
  /** What `--help` prints, when more than the usage and summary (lines of at most 79 characters). */
  readonly help?: string;
  /** Returns the process exit status. */
  run(args: readonly string[], io: Io): Promise<number> | number;
}
