// src/'s shape (import-rules.ts): each part is used only through its face, only the CLI uses the
// daemon, only src/kernel talks to the kernel.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { checkImports, type Violation } from './import-rules.ts';

const root = join(import.meta.dirname, '../../..');

function sources(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) files.set(relative(root, p), readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return files;
}

const show = (v: readonly Violation[]): string => v.map((x) => `${x.file}: [${x.rule}] ${x.detail}`).join('\n');

test('src/ keeps its shape: faces, the daemon only under the CLI, the kernel only in src/kernel', () => {
  const files = sources(join(root, 'src'));
  assert.ok(files.size > 100, `read ${files.size} files`);
  const v = checkImports(files);
  assert.is(v.length, 0, `\n${show(v)}`);
});

test('each rule catches what it is for', () => {
  const cases: [string, string, Violation['rule'] | undefined][] = [
    ['src/daemon/x.ts', "import { startOn } from '../vrrp/shell/run.ts';", 'face'],
    ['src/daemon/x.ts', "import type { CtEntry } from '../kernel/ctnetlink/entry.ts';", 'face'],
    ['src/cli/x.ts', "import {\n  a,\n  b,\n} from '../net/ports.ts';", 'face'],
    ['src/cli/x.ts', "export { a } from '../ctsync/driver.ts';", 'face'],
    ['src/cli/x.ts', "const m = await import('../boot/boot.ts');", 'face'],
    ['src/boot/x.ts', "import { UserError } from '../cli/command.ts';", 'cli'],
    ['src/control/x.ts', "import { startDaemon } from '../daemon/index.ts';", 'daemon'],
    ['src/vrrp/x.ts', "import { spawn } from 'node:child_process';", 'kernel'],
    ['src/vrrp/x.ts', "import { createSocket } from 'dgram';", 'kernel'],
    ['src/control/x.ts', "import { createConnection } from 'node:net';", 'kernel'],
    ['src/boot/x.ts', "const f = '/proc/cmdline';", 'kernel'],
    ['src/net/x.ts', 'const p = `/sys/class/net/${n}/carrier`;', 'kernel'],
    // allowed:
    ['src/daemon/x.ts', "import { startVrrp } from '../vrrp/index.ts';", undefined],
    ['src/net/x.ts', "import { Rtnl } from '../kernel/rtnetlink/index.ts';", undefined],
    ['src/vrrp/shell/x.ts', "import { encodeAdvert } from '../codec.ts';", undefined],
    ['src/common/x.ts', "import { isIPv6 } from 'node:net';", undefined],
    ['src/control/x.ts', "import type { Socket } from 'node:net';", undefined],
    ['src/kernel/x.ts', "import { spawn } from 'node:child_process'; const f = '/proc/net/nf_conntrack';", undefined],
    ['src/cli/x.ts', "import { startDaemon } from '../daemon/index.ts';", undefined],
    ['src/cli/x.ts', "// see '/proc/cmdline' and ../vrrp/shell/run.ts\nimport { a } from './y.ts';", undefined],
  ];
  for (const [file, text, rule] of cases) {
    const v = checkImports(new Map([[file, text]]));
    if (rule === undefined) assert.equal(v, [], `${file}: ${text}`);
    else assert.equal(v.map((x) => x.rule), [rule], `${file}: ${text}\n${show(v)}`);
  }
});

test.run();
