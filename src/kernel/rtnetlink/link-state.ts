// A link's state from its flags, the one reading every part shares: admin state (IFF_UP) and
// carrier (IFF_LOWER_UP, which netlink reports in ifi_flags; sysfs has it as its own file).
import { IFF_LOWER_UP, IFF_UP } from './constants.ts';

export type LinkState = 'up' | 'down' | 'no-carrier';

export function isAdminUp(flags: number): boolean {
  return (flags & IFF_UP) !== 0;
}

export function hasCarrier(flags: number): boolean {
  return (flags & IFF_LOWER_UP) !== 0;
}

/** Up means administratively up and with carrier; `carrier` defaults to the flags' IFF_LOWER_UP. */
export function linkState(flags: number, carrier: () => boolean = () => hasCarrier(flags)): LinkState {
  if (!isAdminUp(flags)) return 'down';
  return carrier() ? 'up' : 'no-carrier';
}
