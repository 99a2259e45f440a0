// The host name. sethostname(2) has no Node binding; the kernel offers the same through
// /proc/sys/kernel/hostname (per UTS namespace), so this is a sysctl write.
import { PROC_SYS, readSysctl, writeSysctl, type SysctlOutcome } from './sysctl.ts';

export function setHostname(name: string, procSys = PROC_SYS): SysctlOutcome {
  return writeSysctl('kernel.hostname', name, procSys);
}

export function currentHostname(procSys = PROC_SYS): string | undefined {
  return readSysctl('kernel.hostname', procSys);
}
