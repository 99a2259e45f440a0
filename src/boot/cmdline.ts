// The kernel command line (/proc/cmdline): GRUB passes `stockade.slot=A|B`, the root slot it
// booted. Parsed like the kernel does: words split at spaces, double quotes group a value.

export type Slot = 'A' | 'B' | '?';

/** key -> value of each `key=value` word (a bare word maps to ""); the last one of a key wins. */
export function parseCmdline(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const words = text.trim().match(/(?:[^\s"]+|"[^"]*"?)+/g) ?? [];
  for (const word of words) {
    const unquoted = word.replace(/"/g, '');
    const eq = unquoted.indexOf('=');
    if (eq === -1) out.set(unquoted, '');
    else out.set(unquoted.slice(0, eq), unquoted.slice(eq + 1));
  }
  return out;
}

/** The booted slot, or '?' when the command line does not say (booted by hand, another loader). */
export function slotFromCmdline(text: string | undefined): Slot {
  if (text === undefined) return '?';
  const slot = parseCmdline(text).get('stockade.slot')?.toUpperCase();
  return slot === 'A' || slot === 'B' ? slot : '?';
}
