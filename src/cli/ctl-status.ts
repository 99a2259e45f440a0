// The shape of the `stockade ctl X` commands that ask one status method and print it (human or
// --json): ctl vrrp, ctl daemon, ctl firewall.
import { EXIT_OK, UserError, type Command, type Io } from './command.ts';
import { controlRequest, controlSocketPath } from '../control/index.ts';
import { jsonAndSocket } from './options.ts';
import { wrapLongLines } from '../common/index.ts';

export function statusCommand<T>(word: string, method: string, summary: string, format: (status: T) => string): Command {
  return {
    words: ['ctl', word],
    usage: '[--json] [--socket PATH]',
    summary,
    async run(args: readonly string[], io: Io): Promise<number> {
      const { json, socket } = jsonAndSocket(this, args);
      let status: T;
      try {
        status = (await controlRequest(controlSocketPath(socket), method)) as T;
      } catch (e) {
        throw new UserError((e as Error).message);
      }
      // For a person at an 80-column console, lines past column 79 wrapped.
      io.out(json ? JSON.stringify(status, null, 2) + '\n' : wrapLongLines(format(status)));
      return EXIT_OK;
    },
  };
}
