// `stockade boot`'s face for the CLI: options, the sequence and the real system it runs on.
export { runBoot } from './boot.ts';
export { slotFromCmdline } from './cmdline.ts';
export { APPLIANCE_SHARE_DIR, BOOT_HELP, parseBootArgs, refuseReason } from './options.ts';
export { realSystem } from './system.ts';
