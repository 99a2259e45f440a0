// A managed segment behind the box: groups on bridges (VLANs on the appliance), a public pool
// on wan, the metadata redirect; and a static one. Shared by the segments unit tests.
import { loadConfigText } from '../../../src/config/load.ts';
import type { Config } from '../../../src/config/generated/config.ts';
import type { ConfigError } from '../../../src/config/errors.ts';

export const DOC = {
  version: 1,
  interfaces: { ports: [{ name: 'wan' }, { name: 'trunk' }, { name: 'lan' }], bridges: [{ name: 'g10' }, { name: 'g11' }, { name: 'g12' }] },
  addresses: [{ interface: 'wan', static: ['203.0.113.2/24'] }, { interface: 'lan', static: ['192.0.2.1/24'] }],
  segments: [
    {
      name: 'cloud', mode: 'managed', interfaces: ['trunk'], subnet: '198.51.100.0/24', addresses_per_group: 64, dns: ['192.0.2.53'],
      groups: [
        { name: 'web', id: 0, interface: 'g10', hosts: [{ mac: '02:00:00:00:0a:01', ip: '198.51.100.2' }, { mac: '02:00:00:00:0a:02', ip: '198.51.100.3' }], rules: [{ source: '203.0.113.0/24', protocol: 'tcp', ports: 80 }] },
        { name: 'db', id: 1, interface: 'g11', hosts: [{ mac: '02:00:00:00:0b:01', ip: '198.51.100.66' }], rules: [{ group: 'web', protocol: 'tcp', ports: '5432-5433' }] },
      ],
      public: { interface: 'wan', pool: ['203.0.113.64/28'], assign: [{ address: '203.0.113.65', host: '198.51.100.2' }] },
      metadata: { to: '192.0.2.80' },
    },
    { name: 'office', mode: 'static', interfaces: ['lan'], subnet: '192.0.2.0/24', hosts: [{ mac: '02:00:00:00:0c:01', ip: '192.0.2.10', name: 'printer' }] },
  ],
};

export type Doc = typeof DOC;

export function load(doc: unknown): { ok: true; config: Config } | { ok: false; errors: readonly ConfigError[] } {
  const r = loadConfigText(JSON.stringify(doc));
  return r.ok ? { ok: true, config: r.config } : { ok: false, errors: r.errors };
}

export function config(doc: unknown = DOC): Config {
  const r = load(doc);
  if (!r.ok) throw new Error(JSON.stringify(r.errors, null, 1));
  return r.config;
}

/** The document with `edit` applied to a deep copy. */
export function edited(edit: (d: any) => void): unknown {
  const d = structuredClone(DOC) as any;
  edit(d);
  return d;
}

/** The pointers of the errors a document gets. */
export function errorsOf(doc: unknown): readonly ConfigError[] {
  const r = load(doc);
  return r.ok ? [] : r.errors;
}

/** The managed segment as managed_novlan: both groups on the trunk, one L2 segment. */
export function novlan(): unknown {
  return edited((d) => {
    d.segments[0].mode = 'managed_novlan';
    for (const g of d.segments[0].groups) g.interface = 'trunk';
  });
}
