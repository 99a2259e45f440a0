// Whether a missing prerequisite (a tier's or a test's tool, root, a built file) fails instead of
// being skipped: under CI (CI=true, which .ci/run also sets as STOCKADE_TIERS_REQUIRED=1) a test
// that cannot run has proved nothing, so it must not pass quietly.
export function prerequisitesRequired(): boolean {
  return process.env.CI === 'true' || process.env.STOCKADE_TIERS_REQUIRED === '1';
}
