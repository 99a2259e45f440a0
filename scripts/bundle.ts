// Bundles src/cli into one CommonJS file (Node's single-executable runtime runs a CommonJS main
// script; every JS dependency is inlined, the native addons stay .node files beside the
// executable). esbuild, because of how it bundles a dynamic import(): the imported module and
// everything only it needs (Node's builtins included) are evaluated when the import() runs, not
// when the bundle starts. src/cli/commands.ts imports each command group that way, so a command
// evaluates only its own modules: on the appliance's CPU the start of the executable was most of
// a one-shot command's time.
//   scripts/bundle.ts --out FILE   (STOCKADE_COMMIT, SOURCE_DATE_EPOCH: the build stamp)
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import type { Plugin } from 'esbuild';

const { values } = parseArgs({ options: { out: { type: 'string' } } });
if (!values.out) {
  console.error('usage: scripts/bundle.ts --out FILE');
  process.exit(2);
}
const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { version: string };

function gitCommit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${sha}-dirty` : sha;
  } catch {
    return 'unknown';
  }
}

// SOURCE_DATE_EPOCH makes the stamp reproducible when a release build sets it.
const epoch = process.env['SOURCE_DATE_EPOCH'];
const date = (epoch ? new Date(Number(epoch) * 1000) : new Date()).toISOString().replace(/\.\d+Z$/, 'Z');
const stamp = { version: pkg.version, commit: process.env['STOCKADE_COMMIT'] || gitCommit(), date };

// @serialport/bindings-cpp loads its addon with node-gyp-build from its own directory; in the
// single executable that is src/kernel/serialport-addon.ts (serialport.node next to the executable).
const serialportAddon: Plugin = {
  name: 'stockade-serialport-addon',
  setup(b) {
    b.onResolve({ filter: /^node-gyp-build$/ }, (args) =>
      args.importer.includes('@serialport/bindings-cpp') ? { path: `${root}/src/kernel/serialport-addon.ts` } : undefined);
  },
};

const result = await build({
  entryPoints: [`${root}/src/cli/index.ts`],
  outfile: values.out,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node24',
  // Node's own modules come from the runtime.
  external: ['node:*'],
  define: { __STOCKADE_BUILD__: JSON.stringify(stamp) },
  plugins: [serialportAddon],
  logLevel: 'silent',
  legalComments: 'none',
  minify: false,
});
// A warning in the bundle is a build error: nothing half-bundled ships.
if (result.warnings.length > 0) {
  for (const w of result.warnings) console.error(`bundle: ${w.location ? `${w.location.file}:${w.location.line}: ` : ''}${w.text}`);
  process.exit(1);
}
