// Signed upgrades: the bundle format, its verification, and the streaming installer (pure core;
// the slot's block device and GRUB's environment come in through slots.ts interfaces).
//
//   format.ts    the fixed numbers and the header layout
//   header.ts    the fixed header
//   manifest.ts  the signed JSON manifest (board, version, security epoch, build, chunk hashes)
//   keys.ts      Ed25519 keys (PEM or raw base64), key ids, sign and verify the manifest
//   bundle.ts    whole bundles in memory: describe a part, lay out, split, inspect, verify
//   policy.ts    board, security-epoch floor, downgrade rule
//   version.ts   semver comparison
//   source.ts    exact-size reads from a stream
//   slots.ts     the slot writer and boot-control interfaces
//   install.ts   the installer: verify, then chunk by chunk verify-before-write, read back, switch
//   grubenv.ts   GRUB's 1024-byte environment block and the slot variables in it
//   boot-env.ts  that block edited in place on the ESP (the real BootControl, over a BlockRegion)
//   fat.ts       where a file's bytes are in a FAT volume (to rewrite grubenv without mounting)
//   gpt.ts       GPT partitions by name (disk images on the build host), and a new table's bytes
//   disk-install.ts  `stockade install DISK`: the running system's layout laid down on another disk, read back
//   progress.ts  progress lines (a live one on a terminal, one per 10 % otherwise)
//   state.ts     /data/upgrade/state.json: what each slot holds, the security-epoch floor, the last failed trial
//   lifecycle.ts mark-good, a failed trial, the settling at every boot, rollback: ordered writes
//   apply-plan.ts  writes those steps
//   health.ts    what a trial boot must show (boot, daemon, config, VRRP, sync) from the daemon's answers
//   trial.ts     the verdict on a trial boot (pure, clock injected): mark good, reboot, or wait
//   pair-plan.ts the rolling upgrade of an HA pair (pure): steps, the waits' verdicts, where it stopped
//   errors.ts    errors that say where (offset, part, chunk)
export * from './format.ts';
export { sha256OfReads } from './crypto.ts';
export { formatBundleError, BundleFault, type BundleError, type Result } from './errors.ts';
export { describeStart, encodeHeader, parseHeader, type Header } from './header.ts';
export { encodeManifest, parseManifest, payloadLength, chunkCount, type Manifest, type ManifestPart } from './manifest.ts';
export { keyId, parseKeyText, publicKeyFromBase64, signManifest, signatureKeyId, verifyManifestSignature, type PublicKey, type SigningKey } from './keys.ts';
export { bundlePrefix, describePart, inspectBundle, splitBundle, verifyBundle, type Inspected, type Sections, type Verified } from './bundle.ts';
export { checkPolicy, type RunningSystem } from './policy.ts';
export { compareVersions, isVersion } from './version.ts';
export { StreamSource, bytesSource, type ByteSource } from './source.ts';
export { ESP_LABEL, SLOT_LABEL, otherSlot, regionSlotWriter, type BootControl, type SlotName, type SlotWriter } from './slots.ts';
export { install, readVerifiedHead, streamVerifiedChunks, verifyStream, type InstallProgress, type InstallReport, type InstallRequest, type VerifiedHead } from './install.ts';
export { FRESH_ENV, GRUBENV_PATH, GRUBENV_SIZE, TRIAL_VAR, applyGrubEnvChange, encodeGrubEnv, markBadVars, markGoodVars, parseGrubEnv, parseGrubEnvBlock, trialSlot, tryOnceVars, type GrubEnv, type GrubEnvChange } from './grubenv.ts';
export { GrubEnvFile, type BlockRegion } from './boot-env.ts';
export { locateFatFile, shortName, type Extent, type FatFile } from './fat.ts';
export { GPT_FIRST_USABLE, SECTOR, encodeGpt, gptLastUsable, partitionRange, randomGuid, readGptPartitions, type GptLayout, type GptPartition, type Reader } from './gpt.ts';
export { DATA_LABEL, installDisk, planDiskLayout, type DiskInstallReport, type DiskInstallRequest, type DiskPlan } from './disk-install.ts';
export { confirmDiskName, mib, progressPrinter, type Progress } from './progress.ts';
export { DEFAULT_STATE_DIR, EMPTY_STATE, readState, writeState, type SlotRecord, type TrialFailure, type UpgradeState } from './state.ts';
export { FULL_TRIES, NO_VERDICT, activateRefusal, failTrial, markGood, rollback, rollbackRefusal, settleAtBoot, type LifecycleStep, type Plan } from './lifecycle.ts';
export { applyPlan } from './apply-plan.ts';
export { CHECK_NAMES, healthChecks, type Answer, type CheckName, type HealthCheck, type HealthObservation } from './health.ts';
export { HEALTH_HOLD_MS, TrialJudge, type TrialTiming, type TrialVerdict } from './trial.ts';
export {
  PairWait, judgePeerGood, judgeSettled, pairPlan, pairPreflight, pairStop, unsettled,
  type PairObservation, type PairRoles, type PairStatusView, type PairStep, type PairStepName, type PairSyncView, type PairVerdict, type PairVrrpView, type PairWaitTiming,
} from './pair-plan.ts';
