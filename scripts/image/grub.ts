// GRUB EFI for the ESP: the EFI binary (grub-mkimage over the modules of Debian's
// grub-efi-<arch>-bin for the board's arch), its config and its environment block.
import { run } from './run.ts';
import { FRESH_ENV } from '../../src/upgrade/index.ts';

/** GRUB's platform and the removable-media file name UEFI firmware looks for, per Debian arch. */
export const GRUB_TARGET: Record<string, { platform: string; efiName: string; package: string }> = {
  amd64: { platform: 'x86_64-efi', efiName: 'BOOTX64.EFI', package: 'grub-efi-amd64-bin' },
  arm64: { platform: 'arm64-efi', efiName: 'BOOTAA64.EFI', package: 'grub-efi-arm64-bin' },
};

/** Built into the EFI binary: nothing is loaded from the ESP but the config and the environment. */
const GRUB_MODULES = [
  'part_gpt', 'fat', 'squash4', 'ext2', 'zstd', 'xzio', 'gzio', 'normal', 'configfile', 'loadenv',
  'test', 'echo', 'regexp', 'linux', 'sleep', 'reboot', 'halt', 'true', 'search', 'ls', 'cat',
];

/** Where the config and environment block live on the ESP; also GRUB's $prefix. */
export const GRUB_PREFIX = '/grub';

export async function mkimage(grubLibDir: string, debianArch: string, out: string): Promise<void> {
  const t = GRUB_TARGET[debianArch]!;
  await run(['grub-mkimage', '-O', t.platform, '-d', grubLibDir, '-p', GRUB_PREFIX, '-o', out, ...GRUB_MODULES]);
}

/** The initial environment block: boot A first, both slots complete, 3 tries each. */
export const INITIAL_ENV: Readonly<Record<string, string>> = FRESH_ENV;

export async function writeEnv(file: string, vars: Record<string, string>): Promise<void> {
  await run(['grub-editenv', file, 'create']);
  await run(['grub-editenv', file, 'set', ...Object.entries(vars).map(([k, v]) => `${k}=${v}`)]);
}

/** Partition numbers of the slots on the boot disk (the ESP is 1, data is 4). */
export const SLOT_PARTITION = { A: 2, B: 3 } as const;

/** grub.cfg for a board: `cmdline` is the kernel command line without the slot. */
export function grubConfig(cmdline: string): string {
  const entry = (slot: 'A' | 'B') => `menuentry "Stockade, slot ${slot}" --id ${slot} {
  echo "stockade: booting slot ${slot}"
  linux ($disk,gpt${SLOT_PARTITION[slot]})/boot/vmlinuz ${cmdline} stockade.slot=${slot}
  initrd ($disk,gpt${SLOT_PARTITION[slot]})/boot/initrd.img
}
`;
  const pick = (slot: 'A' | 'B') => `  if [ "$s" = ${slot} -a "$${slot}_OK" = 1 ]; then
    if [ "$${slot}_TRIES" = 3 ]; then slot=${slot}; ${slot}_TRIES=2
    elif [ "$${slot}_TRIES" = 2 ]; then slot=${slot}; ${slot}_TRIES=1
    elif [ "$${slot}_TRIES" = 1 ]; then slot=${slot}; ${slot}_TRIES=0
    fi
  fi
`;
  return `# Stockade's GRUB config, on the ESP at ${GRUB_PREFIX}/grub.cfg (written by scripts/build-image).
#
# The root slot is chosen from the environment block ${GRUB_PREFIX}/grubenv (grub-editenv format),
# in the manner of RAUC's GRUB integration, with a boot counter per slot:
#   ORDER             the slots by preference, e.g. "A B"; an upgrade that installed B writes "B A"
#   A_OK, B_OK        1: the slot holds a complete system; 0: skip it (an installer sets 0 before it
#                     writes the slot and 1 when the slot is complete)
#   A_TRIES, B_TRIES  boots left for the slot: 3, 2, 1 or 0. Each boot of a slot takes one, and
#                     the booted system gives them back (sets 3) once it is up (mark-good), so a slot
#                     that fails to come up is tried 3 times, then the next slot in ORDER boots.
# The first slot in ORDER that is OK and has tries left boots. When none has, every OK slot gets
# its tries back and the first OK slot in ORDER boots: trying again beats not booting at all.
# A failed boot comes back here: a kernel that GRUB cannot load falls back to the other OK slot at
# once; a kernel panic reboots (panic=10); an initramfs that cannot mount its slot reboots.
# Each slot's partition (A = ${SLOT_PARTITION.A}, B = ${SLOT_PARTITION.B} on the boot disk) holds its kernel and initramfs in
# /boot, so an upgrade replaces them together. The kernel gets stockade.slot=A|B.

set default=0
set timeout=1
set timeout_style=menu

set ORDER="${INITIAL_ENV.ORDER}"
set A_OK=1
set B_OK=1
set A_TRIES=3
set B_TRIES=3
if [ -s $prefix/grubenv ]; then
  load_env --file $prefix/grubenv ORDER A_OK B_OK A_TRIES B_TRIES
fi

set slot=
for s in $ORDER; do
${pick('A')}${pick('B')}  if [ -n "$slot" ]; then break; fi
done
if [ -z "$slot" ]; then
  echo "stockade: no slot has boot tries left; giving every complete slot 3 again"
  if [ "$A_OK" = 1 ]; then A_TRIES=3; fi
  if [ "$B_OK" = 1 ]; then B_TRIES=3; fi
  for s in $ORDER; do
${pick('A').replace(/^/gm, '  ')}${pick('B').replace(/^/gm, '  ')}    if [ -n "$slot" ]; then break; fi
  done
fi
if [ -z "$slot" ]; then
  echo "stockade: no slot is marked complete (A_OK=$A_OK B_OK=$B_OK); trying A"
  slot=A
fi
save_env --file $prefix/grubenv A_TRIES B_TRIES
# Should the chosen slot's kernel not even load, GRUB boots the other complete slot right away.
if [ "$slot" = B ]; then
  default=1
  if [ "$A_OK" = 1 ]; then fallback=0; fi
else
  if [ "$B_OK" = 1 ]; then fallback=1; fi
fi

# $root is the ESP, e.g. hd0,gpt1: the slots are on the same disk.
regexp --set=1:disk '^([^,]+),' "$root"
export disk

${entry('A')}
${entry('B')}`;
}
