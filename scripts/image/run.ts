// Running the host tools the image build uses (apt-get, mksquashfs, sgdisk, mtools...): argv only,
// no shell, stderr kept so a failure says what the tool said.
import { spawn, spawnSync } from 'node:child_process';

/** A build failure meant for the user: one line (or a few), no stack. */
export class BuildError extends Error {
  override name = 'BuildError';
}

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** Written to stdin. */
  input?: string | Buffer;
  /** Kill after this long (default 10 min: the slowest step, a kernel download, is far below). */
  timeoutMs?: number;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs argv and returns its output whatever the exit status. */
export function runRaw(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: opts.cwd,
      env: opts.env ? { ...process.env, ...opts.env } : process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 600_000);
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(e.code === 'ENOENT' ? new BuildError(`'${argv[0]}' not found (scripts/setup-host installs the build's Debian packages)`) : e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code: code ?? 128 + (signal ? 9 : 0),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** Runs argv; a non-zero exit becomes a BuildError quoting the tool's last lines of stderr. */
export async function run(argv: string[], opts: RunOptions = {}): Promise<string> {
  const r = await runRaw(argv, opts);
  if (r.code !== 0) throw new BuildError(`\`${argv.join(' ')}\` failed (exit ${r.code}):\n${tail(r.stderr || r.stdout)}`);
  return r.stdout;
}

export function runSync(argv: string[]): RunResult {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  return { code: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

export function tail(text: string, lines = 12): string {
  return text.trimEnd().split('\n').slice(-lines).map((l) => `  ${l}`).join('\n');
}
