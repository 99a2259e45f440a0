// The config's face: the generated types (schema.json is their single source), loading with all
// errors at once (load.ts), the board file, error formatting, and where the config comes from
// (source.ts: the saved file, the board default, the built-in one).
export { loadBoardFile } from './board.ts';
export type { Board } from './board.ts';
export { configSchema } from './describe.ts';
export { errorCountLine, formatConfigError, formatConfigErrorWrapped, formatConfigWarning, formatConfigWarningWrapped } from './errors.ts';
export type { ConfigError } from './errors.ts';
export type { Config, FirewallRule, NatRule, PortSpec, Sync, Vrrp, VrrpNotify } from './generated/config.ts';
export { parseJson } from './json-parse.ts';
export { loadConfigFile, loadConfigText } from './load.ts';
export { readConfigBytes } from './read.ts';
export { terminalSafe } from './terminal-text.ts';
export { APPLIANCE_SHARE_DIR, BOARD_DEFAULT_CONFIG_FILE, BOARD_FILE, CONFIG_FILES, SAVED_CONFIG_FILE, builtInConfig, chooseConfig, firstConfigFile } from './source.ts';
export type { ConfigChoice, ConfigSource, LoadedChoice } from './source.ts';
export type { HealthCheck, Lvs, VirtualService } from './generated/config.ts';
export type { Segment, SegmentAssignment, SegmentGroup, SegmentHost, SegmentRule } from './generated/config.ts';
export { lvsSyncUnit } from './semantic/lvs.ts';
