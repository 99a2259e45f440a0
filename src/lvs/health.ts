// Where real-server health comes in. The checkers (src/lvs/checkers, issue 14 item 3, built
// beside this) emit CheckerEvents; LvsManager.attachCheckers takes any source of that shape.
// Until the lead wires them in (src/daemon/daemon.ts, "LVS checkers" comment), a server whose
// service has health_check.type none is up, and the other types are warned about: their servers
// are programmed as up, as the config was treated before.
import type { Config } from '../config/index.ts';

export interface ServerStateChange {
  /** serverId(): "<service name> <address>:<port>". */
  server: string;
  up: boolean;
  /** A dynamic weight from the checker (MISC exit code, ...); undefined: the configured weight. */
  weight?: number;
  /** Why, in words, for `ctl lvs events` ("3 failed TCP connects: ECONNREFUSED"). */
  reason: string;
}

/** A source of real-server state changes (the checkers). */
export interface CheckerEvents {
  on(event: 'change', listener: (e: ServerStateChange) => void): unknown;
  off(event: 'change', listener: (e: ServerStateChange) => void): unknown;
}

export interface UncheckedWarning {
  pointer: string;
  message: string;
}

/** The services whose health checks nothing runs in this build. */
export function uncheckedServices(config: Config): UncheckedWarning[] {
  const out: UncheckedWarning[] = [];
  config.lvs.virtual_services.forEach((vs, i) => {
    const type = (vs.health_check as { type?: string }).type ?? 'none';
    if (type !== 'none') {
      out.push({ pointer: `/lvs/virtual_services/${i}/health_check/type`, message: `${vs.name}: ${type} health checks are not run by this build; its real servers are programmed as up` });
    }
  });
  return out;
}
