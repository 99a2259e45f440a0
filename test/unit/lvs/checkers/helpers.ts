// Specs for the checker tests (not a test file).
import type { CheckSpec, CheckTiming, ProbeSpec, ServiceSpec } from '../../../../src/lvs/checkers/index.ts';

export function timing(o: Partial<CheckTiming> = {}): CheckTiming {
  return { intervalMs: 1000, connectTimeoutMs: 500, deadlineMs: 800, rise: 2, fall: 3, retries: 0, retryDelayMs: 100, warmupMs: 0, alpha: false, ...o };
}

export function check(id: string, o: Partial<CheckTiming> = {}, probe: ProbeSpec = { kind: 'tcp' }, address = '198.51.100.11', port = 80): CheckSpec {
  return { id, address, port, probe, timing: timing(o) };
}

/** A service with servers s1..sN (weights given), one tcp check each. */
export function service(name: string, weights: number[], o: Partial<ServiceSpec> = {}, t: Partial<CheckTiming> = {}): ServiceSpec {
  return {
    name,
    haSuspend: false,
    quorum: 1,
    hysteresis: 0,
    onFailure: 'remove',
    omega: false,
    servers: weights.map((weight, i) => {
      const address = `198.51.100.${11 + i}`;
      const key = `${address}:80`;
      return { key, address, port: 80, weight, checks: [check(`${name}/${key}`, t, { kind: 'tcp' }, address)] };
    }),
    ...o,
  };
}
