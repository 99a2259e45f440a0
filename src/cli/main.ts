// The one entry point of the stockade executable: picks the subcommand and turns every failure
// into a one-line message and an exit status (never a stack trace).
import { EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK, UserError, processIo, type Command, type Io } from './command.ts';
import { allCommands, commandsNamed } from './commands.ts';
import { versionLine } from './build-info.ts';
import { asksForHelp, commandHelp, groupHelp, groupsOf, helpText as listText } from './help.ts';

export async function helpText(): Promise<string> {
  return listText(await allCommands());
}

function findCommand(argv: readonly string[], commands: readonly Command[]): { command: Command; rest: readonly string[] } | undefined {
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
  if (first === 'help' && argv.length > 1) return main([...argv.slice(1), '--help'], io);
  if (first === undefined || first === 'help' || first === '--help' || first === '-h') {
    io.out(await helpText());
    return first === undefined ? EXIT_BAD_INPUT : EXIT_OK;
  }
  if (first === '--version' || first === 'version' || first === '-V') {
    io.out(versionLine() + '\n');
    return EXIT_OK;
  }
  // Only the commands of the word given are loaded (see commands.ts).
  const commands = await commandsNamed(first);
  const found = findCommand(argv, commands);
  const group = groupsOf(commands).includes(first) ? first : undefined;
  if (!found) {
    // A group alone or with --help lists its commands; a word it does not know names the group.
    if (group !== undefined && (argv.length === 1 || argv[1] === '--help' || argv[1] === '-h')) {
      io.out(groupHelp(group, commands));
      return argv.length === 1 ? EXIT_BAD_INPUT : EXIT_OK;
    }
    const where = group !== undefined ? `'stockade ${group} --help'` : "'stockade help'";
    io.err(`stockade: unknown command '${argv.join(' ')}'; ${where} lists the commands\n`);
    return EXIT_BAD_INPUT;
  }
  if (asksForHelp(found.rest)) {
    io.out(commandHelp(found.command));
    return EXIT_OK;
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
