// Version, commit and build date. The bundler replaces __STOCKADE_BUILD__ with the real values
// (scripts/bundle.ts); running from source (tests) reports a development build.

declare const __STOCKADE_BUILD__: BuildInfo | undefined;

export interface BuildInfo {
  readonly version: string;
  readonly commit: string;
  readonly date: string;
}

export const buildInfo: BuildInfo =
  typeof __STOCKADE_BUILD__ !== 'undefined'
    ? __STOCKADE_BUILD__
    : { version: '0.0.0-dev', commit: 'source', date: 'unbuilt' };

export function versionLine(info: BuildInfo = buildInfo): string {
  return `stockade ${info.version} (commit ${info.commit}, built ${info.date})`;
}
