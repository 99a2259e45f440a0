// The rules of src/'s shape, checked on import statements (DESIGN.md "Rooms", issue 11):
//   1. a file in one part imports another part only through that part's face: src/<part>/index.ts
//      (src/kernel has one face per netlink family as well: src/kernel/<family>/index.ts);
//   2. only src/cli imports src/daemon; nothing outside src/cli imports src/cli;
//   3. only src/kernel talks to the kernel: outside it no value import of node:dgram,
//      node:child_process, node:cluster, node:worker_threads, nor of node:net beyond its pure
//      address tests (isIP, isIPv4, isIPv6); and no '/proc/' or '/sys/' path in a string.
// A part is the first folder under src/ (src/native is C and not checked).
import { posix } from 'node:path';

export interface Violation {
  readonly file: string;
  readonly rule: 'face' | 'daemon' | 'cli' | 'kernel';
  readonly detail: string;
}

const KERNEL_MODULES = new Set(['dgram', 'child_process', 'cluster', 'worker_threads']);
const PURE_NET = new Set(['isIP', 'isIPv4', 'isIPv6']);

interface ImportStatement {
  readonly spec: string;
  readonly typeOnly: boolean;
  /** The names imported, `type` ones left out; undefined for `* as x`, a default or a side-effect import. */
  readonly values: readonly string[] | undefined;
}

/** The text without its block comments and whole-line comments (which name paths freely). */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

/** Every static import, `export ... from` and dynamic import() in a file's text. */
export function importsOf(text: string): ImportStatement[] {
  const out: ImportStatement[] = [];
  const code = withoutComments(text);
  for (const m of code.matchAll(/\b(import|export)\s+(type\s+)?([\w*{}\s,$]*?)\s*from\s*['"]([^'"]+)['"]/g)) {
    const clause = m[3]!.trim();
    const braces = /^\{([^}]*)\}$/.exec(clause);
    const values = braces ? braces[1]!.split(',').map((s) => s.trim()).filter((s) => s !== '' && !s.startsWith('type ')).map((s) => s.split(/\s+as\s+/)[0]!) : undefined;
    out.push({ spec: m[4]!, typeOnly: m[2] !== undefined, values });
  }
  for (const m of code.matchAll(/\bimport\s*['"]([^'"]+)['"]/g)) out.push({ spec: m[1]!, typeOnly: false, values: undefined });
  for (const m of code.matchAll(/\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push({ spec: m[1]!, typeOnly: false, values: undefined });
  return out;
}

function partOf(path: string): string {
  return path.split('/')[1]!;
}

function isFace(target: string): boolean {
  const segs = target.split('/');
  if (segs[segs.length - 1] !== 'index.ts') return false;
  return segs.length === 3 || (segs.length === 4 && segs[1] === 'kernel');
}

/** `files`: path relative to the repository (src/...) -> text. */
export function checkImports(files: ReadonlyMap<string, string>): Violation[] {
  const found: Violation[] = [];
  for (const [file, text] of files) {
    const part = partOf(file);
    for (const imp of importsOf(text)) {
      if (imp.spec.startsWith('.')) {
        const target = posix.normalize(posix.join(posix.dirname(file), imp.spec));
        if (!target.startsWith('src/')) continue;
        const to = partOf(target);
        if (to === part) continue;
        if (to === 'daemon' && part !== 'cli') found.push({ file, rule: 'daemon', detail: `imports ${target}: only src/cli may import src/daemon` });
        else if (to === 'cli') found.push({ file, rule: 'cli', detail: `imports ${target}: nothing outside src/cli imports it` });
        else if (!isFace(target)) found.push({ file, rule: 'face', detail: `imports ${target} past the face of src/${to}` });
        continue;
      }
      if (part === 'kernel' || imp.typeOnly) continue;
      const mod = imp.spec.replace(/^node:/, '');
      if (KERNEL_MODULES.has(mod)) found.push({ file, rule: 'kernel', detail: `imports ${imp.spec}: only src/kernel opens sockets or spawns programs` });
      else if (mod === 'net' && (imp.values === undefined || imp.values.some((n) => !PURE_NET.has(n)))) {
        found.push({ file, rule: 'kernel', detail: `imports ${imp.values?.join(', ') ?? '*'} from ${imp.spec}: only src/kernel opens sockets` });
      }
    }
    if (part !== 'kernel') {
      for (const m of withoutComments(text).matchAll(/['"`](\/(?:proc|sys)\/[^'"`]*)/g)) found.push({ file, rule: 'kernel', detail: `names ${m[1]}: only src/kernel reads /proc and /sys` });
    }
  }
  return found;
}
