// Lab child: the network reconcile (src/net) in the namespace it runs in.
// argv[2]: plan | apply; argv[3]: the config as JSON text. Prints one JSON line:
// {lines, warnings, conflicts, writes} or {error, undone, rollbackProblems, writes}; for a config
// with errors {configErrors}.
import { loadConfigText } from '../../../src/config/load.ts';
import { Rtnl } from '../../../src/kernel/rtnetlink/client.ts';
import { applyNetwork, NetApplyError, NetConflictError, planNetwork } from '../../../src/net/apply.ts';
import { desiredFromConfig } from '../../../src/net/desired.ts';
import { actionLine } from '../../../src/net/format.ts';
import { procSysctl } from '../../../src/net/index.ts';

const [mode, text] = process.argv.slice(2);
const loaded = loadConfigText(text ?? '');
if (!loaded.ok) {
  process.stdout.write(`${JSON.stringify({ configErrors: loaded.errors })}\n`);
  process.exit(0);
}
const rtnl = Rtnl.openStrict();
const deps = { kernel: rtnl, sysctl: procSysctl };
const out = (o: unknown): void => void process.stdout.write(`${JSON.stringify(o)}\n`);
try {
  const desired = desiredFromConfig(loaded.config);
  if (mode === 'plan') {
    const p = await planNetwork(desired, deps);
    out({ lines: p.actions.map(actionLine), warnings: p.warnings, conflicts: p.conflicts, writes: rtnl.writes });
  } else {
    const r = await applyNetwork(desired, deps);
    out({ lines: r.done.map(actionLine), warnings: r.warnings, writes: r.writes });
  }
} catch (e) {
  if (e instanceof NetApplyError) out({ error: e.message, undone: e.undone.map(actionLine), rollbackProblems: e.rollbackProblems, writes: rtnl.writes });
  else if (e instanceof NetConflictError) out({ error: e.message, conflicts: e.conflicts, writes: rtnl.writes });
  else out({ error: (e as Error).stack ?? String(e), writes: rtnl.writes });
} finally {
  rtnl.close();
}
