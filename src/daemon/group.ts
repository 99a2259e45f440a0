// The control socket's group (management.control_group): a numeric id as is, a name looked up in
// /etc/group (busybox's image has one; there is no NSS to ask).
import { readFileSync } from 'node:fs';

export const GROUP_FILE = '/etc/group';

/** The gid, or an error message naming what was looked for and where. */
export function resolveGroup(nameOrId: string, groupFile = GROUP_FILE): { gid: number } | { error: string } {
  if (/^[0-9]+$/.test(nameOrId)) return { gid: Number(nameOrId) };
  let text: string;
  try {
    text = readFileSync(groupFile, 'utf8');
  } catch (e) {
    return { error: `group '${nameOrId}': ${groupFile} not readable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` };
  }
  for (const line of text.split('\n')) {
    const [name, , gid] = line.split(':');
    if (name === nameOrId && gid !== undefined && /^[0-9]+$/.test(gid)) return { gid: Number(gid) };
  }
  return { error: `group '${nameOrId}' not found in ${groupFile}` };
}
