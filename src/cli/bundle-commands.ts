// `stockade bundle create|sign|verify|info|key`: making and checking signed upgrade bundles on
// the build host (the format: src/upgrade/format.ts). A subcommand of the product's own
// executable rather than a build-image step: it needs nothing but the executable (no apt, no
// mtools), so it runs on any build host, in CI, and on the box itself (`bundle verify`, `info`).
import { closeSync, createReadStream, fstatSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK, UserError, type Command, type Io } from './command.ts';
import { mib, parseOptions, readKeyFile, usageError } from './upgrade-args.ts';
import { buildInfo } from './build-info.ts';
import {
  BundleFault, DEFAULT_CHUNK_SIZE, FORMAT_VERSION, HEADER_LENGTH, MAX_CHUNK_SIZE, MIN_CHUNK_SIZE, ROOTFS_PART, StreamSource,
  bundlePrefix, describePart, encodeManifest, formatBundleError, inspectBundle, isVersion, partitionRange, readGptPartitions,
  signManifest, signatureKeyId, verifyStream, type Manifest, type PublicKey,
} from '../upgrade/index.ts';

const SQUASHFS_MAGIC = 'hsqs';
/** mksquashfs pads its output to 4 KiB; a slot holds that much. */
const SQUASHFS_PAD = 4096;

function readAt(fd: number, offset: number, length: number, what: string): Buffer {
  const out = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, out, done, length - done, offset + done);
    if (n === 0) throw new UserError(`${what}: ends at byte ${offset + done}, expected ${offset + length}`, EXIT_BAD_INPUT);
    done += n;
  }
  return out;
}

/** The squashfs's own length (superblock bytes_used, padded as mksquashfs pads), at `offset` in fd. */
function squashfsLength(fd: number, offset: number, room: number, what: string): number {
  const notSquashfs = `${what}: not a squashfs (a slot holds the root squashfs built by scripts/build-image)`;
  if (room < 96) throw new UserError(notSquashfs, EXIT_BAD_INPUT);
  const sb = readAt(fd, offset, 96, what);
  if (sb.toString('latin1', 0, 4) !== SQUASHFS_MAGIC) throw new UserError(notSquashfs, EXIT_BAD_INPUT);
  const used = Number(sb.readBigUInt64LE(40));
  const length = Math.ceil(used / SQUASHFS_PAD) * SQUASHFS_PAD;
  if (used === 0 || length > room) throw new UserError(`${what}: squashfs says it is ${used} bytes, it has ${room}`, EXIT_BAD_INPUT);
  return length;
}

/** Writes `out` through a temporary file renamed into place: a failed run leaves no half bundle. */
function writeAtomically(out: string, write: (fd: number) => void): void {
  const tmp = `${out}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o644);
  try {
    write(fd);
    closeSync(fd);
    renameSync(tmp, out);
  } catch (err) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    rmSync(tmp, { force: true });
    throw err;
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
}

function copyRange(from: number, offset: number, length: number, to: number): void {
  const buf = Buffer.alloc(Math.min(length, 1 << 20));
  for (let done = 0; done < length; ) {
    const n = readSync(from, buf, 0, Math.min(buf.length, length - done), offset + done);
    if (n === 0) throw new UserError(`input ends ${length - done} bytes early`);
    writeAll(to, buf.subarray(0, n));
    done += n;
  }
}

export const bundleCreateCommand: Command = {
  words: ['bundle', 'create'],
  usage: '--board B (--image IMG|--rootfs F) -o OUT [--key K] ...',
  summary: 'make an upgrade bundle (also --version, --epoch, --build-id, --date, --chunk-size)',
  run(args: readonly string[], io: Io): number {
    const { values, positionals } = parseOptions(bundleCreateCommand, args, {
      board: { type: 'string' }, rootfs: { type: 'string' }, image: { type: 'string' }, output: { type: 'string', short: 'o' },
      version: { type: 'string' }, epoch: { type: 'string' }, 'build-id': { type: 'string' }, date: { type: 'string' },
      'chunk-size': { type: 'string' }, key: { type: 'string' },
    });
    if (positionals.length > 0) throw usageError(bundleCreateCommand, `unexpected argument '${positionals[0]}'`);
    if (!values.board) throw usageError(bundleCreateCommand, '--board is required');
    if (!values.output) throw usageError(bundleCreateCommand, '-o OUT is required');
    if (!values.rootfs === !values.image) throw usageError(bundleCreateCommand, 'give one of --rootfs or --image');
    const version = values.version ?? buildInfo.version;
    if (!isVersion(version)) throw usageError(bundleCreateCommand, `--version ${JSON.stringify(version)} is not a semver version like 1.2.3`);
    const epoch = Number(values.epoch ?? '0');
    if (!Number.isInteger(epoch) || epoch < 0 || epoch > 2 ** 31 - 1) throw usageError(bundleCreateCommand, `--epoch ${values.epoch} is not an integer 0..${2 ** 31 - 1}`);
    const chunkSize = Number(values['chunk-size'] ?? DEFAULT_CHUNK_SIZE);
    if (!Number.isInteger(chunkSize) || chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE || (chunkSize & (chunkSize - 1)) !== 0) {
      throw usageError(bundleCreateCommand, `--chunk-size ${values['chunk-size']} is not a power of two ${MIN_CHUNK_SIZE}..${MAX_CHUNK_SIZE}`);
    }
    const key = values.key ? readKeyFile(values.key) : undefined;
    if (key && !key.private) throw new UserError(`${values.key}: a public key; signing needs the private key`, EXIT_BAD_INPUT);

    const input = (values.rootfs ?? values.image)!;
    let fd: number;
    try {
      fd = openSync(input, 'r');
    } catch (err) {
      throw new UserError(`${input}: cannot open (${(err as NodeJS.ErrnoException).code ?? String(err)})`, EXIT_BAD_INPUT);
    }
    try {
      let start = 0;
      let room = fstatSync(fd).size;
      let what = input;
      if (values.image) {
        const parts = readGptPartitions((o, l) => readAt(fd, o, l, input), input);
        const slotA = parts.find((p) => p.name === 'root-a');
        if (!slotA) throw new UserError(`${input}: no partition named root-a (not a Stockade disk image?)`, EXIT_BAD_INPUT);
        ({ offset: start, size: room } = partitionRange(slotA));
        what = `${input} partition root-a`;
      }
      const size = squashfsLength(fd, start, room, what);
      const part = describePart(ROOTFS_PART, size, chunkSize, (o, l) => readAt(fd, start + o, l, what));
      const manifest: Manifest = {
        format: FORMAT_VERSION,
        compatible: values.board,
        version,
        security_epoch: epoch,
        build: { id: values['build-id'] ?? buildInfo.commit, date: values.date ?? new Date().toISOString() },
        chunk_size: chunkSize,
        parts: [part],
      };
      const mbytes = encodeManifest(manifest);
      const sig = key?.private ? signManifest(mbytes, { private: key.private, public: key.public }) : new Uint8Array(0);
      writeAtomically(values.output, (out) => {
        writeAll(out, bundlePrefix(mbytes, sig, size));
        copyRange(fd, start, size, out);
      });
      io.out(`${values.output}: bundle for ${manifest.compatible} ${manifest.version} (epoch ${epoch}, build ${manifest.build.id}), ${ROOTFS_PART} ${mib(size)} in ${part.chunks.length} chunks, ${key ? `signed by ${key.public.id}` : 'unsigned (stockade bundle sign --key KEY)'}\n`);
      return EXIT_OK;
    } finally {
      closeSync(fd);
    }
  },
};

/** Header + manifest + signature of a bundle file, unverified. */
function readHead(file: string): { fd: number; inspected: ReturnType<typeof inspectBundle> } {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new UserError(`${file}: cannot open (${(err as NodeJS.ErrnoException).code ?? String(err)})`, EXIT_BAD_INPUT);
  }
  const size = fstatSync(fd).size;
  const head = Buffer.alloc(Math.min(size, HEADER_LENGTH));
  readSync(fd, head, 0, head.length, 0);
  let inspected = inspectBundle(head);
  if (!inspected.ok && head.length === HEADER_LENGTH) {
    const want = HEADER_LENGTH + head.readUInt32BE(20) + head.readUInt32BE(24);
    const all = Buffer.alloc(Math.min(size, want));
    readSync(fd, all, 0, all.length, 0);
    inspected = inspectBundle(all);
  }
  return { fd, inspected };
}

function refuse(file: string, err: unknown): UserError {
  if (err instanceof BundleFault) return new UserError(`${file}: ${err.message}`, EXIT_BAD_INPUT);
  throw err;
}

export const bundleSignCommand: Command = {
  words: ['bundle', 'sign'],
  usage: '--key KEY.pem BUNDLE [-o OUT]',
  summary: 'sign a bundle\'s manifest with an Ed25519 private key (replaces any signature)',
  run(args: readonly string[], io: Io): number {
    const { values, positionals } = parseOptions(bundleSignCommand, args, { key: { type: 'string' }, output: { type: 'string', short: 'o' } });
    if (!values.key || positionals.length !== 1) throw usageError(bundleSignCommand);
    const file = positionals[0]!;
    const key = readKeyFile(values.key);
    if (!key.private) throw new UserError(`${values.key}: a public key; signing needs the private key`, EXIT_BAD_INPUT);
    const { fd, inspected } = readHead(file);
    try {
      if (!inspected.ok) throw new UserError(`${file}: ${formatBundleError(inspected.error)}`, EXIT_BAD_INPUT);
      const { sections } = inspected.value;
      const sig = signManifest(sections.manifest, { private: key.private, public: key.public });
      const payload = sections.header.payloadLength;
      const size = fstatSync(fd).size;
      if (size !== sections.payloadOffset + payload) {
        throw new UserError(`${file}: ${size} bytes, the header says ${sections.payloadOffset + payload}: truncated or not one bundle`, EXIT_BAD_INPUT);
      }
      writeAtomically(values.output ?? file, (out) => {
        writeAll(out, bundlePrefix(sections.manifest, sig, payload));
        copyRange(fd, sections.payloadOffset, payload, out);
      });
    } finally {
      closeSync(fd);
    }
    io.out(`${values.output ?? file}: signed by key ${key.public.id}\n`);
    return EXIT_OK;
  },
};

export const bundleVerifyCommand: Command = {
  words: ['bundle', 'verify'],
  usage: '--key KEY [--key KEY2 ...] BUNDLE|-',
  summary: 'check a bundle\'s signature against the given keys and every chunk of its payload',
  async run(args: readonly string[], io: Io): Promise<number> {
    const { values, positionals } = parseOptions(bundleVerifyCommand, args, { key: { type: 'string', multiple: true } });
    if (!values.key?.length || positionals.length !== 1) throw usageError(bundleVerifyCommand);
    const trusted: PublicKey[] = values.key.map((k) => readKeyFile(k).public);
    const file = positionals[0]!;
    const stream = file === '-' ? process.stdin : createReadStream(file, { highWaterMark: 1 << 20 });
    try {
      const head = await verifyStream(new StreamSource(stream), trusted);
      const m = head.manifest;
      io.out(`${file}: good: signed by ${head.signer.name} (${head.signer.id}); ${m.compatible} ${m.version}, epoch ${m.security_epoch}; ${m.parts.map((p) => `${p.name} ${mib(p.size)} sha256 ${p.sha256}`).join('; ')}\n`);
      return EXIT_OK;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new UserError(`${file}: no such file`, EXIT_BAD_INPUT);
      throw refuse(file, err);
    } finally {
      stream.destroy();
    }
  },
};

export const bundleInfoCommand: Command = {
  words: ['bundle', 'info'],
  usage: 'BUNDLE [--json]',
  summary: 'show a bundle\'s manifest and signer (not verified: see bundle verify)',
  run(args: readonly string[], io: Io): number {
    const { values, positionals } = parseOptions(bundleInfoCommand, args, { json: { type: 'boolean' } });
    if (positionals.length !== 1) throw usageError(bundleInfoCommand);
    const file = positionals[0]!;
    const { fd, inspected } = readHead(file);
    const size = fstatSync(fd).size;
    closeSync(fd);
    if (!inspected.ok) {
      io.err(`stockade: ${file}: ${formatBundleError(inspected.error)}\n`);
      return EXIT_BAD_INPUT;
    }
    const { manifest: m, sections } = inspected.value;
    const signer = sections.signature.length > 0 ? signatureKeyId(sections.signature) : null;
    const complete = size === sections.payloadOffset + sections.header.payloadLength;
    if (values.json) {
      io.out(JSON.stringify({ file, manifest: m, signed_by: signer, payload_offset: sections.payloadOffset, file_size: size, complete }) + '\n');
      return complete ? EXIT_OK : EXIT_FAILURE;
    }
    const rows: Array<[string, string]> = [
      ['board', m.compatible],
      ['version', m.version],
      ['security epoch', String(m.security_epoch)],
      ['build', `${m.build.id}, ${m.build.date}`],
      ['signed by', signer === null ? 'nobody (unsigned)' : `key ${signer} (not verified)`],
      ...m.parts.map((p): [string, string] => [`part ${p.name}`, `${p.size} bytes (${mib(p.size)}), ${p.chunks.length} chunks of ${m.chunk_size}, sha256 ${p.sha256}`]),
      ['file', complete ? `${size} bytes` : `${size} bytes, the header says ${sections.payloadOffset + sections.header.payloadLength}: incomplete`],
    ];
    io.out(rows.map(([k, v]) => `${k.padEnd(15)} ${v}\n`).join(''));
    return complete ? EXIT_OK : EXIT_FAILURE;
  },
};

export const bundleKeyCommand: Command = {
  words: ['bundle', 'key'],
  usage: 'KEY.pem',
  summary: 'print a key\'s id and its upgrade.trusted_keys entry (the public half only)',
  run(args: readonly string[], io: Io): number {
    const { positionals } = parseOptions(bundleKeyCommand, args, {});
    if (positionals.length !== 1) throw usageError(bundleKeyCommand);
    const key = readKeyFile(positionals[0]!);
    io.out(`key id ${key.public.id}\n`);
    io.out(JSON.stringify({ name: 'release', ed25519_public_key: Buffer.from(key.public.raw).toString('base64') }) + '\n');
    return EXIT_OK;
  },
};

export const bundleCommands: readonly Command[] = [bundleCreateCommand, bundleSignCommand, bundleVerifyCommand, bundleInfoCommand, bundleKeyCommand];
