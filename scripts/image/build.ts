// scripts/build-image --board NAME: the appliance disk image dist/images/<board>/stockade-<board>.img
// (see README.md, "The appliance image"). Steps: the board, the packages (apt for the board's arch,
// private state), the root filesystem, the initramfs, the slot image, the ESP with GRUB, the data
// partition, the disk. Everything is made under .cache/image/work/ and the output directory is
// renamed into place at the end, so a failed build leaves no half image.
//
//   --board NAME|DIR   a board under board/, or a directory holding board.json + config.json
//   --out DIR          output directory (default dist/images/<board>)
//   --sources FILE     apt sources to use instead of the host's Debian sources
//   --if-stale         do nothing when the image is newer than everything it is built from
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { loadBoard } from '../../src/config/board.ts';
import type { Board } from '../../src/config/board.ts';
import { loadConfigFile } from '../../src/config/load.ts';
import { formatConfigError } from '../../src/config/errors.ts';
import { DEBIAN_SUITE, fetchDebs, openApt, resolveAlone, resolveWithDependencies, unpack, updateLists } from './apt.ts';
import type { Package } from './apt.ts';
import { treeEntries, writeCpio } from './cpio.ts';
import { makeData, makeEsp, makeSquashfs, writeDisk } from './disk.ts';
import { GRUB_PREFIX, GRUB_TARGET, INITIAL_ENV, grubConfig, mkimage, writeEnv } from './grub.ts';
import { parseBuiltin, parseModulesDep, selectModules } from './modules.ts';
import { checkSharedLibraries, installKernel, linkApplets, linkIptables, mergeUsr, overlay, pruneDocs, shIpvsadmScripts } from './rootfs.ts';
import { BuildError, run } from './run.ts';
import { staleReason } from './stale.ts';
import { withLock } from './lock.ts';

const root = resolve(import.meta.dirname, '..', '..');
const cacheDir = join(root, '.cache', 'image');

/** What the root filesystem is made of, with their dependencies (libc6, libgcc-s1, ... follow). */
// libatomic1 and the three after it: what the Node runtime in stockade links against.
// iproute2: the full `ip` (ip -batch, for the netsetup bench and people at the console; the product
// itself speaks rtnetlink). Its files win over busybox's applets of the same name (linkApplets).
// ipvsadm: for admins and as the image tests' oracle (the product programs IPVS over netlink).
// dropbear-bin: the SSH server on the management interfaces (OpenWrt's choice: small) and
// dropbearkey for its host key; no init scripts (init runs it, rootfs/usr/lib/stockade/sshd).
// dnsmasq-base: DHCP of managed_novlan segments (several subnets on one interface, which busybox
// udhcpd cannot serve); the daemon runs it, no init scripts.
const ROOTFS_PACKAGES = ['busybox-static', 'iptables', 'iproute2', 'ipvsadm', 'dropbear-bin', 'dnsmasq-base', 'libatomic1', 'libc6', 'libstdc++6', 'libgcc-s1'];
/** Loaded by the initramfs before it mounts the slot (the ones a board's kernel lacks are skipped). */
const INITRAMFS_MODULES = [
  'virtio_pci', 'virtio_mmio', 'virtio_blk', 'virtio_scsi', 'sd_mod', 'ahci', 'nvme',
  'crc32c_intel', 'crc32c_generic', 'squashfs', 'ext4',
];
/**
 * Modules copied in when the kernel has them, loaded by nothing at boot: virtio_console for the
 * image tests' shell port (rootfs/usr/lib/stockade/test-shell), which only a test VM has.
 */
const OPTIONAL_MODULES = ['virtio_console'];
const STEPS = 9;

const started = Date.now();
let step = 0;
function progress(what: string): void {
  step++;
  process.stderr.write(`build-image: [${step}/${STEPS}] ${what} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
}
function note(what: string): void {
  process.stderr.write(`build-image:        ${what}\n`);
}

interface BoardInput {
  board: Board;
  dir: string;
}

function boardNames(): string[] {
  const dir = join(root, 'board');
  return readdirSync(dir).filter((n) => existsSync(join(dir, n, 'board.json'))).sort();
}

function readBoard(arg: string): BoardInput {
  const isPath = arg.includes('/');
  const dir = isPath ? resolve(arg) : join(root, 'board', arg);
  if (!existsSync(join(dir, 'board.json'))) {
    throw new BuildError(isPath ? `${dir}: no board.json there` : `unknown board '${arg}' (boards: ${boardNames().join(', ')})`);
  }
  const board = loadBoard(join(dir, 'board.json'));
  if (!isPath && board.name !== arg) throw new BuildError(`board/${arg}/board.json: /name is '${board.name}', expected '${arg}' (the folder's name)`);
  const configFile = join(dir, 'config.json');
  if (!existsSync(configFile)) throw new BuildError(`${configFile}: missing (the board's default config)`);
  const cfg = loadConfigFile(configFile);
  if (!cfg.ok) throw new BuildError(`board default config ${formatConfigError(configFile, cfg.errors[0]!)}`);
  const labels = new Set(board.ports.map((p) => p.label));
  const ports = ((cfg.config as { interfaces?: { ports?: Array<{ name: string }> } }).interfaces?.ports ?? []);
  ports.forEach((p, i) => {
    if (!labels.has(p.name)) {
      throw new BuildError(`${configFile}: /interfaces/ports/${i}/name is '${p.name}', not a port of board ${board.name} (ports: ${[...labels].join(', ')})`);
    }
  });
  return { board, dir };
}

/** argv that runs a program built for `arch` here (directly, or under qemu-user). */
function runnerFor(arch: string, libRoot?: string): string[] {
  if (arch === process.arch) return [];
  const qemu = arch === 'arm64' ? 'qemu-aarch64-static' : 'qemu-x86_64-static';
  const lib = libRoot ?? (arch === 'arm64' ? '/usr/aarch64-linux-gnu' : '/');
  return [qemu, '-L', lib];
}

function sha256(path: string): Promise<string> {
  return new Promise((res, rej) => {
    const h = createHash('sha256');
    createReadStream(path).on('data', (d) => h.update(d)).on('error', rej).on('end', () => res(h.digest('hex')));
  });
}

interface StockadeInfo {
  version_line: string;
  version: string;
  commit: string;
  built: string;
  sha256: string;
  addon_sha256: string;
}

/**
 * Copies dist/<arch>/stockade and its addon into `dir` first and describes the copies, so that the
 * image holds exactly the executable its manifest names even if dist/ is rebuilt meanwhile.
 */
async function snapshotStockade(arch: string, dir: string): Promise<{ info: StockadeInfo; exe: string; addon: string; serialAddon: string }> {
  const srcExe = join(root, 'dist', arch, 'stockade');
  const srcAddon = join(root, 'dist', arch, 'stockade.node');
  // The serialport package's addon (stockade console), loaded from beside the executable.
  const srcSerial = join(root, 'dist', arch, 'serialport.node');
  for (const f of [srcExe, srcAddon, srcSerial]) if (!existsSync(f)) throw new BuildError(`${f} is missing (npm run build -- --arch ${arch})`);
  mkdirSync(dir, { recursive: true });
  const exe = join(dir, 'stockade');
  const addon = join(dir, 'stockade.node');
  const serialAddon = join(dir, 'serialport.node');
  cpSync(srcExe, exe);
  cpSync(srcAddon, addon);
  cpSync(srcSerial, serialAddon);
  const line = (await run([...runnerFor(arch), exe, '--version'], { env: { STOCKADE_NATIVE: addon } })).trim();
  const m = /^stockade (\S+) \(commit (\S+), built (\S+)\)$/.exec(line);
  if (!m) throw new BuildError(`${srcExe} --version printed '${line}'`);
  return { info: { version_line: line, version: m[1]!, commit: m[2]!, built: m[3]!, sha256: await sha256(exe), addon_sha256: await sha256(addon) }, exe, addon, serialAddon };
}

async function buildInitramfs(kernelDir: string, version: string, busybox: string, work: string): Promise<Buffer> {
  const dir = join(work, 'initramfs');
  const src = join(kernelDir, 'lib/modules', version);
  const deps = parseModulesDep(readFileSync(join(src, 'modules.dep'), 'utf8'));
  const sel = selectModules(INITRAMFS_MODULES, deps, parseBuiltin(readFileSync(join(src, 'modules.builtin'), 'utf8')));
  const dst = join(dir, 'lib/modules', version);
  mkdirSync(dst, { recursive: true });
  for (const f of sel.files) cpSync(join(src, f), join(dst, f));
  for (const f of ['modules.builtin', 'modules.order']) cpSync(join(src, f), join(dst, f));
  await run(['depmod', '-b', dir, version]);
  mkdirSync(join(dir, 'bin'), { recursive: true });
  mkdirSync(join(dir, 'etc'), { recursive: true });
  cpSync(busybox, join(dir, 'bin/busybox'));
  const present = INITRAMFS_MODULES.filter((m) => !sel.unknown.includes(m));
  writeFileSync(join(dir, 'etc/initramfs-modules'), present.join('\n') + '\n');
  cpSync(join(import.meta.dirname, 'initramfs-init.sh'), join(dir, 'init'));
  chmodSync(join(dir, 'init'), 0o755);
  const entries = [
    { type: 'dir' as const, path: 'dev', mode: 0o755 },
    { type: 'chardev' as const, path: 'dev/console', mode: 0o600, major: 5, minor: 1 },
    ...treeEntries(dir),
  ];
  return gzipSync(writeCpio(entries), { level: 9 });
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { board: { type: 'string' }, out: { type: 'string' }, sources: { type: 'string' }, 'if-stale': { type: 'boolean' } },
  });
  if (!values.board) {
    process.stderr.write(`usage: scripts/build-image --board NAME [--out DIR] [--sources FILE] [--if-stale]   (boards: ${boardNames().join(', ')})\n`);
    return 2;
  }
  progress(`board ${values.board}`);
  const { board, dir: boardDir } = readBoard(values.board);
  const outDir = resolve(values.out ?? join(root, 'dist', 'images', board.name));
  const imageName = `stockade-${board.name}.img`;
  if (values['if-stale'] && !values.out) {
    const why = staleReason(root, board.name, board.arch, boardDir);
    if (!why) {
      process.stderr.write(`build-image: ${join(outDir, imageName)} is up to date\n`);
      return 0;
    }
    note(`rebuilding: the image is ${why}`);
  }
  mkdirSync(join(cacheDir, 'work'), { recursive: true });
  const work = join(cacheDir, 'work', `${board.name}-${process.pid}`);
  const tmpOut = join(outDir, '..', `.${basename(outDir)}.tmp-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const cleanup = () => {
    rmSync(work, { recursive: true, force: true });
    rmSync(tmpOut, { recursive: true, force: true });
  };
  process.on('SIGINT', () => { cleanup(); process.exit(130); });
  process.on('SIGTERM', () => { cleanup(); process.exit(143); });
  try {
    const { info: stockade, exe: stockadeExe, addon: stockadeAddon, serialAddon } = await snapshotStockade(board.arch, join(work, 'stockade'));
    note(stockade.version_line);
    progress(`package lists (${board.debian_arch}, Debian ${DEBIAN_SUITE})`);
    const apt = openApt(cacheDir, board.debian_arch, values.sources);
    await updateLists(apt, note);

    progress('packages');
    const grub = GRUB_TARGET[board.debian_arch]!;
    const rootfsWanted = await resolveWithDependencies(apt, ROOTFS_PACKAGES);
    const kernelWanted = await resolveAlone(apt, board.kernel_package, /^linux-image-\d/);
    const grubWanted = await resolveAlone(apt, grub.package);
    const debs = await fetchDebs(apt, [...rootfsWanted, kernelWanted, grubWanted], note);
    const find = (name: string) => debs.find((d) => d.name === name)!;
    note(`${rootfsWanted.length} packages for the root filesystem, ${kernelWanted.name} ${kernelWanted.version}, ${grubWanted.name} ${grubWanted.version}`);

    progress('root filesystem');
    const stage = join(work, 'rootfs');
    for (const p of rootfsWanted) await unpack(find(p.name).deb, stage);
    const kernelDir = join(work, 'kernel');
    await unpack(find(kernelWanted.name).deb, kernelDir);
    const grubDir = join(work, 'grub');
    await unpack(find(grubWanted.name).deb, grubDir);
    mergeUsr(stage);
    pruneDocs(stage);
    const busybox = join(stage, 'usr/bin/busybox');
    const applets = (await run([...runnerFor(board.arch, '/'), busybox, '--list-full'])).split('\n').filter(Boolean);
    const linked = linkApplets(stage, applets);
    linkIptables(stage);
    shIpvsadmScripts(stage);
    const kernel = await installKernel(kernelDir, stage, [
      ...board.modules.map((name, i) => ({ name, from: `board.json /modules/${i}` })),
    ], [...INITRAMFS_MODULES, ...OPTIONAL_MODULES]);
    note(`kernel ${kernel.version}: ${kernel.moduleFiles} module files (board's ${board.modules.length} + dependencies + storage)${kernel.builtin.length ? `; built in: ${kernel.builtin.join(', ')}` : ''}; ${linked} busybox applets`);
    const lib = join(stage, 'usr/lib/stockade');
    mkdirSync(lib, { recursive: true });
    renameSync(stockadeExe, join(lib, 'stockade'));
    renameSync(stockadeAddon, join(lib, 'stockade.node'));
    renameSync(serialAddon, join(lib, 'serialport.node'));
    symlinkSync('../lib/stockade/stockade', join(stage, 'usr/bin/stockade'));
    const libs = await checkSharedLibraries(stage);
    note(`shared libraries: ${libs.checked} programs and libraries checked, every one finds what it links against`);
    overlay(join(root, 'rootfs'), stage, { CONSOLE: board.console.device, BAUD: String(board.console.baud) });
    const share = join(stage, 'usr/share/stockade');
    mkdirSync(share, { recursive: true });
    cpSync(join(boardDir, 'board.json'), join(share, 'board.json'));
    cpSync(join(boardDir, 'config.json'), join(share, 'default-config.json'));
    writeFileSync(join(stage, 'usr/lib/os-release'), [
      'NAME=Stockade', `VERSION="${stockade.version} (${stockade.commit})"`, 'ID=stockade', `VERSION_ID=${stockade.version}`,
      `PRETTY_NAME="Stockade ${stockade.version}"`, `STOCKADE_BOARD=${board.name}`, '',
    ].join('\n'));
    symlinkSync('../usr/lib/os-release', join(stage, 'etc/os-release'));

    progress('initramfs');
    const initrd = await buildInitramfs(kernelDir, kernel.version, busybox, work);
    writeFileSync(join(stage, 'boot/initrd.img'), initrd);
    note(`initrd.img ${(initrd.length / 1024).toFixed(0)} KiB`);

    const packages = (list: Array<{ name: string }>, part: string) => list.map((p) => {
      const d: Package = find(p.name);
      return { name: d.name, version: d.version, arch: d.arch, sha256: d.sha256, size: d.size, part };
    });
    const manifest = {
      format: 1,
      board: board.name,
      arch: board.arch,
      debian_arch: board.debian_arch,
      built: new Date(started).toISOString(),
      stockade,
      kernel: { package: kernelWanted.name, version: kernel.version, modules: board.modules },
      debian: { suite: DEBIAN_SUITE, mirrors: [...new Set(apt.sources.flatMap((s) => s.uris))] },
      packages: [...packages(rootfsWanted, 'root'), ...packages([kernelWanted], 'root'), ...packages([grubWanted], 'esp')],
      partitions: [
        { number: 1, name: 'esp', size_mb: board.partitions.esp_mb, content: 'FAT: GRUB EFI, grub.cfg, grubenv' },
        { number: 2, name: 'root-a', size_mb: board.partitions.root_mb, content: 'squashfs: slot A' },
        { number: 3, name: 'root-b', size_mb: board.partitions.root_mb, content: 'squashfs: slot B' },
        { number: 4, name: 'data', size_mb: board.partitions.data_mb, content: 'ext4: /data' },
      ],
    };
    writeFileSync(join(share, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');

    progress('slot image (squashfs)');
    const squash = join(work, 'root.squashfs');
    await makeSquashfs(stage, squash, Math.floor(Date.parse(stockade.built) / 1000) || 0);
    note(`root.squashfs ${(statSync(squash).size / 1048576).toFixed(1)} MiB (slot ${board.partitions.root_mb} MiB)`);

    progress('EFI system partition (GRUB)');
    const efi = join(work, grub.efiName);
    await mkimage(join(grubDir, 'usr/lib/grub', grub.platform), board.debian_arch, efi);
    const cfg = join(work, 'grub.cfg');
    writeFileSync(cfg, grubConfig(`console=${board.console.device},${board.console.baud} panic=10`));
    const env = join(work, 'grubenv');
    await writeEnv(env, INITIAL_ENV);
    const esp = join(work, 'esp.img');
    await makeEsp(esp, board.partitions.esp_mb, { [`/EFI/BOOT/${grub.efiName}`]: efi, [`${GRUB_PREFIX}/grub.cfg`]: cfg, [`${GRUB_PREFIX}/grubenv`]: env }, board.name);

    progress('data partition');
    const skel = join(work, 'data-skeleton');
    mkdirSync(join(skel, 'keys'), { recursive: true, mode: 0o700 });
    chmodSync(join(skel, 'keys'), 0o700);
    mkdirSync(join(skel, 'log'), { recursive: true });
    const data = join(work, 'data.img');
    await makeData(data, board.partitions.data_mb, skel, board.name);

    progress('disk image');
    rmSync(tmpOut, { recursive: true, force: true });
    mkdirSync(tmpOut, { recursive: true });
    const img = join(tmpOut, imageName);
    await writeDisk(img, [
      { name: 'esp', type: 'EF00', sizeMiB: board.partitions.esp_mb, content: esp },
      { name: 'root-a', type: '8300', sizeMiB: board.partitions.root_mb, content: squash },
      { name: 'root-b', type: '8300', sizeMiB: board.partitions.root_mb, content: squash },
      { name: 'data', type: '8300', sizeMiB: board.partitions.data_mb, content: data },
    ], board.name);
    writeFileSync(join(tmpOut, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    // Stamped with the build's start: an input changed while this ran makes the image stale.
    utimesSync(img, started / 1000, started / 1000);

    await withLock(`${outDir}.lock`, async () => {
      const old = join(outDir, '..', `.${basename(outDir)}.old-${process.pid}`);
      if (existsSync(outDir)) renameSync(outDir, old);
      renameSync(tmpOut, outDir);
      rmSync(old, { recursive: true, force: true });
    });
    const size = statSync(join(outDir, imageName)).size;
    process.stderr.write(`build-image: ${join(outDir, imageName)} (${(size / 1048576).toFixed(0)} MiB) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    return 0;
  } finally {
    cleanup();
  }
}

main().then((code) => { process.exitCode = code; }, (e: unknown) => {
  const err = e as Error;
  const isUser = err instanceof BuildError || err.name === 'BoardFileError' || err.name === 'UserError';
  process.stderr.write(`build-image: error: ${isUser ? err.message : err.stack ?? String(err)}\n`);
  process.stderr.write('build-image: no image written\n');
  process.exitCode = isUser ? 2 : 1;
});
