// LVS: the config's virtual services held in the kernel's IPVS table (model, reconcile plan,
// apply with undo), IPVS connection sync following VRRP, and the ipvsadm-format views.
export { desiredTable, serverId, serviceSpec, destSpec, serviceKey, realServerPort } from './model.ts';
export type { DesiredService, DesiredDest, CheckedDestination, VirtualServiceConfig, RealServerConfig } from './model.ts';
export { planLvs, formatAction } from './plan.ts';
export type { LvsAction, PlanOptions } from './plan.ts';
export { applyLvsPlan, LvsApplyError } from './apply.ts';
export { lvsSyncSettings, planSync, syncRole } from './sync.ts';
export type { LvsSyncSettings, SyncCommand } from './sync.ts';
export { uncheckedServices, LvsHealth } from './health.ts';
export type { LvsHealthOptions } from './health.ts';
export { formatIpvsadmList, formatIpvsadmConnections, tableView, largeNum, compareServices } from './view.ts';
export type { TableView, ServiceView, DestView, ListOptions } from './view.ts';
export { LvsManager, EVENTS_MAX } from './manager.ts';
export type { LvsStatusView, HealthApplyCounters, LvsEvent, LvsEventInput, LvsApplyResult, HealthView, ServerCheckState, ServiceCheckView, LvsManagerOptions } from './manager.ts';
export { checkPort } from './checkers/index.ts';
