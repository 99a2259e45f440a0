// The root filesystem of a slot, staged in a directory: Debian packages unpacked (never installed:
// no maintainer scripts run), /usr merged, busybox's applet links, iptables on its nft backend,
// the kernel with only the board's modules (and what they depend on), stockade, rootfs/ and the
// board's files. The slot image is made from this directory (squashfs.ts).
import { chmodSync, closeSync, cpSync, openSync, readSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { BuildError, run } from './run.ts';
import { parseBuiltin, parseModulesDep, selectModules } from './modules.ts';

/** Directories that Debian packages still ship outside /usr; merged into /usr as Debian 12 does. */
const MERGED = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'];

/** Moves bin, sbin, lib* into usr/ and leaves symlinks in their place. */
export function mergeUsr(stage: string): void {
  mkdirSync(join(stage, 'usr'), { recursive: true });
  for (const d of MERGED) {
    const top = join(stage, d);
    const inUsr = join(stage, 'usr', d);
    if (existsSync(top) && !lstatSync(top).isSymbolicLink()) {
      moveInto(top, inUsr);
      rmSync(top, { recursive: true, force: true });
    }
    if (existsSync(inUsr) && !existsSync(top)) symlinkSync(`usr/${d}`, top);
  }
}

function moveInto(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from)) {
    const src = join(from, name);
    const dst = join(to, name);
    const st = lstatSync(src);
    if (st.isDirectory() && existsSync(dst) && lstatSync(dst).isDirectory()) moveInto(src, dst);
    else {
      rmSync(dst, { recursive: true, force: true });
      renameSync(src, dst);
    }
  }
}

/** What nothing on the appliance reads; copyright files are kept. */
export function pruneDocs(stage: string): void {
  for (const d of ['usr/share/man', 'usr/share/info', 'usr/share/locale', 'usr/share/lintian', 'usr/share/bug', 'usr/share/gcc', 'usr/share/gdb', 'usr/share/bash-completion', 'usr/share/zsh', 'usr/share/menu']) {
    rmSync(join(stage, d), { recursive: true, force: true });
  }
  const doc = join(stage, 'usr/share/doc');
  if (existsSync(doc)) {
    for (const pkg of readdirSync(doc)) {
      const dir = join(doc, pkg);
      if (!lstatSync(dir).isDirectory()) continue;
      for (const f of readdirSync(dir)) if (f !== 'copyright') rmSync(join(dir, f), { recursive: true, force: true });
    }
  }
  // glibc's iconv modules: Node brings its own ICU, busybox is static, iptables needs none.
  for (const lib of ['usr/lib']) {
    const dir = join(stage, lib);
    if (!existsSync(dir)) continue;
    for (const triplet of readdirSync(dir)) rmSync(join(dir, triplet, 'gconv'), { recursive: true, force: true });
  }
  // The kernel package's boot files are placed by installKernel.
  rmSync(join(stage, 'boot'), { recursive: true, force: true });
}

/**
 * Applet links for busybox (its --list-full paths, mapped into /usr), never over a real file, and
 * never for a name a package has in the other bin directory: busybox's /sbin/ip would come first
 * in PATH (/usr/sbin before /usr/bin) and shadow iproute2's /usr/bin/ip.
 */
export function linkApplets(stage: string, appletPaths: string[]): number {
  let n = 0;
  for (const p of appletPaths) {
    const rel = p.replace(/^\/+/, '').replace(/^(bin|sbin)\//, 'usr/$1/');
    if (!/^usr\/s?bin\/[^/]+$/.test(rel)) continue;
    const link = join(stage, rel);
    if (existsSync(link) || lstatExists(link)) continue;
    const name = rel.replace(/^usr\/s?bin\//, '');
    if (['usr/bin', 'usr/sbin'].some((d) => lstatExists(join(stage, d, name)))) continue;
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(relative(dirname(link), join(stage, 'usr/bin/busybox')), link);
    n++;
  }
  return n;
}

function lstatExists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** What Debian's iptables postinst does with update-alternatives, with the nft backend chosen. */
export function linkIptables(stage: string): void {
  const sbin = join(stage, 'usr/sbin');
  for (const family of ['iptables', 'ip6tables', 'arptables', 'ebtables']) {
    for (const suffix of ['', '-restore', '-save']) {
      const link = join(sbin, family + suffix);
      const target = `${family}-nft${suffix}`;
      if (!existsSync(join(sbin, target))) continue;
      rmSync(link, { force: true });
      symlinkSync(target, link);
    }
  }
  // A bash script (no bash here) for interactive use on a workstation.
  rmSync(join(sbin, 'iptables-apply'), { force: true });
  rmSync(join(sbin, 'ip6tables-apply'), { force: true });
}

/**
 * ipvsadm-save and ipvsadm-restore are #!/bin/bash scripts written in plain POSIX sh (no bash
 * here): run by busybox sh instead, as admins expect them to work.
 */
export function shIpvsadmScripts(stage: string): void {
  for (const name of ['ipvsadm-save', 'ipvsadm-restore']) {
    const file = join(stage, 'usr/sbin', name);
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    if (text.startsWith('#!/bin/bash\n')) writeFileSync(file, `#!/bin/sh\n${text.slice('#!/bin/bash\n'.length)}`, { mode: 0o755 });
  }
}

export interface KernelInfo {
  version: string;
  /** Module names that were asked for but are built into the kernel. */
  builtin: string[];
  moduleFiles: number;
}

/**
 * From an unpacked kernel package: /boot/vmlinuz into the stage, and the modules `wanted` plus
 * their dependencies into its /usr/lib/modules/<version>, then `depmod -b`. Names that are neither
 * a module nor built in are an error naming where they came from.
 */
export async function installKernel(kernelDir: string, stage: string, wanted: Array<{ name: string; from: string }>, optional: string[]): Promise<KernelInfo> {
  const modRoot = join(kernelDir, 'lib/modules');
  const versions = existsSync(modRoot) ? readdirSync(modRoot) : [];
  if (versions.length !== 1) throw new BuildError(`the kernel package has ${versions.length} module trees (expected one): ${versions.join(', ')}`);
  const version = versions[0]!;
  const src = join(modRoot, version);
  if (!existsSync(join(src, 'modules.dep'))) await run(['depmod', '-b', kernelDir, version]);
  const deps = parseModulesDep(readFileSync(join(src, 'modules.dep'), 'utf8'));
  const builtin = parseBuiltin(readFileSync(join(src, 'modules.builtin'), 'utf8'));
  const sel = selectModules(wanted.map((w) => w.name), deps, builtin);
  if (sel.unknown.length > 0) {
    const where = sel.unknown.map((u) => `${u} (${wanted.find((w) => w.name === u)!.from})`);
    throw new BuildError(`kernel ${version} has no module ${where.join(', ')}`);
  }
  const opt = selectModules(optional, deps, builtin);
  const files = [...new Set([...sel.files, ...opt.files])];
  const dst = join(stage, 'usr/lib/modules', version);
  mkdirSync(dst, { recursive: true });
  for (const f of files) cpSync(join(src, f), join(dst, f));
  for (const f of ['modules.builtin', 'modules.builtin.modinfo', 'modules.order']) {
    if (existsSync(join(src, f))) cpSync(join(src, f), join(dst, f));
  }
  await run(['depmod', '-b', stage, version]);
  const boot = join(stage, 'boot');
  mkdirSync(boot, { recursive: true });
  cpSync(join(kernelDir, 'boot', `vmlinuz-${version}`), join(boot, 'vmlinuz'));
  writeFileSync(join(boot, 'kernel-version'), version + '\n');
  return { version, builtin: sel.builtin, moduleFiles: files.length };
}

/** Copies a tree (rootfs/) into the stage; `*.in` files are templates filled from `vars`. */
export function overlay(from: string, stage: string, vars: Record<string, string>): void {
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort()) {
      const src = join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(src);
      if ((rel === '' && name === 'README.md') || name === '.keep') continue;
      if (st.isDirectory()) {
        mkdirSync(join(stage, r), { recursive: true });
        walk(src, r);
      } else if (name.endsWith('.in')) {
        const out = join(stage, r.slice(0, -3));
        let text = readFileSync(src, 'utf8');
        text = text.replace(/@([A-Z_]+)@/g, (m, k: string) => {
          if (!(k in vars)) throw new BuildError(`rootfs/${r}: unknown placeholder ${m}`);
          return vars[k]!;
        });
        rmSync(out, { force: true });
        writeFileSync(out, text);
        chmodSync(out, st.mode & 0o7777);
      } else {
        const out = join(stage, r);
        rmSync(out, { force: true, recursive: true });
        if (st.isSymbolicLink()) symlinkSync(readlinkSync(src), out);
        else cpSync(src, out);
      }
    }
  };
  walk(from, '');
}

/**
 * Every ELF program and library in the places that matter (stockade, the sbin and bin programs,
 * the libraries and iptables' extensions) must find each library it links against (DT_NEEDED) in
 * the stage's library directories: a missing one would otherwise show only at boot.
 */
export async function checkSharedLibraries(stage: string): Promise<{ checked: number }> {
  const libDirs = ['usr/lib', 'usr/lib64'].map((d) => join(stage, d)).filter(existsSync);
  for (const d of [...libDirs]) {
    for (const sub of readdirSync(d)) if (/-linux-gnu$/.test(sub)) libDirs.push(join(d, sub));
  }
  const available = new Set<string>();
  for (const d of libDirs) for (const f of readdirSync(d)) available.add(f);
  const candidates: string[] = [];
  const addFiles = (dir: string, filter: (name: string) => boolean) => {
    if (!existsSync(dir)) return;
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      const st = lstatSync(p);
      if (st.isFile() && filter(f)) candidates.push(p);
    }
  };
  addFiles(join(stage, 'usr/lib/stockade'), () => true);
  addFiles(join(stage, 'usr/sbin'), () => true);
  addFiles(join(stage, 'usr/bin'), () => true);
  for (const d of libDirs) {
    addFiles(d, (f) => /\.so(\.|$)/.test(f));
    addFiles(join(d, 'xtables'), (f) => f.endsWith('.so'));
  }
  const elf = candidates.filter((p) => {
    const fd = openSync(p, 'r');
    const b = Buffer.alloc(4);
    try {
      readSync(fd, b, 0, 4, 0);
    } finally {
      closeSync(fd);
    }
    return b.toString('latin1') === '\x7fELF';
  });
  const missing: string[] = [];
  for (let i = 0; i < elf.length; i += 200) {
    const batch = elf.slice(i, i + 200);
    const out = await run(['readelf', '--wide', '--dynamic', ...batch]);
    let file = batch.length === 1 ? batch[0]! : '';
    for (const line of out.split('\n')) {
      const f = /^File: (.*)$/.exec(line);
      if (f) file = f[1]!;
      const m = /\(NEEDED\)\s+Shared library: \[(.+)\]/.exec(line);
      if (m && !available.has(m[1]!)) missing.push(`${relative(stage, file)} needs ${m[1]}`);
    }
  }
  if (missing.length > 0) throw new BuildError(`libraries missing from the image (add their Debian package):\n  ${missing.join('\n  ')}`);
  return { checked: elf.length };
}
