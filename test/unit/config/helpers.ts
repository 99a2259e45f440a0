// Shared by the config tests: fixtures, loading a value as a file would hold it, capturing CLI
// output. (Not a test file: uvu only runs *.test.ts.)
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ConfigError } from '../../../src/config/errors.ts';
import type { Config } from '../../../src/config/generated/config.ts';
import { loadConfigText, type LoadResult } from '../../../src/config/load.ts';
export { capture } from '../../capture-io.ts';

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

/** The HA fixture (changed by `mutate`) loaded as a config; throws naming the errors if it is invalid. */
export function fixtureConfig(mutate: (c: any) => void = () => undefined): Config {
  const c = fixture();
  mutate(c);
  const r = load(c);
  if (!r.ok) throw new Error(`fixture invalid: ${JSON.stringify(r.errors)}`);
  return r.config;
}

export function errorsOf(value: unknown): readonly ConfigError[] {
  const result = load(value);
  return result.ok ? [] : result.errors;
}

export function describeErrors(errors: readonly ConfigError[]): string {
  return errors.map((e) => `${e.pointer}: expected ${e.expected}; found ${e.found}${e.hint ? ` (hint: ${e.hint})` : ''}`).join('\n');
}


/** A semantic check as a table row: a failing mutation of the HA fixture and a passing one near it. */
export interface SemanticCase {
  readonly name: string;
  readonly bad: (c: any) => void;
  readonly pointer: string;
  readonly expected: RegExp;
  readonly hint?: RegExp;
  /** A nearby valid config; when absent the unchanged fixture is the passing case. */
  readonly good?: (c: any) => void;
}

/** Two tests per case: the error (pointer, expected, hint, found, position), and the valid twin. */
export function semanticCases(register: (name: string, fn: () => void) => void, cases: readonly SemanticCase[]): void {
  for (const k of cases) {
    register(`${k.name}: fails`, () => {
      const c = fixture();
      k.bad(c);
      const errors = errorsOf(c);
      const e = errors.find((x) => x.pointer === k.pointer);
      if (!e) throw new Error(`no error at ${k.pointer}; got:\n${describeErrors(errors) || '(valid)'}`);
      if (!k.expected.test(e.expected)) throw new Error(`expected text '${e.expected}' does not match ${k.expected}`);
      if (k.hint && !k.hint.test(e.hint ?? '')) throw new Error(`hint '${e.hint ?? ''}' does not match ${k.hint}`);
      if (e.found.length === 0) throw new Error('no value found reported');
      if (e.line === undefined || e.column === undefined) throw new Error('no position reported');
    });
    register(`${k.name}: passes`, () => {
      const c = fixture();
      k.good?.(c);
      const errors = errorsOf(c);
      if (errors.length !== 0) throw new Error(`expected valid; got:\n${describeErrors(errors)}`);
    });
  }
}

/**
 * CLI output for an 80-column console with its wrapped lines joined again (a continuation line
 * starts with spaces), after checking that no line reaches column 80.
 */
export function unwrapped(text: string): string {
  const long = text.split('\n').filter((l) => l.length > 79);
  if (long.length > 0) throw new Error(`lines past column 79:\n${long.join('\n')}`);
  return text.replace(/\n +/g, ' ');
}
