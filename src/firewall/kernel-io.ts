// The apply's kernel side on a real box: iptables-save / iptables-restore --noflush --wait (the
// runners are in src/kernel) and modprobe for conntrack helpers.
import { restoreTable, saveTables } from '../kernel/iptables-restore.ts';
import { loadModules } from '../kernel/modules.ts';
import type { FirewallKernel } from './apply.ts';

export function systemFirewallKernel(opts: { counters?: boolean } = {}): FirewallKernel {
  return {
    async save(family) {
      const r = await saveTables(family, opts);
      if (!r.ok) throw new Error(`cannot read the ${family} firewall: ${r.reason}`);
      return r.text;
    },
    restore: (family, table, input) => restoreTable(family, table, input, { noflush: true }),
    async loadModules(names) {
      // A module that fails to load shows up as the refused rule that needs it, with its pointer.
      await loadModules(names);
    },
  };
}
