// Config loading: bytes -> text -> JSON (with positions) -> schema (fills defaults) ->
// semantic checks. Every problem found at a stage is reported, in file order; a later stage
// runs only when the earlier ones found nothing, so errors never cascade from one mistake.
// Boot uses the precompiled standalone validator; nothing here compiles a schema.
import { validate } from './generated/validate.js';
import type { Config } from './generated/config.ts';
import type { ConfigError, ConfigWarning } from './errors.ts';
import { describeFound } from './describe.ts';
import { inFileOrder, parseDocument } from './document.ts';
import { parseJson } from './json-parse.ts';
import { decodeConfigBytes, readConfigBytes } from './read.ts';
import { schemaErrors } from './schema-errors.ts';
import { checkSemantics } from './semantic/index.ts';
import { MIGRATIONS, migrateDocument, type ConfigDocument, type Migration } from './migrate.ts';

export const CONFIG_VERSION = 1;

export type LoadResult =
  | { readonly ok: true; readonly config: Config; readonly warnings?: readonly ConfigWarning[] }
  | { readonly ok: false; readonly errors: readonly ConfigError[] };

export function loadConfigFile(path: string): LoadResult {
  const read = readConfigBytes(path);
  if (!read.ok) return { ok: false, errors: [read.error] };
  return loadConfigBytes(read.bytes);
}

export function loadConfigBytes(bytes: Uint8Array): LoadResult {
  const decoded = decodeConfigBytes(bytes);
  if (!decoded.ok) return { ok: false, errors: [decoded.error] };
  return loadConfigText(decoded.text);
}

export function loadConfigText(text: string, migrations: readonly Migration[] = MIGRATIONS): LoadResult {
  const parsed = parseDocument(text);
  if (!parsed.ok) return { ok: false, errors: parsed.errors };
  let { locate } = parsed;
  const errors: ConfigError[] = [...parsed.duplicates];

  let value = parsed.value;
  const version = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as { version?: unknown }).version : undefined;
  const migrated: ConfigWarning[] = [];
  if (typeof version === 'number' && Number.isInteger(version) && version < CONFIG_VERSION && errors.length === 0) {
    // An older format: migrate, then check the result as if it had been written that way. Its
    // errors cannot point into the file as written (the migrated document has no positions).
    const m = migrateDocument(value as ConfigDocument, CONFIG_VERSION, migrations);
    if (m.ok) {
      value = m.doc;
      locate = () => undefined;
      for (const step of m.steps) migrated.push({ pointer: '/version', message: `migrated: ${step}` });
    }
  }
  const now = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as { version?: unknown }).version : undefined;
  if (typeof now === 'number' && now !== CONFIG_VERSION) {
    // A file for another format version: its other errors would only be noise.
    errors.push({
      kind: 'schema',
      pointer: '/version',
      expected: `${CONFIG_VERSION} (the config format version this stockade reads)`,
      found: describeFound(now),
      hint: Number.isInteger(now) && now > CONFIG_VERSION ? 'the file was written for a newer stockade' : `set "version": ${CONFIG_VERSION}`,
      ...(locate('/version', 'value') ?? {}),
    });
    return { ok: false, errors: inFileOrder(errors) };
  }

  const writtenMigrated = migrated.length > 0 ? structuredClone(value) : undefined;
  if (!validate(value)) errors.push(...schemaErrors(validate.errors ?? [], value, locate));
  if (errors.length > 0) return { ok: false, errors: inFileOrder(errors) };

  const config = value as Config;
  // ajv filled in defaults in place; errors quote the file as written, so re-read it if needed.
  const written = (): unknown => {
    if (writtenMigrated !== undefined) return writtenMigrated;
    const again = parseJson(text);
    return again.ok ? again.document.value : undefined;
  };
  const warned: ConfigWarning[] = [...migrated];
  const semantic = checkSemantics(config, written, warned).map((e) => ({ ...e, ...(locate(e.pointer, 'value') ?? {}) }));
  if (semantic.length > 0) return { ok: false, errors: inFileOrder(semantic) };
  const warnings = warned.map((w) => ({ ...w, ...(locate(w.pointer, 'value') ?? locate(w.pointer, 'key') ?? {}) }));
  return { ok: true, config, ...(warnings.length > 0 ? { warnings } : {}) };
}
