// Config format versions: a file written for an older format is brought up to this build's
// version by a chain of migrations, one per version step, each a pure function of the parsed
// document. None is needed yet (the format is at version 1); the chain and its test exist so the
// first format change (and an upgrade that meets an older /data/config.json) has its place.
// A file newer than this build, or older with a gap in the chain, is refused.
export type ConfigDocument = Record<string, unknown>;

export interface Migration {
  readonly from: number;
  /** One line for the operator: what this step changes. */
  readonly describe: string;
  readonly migrate: (doc: ConfigDocument) => ConfigDocument;
}

/** The migrations this build knows, by the version they start from. */
export const MIGRATIONS: readonly Migration[] = [];

export type MigrateResult =
  | { readonly ok: true; readonly doc: ConfigDocument; readonly steps: readonly string[] }
  | { readonly ok: false; readonly error: string };

export function migrateDocument(doc: ConfigDocument, target: number, chain: readonly Migration[] = MIGRATIONS): MigrateResult {
  const from = doc['version'];
  if (typeof from !== 'number' || !Number.isInteger(from)) return { ok: false, error: 'the config has no integer "version"' };
  if (from > target) return { ok: false, error: `the config is format version ${from}, written for a newer stockade (this one reads ${target})` };
  let current = doc;
  const steps: string[] = [];
  for (let v = from; v < target; v++) {
    const step = chain.find((m) => m.from === v);
    if (step === undefined) return { ok: false, error: `no migration from config format version ${v} to ${v + 1} (this stockade reads ${target})` };
    current = { ...step.migrate(structuredClone(current)), version: v + 1 };
    steps.push(`version ${v} -> ${v + 1}: ${step.describe}`);
  }
  return { ok: true, doc: current, steps };
}
