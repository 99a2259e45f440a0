// Checks that need the whole config (references, uniqueness, overlaps, reachability), run after
// the schema has passed. Order matters: interfaces and addresses build the indexes the rest use.
import type { Config } from '../generated/config.ts';
import type { ConfigError, ConfigWarning } from '../errors.ts';
import { Checker } from './context.ts';
import { checkInterfaces, registerInterfaces } from './interfaces.ts';
import { checkAddresses, checkRoutes } from './addresses.ts';
import { checkFirewall, checkManagement } from './firewall.ts';
import { checkSegments } from './segments.ts';
import { checkVrrp } from './vrrp.ts';
import { checkLvs } from './lvs.ts';
import { checkLvsHealthChecks } from './lvs-checks.ts';
import { checkSync } from './sync.ts';
import { checkModules, checkRoutingRules, checkSysctls, checkSystem } from './network.ts';

/** `written`: the document as in the file, for the "found" text (see Checker); `warnings` receives the warnings. */
export function checkSemantics(config: Config, written?: () => unknown, warnings?: ConfigWarning[]): ConfigError[] {
  const c = new Checker(config, written);
  registerInterfaces(c);
  checkInterfaces(c);
  checkAddresses(c);
  checkRoutes(c);
  checkRoutingRules(c);
  checkSysctls(c);
  checkModules(c);
  checkSystem(c);
  checkFirewall(c);
  checkSegments(c);
  checkManagement(c);
  checkVrrp(c);
  checkLvs(c);
  checkLvsHealthChecks(c);
  checkSync(c);
  warnings?.push(...c.warnings);
  return c.errors;
}
