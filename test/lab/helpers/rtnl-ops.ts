// Lab child: runs rtnetlink requests through Rtnl (src/kernel/rtnetlink/client.ts) in the
// namespace it runs in. argv[2]: JSON list of [method, ...args], where an argument
// {"$index": "name"} is replaced by that link's ifindex. Prints {ok: true, writes} or
// {error, code, at}.
import { Rtnl } from '../../../src/kernel/rtnetlink/client.ts';

const ops = JSON.parse(process.argv[2] ?? '[]') as Array<[string, ...unknown[]]>;
const rtnl = Rtnl.open();
const resolve = async (v: unknown): Promise<unknown> => {
  if (Array.isArray(v)) return Promise.all(v.map(resolve));
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o['$index'] === 'string') {
      const l = (await rtnl.links()).find((x) => x.name === o['$index']);
      if (!l) throw new Error(`no link ${o['$index']}`);
      return l.index;
    }
    return Object.fromEntries(await Promise.all(Object.entries(o).map(async ([k, x]) => [k, await resolve(x)])));
  }
  return v;
};
let at = 0;
try {
  for (const [method, ...args] of ops) {
    const fn = (rtnl as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method]!;
    await fn.apply(rtnl, (await resolve(args)) as unknown[]);
    at++;
  }
  process.stdout.write(`${JSON.stringify({ ok: true, writes: rtnl.writes })}\n`);
} catch (e) {
  process.stdout.write(`${JSON.stringify({ error: (e as Error).message, code: (e as { code?: string }).code, at })}\n`);
} finally {
  rtnl.close();
}
