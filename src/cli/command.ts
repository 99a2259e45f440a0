// The shape every subcommand has. Commands write through `Io` (not process.stdout directly)
// so unit tests can run them in-process and read what a user would see.

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: Io = {
  out: (text) => void (process.stdout.writable && process.stdout.write(text)),
  err: (text) => void (process.stderr.writable && process.stderr.write(text)),
};

export interface Command {
  /** Words that select the command, e.g. ["config", "validate"]. */
  readonly words: readonly string[];
  /** Argument synopsis shown by `stockade help`, e.g. "FILE". */
  readonly usage: string;
  readonly summary: string;
  /** Returns the process exit status. */
  run(args: readonly string[], io: Io): Promise<number> | number;
}

/** Exit statuses shared by all subcommands. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
/** Bad input: invalid config, bad arguments. Nothing was applied. */
export const EXIT_BAD_INPUT = 2;

/** An error meant for the user: printed as one line, never with a stack trace. */
export class UserError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = EXIT_FAILURE) {
    super(message);
    this.name = 'UserError';
    this.exitCode = exitCode;
  }
}
