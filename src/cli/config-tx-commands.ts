// Config transactions from the command line (src/apply; the daemon's side: src/daemon/transaction.ts):
// `config plan FILE` (what applying FILE would change on the running box, part by part),
// `config apply FILE` (the daemon applies it; unconfirmed it reverts by itself), `config confirm`,
// `config abort`, `config status`, `config rollback REV`, and, from the files on /data,
// `config history` and `config diff`.
import { readFileSync } from 'node:fs';
import { EXIT_BAD_INPUT, EXIT_OK, UserError, type Command, type Io } from './command.ts';
import { parseFlags, type Flags } from './options.ts';
import { wrapWords } from '../common/index.ts';
import { SAVED_CONFIG_FILE as DEFAULT_CONFIG_FILE, loadConfigFile, loadConfigText, terminalSafe, type Config } from '../config/index.ts';
import { reportConfigErrors } from './config-arg.ts';
import { controlRequest, controlSocketPath } from '../control/index.ts';
import { formatPlan, planConfig, RevisionStore, type Plan } from '../apply/index.ts';
import { durableFiles } from '../kernel/index.ts';

/** A config file loaded, or every error printed (as `config validate`) and exit 2. */
function loadOrExplain(file: string, io: Io): Config {
  const r = loadConfigFile(file);
  if (r.ok) return r.config;
  reportConfigErrors(file, r.errors, io);
  throw new UserError(`${file}: not applied: invalid`, EXIT_BAD_INPUT);
}

function printPlan(plan: Plan, header: string, json: boolean, io: Io): void {
  if (json) io.out(JSON.stringify(plan, null, 2) + '\n');
  // Names and values come from config files: each line is made safe for the terminal on its own.
  else io.out([...wrapWords(header), ...formatPlan(plan).trimEnd().split('\n')].map(terminalSafe).join('\n') + '\n');
}

export const planCommand: Command = {
  words: ['config', 'plan'],
  usage: 'FILE [--against FILE | --socket PATH] [--json]',
  summary: 'what applying FILE would change on the running box, part by part',
  async run(args, io) {
    const o = parseFlags(planCommand, args, ['--against', '--socket'], ['--json']);
    if (o.positional.length !== 1) throw new UserError(`usage: stockade config plan ${planCommand.usage}`, EXIT_BAD_INPUT);
    const file = o.positional[0]!;
    const next = loadOrExplain(file, io);
    const against = o.flags.get('--against');
    let running: Config;
    let what: string;
    if (typeof against === 'string') {
      running = loadOrExplain(against, io);
      what = against;
    } else {
      const socket = controlSocketPath(o.flags.get('--socket') as string | undefined);
      let answer: { file: string; fallback: boolean; config: Config };
      try {
        answer = (await controlRequest(socket, 'config.running')) as typeof answer;
      } catch (e) {
        throw new UserError(`${(e as Error).message}: nothing runs to compare with (--against FILE compares with a file)`);
      }
      running = answer.config;
      what = `the running config (${answer.file}${answer.fallback ? ', the board default' : ''})`;
    }
    printPlan(planConfig(running, next), `Plan for ${file} against ${what}:`, o.switches.has('--json'), io);
    return EXIT_OK;
  },
};

function store(o: Flags): RevisionStore {
  const config = o.flags.get('--config');
  return new RevisionStore(durableFiles, typeof config === 'string' ? config : DEFAULT_CONFIG_FILE);
}

export const historyCommand: Command = {
  words: ['config', 'history'],
  usage: '[--config PATH] [--json]',
  summary: 'the confirmed configs kept for rollback: revision, when, who, what',
  run(args, io) {
    const o = parseFlags(historyCommand, args, ['--config'], ['--json']);
    if (o.positional.length !== 0) throw new UserError(`usage: stockade config history ${historyCommand.usage}`, EXIT_BAD_INPUT);
    const list = store(o).history();
    if (o.switches.has('--json')) {
      io.out(JSON.stringify(list, null, 2) + '\n');
      return EXIT_OK;
    }
    if (list.length === 0) {
      io.out('No revisions yet: configs are kept once a change through the daemon is confirmed.\n');
      return EXIT_OK;
    }
    io.out('  REV  WHEN (UTC)        WHO              WHAT\n');
    for (const m of [...list].reverse()) {
      const when = m.at.replace('T', ' ').slice(0, 16);
      const line = `${String(m.revision).padStart(5)}  ${when.padEnd(16)}  ${m.who.slice(0, 15).padEnd(15)}  ${m.summary}`;
      io.out(terminalSafe(line.length > 80 ? `${line.slice(0, 77)}...` : line) + '\n');
    }
    return EXIT_OK;
  },
};

export const diffCommand: Command = {
  words: ['config', 'diff'],
  usage: '[REV [REV]] [--config PATH] [--json]',
  summary: 'what changed between two kept revisions (default: the last two)',
  run(args, io) {
    const o = parseFlags(diffCommand, args, ['--config'], ['--json']);
    if (o.positional.length > 2 || o.positional.some((p) => !/^[0-9]{1,9}$/.test(p))) {
      throw new UserError(`usage: stockade config diff ${diffCommand.usage} (REV: a number from config history)`, EXIT_BAD_INPUT);
    }
    const s = store(o);
    const numbers = s.numbers();
    const revs = o.positional.map(Number);
    const [from, to] = revs.length === 2 ? revs : revs.length === 1 ? [revs[0]!, numbers.at(-1)] : [numbers.at(-2), numbers.at(-1)];
    if (from === undefined || to === undefined) throw new UserError('fewer than two revisions are kept: nothing to compare');
    const load = (n: number): Config => {
      const text = s.text(n);
      if (text === undefined) throw new UserError(`no revision ${n} (kept: ${numbers.join(', ') || 'none'})`, EXIT_BAD_INPUT);
      const r = loadConfigText(text);
      if (!r.ok) throw new UserError(`revision ${n} no longer loads: ${r.errors[0]!.pointer}: expected ${r.errors[0]!.expected}`);
      return r.config;
    };
    printPlan(planConfig(load(from), load(to)), `From revision ${from} to revision ${to}:`, o.switches.has('--json'), io);
    return EXIT_OK;
  },
};

function ask(o: Flags, method: string, params?: unknown): Promise<unknown> {
  return controlRequest(controlSocketPath(o.flags.get('--socket') as string | undefined), method, params, 120_000).catch((e: Error) => {
    throw new UserError(e.message);
  });
}

export interface ApplyAnswer {
  changed: boolean;
  plan: Plan;
  applied?: string[];
  pending?: { id: number; leftS: number; windowS: number };
  revision?: number;
}

export function reportApply(a: ApplyAnswer, header: string, io: Io): void {
  printPlan(a.plan, header, false, io);
  if (!a.changed) return;
  io.out(`Applied: ${(a.applied ?? []).join(', ')}.\n`);
  if (a.pending) io.out(`Transaction ${a.pending.id} reverts by itself in ${a.pending.leftS} s unless confirmed: stockade config confirm\n`);
  else io.out(`Saved as revision ${a.revision}.\n`);
}

const who = (o: Flags): string => {
  const w = o.flags.get('--who');
  return typeof w === 'string' ? w : `ctl (uid ${process.getuid?.() ?? '?'})`;
};

export const applyCommand: Command = {
  words: ['config', 'apply'],
  usage: 'FILE [--who NAME] [--socket PATH]',
  summary: 'apply FILE on the running box; it reverts unless confirmed in time',
  async run(args, io) {
    const o = parseFlags(applyCommand, args, ['--socket', '--who'], []);
    if (o.positional.length !== 1) throw new UserError(`usage: stockade config apply ${applyCommand.usage}`, EXIT_BAD_INPUT);
    const file = o.positional[0]!;
    loadOrExplain(file, io); // every error here, as config validate prints them, before the daemon sees it
    const answer = (await ask(o, 'config.apply', { text: readFileSync(file, 'utf8'), source: file, who: who(o) })) as ApplyAnswer;
    reportApply(answer, answer.changed ? `Applying ${file}:` : `${file} is what runs already:`, io);
    return EXIT_OK;
  },
};

export const confirmCommand: Command = {
  words: ['config', 'confirm'],
  usage: '[--who NAME] [--socket PATH]',
  summary: 'keep the config applied last: save it as a new revision',
  async run(args, io) {
    const o = parseFlags(confirmCommand, args, ['--socket', '--who'], []);
    if (o.positional.length !== 0) throw new UserError(`usage: stockade config confirm ${confirmCommand.usage}`, EXIT_BAD_INPUT);
    const r = (await ask(o, 'config.confirm', { who: who(o) })) as { revision: number };
    io.out(`Confirmed: saved as revision ${r.revision}.\n`);
    return EXIT_OK;
  },
};

export const abortCommand: Command = {
  words: ['config', 'abort'],
  usage: '[--who NAME] [--socket PATH]',
  summary: 'go back to the confirmed config now, without waiting for the window',
  async run(args, io) {
    const o = parseFlags(abortCommand, args, ['--socket', '--who'], []);
    if (o.positional.length !== 0) throw new UserError(`usage: stockade config abort ${abortCommand.usage}`, EXIT_BAD_INPUT);
    await ask(o, 'config.abort', { who: who(o) });
    io.out('Aborted: the confirmed config runs again.\n');
    return EXIT_OK;
  },
};

export const statusCommand: Command = {
  words: ['config', 'status'],
  usage: '[--json] [--socket PATH]',
  summary: 'the transaction waiting for confirmation, if any, and its countdown',
  async run(args, io) {
    const o = parseFlags(statusCommand, args, ['--socket'], ['--json']);
    if (o.positional.length !== 0) throw new UserError(`usage: stockade config status ${statusCommand.usage}`, EXIT_BAD_INPUT);
    const s = (await ask(o, 'config.status')) as { pending: { id: number; who: string; summary: string; started: string; leftS: number } | null; revisions: number[] };
    if (o.switches.has('--json')) io.out(JSON.stringify(s, null, 2) + '\n');
    else if (s.pending === null) io.out(`No transaction waiting. Revisions kept: ${s.revisions.join(', ') || 'none'}.\n`);
    else io.out([`Transaction ${s.pending.id} by ${s.pending.who}, applied ${s.pending.started}:`, `  ${s.pending.summary}`, `  reverts in ${s.pending.leftS} s unless confirmed (stockade config confirm | abort)`].map(terminalSafe).join('\n') + '\n');
    return EXIT_OK;
  },
};

export const rollbackCommand: Command = {
  words: ['config', 'rollback'],
  usage: 'REV [--who NAME] [--socket PATH]',
  summary: 'apply a kept revision (a transaction: it too reverts unless confirmed)',
  async run(args, io) {
    const o = parseFlags(rollbackCommand, args, ['--socket', '--who'], []);
    if (o.positional.length !== 1 || !/^[0-9]{1,9}$/.test(o.positional[0]!)) throw new UserError(`usage: stockade config rollback ${rollbackCommand.usage}`, EXIT_BAD_INPUT);
    const rev = Number(o.positional[0]);
    const answer = (await ask(o, 'config.rollback', { revision: rev, who: who(o) })) as ApplyAnswer;
    reportApply(answer, answer.changed ? `Rolling back to revision ${rev}:` : `Revision ${rev} is what runs already:`, io);
    return EXIT_OK;
  },
};

export const transactionCommands: readonly Command[] = [
  planCommand, applyCommand, confirmCommand, abortCommand, statusCommand, rollbackCommand, historyCommand, diffCommand,
];
