// Opens a tty with the serialport package at a baud rate, 8N1, raw, with an exclusive lock (a
// second console on the same line is refused, not interleaved), and moves its bytes through
// Node's own tty streams on the same fd. Why not the package's stream: bindings-cpp 13's poller
// restarts its libuv poll with only the newest event (poller.cpp: uv_poll_start(handle, events)
// instead of the accumulated mask), so a read waits until some other event on the fd comes
// along: measured on a socat pty pair, bytes sent at 300 ms and 900 ms were read at 569 ms and
// 1507 ms, and a Ctrl-C typed during a ping was read only when the ping ended.
import { ReadStream, WriteStream } from 'node:tty';
import { loadSerialport } from './serialport-load.cjs';

export interface SerialOpenOptions {
  readonly path: string;
  readonly baudRate: number;
}

/** The line as the console uses it (see src/console/terminal.ts ByteStream). */
export interface SerialLine {
  write(chunk: string): boolean;
  on(event: 'data', fn: (chunk: Buffer | string) => void): unknown;
  on(event: 'end' | 'close', fn: () => void): unknown;
  on(event: 'error', fn: (e: Error) => void): unknown;
  /** Releases the port (and its lock). */
  close(): Promise<void>;
}

export async function openSerialPort(opts: SerialOpenOptions): Promise<SerialLine> {
  const { SerialPort } = loadSerialport();
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path: opts.path, baudRate: opts.baudRate, dataBits: 8, parity: 'none', stopBits: 1, rtscts: false, lock: true, autoOpen: false });
    port.open((err) => {
      if (err) return reject(new Error(`${opts.path}: ${err.message}`));
      const fd = (port.port as unknown as { fd?: number } | undefined)?.fd;
      if (fd === undefined) return reject(new Error(`${opts.path}: the serial binding gave no file descriptor`));
      // The port's termios stay as serialport set them (raw, the speed, 8N1): no setRawMode here.
      const input = new ReadStream(fd);
      const output = new WriteStream(fd);
      output.on('error', (e) => input.emit('error', e));
      resolve({
        write: (chunk) => output.write(chunk),
        on(event: string, fn: (...a: never[]) => void) {
          input.on(event, fn as (...a: unknown[]) => void);
          return this;
        },
        close: () => new Promise((r) => {
          input.pause();
          // The tty streams on the port's fd must not hold the process once the port is closed
          // (a console that ends by itself, at an SSH session's logout); writes queued still go.
          input.unref();
          output.unref();
          port.close(() => r());
        }),
      });
    });
  });
}
