// The config transaction (issue 13): what a new config changes on the running box (plan), and,
// as they land, live apply, commit-confirm and revisions.
//
//   diff.ts     structural JSON diff (named lists matched by name)
//   parts.ts    the parts, the sections each owns, which changes restart an item
//   plan.ts     two configs -> per-part plan
//   format.ts   the plan on an 80-column console
export { diffJson, equalJson } from './diff.ts';
export type { Difference, Json } from './diff.ts';
export { PART_NAMES } from './parts.ts';
export type { Effect, PartName } from './parts.ts';
export { planConfig } from './plan.ts';
export type { ItemPlan, PartPlan, Plan } from './plan.ts';
export { formatPlan } from './format.ts';
