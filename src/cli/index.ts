// Process entry: runs main() and sets the exit status. Kept apart from main.ts so tests can
// import main() without starting anything.
import { main } from './main.ts';

// A reader that went away (`stockade config schema | head`) must not crash a command half-way,
// least of all `net apply`: what is left to print is dropped and the work goes on.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`stockade: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
