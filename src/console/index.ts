// The serial-console menu (issue 15): runs over any duplex byte stream (the board's tty through
// serialport, a pty, a test's fake).
export { runConsole, menuItems, menuRows, type ConsoleDeps, type ConsoleState, type MenuItem } from './menu.ts';
export { Terminal, Interrupted, IdleLogout, Disconnected, type ByteStream } from './terminal.ts';
export { KeyDecoder, type Key } from './keys.ts';
export { realTimers, type Timers } from './timers.ts';
export type { ConsoleHost, ConsoleSettings, StatusReport, PortView, PowerAction, UpgradeAction, DiagnosticTool, ShellProcess } from './host.ts';
export { proposeChange, proposeText, planText, setPasswordHash, type ConfigTransaction, type PendingView, type Proposal, type TransactionResult } from './transaction.ts';
export { applyScreen, countdown, type ApplyOutcome } from './screens/apply.ts';
export { addressOf, defaultGatewayOf, interfaceNames, setAddress, setDefaultGateway, setVrrpQuick, vrrpInstances, type AddressSetting, type VrrpQuick } from './edits.ts';
export { parseAddressInput } from './screens/address.ts';
export { formatStatus } from './screens/status.ts';
export { hashPassword, sha512Crypt, verifySha512Crypt, parseSha512Crypt } from './sha512-crypt.ts';
export { failureDelayMs, PASSWORD_MIN } from './login.ts';
export { daemonTransaction } from './daemon-transaction.ts';
export { SystemHost } from './system-host.ts';
