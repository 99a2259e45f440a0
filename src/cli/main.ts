// The one entry point of the stockade executable: picks the subcommand and turns every failure
// into a one-line message and an exit status (never a stack trace).
import { EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK, UserError, processIo, type Command, type Io } from './command.ts';
import { commands } from './commands.ts';
import { versionLine } from './build-info.ts';

export function helpText(list: readonly Command[] = commands): string {
  const rows: [string, string][] = [
    ['help', 'list the subcommands'],
    ['--version', 'print version, git commit and build date'],
    ...list.map((c): [string, string] => [[...c.words, c.usage].filter(Boolean).join(' '), c.summary]),
  ];
  const width = Math.max(...rows.map(([u]) => u.length));
  return (
    'usage: stockade <command> [arguments]\n\ncommands:\n' +
    rows.map(([u, s]) => `  ${u.padEnd(width)}  ${s}\n`).join('')
  );
}

function findCommand(argv: readonly string[]): { command: Command; rest: readonly string[] } | undefined {
  // Longest match first, so "config validate" wins over a future "config".
  const sorted = [...commands].sort((a, b) => b.words.length - a.words.length);
  for (const command of sorted) {
    if (command.words.every((w, i) => argv[i] === w)) {
      return { command, rest: argv.slice(command.words.length) };
    }
  }
  return undefined;
}

export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const [first] = argv;
  if (first === undefined || first === 'help' || first === '--help' || first === '-h') {
    io.out(helpText());
    return first === undefined ? EXIT_BAD_INPUT : EXIT_OK;
  }
  if (first === '--version' || first === 'version' || first === '-V') {
    io.out(versionLine() + '\n');
    return EXIT_OK;
  }
  const found = findCommand(argv);
  if (!found) {
    io.err(`stockade: unknown command '${argv.join(' ')}'; 'stockade help' lists the commands\n`);
    return EXIT_BAD_INPUT;
  }
  try {
    return await found.command.run(found.rest, io);
  } catch (err) {
    if (err instanceof UserError) {
      io.err(`stockade: ${err.message}\n`);
      return err.exitCode;
    }
    // An unexpected fault: still one line for the user; the detail only when asked for.
    const message = err instanceof Error ? err.message : String(err);
    io.err(`stockade: internal error: ${message}\n`);
    if (process.env.STOCKADE_DEBUG) io.err(`${err instanceof Error ? err.stack : ''}\n`);
    return EXIT_FAILURE;
  }
}
