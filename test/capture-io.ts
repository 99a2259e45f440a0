// An Io that keeps what a command printed, for running CLI commands in-process in tests.
import type { Io } from '../src/cli/command.ts';

export function capture(): Io & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    out(t: string) {
      io.stdout += t;
    },
    err(t: string) {
      io.stderr += t;
    },
  };
  return io;
}
