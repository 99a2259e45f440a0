// `stockade config validate FILE` and `stockade config schema`.
import { EXIT_BAD_INPUT, EXIT_OK, UserError, type Command, type Io } from './command.ts';
import { configSchema, formatConfigWarningWrapped, loadConfigFile, terminalSafe } from '../config/index.ts';
import { TEXT_WIDTH, wrapWords } from '../common/index.ts';
import { reportConfigErrors } from './config-arg.ts';
import { lintFirewall } from '../firewall/index.ts';
import { transactionCommands } from './config-tx-commands.ts';

function usage(command: Command): UserError {
  return new UserError(`usage: stockade ${[...command.words, command.usage].filter(Boolean).join(' ')}`, EXIT_BAD_INPUT);
}

export const validateCommand: Command = {
  words: ['config', 'validate'],
  usage: 'FILE',
  summary: 'check a config file; print every error (exit 2) or "valid"',
  run(args: readonly string[], io: Io): number {
    // A leading '-' is an option this command does not have (write ./-file for such a file).
    if (args.length !== 1 || args[0] === '' || args[0]!.startsWith('-')) throw usage(validateCommand);
    const file = args[0]!;
    const result = loadConfigFile(file);
    if (result.ok) {
      for (const w of result.warnings ?? []) io.err(formatConfigWarningWrapped(file, w) + '\n');
      // Firewall rules that never match or lock the operator out: warnings, the file is valid.
      for (const w of lintFirewall(result.config)) io.err(wrapWords(terminalSafe(`${file}: warning: ${w.pointer}: ${w.message}`), TEXT_WIDTH, '    ').join('\n') + '\n');
      io.out(terminalSafe(`${file}: valid (config version ${result.config.version})`) + '\n');
      return EXIT_OK;
    }
    reportConfigErrors(file, result.errors, io);
    return EXIT_BAD_INPUT;
  },
};

export const schemaCommand: Command = {
  words: ['config', 'schema'],
  usage: '',
  summary: 'print the config JSON Schema (for editors)',
  run(args: readonly string[], io: Io): number {
    if (args.length !== 0) throw usage(schemaCommand);
    io.out(JSON.stringify(configSchema, null, 2) + '\n');
    return EXIT_OK;
  },
};

export const configCommands: readonly Command[] = [validateCommand, schemaCommand, ...transactionCommands];
