// Bundle errors: what is wrong and where (byte offset in the bundle, part, chunk), so a user can
// tell a cut download (truncated at an offset) from a tampered chunk or a wrong key.

export interface BundleError {
  readonly message: string;
  /** Byte offset in the bundle where the fault is. */
  readonly offset?: number;
  readonly part?: string;
  /** Chunk index within the part, from 0. */
  readonly chunk?: number;
}

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: BundleError };

export function fail<T>(message: string, where: Omit<BundleError, 'message'> = {}): Result<T> {
  return { ok: false, error: { message, ...where } };
}

/** "offset 1048624, part rootfs, chunk 1: sha256 differs ..." */
export function formatBundleError(error: BundleError): string {
  const where = [
    error.offset !== undefined ? `offset ${error.offset}` : undefined,
    error.part !== undefined ? `part ${error.part}` : undefined,
    error.chunk !== undefined ? `chunk ${error.chunk}` : undefined,
  ].filter(Boolean);
  return where.length > 0 ? `${where.join(', ')}: ${error.message}` : error.message;
}

/** An error thrown out of the streaming installer (the pure parsers return results instead). */
export class BundleFault extends Error {
  readonly detail: BundleError;
  constructor(detail: BundleError) {
    super(formatBundleError(detail));
    this.name = 'BundleFault';
    this.detail = detail;
  }
}
