// Shared by the config tests: fixtures, loading a value as a file would hold it, capturing CLI
// output. (Not a test file: uvu only runs *.test.ts.)
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Io } from '../../../src/cli/command.ts';
import type { ConfigError } from '../../../src/config/errors.ts';
import { loadConfigText, type LoadResult } from '../../../src/config/load.ts';

export const fixtureDir = fileURLToPath(new URL('../../fixtures/config/', import.meta.url));

export function fixturePath(name: string): string {
  return fixtureDir + name;
}

/** A fresh copy of a fixture as a plain object, to mutate. */
export function fixture(name = 'ha-node-a.json'): any {
  return JSON.parse(readFileSync(fixturePath(name), 'utf8'));
}

export function load(value: unknown): LoadResult {
  return loadConfigText(JSON.stringify(value, null, 2));
}

export function errorsOf(value: unknown): readonly ConfigError[] {
  const result = load(value);
  return result.ok ? [] : result.errors;
}

export function describeErrors(errors: readonly ConfigError[]): string {
  return errors.map((e) => `${e.pointer}: expected ${e.expected}; found ${e.found}${e.hint ? ` (hint: ${e.hint})` : ''}`).join('\n');
}

export function capture(): Io & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    out(t: string) {
      io.stdout += t;
    },
    err(t: string) {
      io.stderr += t;
    },
  };
  return io;
}
