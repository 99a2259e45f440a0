// Opens a tty with the serialport package at a baud rate, 8N1, raw, with an exclusive lock (a
// second console on the same line is refused, not interleaved).
import { SerialPort } from 'serialport';

export interface SerialOpenOptions {
  readonly path: string;
  readonly baudRate: number;
}

export function openSerialPort(opts: SerialOpenOptions): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path: opts.path, baudRate: opts.baudRate, dataBits: 8, parity: 'none', stopBits: 1, rtscts: false, lock: true, autoOpen: false });
    port.open((err) => (err ? reject(new Error(`${opts.path}: ${err.message}`)) : resolve(port)));
  });
}
