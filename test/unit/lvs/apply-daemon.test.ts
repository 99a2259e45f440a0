// `stockade lvs apply` and the daemon: with a daemon running LVS the command asks it (lvs.apply
// for the running lvs section, a config transaction for another one) and writes nothing itself;
// without one (no daemon, or a daemon without LVS) it writes the table itself and warns that
// every enabled server goes in as up. The daemon is an in-process control server answering as
// src/daemon/lvs.ts does; the kernel a FakeIpvs.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { lvsCommandsWith, type IpvsOpener } from '../../../src/cli/lvs-commands.ts';
import { loadConfigText } from '../../../src/config/load.ts';
import type { Config } from '../../../src/config/index.ts';
import { ControlServer } from '../../../src/daemon/control.ts';
import { FakeIpvs } from './fake-ipvs.ts';

const test = suite('lvs apply and the daemon');
const dir = mkdtempSync(join(tmpdir(), 'stk-lvs-apply-'));
const socket = join(dir, 'control.sock');
const fixture = readFileSync(join(import.meta.dirname, '../../fixtures/config/ha-node-a.json'), 'utf8');

function configFile(name: string, mutate: (c: any) => void = () => undefined): { file: string; config: Config } {
  const c = JSON.parse(fixture);
  mutate(c);
  const text = JSON.stringify(c);
  const r = loadConfigText(text);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  const file = join(dir, name);
  writeFileSync(file, text);
  return { file, config: r.config };
}

/** The kernel the one-shot path opens: a FakeIpvs, counted as IpvsClient counts its writes;
 *  `loaded: false`: ip_vs is not loaded (an opener told not to load it answers undefined). */
function kernel(opts: { loaded?: boolean } = {}): { fake: FakeIpvs; open: IpvsOpener; opened: () => number; asked: boolean[] } {
  const fake = new FakeIpvs();
  let opened = 0;
  const asked: boolean[] = [];
  const client = new Proxy(fake, {
    get: (t, p) => {
      if (p === 'writes') return t.writes.length;
      if (p === 'close') return () => undefined;
      const v = Reflect.get(t, p) as unknown;
      return typeof v === 'function' ? v.bind(t) : v;
    },
  }) as unknown as Awaited<ReturnType<IpvsOpener>>;
  const open: IpvsOpener = async ({ loadModule }) => {
    asked.push(loadModule);
    if (opts.loaded === false && !loadModule) return undefined;
    opened++;
    return client;
  };
  return { fake, open, opened: () => opened, asked };
}

async function apply(open: IpvsOpener, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return command('lvs apply', open, ...args);
}

async function command(words: string, open: IpvsOpener, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = { out: '', err: '' };
  const cmd = lvsCommandsWith(open).find((c) => c.words.join(' ') === words)!;
  const code = await cmd.run(args, { out: (t: string) => void (io.out += t), err: (t: string) => void (io.err += t) } as never);
  return { code, ...io };
}

/** A daemon whose running config is `running`; what it was asked, in order. */
async function daemon(running: Config, lvsApply: () => unknown): Promise<{ calls: Array<{ method: string; params: unknown }>; close: () => Promise<void> }> {
  const calls: Array<{ method: string; params: unknown }> = [];
  const server = await ControlServer.listen(socket);
  server.handle('config.running', (p) => { calls.push({ method: 'config.running', params: p }); return { file: '/data/config.json', fallback: false, config: running }; });
  server.handle('lvs.apply', (p) => { calls.push({ method: 'lvs.apply', params: p }); return lvsApply(); });
  server.handle('config.apply', (p) => { calls.push({ method: 'config.apply', params: p }); return { changed: true, applied: ['lvs'], pending: { windowS: 300, leftS: 300 } }; });
  return { calls, close: () => server.close() };
}

const envBefore = process.env['STOCKADE_SOCKET'];
test.before(() => { process.env['STOCKADE_SOCKET'] = socket; });
test.after(() => {
  if (envBefore === undefined) delete process.env['STOCKADE_SOCKET'];
  else process.env['STOCKADE_SOCKET'] = envBefore;
  rmSync(dir, { recursive: true, force: true });
});

test('the daemon runs LVS and FILE has its lvs section: lvs.apply, the kernel left to the daemon', async () => {
  const { file, config } = configFile('same.json');
  const k = kernel();
  const d = await daemon(config, () => ({ writes: 2, actions: [{ op: 'add-dest', line: 'add real server 198.51.100.11:8080 to TCP 203.0.113.10:80', pointer: '/lvs/virtual_services/0/real_servers/0' }] }));
  try {
    const r = await apply(k.open, file);
    assert.is(r.code, 0, r.err);
    assert.equal(d.calls.map((c) => c.method), ['config.running', 'lvs.apply']);
    assert.is(r.out, 'add real server 198.51.100.11:8080 to TCP 203.0.113.10:80\n2 writes to the kernel (by the daemon, its health checks kept)\n');
    assert.is(r.err, '', 'no warning: the daemon\'s checks decide which servers are in');
    assert.is(k.opened(), 0, 'IPVS not opened by the command');
    const j = await apply(k.open, file, '--json');
    assert.equal(JSON.parse(j.out), { file, via: 'daemon', writes: 2, actions: [{ op: 'add-dest', line: 'add real server 198.51.100.11:8080 to TCP 203.0.113.10:80', pointer: '/lvs/virtual_services/0/real_servers/0' }] });
  } finally {
    await d.close();
  }
});

test('the daemon runs LVS and FILE has another lvs section: a config transaction of the running config with it', async () => {
  const { config: running } = configFile('running.json');
  const { file, config } = configFile('other.json', (c) => { c.lvs.virtual_services[0].real_servers[1].weight = 5; c.system.hostname = 'not-the-running-one'; });
  const k = kernel();
  const d = await daemon(running, () => { throw new Error('not this path'); });
  try {
    const r = await apply(k.open, file);
    assert.is(r.code, 0, r.err);
    assert.equal(d.calls.map((c) => c.method), ['config.running', 'config.apply']);
    const sent = JSON.parse((d.calls[1]!.params as { text: string }).text) as Config;
    assert.equal(sent.lvs, config.lvs, 'FILE\'s lvs section');
    assert.is(sent.system.hostname, running.system.hostname, 'the rest of the running config kept');
    assert.match(r.out, /its lvs section applied by the daemon as a config transaction/);
    assert.match(r.out, /Confirm with `stockade config confirm` within 300 s/);
    assert.is(k.opened(), 0);
  } finally {
    await d.close();
  }
});

test('a daemon without LVS: the command writes the table itself and warns that checked servers go in as up', async () => {
  const { file } = configFile('mine.json');
  const { config: noLvs } = configFile('no-lvs.json', (c) => { c.lvs = { virtual_services: [] }; });
  const k = kernel();
  const d = await daemon(noLvs, () => { throw new Error('not this path'); });
  try {
    const r = await apply(k.open, file);
    assert.is(r.code, 0, r.err);
    assert.equal(d.calls.map((c) => c.method), ['config.running']);
    assert.is(k.opened(), 1);
    assert.is(k.fake.services.size, 2, 'both services written');
    assert.match(r.out, new RegExp(`${k.fake.writes.length} writes to the kernel\\n$`));
    assert.match(r.err, /^.*mine\.json: warning: \/lvs\/virtual_services\/0\/health_check\/type: web: its http health checks run in the daemon; this command programs every enabled real server as up\n/);
    assert.match(r.err, /\/lvs\/virtual_services\/1\/health_check\/type: web_tls: its tcp health checks/);
  } finally {
    await d.close();
  }
});

test('no daemon: the same fallback; again: nothing to write', async () => {
  const { file } = configFile('alone.json');
  const k = kernel();
  const r = await apply(k.open, file);
  assert.is(r.code, 0, r.err);
  assert.match(r.err, /warning: .*every enabled real server as up/);
  const written = k.fake.writes.length;
  const again = await apply(k.open, file, '--json');
  assert.equal(JSON.parse(again.out).actions, [], again.out);
  assert.is(k.fake.writes.length, written, 'nothing written');
  assert.not.ok('via' in JSON.parse(again.out), 'not through a daemon');
});

test('lvs plan never has ip_vs loaded: not loaded, it plans against an empty table and says so; apply loads it', async () => {
  const { file } = configFile('plan.json');
  const k = kernel({ loaded: false });
  const r = await command('lvs plan', k.open, file);
  assert.is(r.code, 0, r.err);
  assert.equal(k.asked, [false]);
  assert.match(r.out, /^IPVS is not loaded \(module ip_vs\): the kernel holds no virtual services; lvs apply loads it\n/m);
  const changes = Number(/^(\d+) changes to write/m.exec(r.out)?.[1]);
  assert.ok(changes > 2, r.out);
  assert.equal(k.fake.writes, [], 'a plan writes nothing');
  const j = JSON.parse((await command('lvs plan', k.open, file, '--json')).out) as { ipvsLoaded: boolean; actions: unknown[] };
  assert.is(j.ipvsLoaded, false);
  assert.is(j.actions.length, changes);
  const a = await apply(k.open, file, '--json');
  assert.is(a.code, 0, a.err);
  assert.is(k.asked.at(-1), true, 'apply asks for ip_vs');
  assert.is(JSON.parse(a.out).writes, changes, 'apply writes what the plan listed');
  const again = JSON.parse((await command('lvs plan', kernel().open, file, '--json')).out) as { ipvsLoaded: boolean };
  assert.is(again.ipvsLoaded, true);
});

test.run();
