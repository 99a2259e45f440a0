// `stockade diagnose`: checklists run on the box, each line OK or FAIL with its fix.
//   lvs-checklist.ts  seed 001's LVS-NAT checklist, pure (config + facts -> lines)
//   lvs-facts.ts      the facts, read from this box
export { checkPortOf, formatChecklist, interfaceFor, lvsChecklist } from './lvs-checklist.ts';
export type { DiagnoseLine, LvsFacts, PortAnswer, Verdict } from './lvs-checklist.ts';
export { gatherLvsFacts } from './lvs-facts.ts';
