// Debian packages for the board's architecture, through apt with private state: its own lists,
// an empty dpkg status (so nothing counts as installed), its own copy of the sources and a .deb
// cache under .cache/image/. The host's apt configuration (architectures, lists, status, cache)
// is never touched; its apt.conf.d still applies, so a proxy or mirror setting there is honoured.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BuildError, run, runRaw, tail } from './run.ts';
import { debianSourcesFor, mirrorsOf, parseDeb822, parseOneLine, toDeb822 } from './sources.ts';
import type { Source } from './sources.ts';
import { withLock } from './lock.ts';

/** The Debian release every image is built from (Linux 6.1, busybox 1.35, iptables 1.8.9). */
export const DEBIAN_SUITE = 'bookworm';
/** Package lists younger than this are used without asking the mirror again. */
const LISTS_MAX_AGE_MS = 60 * 60_000;

export interface Package {
  name: string;
  version: string;
  arch: string;
  /** Path of the cached .deb. */
  deb: string;
  sha256: string;
  size: number;
}

export interface Apt {
  arch: string;
  sources: Source[];
  /** The lists, status and sources of this arch + sources combination. */
  stateDir: string;
  debDir: string;
  options: string[];
}

/** Reads the host's apt sources (or `sourcesFile`) and makes the private apt state for debianArch. */
export function openApt(cacheDir: string, debianArch: string, sourcesFile?: string): Apt {
  const sources = sourcesFile ? readSourcesFile(sourcesFile) : hostDebianSources();
  if (sources.length === 0) {
    throw new BuildError(sourcesFile
      ? `${sourcesFile}: no 'deb' sources with a 'main' component`
      : `no Debian sources for this release in /etc/apt/sources.list{,.d} (the image takes its packages from the host's Debian mirror)`);
  }
  const text = toDeb822(sources);
  const key = createHash('sha256').update(text).digest('hex').slice(0, 10);
  const stateDir = join(cacheDir, 'apt', `${debianArch}-${key}`);
  const debDir = join(cacheDir, 'debs');
  for (const d of [join(stateDir, 'lists', 'partial'), join(stateDir, 'sources.list.d'), join(stateDir, 'preferences.d'), join(stateDir, 'cache'), join(debDir, 'partial')]) {
    mkdirSync(d, { recursive: true });
  }
  writeFileSync(join(stateDir, 'sources.list.d', 'debian.sources'), text);
  writeFileSync(join(stateDir, 'sources.list'), '');
  if (!existsSync(join(stateDir, 'status'))) writeFileSync(join(stateDir, 'status'), '');
  const options = [
    '-q',
    '-o', `APT::Architecture=${debianArch}`,
    '-o', `APT::Architectures::=${debianArch}`,
    '-o', `Dir::State=${stateDir}`,
    '-o', `Dir::State::Lists=${join(stateDir, 'lists')}`,
    '-o', `Dir::State::status=${join(stateDir, 'status')}`,
    '-o', `Dir::Cache=${join(stateDir, 'cache')}`,
    '-o', `Dir::Cache::archives=${debDir}`,
    '-o', `Dir::Etc::SourceList=${join(stateDir, 'sources.list')}`,
    '-o', `Dir::Etc::SourceParts=${join(stateDir, 'sources.list.d')}`,
    // The host's pins are about the host's packages, not the image's.
    '-o', `Dir::Etc::Preferences=${join(stateDir, 'preferences')}`,
    '-o', `Dir::Etc::PreferencesParts=${join(stateDir, 'preferences.d')}`,
    // Our own lock (lock.ts) serialises builds; apt's would need root-owned paths.
    '-o', 'Debug::NoLocking=1',
    '-o', 'Acquire::Retries=1',
    '-o', 'Acquire::http::Timeout=30',
    '-o', 'APT::Install-Recommends=false',
    ...(process.getuid?.() === 0 ? ['-o', 'APT::Sandbox::User=root'] : []),
  ];
  return { arch: debianArch, sources, stateDir, debDir, options };
}

function readSourcesFile(file: string): Source[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new BuildError(`--sources ${file}: ${(e as Error).message}`);
  }
  const parsed = /^\s*deb\s/m.test(text) ? parseOneLine(text, file) : parseDeb822(text, file);
  return parsed.filter((s) => s.components.includes('main')).map((s) => ({ ...s, components: ['main'] }));
}

function hostDebianSources(): Source[] {
  const codename = /^VERSION_CODENAME=(.*)$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1]?.replace(/"/g, '');
  if (!codename) throw new BuildError('/etc/os-release has no VERSION_CODENAME (the image build runs on Debian)');
  const all: Source[] = [];
  const list = '/etc/apt/sources.list';
  if (existsSync(list)) all.push(...parseOneLine(readFileSync(list, 'utf8'), list));
  const dir = '/etc/apt/sources.list.d';
  if (existsSync(dir)) {
    for (const f of readdirSync(dir).sort()) {
      const p = join(dir, f);
      if (f.endsWith('.list')) all.push(...parseOneLine(readFileSync(p, 'utf8'), p));
      else if (f.endsWith('.sources')) all.push(...parseDeb822(readFileSync(p, 'utf8'), p));
    }
  }
  return debianSourcesFor(all, codename, DEBIAN_SUITE);
}

function listsAgeMs(apt: Apt): number | undefined {
  const dir = join(apt.stateDir, 'lists');
  const lists = readdirSync(dir).filter((f) => f.endsWith('Release'));
  if (lists.length === 0) return undefined;
  return Date.now() - Math.min(...lists.map((f) => statSync(join(dir, f)).mtimeMs));
}

/**
 * Fresh package lists for the arch: fetched when older than an hour. When the mirror cannot be
 * reached but lists from an earlier build exist, they are used (said on stderr): an offline rebuild
 * works as long as every .deb it needs is cached.
 */
export async function updateLists(apt: Apt, log: (s: string) => void): Promise<void> {
  await withLock(join(apt.stateDir, 'lock'), async () => {
    const age = listsAgeMs(apt);
    if (age !== undefined && age < LISTS_MAX_AGE_MS) return;
    log(`package lists for ${apt.arch} from ${mirrorsOf(apt.sources)}`);
    const r = await runRaw(['apt-get', ...apt.options, 'update'], { timeoutMs: 300_000 });
    const failed = r.code !== 0 || /^(E|W): (Failed to fetch|Some index files failed)/m.test(r.stderr);
    if (!failed) return;
    if (age !== undefined) {
      log(`warning: package mirror not reachable (${mirrorsOf(apt.sources)}); using the lists from ${Math.round(age / 60_000)} min ago`);
      return;
    }
    throw new BuildError(`no reachable package mirror: ${mirrorsOf(apt.sources)} (from ${[...new Set(apt.sources.map((s) => s.from))].join(', ')})\n${tail(r.stderr, 6)}`);
  });
}

function missingPackageError(apt: Apt, stderr: string): BuildError | undefined {
  const names = [...stderr.matchAll(/^E: (?:Unable to locate package|Package '?)([^ ']+)'?(?: has no installation candidate)?/gm)].map((m) => m[1]);
  const versioned = [...stderr.matchAll(/^E: (?:Version|Release) '([^']+)' for '([^']+)' was not found/gm)].map((m) => `${m[2]}=${m[1]}`);
  const all = [...new Set([...names, ...versioned])];
  if (all.length === 0) return undefined;
  return new BuildError(`package${all.length > 1 ? 's' : ''} not available for ${apt.arch} in ${DEBIAN_SUITE} (${mirrorsOf(apt.sources)}): ${all.join(', ')}`);
}

/** The packages and versions apt would install for `names` on an empty system (with dependencies). */
export async function resolveWithDependencies(apt: Apt, names: string[]): Promise<Array<{ name: string; version: string; arch: string }>> {
  const r = await runRaw(['apt-get', ...apt.options, 'install', '--simulate', ...names]);
  if (r.code !== 0) {
    throw missingPackageError(apt, r.stderr) ?? new BuildError(`apt cannot resolve ${names.join(' ')} for ${apt.arch}:\n${tail(r.stderr || r.stdout)}`);
  }
  const out: Array<{ name: string; version: string; arch: string }> = [];
  for (const m of r.stdout.matchAll(/^Inst (\S+) \((\S+) [^[]*\[(\S+)\]\)/gm)) {
    out.push({ name: m[1]!, version: m[2]!, arch: m[3]! });
  }
  return out;
}

/** The candidate version of one package, without its dependencies; follows a kernel meta package. */
export async function resolveAlone(apt: Apt, name: string, follow?: RegExp): Promise<{ name: string; version: string; arch: string }> {
  const r = await runRaw(['apt-cache', ...apt.options, 'show', '--no-all-versions', name]);
  if (r.code !== 0 || !/^Package: /m.test(r.stdout)) {
    throw missingPackageError(apt, r.stderr.replace(/^E: No packages found.*$/m, `E: Unable to locate package ${name}`))
      ?? new BuildError(`package not available for ${apt.arch} in ${DEBIAN_SUITE} (${mirrorsOf(apt.sources)}): ${name}`);
  }
  const field = (k: string) => new RegExp(`^${k}: (.*)$`, 'm').exec(r.stdout)?.[1]?.trim() ?? '';
  if (follow) {
    const dep = field('Depends').split(',').map((d) => d.trim().split(/\s/)[0]!).find((d) => follow.test(d));
    if (dep && dep !== name) return resolveAlone(apt, dep);
  }
  return { name: field('Package'), version: field('Version'), arch: field('Architecture') };
}

function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path).on('data', (d) => h.update(d)).on('error', reject).on('end', () => resolve(h.digest('hex')));
  });
}

/** Downloads (or finds in the cache) exactly these versions, each checked against the mirror's sha256. */
export async function fetchDebs(apt: Apt, wanted: Array<{ name: string; version: string; arch: string }>, log: (s: string) => void): Promise<Package[]> {
  const specs = wanted.map((p) => `${p.name}:${p.arch}=${p.version}`);
  const uris = await runRaw(['apt-get', ...apt.options, '--print-uris', 'download', ...specs]);
  if (uris.code !== 0) throw missingPackageError(apt, uris.stderr) ?? new BuildError(`apt-get download --print-uris failed:\n${tail(uris.stderr)}`);
  const info = new Map<string, { file: string; size: number; sha256: string }>();
  for (const m of uris.stdout.matchAll(/^'[^']+' (\S+) (\d+) SHA256:([0-9a-f]{64})$/gm)) {
    info.set(m[1]!, { file: m[1]!, size: Number(m[2]), sha256: m[3]! });
  }
  const byName = (p: { name: string; version: string; arch: string }) =>
    [...info.values()].find((i) => i.file.startsWith(`${p.name}_`) && i.file.endsWith(`_${p.arch}.deb`) && decodeURIComponent(i.file.split('_')[1]!) === p.version);
  const result: Package[] = [];
  const toFetch: string[] = [];
  return withLock(join(apt.debDir, 'lock'), async () => {
    for (const p of wanted) {
      const i = byName(p);
      if (!i) throw new BuildError(`apt did not give a download for ${p.name} ${p.version} (${p.arch})`);
      const path = join(apt.debDir, i.file);
      if (!existsSync(path) || statSync(path).size !== i.size || (await sha256File(path)) !== i.sha256) toFetch.push(`${p.name}:${p.arch}=${p.version}`);
    }
    if (toFetch.length > 0) {
      log(`downloading ${toFetch.length} package${toFetch.length > 1 ? 's' : ''} for ${apt.arch}: ${toFetch.map((s) => s.split(':')[0]).join(' ')}`);
      const r = await runRaw(['apt-get', ...apt.options, 'download', ...toFetch], { cwd: apt.debDir, timeoutMs: 900_000 });
      if (r.code !== 0) {
        throw missingPackageError(apt, r.stderr)
          ?? new BuildError(`could not download from ${mirrorsOf(apt.sources)} (no reachable package mirror?):\n${tail(r.stderr)}`);
      }
    }
    for (const p of wanted) {
      const i = byName(p)!;
      const path = join(apt.debDir, i.file);
      const sha = await sha256File(path);
      if (sha !== i.sha256) throw new BuildError(`${path}: sha256 ${sha} does not match the mirror's ${i.sha256}`);
      result.push({ ...p, deb: path, sha256: sha, size: i.size });
    }
    return result;
  });
}

/** Unpacks a .deb into dir (dpkg-deb -x: files only, no maintainer scripts). */
export async function unpack(deb: string, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await run(['dpkg-deb', '-x', deb, dir]);
}
