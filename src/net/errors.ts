// Kernel refusals in words for people: the kernel's own explanation (extended ack) when it gave
// one, else the errno's text, with the errno name for searching.
import { getSystemErrorMessage } from 'node:util';
import { isSystemError } from '../kernel/index.ts';
import { NetlinkError } from '../kernel/netlink/index.ts';

export function describeKernelError(e: unknown): string {
  if (e instanceof NetlinkError) {
    const text = e.kernelMessage !== undefined && e.kernelMessage !== '' ? e.kernelMessage : errnoText(e.errno);
    return `${text} (${e.code})`;
  }
  if (isSystemError(e)) return e.message;
  return e instanceof Error ? e.message : String(e);
}

function errnoText(errno: number): string {
  try {
    return getSystemErrorMessage(errno);
  } catch {
    return `error ${errno}`;
  }
}

/** The errno name of a kernel refusal ('EBUSY'), if it is one. */
export function kernelCode(e: unknown): string | undefined {
  return isSystemError(e) || e instanceof NetlinkError ? (e as { code: string }).code : undefined;
}
