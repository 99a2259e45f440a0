// The upgrade CLI tests' one way to run a stockade command in-process: exit code, stdout, stderr.
import { main } from '../../../src/cli/main.ts';

export async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}
