// The validated config's lvs section -> the checkers' specs (spec.ts), in milliseconds. Semantic
// checks (src/config/semantic/lvs-checks.ts) have already refused what cannot work (no port to
// check, a regex that does not compile, options of another check type), so this only maps.
import type { HealthCheck, Lvs, VirtualService } from '../../config/index.ts';
import { realServerPort } from '../model.ts';
import { parseReplyPattern } from './udp.ts';
import type { CheckTiming, ProbeSpec, ServiceSpec } from './spec.ts';

const S = 1000;

/** The port a check connects to, or undefined when none can be found (a config error). */
export function checkPort(vs: VirtualService, rs: VirtualService['real_servers'][number]): number | undefined {
  const hc = vs.health_check;
  if (hc.type === 'ping' || hc.type === 'misc' || hc.type === 'none') return 0;
  const port = hc.port ?? rs.port ?? vs.port;
  return port === undefined || port === 0 ? undefined : port;
}

export function statusRanges(list: ReadonlyArray<number | string> | undefined): Array<[number, number]> {
  if (list === undefined) return [[200, 299]];
  return list.map((x) => {
    if (typeof x === 'number') return [x, x];
    const [lo, hi] = x.split('-').map(Number) as [number, number];
    return [lo, hi];
  });
}

export function timingOf(hc: HealthCheck): CheckTiming {
  return {
    intervalMs: hc.interval_s * S,
    connectTimeoutMs: hc.timeout_s * S,
    deadlineMs: (hc.deadline_s ?? hc.interval_s) * S,
    rise: hc.rise,
    fall: hc.fall,
    retries: hc.retries,
    retryDelayMs: (hc.retry_delay_s ?? (hc.type === 'http' || hc.type === 'https' ? 3 : 1)) * S,
    warmupMs: (hc.warmup_s ?? hc.interval_s) * S,
    alpha: hc.alpha,
  };
}

export function probeOf(hc: HealthCheck): ProbeSpec {
  switch (hc.type) {
    case 'tcp':
    case 'ping':
    case 'none':
      return { kind: hc.type };
    case 'http':
    case 'https':
      return {
        kind: hc.type,
        path: hc.path ?? '/',
        ...(hc.virtual_host !== undefined ? { virtualHost: hc.virtual_host } : {}),
        status: statusRanges(hc.expect_status),
        ...(hc.digest !== undefined ? { digest: hc.digest.toLowerCase() } : {}),
        ...(hc.regex !== undefined ? { regex: hc.regex, regexNoMatch: hc.regex_no_match } : {}),
        httpVersion: hc.http_version,
      };
    case 'udp':
      return {
        kind: 'udp',
        payload: hc.payload !== undefined ? Uint8Array.from(Buffer.from(hc.payload, 'hex')) : new Uint8Array(1),
        ...(hc.expect_reply !== undefined ? { requireReply: parseReplyPattern(hc.expect_reply) } : {}),
        minReplyLength: hc.min_reply_length,
        maxReplyLength: hc.max_reply_length,
      };
    case 'dns':
      return { kind: 'dns', name: hc.query_name ?? '.', type: hc.query_type };
    case 'misc':
      return { kind: 'misc', command: hc.command ?? [], dynamic: hc.dynamic_weight };
  }
}

export function servicesFromConfig(lvs: Lvs): ServiceSpec[] {
  return lvs.virtual_services.map((vs) => {
    const hc = vs.health_check;
    const probe = probeOf(hc);
    const timing = timingOf(hc);
    const servers = vs.real_servers.filter((rs) => rs.enabled).map((rs) => {
      // The port IPVS holds for it, so the checkers' table names the same destinations.
      const port = realServerPort(vs, rs);
      const key = `${rs.address}:${port}`;
      const checkPortNumber = checkPort(vs, rs);
      if (checkPortNumber === undefined) throw new Error(`lvs: ${vs.name}: no port to check ${rs.address} on`);
      return {
        key,
        address: rs.address,
        port,
        weight: rs.weight,
        checks: probe.kind === 'none' ? [] : [{ id: `${vs.name}/${key}`, address: hc.address ?? rs.address, port: checkPortNumber, probe, timing }],
      };
    });
    return {
      name: vs.name,
      ...(vs.address !== undefined ? { vip: vs.address } : {}),
      haSuspend: hc.ha_suspend,
      quorum: hc.quorum,
      hysteresis: hc.hysteresis,
      onFailure: hc.on_failure,
      ...(hc.sorry_server ? { sorryServer: { address: hc.sorry_server.address, port: hc.sorry_server.port ?? vs.port ?? 0 } } : {}),
      ...(hc.quorum_up ? { quorumUp: hc.quorum_up } : {}),
      ...(hc.quorum_down ? { quorumDown: hc.quorum_down } : {}),
      omega: hc.omega,
      servers,
    };
  });
}
