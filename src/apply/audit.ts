// The audit log: one JSON line per transaction event (who, what, result) on /data, so an
// operator can tell who changed the box and when. Bounded: past `maxBytes` the file is rotated
// (audit.log -> audit.log.1 -> ... up to `keep` old files), so a busy or hostile client cannot
// fill /data.
export interface AuditRecord {
  readonly at: string;
  readonly who: string;
  readonly event: 'apply' | 'confirm' | 'revert' | 'abort' | 'rollback' | 'refused';
  readonly transaction?: number;
  readonly summary: string;
  readonly result: string;
}

export interface AuditFiles {
  size(path: string): number;
  append(path: string, text: string): void;
  /** Renames when `from` exists; nothing otherwise. */
  rename(from: string, to: string): void;
  remove(path: string): void;
}

export interface AuditLimits {
  readonly maxBytes: number;
  readonly keep: number;
}

export const AUDIT_LIMITS: AuditLimits = { maxBytes: 256 * 1024, keep: 3 };

/** One line; control characters in what a client sent are escaped by JSON, newlines included. */
export function auditLine(record: AuditRecord): string {
  return JSON.stringify(record) + '\n';
}

export function appendAudit(files: AuditFiles, path: string, record: AuditRecord, limits: AuditLimits = AUDIT_LIMITS): void {
  const line = auditLine(record);
  if (files.size(path) + line.length > limits.maxBytes) {
    files.remove(`${path}.${limits.keep}`);
    for (let i = limits.keep - 1; i >= 1; i--) files.rename(`${path}.${i}`, `${path}.${i + 1}`);
    files.rename(path, `${path}.1`);
  }
  files.append(path, line);
}
