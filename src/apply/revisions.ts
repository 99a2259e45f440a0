// Saved configs and their history on /data. The confirmed config is /data/config.json (what boot
// and the daemon read); every confirmed config is also kept as a numbered revision beside it,
// config-revisions/<n>.json (the exact text) and <n>.meta.json (who, when, what), so `config
// history`, `config diff` and `config rollback N` have something to show. The newest
// `revisions_kept` + 1 revisions stay (the current one and the earlier ones); older ones go.
// Order of writes on confirm: the revision files first, then config.json, each durable
// (temp, fsync, rename, fsync dir): a power cut leaves either the old or the new config.json,
// never a torn one, and at worst one revision nobody points at yet.
import { join } from 'node:path';

export interface RevisionMeta {
  readonly revision: number;
  readonly who: string;
  /** ISO 8601, UTC. */
  readonly at: string;
  readonly summary: string;
}

/** The file operations the store needs (src/kernel/durable-file.ts; a map in tests). */
export interface RevisionFiles {
  list(dir: string): string[];
  read(path: string): string | undefined;
  /** Durable replace: temp file, fsync, rename, fsync of the directory. */
  write(path: string, text: string): void;
  remove(path: string): void;
}

export const REVISION_DIR = 'config-revisions';
const NAME = /^([0-9]{1,9})\.json$/;

export class RevisionStore {
  readonly #files: RevisionFiles;
  readonly #configPath: string;
  readonly #dir: string;

  constructor(files: RevisionFiles, configPath: string) {
    this.#files = files;
    this.#configPath = configPath;
    this.#dir = join(configPath, '..', REVISION_DIR);
  }

  /** Revision numbers on disk, oldest first. */
  numbers(): number[] {
    return this.#files.list(this.#dir).flatMap((n) => { const m = NAME.exec(n); return m ? [Number(m[1])] : []; }).sort((a, b) => a - b);
  }

  history(): RevisionMeta[] {
    return this.numbers().map((n) => this.meta(n) ?? { revision: n, who: 'unknown', at: 'unknown', summary: '(no record)' });
  }

  meta(n: number): RevisionMeta | undefined {
    const text = this.#files.read(join(this.#dir, `${n}.meta.json`));
    if (text === undefined) return undefined;
    try {
      const v = JSON.parse(text) as Partial<RevisionMeta>;
      return { revision: n, who: String(v.who ?? 'unknown'), at: String(v.at ?? 'unknown'), summary: String(v.summary ?? '') };
    } catch {
      return undefined;
    }
  }

  text(n: number): string | undefined {
    return this.#files.read(join(this.#dir, `${n}.json`));
  }

  /** The confirmed config's text, or undefined when the box has none saved. */
  current(): string | undefined {
    return this.#files.read(this.#configPath);
  }

  /** Saves `text` as the confirmed config: a new revision, then config.json; prunes to `kept` earlier ones. */
  persist(text: string, who: string, summary: string, wall: Date, kept: number): RevisionMeta {
    const numbers = this.numbers();
    const revision = (numbers.at(-1) ?? 0) + 1;
    const meta: RevisionMeta = { revision, who, at: wall.toISOString(), summary };
    this.#files.write(join(this.#dir, `${revision}.json`), text);
    this.#files.write(join(this.#dir, `${revision}.meta.json`), JSON.stringify(meta) + '\n');
    this.#files.write(this.#configPath, text);
    for (const old of [...numbers, revision].slice(0, Math.max(0, numbers.length + 1 - (kept + 1)))) {
      this.#files.remove(join(this.#dir, `${old}.json`));
      this.#files.remove(join(this.#dir, `${old}.meta.json`));
    }
    return meta;
  }
}
