// Script security (keepalived's enable_script_security) on a fake file system: what makes a
// command unsafe to run as root, element by element, and that links are followed as keepalived
// does (the directory resolved, and the final file).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { argumentPaths, commandProblem, pathElements, scriptPathProblem } from '../../../src/vrrp/notify.ts';
import type { PathElementStat } from '../../../src/vrrp/notify.ts';

const dir = (mode = 0o755, uid = 0, gid = 0): PathElementStat => ({ kind: 'dir', uid, gid, mode });
const file = (mode = 0o755, uid = 0, gid = 0): PathElementStat => ({ kind: 'file', uid, gid, mode });
const link = (): PathElementStat => ({ kind: 'symlink', uid: 0, gid: 0, mode: 0o777 });

/** A file system as a table; `links` maps a path to what it resolves to. */
function view(table: Record<string, PathElementStat>, links: Record<string, string> = {}) {
  const lstat = (p: string) => table[p];
  const realpath = (p: string): string | undefined => {
    for (const [from, to] of Object.entries(links)) if (p === from || p.startsWith(`${from}/`)) return realpath(to + p.slice(from.length));
    return pathElements(p).every((e) => table[e] !== undefined) ? p : undefined;
  };
  return { lstat, realpath };
}

function fs(table: Record<string, PathElementStat>, links: Record<string, string> = {}) {
  const { lstat, realpath } = view(table, links);
  return (path: string) => scriptPathProblem(path, lstat, realpath);
}

function cmd(table: Record<string, PathElementStat>, uid = 0) {
  const { lstat, realpath } = view(table);
  return (argv: string[]) => commandProblem(argv, lstat, realpath, uid);
}

const base = { '/': dir(), '/usr': dir(), '/usr/bin': dir(), '/usr/bin/dash': file(), '/etc': dir(), '/etc/stk': dir(), '/etc/stk/n.sh': file(0o700), '/tmp': dir(0o1777) };

test('pathElements: from / down', () => {
  assert.equal(pathElements('/a/b/c'), ['/', '/a', '/a/b', '/a/b/c']);
  assert.equal(pathElements('/'), ['/']);
});

test('root-owned, not writable by others: safe; links resolved as keepalived does (/bin -> /usr/bin, sh -> dash)', () => {
  const check = fs({ ...base, '/bin': link(), '/usr/bin/sh': link() }, { '/bin': '/usr/bin', '/usr/bin/sh': '/usr/bin/dash' });
  assert.is(check('/etc/stk/n.sh'), undefined);
  assert.is(check('/bin/sh'), undefined);
  assert.is(check('/usr/bin/sh'), undefined);
});

test('unsafe: world-writable file or directory, group-writable by a non-root group, not root-owned, relative, missing', () => {
  assert.match(fs({ ...base, '/etc/stk/n.sh': file(0o777) })('/etc/stk/n.sh')!, /\/etc\/stk\/n\.sh: writable by everyone/);
  assert.match(fs({ ...base, '/etc/stk': dir(0o777) })('/etc/stk/n.sh')!, /\/etc\/stk: writable by everyone/);
  assert.match(fs({ ...base, '/etc/stk': dir(0o775, 0, 100) })('/etc/stk/n.sh')!, /writable by group 100/);
  assert.is(fs({ ...base, '/etc/stk': dir(0o775, 0, 0) })('/etc/stk/n.sh'), undefined, 'group root may write');
  assert.match(fs({ ...base, '/etc/stk/n.sh': file(0o755, 1000) })('/etc/stk/n.sh')!, /owned by uid 1000/);
  assert.match(fs(base)('n.sh')!, /not an absolute path/);
  assert.match(fs(base)('/etc/stk/none.sh')!, /not found/);
});

test('a sticky world-writable directory (/tmp) is allowed on the way, as in keepalived; the file still must be safe', () => {
  assert.is(fs({ ...base, '/tmp/x.sh': file(0o755) })('/tmp/x.sh'), undefined);
  assert.match(fs({ ...base, '/tmp/x.sh': file(0o755, 1000) })('/tmp/x.sh')!, /owned by uid 1000/);
});

test('the final target of a link is checked too', () => {
  const check = fs({ ...base, '/etc/stk/n.sh': link(), '/home': dir(), '/home/u': dir(0o755, 1000), '/home/u/n.sh': file(0o755, 1000) }, { '/etc/stk/n.sh': '/home/u/n.sh' });
  assert.match(check('/etc/stk/n.sh')!, /\/home\/u: owned by uid 1000/);
});

test('every path among the arguments is checked: an interpreter is only as safe as its script', () => {
  const t = { ...base, '/data': dir(0o755, 1000), '/data/x.sh': file(0o755, 1000), '/dev': dir(), '/dev/null': { kind: 'other' as const, uid: 0, gid: 0, mode: 0o666 } };
  assert.match(cmd(t)(['/usr/bin/dash', '/data/x.sh'])!, /^argument \/data\/x\.sh: \/data: owned by uid 1000, not root$/);
  assert.match(cmd(t)(['/usr/bin/dash', '-c', '/data/x.sh up'])!, /^argument \/data\/x\.sh: /, 'inside an argument');
  assert.match(cmd(t)(['/usr/bin/dash', '--script=/data/x.sh'])!, /^argument \/data\/x\.sh: /);
  assert.match(cmd({ ...base, '/etc/stk/n.sh': file(0o777) })(['/usr/bin/dash', '/etc/stk/n.sh'])!, /writable by everyone/);
  assert.is(cmd(t)(['/usr/bin/dash', '/etc/stk/n.sh', 'up', '/dev/null']), undefined, 'safe script, a device argument');
  assert.is(cmd(t)(['/usr/bin/dash', '/etc/stk/n.sh', '/etc/stk/out.log']), undefined, 'a file still to be made in a safe directory');
  assert.match(cmd(t)(['/usr/bin/dash', '/etc/stk/n.sh', '/data/new.log'])!, /^argument \/data\/new\.log: \/data: owned by uid 1000/);
  assert.equal(argumentPaths(['/bin/sh', '-c', 'a /x/y;/z', 'k=/w', 'rel/p']), ['/x/y', '/z', '/w']);
});

test('not root: files of our own user pass, anyone else\'s do not', () => {
  const t = { ...base, '/home': dir(), '/home/u': dir(0o755, 1000), '/home/u/n.sh': file(0o755, 1000), '/home/v': dir(0o755, 1001), '/home/v/n.sh': file(0o755, 1001) };
  assert.is(cmd(t, 1000)(['/home/u/n.sh']), undefined);
  assert.is(cmd(t, 1000)(['/usr/bin/dash', '/home/u/n.sh']), undefined);
  assert.match(cmd(t, 1000)(['/home/v/n.sh'])!, /\/home\/v: owned by uid 1001, not root nor uid 1000/);
  assert.match(cmd(t, 1000)(['/usr/bin/dash', '/home/v/n.sh'])!, /owned by uid 1001/);
  assert.match(cmd(t, 0)(['/home/u/n.sh'])!, /owned by uid 1000, not root$/, 'as root, only root');
});

test.run();
