// `config plan`: what applying a new config changes on the running box, part by part. Pure:
// two validated configs in, a plan out. Differences are grouped into items (a VRRP instance, a
// VLAN, the addresses of one interface, a whole section); each item says added, removed or
// changed, and for parts whose items can restart (parts.ts), whether the change is applied in
// place or restarts it.
import type { Config } from '../config/index.ts';
import { diffJson, escapePointer as escape, type Difference, type Json } from './diff.ts';
import { EFFECT_RULES, NEXT_BOOT_RULES, PART_NAMES, PART_SECTIONS, ruleFor, type Effect, type PartName } from './parts.ts';

export interface ItemPlan {
  /** Operator's name for the item: `instance vi1`, `vlan lan.10`, `sync`, `system/hostname`. */
  readonly label: string;
  readonly change: 'added' | 'removed' | 'changed';
  readonly effect?: Effect;
  /** Why it restarts, when it does: the fields that force it, and what that means. */
  readonly why?: string;
  /** Set when (part of) the change takes effect only at the next reboot: which fields, and why. */
  readonly nextBoot?: string;
  /** The differences inside the item, paths relative to the item. */
  readonly fields: readonly Difference[];
}

export interface PartPlan {
  readonly part: PartName;
  readonly changed: boolean;
  readonly items: readonly ItemPlan[];
  /** Items of a restartable list that stay as they are (listed so the operator sees them kept). */
  readonly unchanged: readonly string[];
}

export interface Plan {
  readonly changed: boolean;
  readonly parts: readonly PartPlan[];
}

const SINGULAR: Readonly<Record<string, string>> = { addresses: 'address', instances: 'instance', sync_groups: 'sync group', virtual_services: 'virtual service', real_servers: 'real server' };
const singular = (list: string): string => SINGULAR[list] ?? list.replace(/s$/, '').replace(/_/g, ' ');

const unescape = (seg: string): string => seg.replace(/~1/g, '/').replace(/~0/g, '~');

function child(value: unknown, seg: string): unknown {
  if (Array.isArray(value)) return value.find((item) => typeof item === 'object' && item !== null && (((item as Record<string, unknown>)['name'] ?? (item as Record<string, unknown>)['interface']) === seg));
  if (typeof value === 'object' && value !== null) return (value as Record<string, unknown>)[seg];
  return undefined;
}

interface ItemKey { readonly section: string; readonly list?: string; readonly name?: string; readonly depth: number; readonly label: string }

/** The item a difference belongs to: down to the first named list item, else section + first key. */
function itemOf(segs: readonly string[], before: unknown, after: unknown): ItemKey {
  const section = segs[0]!;
  let b: unknown = (before as Record<string, unknown>)[section];
  let a: unknown = (after as Record<string, unknown>)[section];
  for (let i = 1; i < segs.length; i++) {
    if (Array.isArray(a) || Array.isArray(b)) {
      const list = i === 1 ? section : segs[i - 1]!;
      const name = unescape(segs[i]!);
      const named = [a, b].some((l) => Array.isArray(l) && child(l, name) !== undefined);
      const label = named ? `${singular(list)} ${name}` : `${singular(list)} #${Number(name) + 1}`;
      return { section, list: i === 1 ? undefined : list, name, depth: i + 1, label };
    }
    b = child(b, segs[i]!);
    a = child(a, segs[i]!);
  }
  if (segs.length === 1 || ruleForSection(section)) return { section, depth: 1, label: section };
  return { section, depth: 2, label: `${section}/${unescape(segs[1]!)}` };
}

const ruleForSection = (section: string): boolean => PART_NAMES.some((p) => ruleFor(p, section, undefined) !== undefined);

export function planConfig(before: Config, after: Config): Plan {
  const parts = PART_NAMES.map((part): PartPlan => {
    const items = new Map<string, { key: ItemKey; diffs: Difference[] }>();
    for (const section of PART_SECTIONS[part]) {
      const diffs = diffJson(jsonOf(before, section), jsonOf(after, section), `/${section}`);
      for (const d of diffs) {
        const segs = d.path.split('/').slice(1);
        const key = itemOf(segs, before, after);
        const id = segs.slice(0, key.depth).join('/');
        const entry = items.get(id) ?? { key, diffs: [] };
        entry.diffs.push(d);
        items.set(id, entry);
      }
    }
    const planned = [...items.values()].map(({ key, diffs }) => itemPlan(part, key, diffs));
    return { part, changed: planned.length > 0, items: planned, unchanged: unchangedItems(part, before, after, items) };
  });
  return { changed: parts.some((p) => p.changed), parts };
}

function jsonOf(config: Config, section: string): Json | undefined {
  return (config as unknown as Record<string, Json | undefined>)[section];
}

function itemPlan(part: PartName, key: ItemKey, diffs: readonly Difference[]): ItemPlan {
  const whole = diffs.length === 1 && diffs[0]!.path.split('/').length - 1 === key.depth ? diffs[0] : undefined;
  const change = whole?.kind === 'added' || whole?.kind === 'removed' ? whole.kind : 'changed';
  const fields = diffs.map((d) => ({ ...d, path: '/' + d.path.split('/').slice(1 + key.depth).join('/') }));
  const top = (f: Difference): string => f.path.split('/')[1] ?? '';
  const boot = nextBoot(key, change, fields.map(top));
  const base: ItemPlan = { label: key.label, change, ...(boot !== undefined ? { nextBoot: boot } : {}), fields };
  const rule = ruleFor(part, key.section, key.list);
  if (rule === undefined || change !== 'changed') return base;
  const forcing = [...new Set(fields.map(top).filter((f) => rule.restartOn.includes(f)))];
  if (forcing.length === 0) return { ...base, effect: 'in place' };
  return { ...base, effect: 'restarts', why: `${forcing.join(', ')} changed: ${rule.restartMeans}` };
}

/** What of the item takes effect only at the next reboot (NEXT_BOOT_RULES), and why, in words. */
function nextBoot(key: ItemKey, change: ItemPlan['change'], fields: readonly string[]): string | undefined {
  const rule = NEXT_BOOT_RULES.find((r) => r.section === key.section && r.list === key.list);
  if (rule === undefined) return undefined;
  if (rule.fields === undefined) return `takes effect at the next reboot (${rule.why})`;
  // A whole item added or removed is the live apply's to make; only its fields wait for boot.
  const hit = change === 'changed' ? [...new Set(fields.filter((f) => rule.fields!.includes(f)))] : [];
  return hit.length === 0 ? undefined : `${hit.join(', ')} takes effect at the next reboot (${rule.why})`;
}

function unchangedItems(part: PartName, before: Config, after: Config, items: ReadonlyMap<string, unknown>): string[] {
  const rule = EFFECT_RULES[part];
  if (rule?.list === undefined) return [];
  const { section, list } = rule;
  const names = (c: Config): string[] => ((child(jsonOf(c, section), list) as { name: string }[] | undefined) ?? []).map((i) => i.name);
  const kept = new Set(names(before));
  return names(after).filter((n) => kept.has(n) && !items.has(`${section}/${list}/${escape(n)}`)).map((n) => `${singular(list)} ${n}`);
}
