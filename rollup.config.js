// Bundles src/cli into one CommonJS file: Node's single-executable runtime runs a CommonJS main
// script, and every JS dependency is inlined (the native addon stays an external .node file).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import commonjs from '@rollup/plugin-commonjs';
import json from '@rollup/plugin-json';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import replace from '@rollup/plugin-replace';
import esbuild from 'rollup-plugin-esbuild';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));

function gitCommit() {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim() !== '';
    return dirty ? `${sha}-dirty` : sha;
  } catch {
    return 'unknown';
  }
}

// SOURCE_DATE_EPOCH makes the stamp reproducible when a release build sets it.
const epoch = process.env.SOURCE_DATE_EPOCH;
const date = (epoch ? new Date(Number(epoch) * 1000) : new Date()).toISOString().replace(/\.\d+Z$/, 'Z');
const build = { version: pkg.version, commit: process.env.STOCKADE_COMMIT || gitCommit(), date };

// @serialport/bindings-cpp loads its addon with node-gyp-build from its own directory; in the
// single executable that is src/kernel/serialport-addon.ts (serialport.node next to the executable).
const serialportAddon = fileURLToPath(new URL('./src/kernel/serialport-addon.ts', import.meta.url));
const serialportBinding = {
  name: 'stockade-serialport-addon',
  resolveId(source, importer) {
    if (source === 'node-gyp-build' && importer?.includes('@serialport/bindings-cpp')) return serialportAddon;
    return null;
  },
};

export default {
  input: 'src/cli/index.ts',
  output: {
    file: 'dist/bundle/stockade.cjs',
    format: 'cjs',
    generatedCode: 'es2015',
    inlineDynamicImports: true,
  },
  // Node's own modules come from the runtime.
  external: (id) => id.startsWith('node:'),
  plugins: [
    serialportBinding,
    replace({ preventAssignment: true, values: { __STOCKADE_BUILD__: JSON.stringify(build) } }),
    nodeResolve({ preferBuiltins: true, extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'] }),
    commonjs(),
    json({ preferConst: true }),
    esbuild({ target: 'node24', tsconfig: 'tsconfig.json', minify: false }),
  ],
  onwarn(warning, warn) {
    // A warning in the bundle is a build error: nothing half-bundled ships.
    if (warning.code === 'CIRCULAR_DEPENDENCY' && warning.ids?.every((id) => id.includes('node_modules'))) return;
    throw new Error(`rollup: ${warning.message}`);
  },
};
