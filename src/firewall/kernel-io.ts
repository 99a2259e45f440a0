// The apply's kernel side on a real box: iptables-save / iptables-restore --noflush --wait (the
// runners are in src/kernel) and modprobe for conntrack helpers.
import { loadModules, restoreTable, saveTables } from '../kernel/index.ts';
import { legacyTablesPresent, netnsId, nftablesGeneration } from '../kernel/nftables/index.ts';
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
    async generation() {
      if (legacyTablesPresent()) return undefined;
      try {
        return { namespace: netnsId(), id: await nftablesGeneration() };
      } catch {
        return undefined;
      }
    },
  };
}
