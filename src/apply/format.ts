// The plan as an operator reads it on an 80-column console: one block per changed part, one
// line per item (+ added, - removed, ~ changed in place, ! restarts), its fields indented below,
// values cut to fit; unchanged parts on one line each.
import { TEXT_WIDTH, wrapWords } from '../common/index.ts';
import type { Json } from './diff.ts';
import type { ItemPlan, Plan } from './plan.ts';

/** Nothing reaches column 80 (a console that wraps there would print an empty line). */
const WIDTH = TEXT_WIDTH;

function fit(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 3))}...`;
}

const show = (v: Json | undefined): string => (v === undefined ? '(none)' : JSON.stringify(v));
const MARK: Readonly<Record<string, string>> = { added: '+', removed: '-', 'in place': '~', restarts: '!', changed: '~' };

function itemLines(item: ItemPlan): string[] {
  const how = item.change !== 'changed' ? item.change : item.effect ?? 'changed';
  const out = [fit(`  ${MARK[how]} ${item.label}: ${how}`, WIDTH)];
  if (item.why !== undefined) out.push(...wrapWords(item.why, WIDTH, '      '));
  if (item.nextBoot !== undefined) out.push(...wrapWords(item.nextBoot, WIDTH, '        ', '      '));
  if (item.change === 'changed') {
    for (const f of item.fields) {
      const name = f.path === '/' ? '' : `${f.path.slice(1)}: `;
      const text = f.kind === 'added' ? `${name}(none) -> ${show(f.after)}` : f.kind === 'removed' ? `${name}${show(f.before)} -> (none)` : `${name}${show(f.before)} -> ${show(f.after)}`;
      out.push(fit(`      ${text}`, WIDTH));
    }
  } else {
    const v = item.change === 'added' ? item.fields[0]?.after : item.fields[0]?.before;
    out.push(fit(`      ${show(v)}`, WIDTH));
  }
  return out;
}

export function formatPlan(plan: Plan): string {
  const lines: string[] = [];
  for (const part of plan.parts) {
    if (!part.changed) {
      lines.push(part.unchanged.length > 0 ? `${part.part}: unchanged (${part.unchanged.length} kept as they run)` : `${part.part}: unchanged`);
      continue;
    }
    lines.push(`${part.part}:`);
    for (const item of part.items) lines.push(...itemLines(item));
    for (const name of part.unchanged) lines.push(fit(`  = ${name}: unchanged`, WIDTH));
  }
  const changed = plan.parts.filter((p) => p.changed).map((p) => p.part);
  lines.push(...wrapWords(changed.length === 0 ? 'No change: applying this config does nothing.' : `${changed.length} part${changed.length === 1 ? '' : 's'} change: ${changed.join(', ')}.`, WIDTH));
  const atBoot = plan.parts.flatMap((p) => p.items.filter((i) => i.nextBoot !== undefined).map((i) => i.label));
  if (atBoot.length > 0) lines.push(...wrapWords(`Saved now, in effect only after the next reboot: ${atBoot.join(', ')}.`, WIDTH));
  return lines.join('\n') + '\n';
}
