// The list of subcommands that exist. Only real commands are listed here: a feature adds its
// command when it is built.
import type { Command } from './command.ts';
import { bootCommand } from './boot-command.ts';
import { configCommands } from './config-commands.ts';
import { netCommands } from './net-commands.ts';
import { daemonCommand } from './daemon-command.ts';
import { ctlCommands } from './ctl-commands.ts';
import { firewallCommands } from './firewall-commands.ts';
import { lvsCommands } from './lvs-commands.ts';
import { bundleCommands } from './bundle-commands.ts';
import { upgradeCommands } from './upgrade-commands.ts';
import { diagnoseCommand } from './diagnose-command.ts';
import { consoleCommand } from './console-command.ts';
import { segmentCommands } from './segment-commands.ts';
import { installCommand } from './install-command.ts';

export const commands: readonly Command[] = [bootCommand, ...configCommands, ...netCommands, ...firewallCommands, ...lvsCommands, ...segmentCommands, daemonCommand, consoleCommand, ...ctlCommands, ...bundleCommands, ...upgradeCommands, installCommand, diagnoseCommand];
