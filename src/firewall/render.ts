// Ruleset tables -> iptables-restore input. Every line of the input keeps the config pointer of
// the rule on it, so a refusal ("line 12: ...") is reported as the rule's pointer and text.
import { isBuiltin, type FwChain, type FwTable } from './model.ts';

export interface RestoreInput {
  readonly text: string;
  /** Per 1-based line of `text` (index 0 unused): the pointer of the rule on that line. */
  readonly pointers: readonly (string | undefined)[];
}

class Lines {
  readonly lines: string[] = [];
  readonly pointers: (string | undefined)[] = [undefined];
  push(line: string, pointer?: string): void {
    this.lines.push(line);
    this.pointers.push(pointer);
  }
  done(): RestoreInput {
    return { text: this.lines.join('\n') + '\n', pointers: this.pointers };
  }
}

function declaration(t: FwTable, c: FwChain): string {
  return isBuiltin(t.table, c.name) ? `:${c.name} ${c.policy ?? 'ACCEPT'} [0:0]` : `:${c.name} - [0:0]`;
}

/** Built-in chains first, then the others by name: the order iptables-save prints them in. */
export function savedOrder(t: FwTable): FwChain[] {
  const builtins = t.chains.filter((c) => isBuiltin(t.table, c.name));
  const others = t.chains.filter((c) => !isBuiltin(t.table, c.name)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return [...builtins, ...others];
}

/** The whole table, to load with a plain iptables-restore (which flushes the table first). */
export function fullTableText(t: FwTable, header?: string): RestoreInput {
  const out = new Lines();
  if (header !== undefined) out.push(header);
  out.push(`*${t.table}`);
  const chains = savedOrder(t);
  for (const c of chains) out.push(declaration(t, c));
  for (const c of chains) for (const r of c.rules) out.push(`-A ${c.name} ${r.spec}`, r.pointer);
  out.push('COMMIT');
  return out.done();
}

/**
 * Only the chains given, for `iptables-restore --noflush`: a user chain's declaration creates or
 * empties it, a built-in one sets the policy and is emptied with -F; `remove` chains are emptied
 * and deleted last, once nothing jumps to them. Chains not named are left as they are.
 */
export function partialTableText(t: FwTable, chains: readonly FwChain[], remove: readonly string[]): RestoreInput {
  const out = new Lines();
  out.push(`*${t.table}`);
  for (const c of chains) out.push(declaration(t, c));
  for (const name of remove) out.push(`:${name} - [0:0]`);
  for (const c of chains) if (isBuiltin(t.table, c.name)) out.push(`-F ${c.name}`);
  for (const c of chains) for (const r of c.rules) out.push(`-A ${c.name} ${r.spec}`, r.pointer);
  for (const name of remove) out.push(`-X ${name}`);
  out.push('COMMIT');
  return out.done();
}
