// What the checkers are told to do, in milliseconds and plain values (from-config.ts makes these
// from the config's health_check blocks). Pure data: no config types, no I/O.

/** How one probe talks to the real server. */
export type ProbeSpec =
  | { kind: 'tcp' }
  | HttpProbe
  | UdpProbe
  | { kind: 'ping' }
  | DnsProbe
  | MiscProbe
  /** Always up: the server is never checked. */
  | { kind: 'none' };

export interface HttpProbe {
  kind: 'http' | 'https';
  path: string;
  /** Host header (and TLS SNI); default: the address checked. */
  virtualHost?: string;
  /** Inclusive [low, high] ranges of acceptable status codes. */
  status: ReadonlyArray<readonly [number, number]>;
  /** MD5 of the body, lower-case hex (keepalived's digest, from genhash). */
  digest?: string;
  /** A regular expression (JavaScript syntax) the body must match (or must not, with regexNoMatch). */
  regex?: string;
  regexNoMatch?: boolean;
  /** keepalived's http_protocol: 1.0C is 1.0 with Connection: close. */
  httpVersion: '1.0' | '1.0C' | '1.1';
}

export interface UdpProbe {
  kind: 'udp';
  payload: Uint8Array;
  /** Without it any reply, or silence until the connect timeout, is up (keepalived: only an ICMP error is down). */
  requireReply?: { bytes: Uint8Array; mask: Uint8Array };
  minReplyLength: number;
  maxReplyLength: number;
}

export interface DnsProbe {
  kind: 'dns';
  name: string;
  type: DnsType;
}

export type DnsType = 'A' | 'NS' | 'CNAME' | 'SOA' | 'MX' | 'TXT' | 'AAAA';

export interface MiscProbe {
  kind: 'misc';
  command: readonly string[];
  /** Exit 0 up, 1 down, 2..255 up with weight = code - 2 (keepalived misc_dynamic). */
  dynamic: boolean;
}

export interface CheckTiming {
  /** Between the starts of two checks (keepalived delay_loop). */
  intervalMs: number;
  /** For the connection (or the program, or the reply to a datagram). */
  connectTimeoutMs: number;
  /** The whole check, whatever it waits on (keepalived #1817: a TLS session that hangs). */
  deadlineMs: number;
  /** Successes in a row that bring a down server up. */
  rise: number;
  /** Failed checks in a row that take an up server down. */
  fall: number;
  /** Extra attempts inside one check before it counts as failed, `retryDelayMs` apart. */
  retries: number;
  retryDelayMs: number;
  /** The first check comes after a random delay up to this (spreads thousands of checks); 0: at once. */
  warmupMs: number;
  /** Start down: a server serves only after `rise` successes (keepalived alpha). Else it starts up. */
  alpha: boolean;
}

export interface CheckSpec {
  /** Unique among all checks: `service/address:port/n`. */
  id: string;
  address: string;
  port: number;
  probe: ProbeSpec;
  timing: CheckTiming;
}

export interface ServerSpec {
  /** `address:port`, unique in its service. */
  key: string;
  address: string;
  port: number;
  /** Configured weight; 0 (drain) is kept as 0 (keepalived #1757). */
  weight: number;
  /** Up only while every one of its checks is up. */
  checks: CheckSpec[];
}

export interface ServiceSpec {
  name: string;
  /** The service's address (a VIP): with haSuspend, checks run only while this box holds it. */
  vip?: string;
  haSuspend: boolean;
  /** Sum of the weights of live servers needed (keepalived quorum, default 1). */
  quorum: number;
  hysteresis: number;
  /** A failed server: kept with weight 0 (inhibit) or taken out of the table (remove). */
  onFailure: 'inhibit' | 'remove';
  /** Alone in the table while the quorum is lost. */
  sorryServer?: { address: string; port: number };
  quorumUp?: readonly string[];
  quorumDown?: readonly string[];
  /** Run quorumDown when the service is stopped while its quorum was up (keepalived omega). */
  omega: boolean;
  servers: ServerSpec[];
}
