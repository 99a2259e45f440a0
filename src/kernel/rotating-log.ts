// The daemon's log file, bounded: /run is a tmpfs (RAM), and a daemon that runs for months must
// not fill it. Past `maxBytes` the file becomes FILE.1 (the previous FILE.1 is dropped) and a new
// FILE starts, so at most twice maxBytes are ever kept. Writes are synchronous appends, like
// stdout to a file: a line is in the file before the next event runs (and before a crash).
import { closeSync, fstatSync, openSync, renameSync, writeSync } from 'node:fs';

export const LOG_MAX_BYTES = 1024 * 1024;

export function rotatingLog(path: string, maxBytes = LOG_MAX_BYTES): (line: string) => void {
  let fd = openSync(path, 'a', 0o640);
  let size = fstatSync(fd).size;
  return (line) => {
    const bytes = Buffer.from(line);
    if (size > 0 && size + bytes.length > maxBytes) {
      closeSync(fd);
      renameSync(path, `${path}.1`);
      fd = openSync(path, 'a', 0o640);
      size = 0;
    }
    writeSync(fd, bytes);
    size += bytes.length;
  };
}
