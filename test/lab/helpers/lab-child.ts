// A process that makes a lab and a process in it, prints both as one JSON line, then ends the way
// argv[2] says: 'wait' (until a signal), 'throw' (uncaught exception), 'reject' (unhandled
// rejection), 'exit' (process.exit(3)). The harness tests check that each leaves nothing behind.
import { Lab } from '../harness.ts';

const mode = process.argv[2] ?? 'wait';
const lab = await Lab.create({ hosts: ['a', 'b'], links: [['a:eth0', 'b:eth0']], addresses: { 'a:eth0': ['192.0.2.1/24'] } });
const sleeper = lab.spawn('b', ['sleep', '60']);
process.stdout.write(`${JSON.stringify({ namespaces: lab.hosts.map((h) => lab.nsName(h)), pid: sleeper.pid })}\n`);

if (mode === 'wait') setInterval(() => undefined, 60_000);
else if (mode === 'throw') setTimeout(() => { throw new Error('lab-child: thrown on purpose'); }, 10);
else if (mode === 'reject') setTimeout(() => void Promise.reject(new Error('lab-child: rejected on purpose')), 10);
else if (mode === 'exit') process.exit(3);
else throw new Error(`lab-child: unknown mode '${mode}'`);
