// The config transaction (issue 13): what a new config changes on the running box (plan), and,
// as they land, live apply, commit-confirm and revisions.
//
//   diff.ts     structural JSON diff (named lists matched by name)
//   parts.ts    the parts, the sections each owns, which changes restart an item
//   plan.ts     two configs -> per-part plan
//   format.ts   the plan on an 80-column console
//   confirm.ts  commit-confirm: one pending transaction, its window, persist or revert
//   revisions.ts  confirmed configs as numbered revisions beside /data/config.json
//   audit.ts    the bounded audit log of transactions
//   transaction.ts  the changed parts applied in order, undone in reverse if one refuses
export { diffJson, equalJson } from './diff.ts';
export type { Difference, Json } from './diff.ts';
export { EFFECT_RULES, PART_NAMES, READ_WHEN_USED } from './parts.ts';
export type { Effect, PartName } from './parts.ts';
export { planConfig } from './plan.ts';
export type { ItemPlan, PartPlan, Plan } from './plan.ts';
export { formatPlan } from './format.ts';
export { CommitConfirm } from './confirm.ts';
export type { BeginResult, ConfirmAction, PendingTransaction } from './confirm.ts';
export { RevisionStore, REVISION_DIR } from './revisions.ts';
export type { RevisionFiles, RevisionMeta } from './revisions.ts';
export { appendAudit, auditLine, AUDIT_LIMITS } from './audit.ts';
export type { AuditFiles, AuditLimits, AuditRecord } from './audit.ts';
export { applyTransaction, partsToApply, yieldTurn } from './transaction.ts';
export type { ApplyOutcome, PartApplier, Undo } from './transaction.ts';
