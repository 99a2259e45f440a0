// Where a command's output goes. Commands (and boot's summary) write through `Io`, not
// process.stdout directly, so unit tests can run them in-process and read what a user would see.

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: Io = {
  out: (text) => void (process.stdout.writable && process.stdout.write(text)),
  err: (text) => void (process.stderr.writable && process.stderr.write(text)),
};
