// Mutation fuzzing of the config loader and `stockade config validate`: whatever the input
// (valid configs with keys deleted, types changed, unknown keys, values swapped, random JSON,
// truncated or garbled bytes), the result is either a valid config or a clean list of errors,
// each with a pointer; never an exception, never exit 1. Bounded: fixed runs and a time limit.
// Re-run a failure with FUZZ_SEED=<seed printed in the failure>.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { asyncProperty, property } from './property.ts';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.ts';
import { formatConfigError } from '../../src/config/errors.ts';
import { loadConfigBytes, loadConfigText, type LoadResult } from '../../src/config/load.ts';
import { capture } from '../capture-io.ts';

const TIME_LIMIT_MS = 8000;

const run = <T>(name: string, arb: fc.Arbitrary<T>, runs: number, predicate: (value: T) => void | Promise<void>, isAsync = false): void => {
  if (isAsync) asyncProperty(test, name, arb, { runs, timeLimitMs: TIME_LIMIT_MS }, async (v) => void (await predicate(v)));
  else property(test, name, arb, { runs, timeLimitMs: TIME_LIMIT_MS }, (v) => void predicate(v));
};

const fixtureDir = fileURLToPath(new URL('../fixtures/config/', import.meta.url));
const fixtures = ['ha-node-a.json', 'minimal.json'].map((n) => JSON.parse(readFileSync(fixtureDir + n, 'utf8')) as unknown);

const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f\u202e]/;

/** Either a valid config or at least one well-formed error, every one with a pointer. */
function assertClean(result: LoadResult): void {
  if (result.ok) {
    assert.is(result.config.version, 1);
    return;
  }
  assert.ok(result.errors.length >= 1, 'an invalid result carries errors');
  for (const e of result.errors) {
    assert.type(e.pointer, 'string');
    assert.ok(e.pointer === '' || e.pointer.startsWith('/'), `pointer ${e.pointer}`);
    assert.ok(['file', 'syntax', 'schema', 'semantic'].includes(e.kind));
    assert.ok(e.expected.length > 0 && e.found.length > 0);
    const line = formatConfigError('f.json', e);
    assert.not.ok(line.includes('\n'), `one line: ${line}`);
    assert.not.ok(CONTROL.test(line), `no control characters: ${JSON.stringify(line)}`);
  }
}

// ---- structural mutations of valid configs ----

type Path = (string | number)[];

function paths(value: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  if (Array.isArray(value)) value.forEach((v, i) => (out.push([...prefix, i]), paths(v, [...prefix, i], out)));
  else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) out.push([...prefix, k]), paths(v, [...prefix, k], out);
  return out;
}

function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (typeof value === 'object' && value !== null) for (const v of Object.values(value)) strings(v, out);
  return out;
}

function parentOf(root: unknown, path: Path): [any, string | number] | undefined {
  let node: any = root;
  for (const token of path.slice(0, -1)) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = node[token];
  }
  if (typeof node !== 'object' || node === null) return undefined;
  return [node, path[path.length - 1]!];
}

function retype(v: unknown): unknown {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return /^-?\d+$/.test(v) ? Number(v) : v.length;
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.length > 0 ? v[0] : {};
  if (v === null) return 0;
  return [v];
}

type Op =
  | { kind: 'delete'; at: number }
  | { kind: 'replace'; at: number; value: unknown }
  | { kind: 'retype'; at: number }
  | { kind: 'insert'; at: number; key: string; value: unknown }
  | { kind: 'swap'; at: number; other: number }
  | { kind: 'duplicate'; at: number }
  | { kind: 'rewire'; at: number; pick: number };

const KEYS = ['name', 'mode', 'interface', 'vips', 'vrid', 'members', 'static', 'dhcp', 'peer', 'port', 'mtu', 'x', '__proto__', 'constructor', ''];

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), value: fc.jsonValue({ maxDepth: 2 }) }),
  fc.record({ kind: fc.constant('retype' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), key: fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 12 })), value: fc.jsonValue({ maxDepth: 1 }) }),
  fc.record({ kind: fc.constant('swap' as const), at: fc.nat(), other: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('rewire' as const), at: fc.nat(), pick: fc.nat() }),
);

function mutate(base: unknown, ops: readonly Op[]): unknown {
  const doc = structuredClone(base);
  for (const op of ops) {
    const all = paths(doc);
    if (all.length === 0) return doc;
    const path = all[op.at % all.length]!;
    const slot = parentOf(doc, path);
    if (!slot) continue;
    const [parent, key] = slot;
    switch (op.kind) {
      case 'delete':
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else delete parent[key];
        break;
      case 'replace':
        parent[key] = op.value;
        break;
      case 'retype':
        parent[key] = retype(parent[key]);
        break;
      case 'insert': {
        const target = parent[key];
        if (typeof target === 'object' && target !== null && !Array.isArray(target)) {
          Object.defineProperty(target, op.key, { value: op.value, enumerable: true, writable: true, configurable: true });
        } else if (Array.isArray(target)) {
          target.push(op.value);
        }
        break;
      }
      case 'swap': {
        const otherPath = all[op.other % all.length]!;
        // Swapping a value with one inside it would make a cycle; skip those.
        const shorter = Math.min(path.length, otherPath.length);
        if (path.slice(0, shorter).every((t, i) => t === otherPath[i])) break;
        const other = parentOf(doc, otherPath);
        if (!other) break;
        const [p2, k2] = other;
        const a = parent[key];
        parent[key] = p2[k2];
        p2[k2] = a;
        break;
      }
      case 'duplicate':
        if (Array.isArray(parent[key]) && parent[key].length > 0) parent[key].push(structuredClone(parent[key][0]));
        else if (Array.isArray(parent)) parent.push(structuredClone(parent[key as number]));
        break;
      case 'rewire': {
        // Point a string at another name/address from the config: exercises the semantic checks.
        const pool = strings(doc);
        if (typeof parent[key] === 'string' && pool.length > 0) parent[key] = pool[op.pick % pool.length];
        break;
      }
    }
  }
  return doc;
}

const mutatedArb = fc.record({
  base: fc.constantFrom(...fixtures),
  ops: fc.array(opArb, { minLength: 1, maxLength: 4 }),
  pretty: fc.boolean(),
});

run('structural mutations of valid configs: valid or clean errors', mutatedArb, 1500, ({ base, ops, pretty }) => {
  assertClean(loadConfigText(JSON.stringify(mutate(base, ops), null, pretty ? 2 : undefined)));
});

run('reference rewiring only (schema-valid, semantically scrambled)', fc.record({ ops: fc.array(fc.record({ kind: fc.constant('rewire' as const), at: fc.nat(), pick: fc.nat() }), { minLength: 1, maxLength: 6 }) }), 800, ({ ops }) => {
  assertClean(loadConfigText(JSON.stringify(mutate(fixtures[0], ops))));
});

// ---- text and byte level ----

const bytesOf = (v: unknown, pretty: boolean) => new TextEncoder().encode(JSON.stringify(v, null, pretty ? 2 : undefined));

const garbleArb = fc.record({
  base: fc.constantFrom(...fixtures),
  pretty: fc.boolean(),
  edits: fc.array(
    fc.oneof(
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 8 }) }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 40 }) }),
      fc.record({ kind: fc.constant('text' as const), at: fc.nat(), text: fc.constantFrom(',', '}', ']', '"', ':', '{', '[', '\\', '\n', ' ', 'null', '1e999', '-', '\u202e', '😀', '\ud800') }),
    ),
    { minLength: 1, maxLength: 5 },
  ),
});

function garble(input: Uint8Array, edits: readonly { kind: string; at: number; [k: string]: unknown }[]): Uint8Array {
  let b = Array.from(input);
  for (const e of edits) {
    const at = b.length === 0 ? 0 : e.at % (b.length + 1);
    if (e.kind === 'truncate') b = b.slice(0, at);
    else if (e.kind === 'flip' && b.length > 0) b[at % b.length] = e['byte'] as number;
    else if (e.kind === 'insert') b.splice(at, 0, ...(e['bytes'] as Uint8Array));
    else if (e.kind === 'cut') b.splice(at, e['length'] as number);
    else if (e.kind === 'text') b.splice(at, 0, ...Buffer.from(e['text'] as string, 'utf8'));
  }
  return Uint8Array.from(b);
}

run('truncated and garbled bytes: valid or clean errors', garbleArb, 2000, ({ base, pretty, edits }) => {
  assertClean(loadConfigBytes(garble(bytesOf(base, pretty), edits)));
});

run('random JSON documents', fc.jsonValue({ maxDepth: 4 }), 800, (value) => {
  assertClean(loadConfigText(JSON.stringify(value) ?? 'null'));
});

run('random objects shaped a little like a config', fc.record({ version: fc.oneof(fc.constant(1), fc.jsonValue()), interfaces: fc.jsonValue(), vrrp: fc.jsonValue(), sync: fc.jsonValue() }, { requiredKeys: [] }), 600, (value) => {
  assertClean(loadConfigText(JSON.stringify(value)));
});

run('random text', fc.string({ unit: 'binary', maxLength: 200 }), 800, (text) => {
  assertClean(loadConfigText(text));
});

run('random bytes', fc.uint8Array({ maxLength: 300 }), 800, (bytes) => {
  assertClean(loadConfigBytes(bytes));
});

// ---- the command, as a user runs it ----

const dir = mkdtempSync(join(tmpdir(), 'stockade-config-fuzz-'));
let counter = 0;


run(
  'stockade config validate: exit 0 with one line, or exit 2 with errors and the count',
  fc.oneof(
    mutatedArb.map(({ base, ops, pretty }) => bytesOf(mutate(base, ops), pretty)),
    garbleArb.map(({ base, pretty, edits }) => garble(bytesOf(base, pretty), edits)),
  ),
  300,
  async (bytes) => {
    const path = join(dir, `c${counter++}.json`);
    writeFileSync(path, bytes);
    const io = capture();
    const code = await main(['config', 'validate', path], io);
    assert.ok(code === 0 || code === 2, `exit ${code}: ${io.stderr}`);
    assert.not.match(io.stderr, /internal error|\n\s+at /);
    if (code === 0) {
      assert.is(io.stdout, `${path}: valid (config version 1)\n`);
      // Firewall lint findings (issue 12) are warnings on stderr, each naming the file (one past
      // 79 columns goes on in indented lines).
      for (const line of io.stderr.split('\n').filter(Boolean)) assert.ok(line.startsWith(`${path}: warning: /`) || /^ {2,}\S/.test(line), line);
    } else {
      const lines = io.stderr.trimEnd().split('\n');
      assert.match(lines[lines.length - 1]!, /^\d+ errors?; nothing applied$/);
      assert.ok(lines.length >= 2);
      // Each error starts with the file; one past 79 columns goes on in indented lines.
      assert.ok(lines[0]!.startsWith(path + ':'), lines[0]);
      for (const line of lines.slice(0, -1)) assert.ok(line.startsWith(path + ':') || /^ {2,}\S/.test(line), line);
    }
    rmSync(path);
  },
  true,
);

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
