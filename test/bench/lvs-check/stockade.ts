// The stockade side of the lvs-check benchmark: the daemon's health checks without the daemon.
//   node stockade.ts CONFIG
// `stockade daemon` opens IPVS before it starts the checks (src/daemon/lvs.ts) and the lab's host
// kernel has none, so this is the smallest real entry point that runs the same code: the config
// file through the product's loader, then startCheckers(config.lvs, log) (src/lvs/checkers/run.ts,
// what LvsHealth.start calls) on the kernel probes. Every log line goes to stdout as it is
// written (the benchmark stamps its arrival, as it does keepalived's).
import { loadConfigFile } from '../../../src/config/index.ts';
import { startCheckers } from '../../../src/lvs/checkers/index.ts';

const loaded = loadConfigFile(process.argv[2]!);
if (!loaded.ok) throw new Error(`config: ${JSON.stringify(loaded.errors)}`);
const { stop } = startCheckers(loaded.config.lvs, (level, m) => void process.stdout.write(`${level}: ${m}\n`));
process.stdout.write('started\n');
process.on('SIGTERM', () => {
  stop();
  process.exit(0);
});
