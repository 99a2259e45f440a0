// The kernel's command line (boot and upgrade read the running slot from it: boot/cmdline.ts).
export const KERNEL_CMDLINE_FILE = '/proc/cmdline';
