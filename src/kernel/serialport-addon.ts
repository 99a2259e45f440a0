// The serialport package's native binding (@serialport/bindings-cpp), as the single executable
// loads it. The package finds its addon with node-gyp-build under its own directory, which a
// bundle does not have; scripts/bundle.ts resolves that `node-gyp-build` import to this module.
// It loads nothing until the first call: bindings-cpp touches its binding when the bundle
// starts, and a `stockade` that never opens a serial port must not need the file.
//
// Where the addon is: $STOCKADE_SERIALPORT_NATIVE, else serialport.node next to the executable
// (scripts/build copies the package's Node-API prebuild for the arch there, as it does
// stockade.node; the image puts both in /usr/lib/stockade/).
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join, resolve } from 'node:path';

type Binding = Record<string, (...args: unknown[]) => unknown> & { Poller: new (...args: unknown[]) => object };

export function serialportAddonPath(env: NodeJS.ProcessEnv = process.env, execPath = process.execPath): string {
  const fromEnv = env['STOCKADE_SERIALPORT_NATIVE'];
  return fromEnv !== undefined && fromEnv !== '' ? resolve(fromEnv) : join(dirname(execPath), 'serialport.node');
}

let loaded: Binding | undefined;

function load(): Binding {
  if (loaded) return loaded;
  const path = serialportAddonPath();
  if (!existsSync(path)) throw new Error(`the serial port addon (serialport.node) is missing: ${path}; set STOCKADE_SERIALPORT_NATIVE or put it next to the executable`);
  const mod: { exports: unknown } = { exports: {} };
  process.dlopen(mod, path, constants.dlopen.RTLD_NOW);
  loaded = mod.exports as Binding;
  return loaded;
}

/** The functions bindings-cpp calls, each loading the addon on first use. */
const METHODS = ['close', 'drain', 'flush', 'get', 'getBaudRate', 'list', 'open', 'set', 'update', 'read', 'write'] as const;

function lazyBinding(): Record<string, unknown> {
  const b: Record<string, unknown> = Object.fromEntries(METHODS.map((m) => [m, (...args: unknown[]) => load()[m]!(...args)]));
  // poller.js takes the Poller class when the bundle starts and constructs it per open port.
  b['Poller'] = class Poller {
    constructor(...args: unknown[]) {
      return new (load().Poller)(...args);
    }
  };
  return b;
}

/** Stands in for node-gyp-build(dir) inside the bundle. */
export default function nodeGypBuild(_dir?: string): Record<string, unknown> {
  return lazyBinding();
}
