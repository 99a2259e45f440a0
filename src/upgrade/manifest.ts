// The manifest: JSON, signed as the exact bytes in the bundle. Everything an installer decides
// on is here, before the first payload byte arrives (Mender/SWUpdate order): the board it is
// for, its version and security epoch, and a sha256 per fixed-size chunk of each part, so a bad
// chunk is found before it is written.
import { parseJson } from '../config/index.ts';
import { fail, type Result } from './errors.ts';
import { FORMAT_VERSION, MAX_CHUNK_SIZE, MAX_PART_SIZE, MAX_SECURITY_EPOCH, MIN_CHUNK_SIZE } from './format.ts';
import { isVersion } from './version.ts';

export interface ManifestPart {
  readonly name: string;
  readonly size: number;
  /** Hex sha256 of the whole part. */
  readonly sha256: string;
  /** Hex sha256 of each chunk_size piece of the part (the last one may be shorter). */
  readonly chunks: readonly string[];
}

export interface Manifest {
  readonly format: number;
  /** The board this bundle runs on (board.json /name). */
  readonly compatible: string;
  readonly version: string;
  /** Anti-rollback counter, independent of the version: never installed below the box's floor. */
  readonly security_epoch: number;
  readonly build: { readonly id: string; readonly date: string };
  readonly chunk_size: number;
  readonly parts: readonly ManifestPart[];
}

/** The bytes that get signed: stable key order, readable (`bundle info` prints it as is). */
export function encodeManifest(m: Manifest): Uint8Array {
  const ordered: Manifest = {
    format: m.format,
    compatible: m.compatible,
    version: m.version,
    security_epoch: m.security_epoch,
    build: { id: m.build.id, date: m.build.date },
    chunk_size: m.chunk_size,
    parts: m.parts.map((p) => ({ name: p.name, size: p.size, sha256: p.sha256, chunks: [...p.chunks] })),
  };
  return new TextEncoder().encode(JSON.stringify(ordered, null, 1) + '\n');
}

export function chunkCount(size: number, chunkSize: number): number {
  return Math.ceil(size / chunkSize);
}

const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const HEX64 = /^[0-9a-f]{64}$/;
const BUILD_ID = /^[0-9A-Za-z._+-]{1,64}$/;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown, min: number, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

function onlyKeys(o: Obj, keys: readonly string[], at: string): string | undefined {
  const extra = Object.keys(o).find((k) => !keys.includes(k));
  return extra === undefined ? undefined : `${at}: unknown key "${extra}" (keys: ${keys.join(', ')})`;
}

/** `offset`: where the manifest starts in the bundle, for errors. */
export function parseManifest(bytes: Uint8Array, offset = 0): Result<Manifest> {
  const bad = (message: string) => fail<Manifest>(`manifest ${message}`, { offset });
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return bad('is not UTF-8 text');
  }
  const parsed = parseJson(text);
  if (!parsed.ok) {
    const e = parsed.error;
    const at = offset + new TextEncoder().encode(text.slice(0, e.offset)).length;
    return fail(`manifest is not JSON: expected ${e.expected}, found ${e.found}`, { offset: at });
  }
  // Signed bytes mean what they say: a key given twice would be read one way here, another elsewhere.
  const dup = parsed.document.duplicates[0];
  if (dup) return fail(`manifest gives ${dup.pointer} twice`, { offset: offset + new TextEncoder().encode(text.slice(0, dup.offset)).length });
  const m = parsed.document.value;
  if (!isObj(m)) return bad('is not a JSON object');
  const extra = onlyKeys(m, ['format', 'compatible', 'version', 'security_epoch', 'build', 'chunk_size', 'parts'], '/');
  if (extra) return bad(extra);
  if (m.format !== FORMAT_VERSION) return bad(`/format is ${JSON.stringify(m.format)}, expected ${FORMAT_VERSION}`);
  if (typeof m.compatible !== 'string' || !NAME.test(m.compatible)) return bad(`/compatible is ${JSON.stringify(m.compatible)}, expected a board name`);
  if (typeof m.version !== 'string' || !isVersion(m.version)) return bad(`/version is ${JSON.stringify(m.version)}, expected a semver version like 1.2.3`);
  if (!isInt(m.security_epoch, 0, MAX_SECURITY_EPOCH)) return bad(`/security_epoch is ${JSON.stringify(m.security_epoch)}, expected an integer 0..${MAX_SECURITY_EPOCH}`);
  const build = m.build;
  if (!isObj(build)) return bad('/build is missing or not an object');
  const buildExtra = onlyKeys(build, ['id', 'date'], '/build');
  if (buildExtra) return bad(buildExtra);
  if (typeof build.id !== 'string' || !BUILD_ID.test(build.id)) return bad(`/build/id is ${JSON.stringify(build.id)}, expected 1-64 characters [0-9A-Za-z._+-]`);
  if (typeof build.date !== 'string' || build.date.length > 64 || Number.isNaN(Date.parse(build.date))) return bad(`/build/date is ${JSON.stringify(build.date)}, expected an ISO date`);
  const chunkSize = m.chunk_size;
  if (!isInt(chunkSize, MIN_CHUNK_SIZE, MAX_CHUNK_SIZE) || (chunkSize & (chunkSize - 1)) !== 0) {
    return bad(`/chunk_size is ${JSON.stringify(chunkSize)}, expected a power of two ${MIN_CHUNK_SIZE}..${MAX_CHUNK_SIZE}`);
  }
  if (!Array.isArray(m.parts) || m.parts.length === 0 || m.parts.length > 8) return bad('/parts must be a list of 1..8 parts');
  const parts: ManifestPart[] = [];
  const names = new Set<string>();
  for (const [i, p] of m.parts.entries()) {
    const at = `/parts/${i}`;
    if (!isObj(p)) return bad(`${at} is not an object`);
    const partExtra = onlyKeys(p, ['name', 'size', 'sha256', 'chunks'], at);
    if (partExtra) return bad(partExtra);
    if (typeof p.name !== 'string' || !NAME.test(p.name)) return bad(`${at}/name is ${JSON.stringify(p.name)}, expected a part name`);
    if (names.has(p.name)) return bad(`${at}/name "${p.name}" is already the name of another part`);
    names.add(p.name);
    if (!isInt(p.size, 1, MAX_PART_SIZE)) return bad(`${at}/size is ${JSON.stringify(p.size)}, expected an integer 1..${MAX_PART_SIZE}`);
    if (typeof p.sha256 !== 'string' || !HEX64.test(p.sha256)) return bad(`${at}/sha256 is not 64 lowercase hex digits`);
    const want = chunkCount(p.size, chunkSize);
    if (!Array.isArray(p.chunks) || p.chunks.length !== want) {
      return bad(`${at}/chunks has ${Array.isArray(p.chunks) ? p.chunks.length : 'no'} hashes, expected ${want} (size ${p.size} / chunk_size ${chunkSize})`);
    }
    const bc = p.chunks.findIndex((c) => typeof c !== 'string' || !HEX64.test(c));
    if (bc !== -1) return bad(`${at}/chunks/${bc} is not 64 lowercase hex digits`);
    parts.push({ name: p.name, size: p.size, sha256: p.sha256, chunks: p.chunks as string[] });
  }
  return {
    ok: true,
    value: {
      format: FORMAT_VERSION,
      compatible: m.compatible,
      version: m.version,
      security_epoch: m.security_epoch,
      build: { id: build.id, date: build.date },
      chunk_size: chunkSize,
      parts,
    },
  };
}

export function payloadLength(m: Manifest): number {
  return m.parts.reduce((sum, p) => sum + p.size, 0);
}
