// System errors as the addon and the netlink layer raise them: shaped like Node's own
// (code = errno name, errno = negative number, syscall), so callers test `err.code`.
import { getSystemErrorName } from 'node:util';

export interface SystemError extends Error {
  code: string;
  errno: number;
  syscall: string;
}

export function isSystemError(e: unknown, code?: string): e is SystemError {
  if (!(e instanceof Error)) return false;
  const c = (e as Partial<SystemError>).code;
  return typeof c === 'string' && (code === undefined || c === code);
}

/** errno name for an errno number of either sign ('ENODEV' for 19), as Node (libuv) names it,
 * so codes match the addon's; `E<n>` if libuv has no name for it. */
export function errnoName(errno: number): string {
  const n = Math.abs(errno);
  if (n === 0) return 'OK';
  const name = getSystemErrorName(-n);
  return name.startsWith('E') ? name : `E${n}`;
}

/** A system error built in TypeScript (timeouts, kernel error codes in netlink replies). */
export function systemError(errno: number, syscall: string, message: string): SystemError {
  const code = errnoName(errno);
  const err = new Error(`${syscall} ${code}: ${message}`) as SystemError;
  err.code = code;
  err.errno = -Math.abs(errno);
  err.syscall = syscall;
  return err;
}
