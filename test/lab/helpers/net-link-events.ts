// Lab child: a LinkMonitor (src/kernel/rtnetlink/events.ts) in the namespace it runs in. Prints
// {"ready":true}, then one JSON line per event: {type, name, index}; exits after argv[2] ms.
import { LinkMonitor } from '../../../src/kernel/rtnetlink/events.ts';

const mon = await LinkMonitor.open();
mon.on('event', (e) => process.stdout.write(`${JSON.stringify({ type: e.type, name: e.link.name, index: e.link.index, before: e.before?.name })}\n`));
mon.on('error', (e) => process.stdout.write(`${JSON.stringify({ error: e.message })}\n`));
process.stdout.write(`${JSON.stringify({ ready: true, links: [...mon.links.values()].map((l) => l.name) })}\n`);
setTimeout(() => mon.close(), Number(process.argv[2] ?? 10_000));
