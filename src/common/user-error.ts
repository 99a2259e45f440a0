// What every part says to a user when it refuses: exit statuses and the one-line error. Kept
// here, below every part, so config, boot and net can throw it without importing the CLI.

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
