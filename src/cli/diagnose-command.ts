// `stockade diagnose [lvs] [FILE] [--json]`: seed 001's LVS-NAT checklist run on this box for
// each NAT service of the config; each line OK or FAIL with its fix. Exit 1 when a line fails.
import { EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK, type Command, type Io } from './command.ts';
import { loadOrReport, parseConfigArgs as parseNetArgs } from './config-arg.ts';
import { terminalSafe } from '../config/index.ts';
import { formatChecklist, gatherLvsFacts, lvsChecklist } from '../diagnose/index.ts';

export const diagnoseCommand: Command = {
  words: ['diagnose'],
  usage: '[lvs] [FILE] [--json]',
  summary: 'check this box\'s LVS-NAT setup step by step (forwarding, rp_filter, redirects, VIPs, real servers\' ARP and ports, masquerading, FTP); each line OK or FAIL with the fix',
  async run(args: readonly string[], io: Io): Promise<number> {
    const rest = args[0] === 'lvs' ? args.slice(1) : args;
    const { file, json } = parseNetArgs('diagnose lvs', rest);
    const config = loadOrReport(file, io);
    if (config === undefined) return EXIT_BAD_INPUT;
    const lines = lvsChecklist(config, await gatherLvsFacts(config));
    if (json) io.out(JSON.stringify({ file, lines }) + '\n');
    else for (const l of formatChecklist(lines)) io.out(terminalSafe(l) + '\n');
    const failed = lines.filter((l) => l.verdict === 'FAIL').length;
    if (!json) io.out(failed === 0 ? 'diagnose: no problem found\n' : `diagnose: ${failed} problem${failed === 1 ? '' : 's'} found\n`);
    return failed === 0 ? EXIT_OK : EXIT_FAILURE;
  },
};
