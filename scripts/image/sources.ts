// The Debian sources the image's packages come from: a copy of the host's own apt sources (so the
// build reaches the same mirror, proxy and keys the host uses), reduced to the Debian suites of the
// host's release and pointed at the image's suite. Pure functions, tested in test/unit/image/.

/** One deb822 stanza, the fields we keep. */
export interface Source {
  uris: string[];
  suites: string[];
  components: string[];
  /** Other fields (Signed-By, Trusted, ...), passed through as they are. */
  extra: Array<[string, string]>;
  /** Where it was read, for error messages. */
  from: string;
}

/** Parses a deb822 .sources file (one stanza per paragraph). Disabled stanzas are dropped. */
export function parseDeb822(text: string, from: string): Source[] {
  const out: Source[] = [];
  for (const para of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    let last: string | undefined;
    for (const line of para.split('\n')) {
      if (line.startsWith('#') || line.trim() === '') continue;
      if (/^\s/.test(line) && last) {
        fields.set(last, `${fields.get(last)}\n${line.trim()}`);
        continue;
      }
      const m = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line);
      if (!m) continue;
      last = m[1]!.toLowerCase();
      fields.set(last, m[2]!.trim());
    }
    if (fields.size === 0) continue;
    if ((fields.get('enabled') ?? 'yes').toLowerCase() === 'no') continue;
    if (!(fields.get('types') ?? '').split(/\s+/).includes('deb')) continue;
    const words = (k: string) => (fields.get(k) ?? '').split(/\s+/).filter(Boolean);
    const extra: Array<[string, string]> = [];
    for (const [k, v] of fields) {
      if (!['types', 'uris', 'suites', 'components', 'architectures', 'enabled'].includes(k)) extra.push([k, v]);
    }
    out.push({ uris: words('uris'), suites: words('suites'), components: words('components'), extra, from });
  }
  return out;
}

/** Parses one-line `deb [opts] uri suite components...` sources. */
export function parseOneLine(text: string, from: string): Source[] {
  const out: Source[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line.startsWith('deb ') && !line.startsWith('deb\t')) continue;
    let rest = line.slice(4).trim();
    const extra: Array<[string, string]> = [];
    if (rest.startsWith('[')) {
      const end = rest.indexOf(']');
      if (end < 0) continue;
      for (const opt of rest.slice(1, end).trim().split(/\s+/)) {
        const [k, v] = opt.split('=');
        if (!k || v === undefined) continue;
        const key = k.toLowerCase();
        if (key === 'arch' || key === 'lang' || key === 'target') continue;
        extra.push([key === 'signed-by' ? 'signed-by' : key, v]);
      }
      rest = rest.slice(end + 1).trim();
    }
    const [uri, suite, ...components] = rest.split(/\s+/);
    if (!uri || !suite) continue;
    out.push({ uris: [uri], suites: [suite], components, extra, from });
  }
  return out;
}

/**
 * Keeps the stanzas for the host's Debian release (`bookworm`, `bookworm-updates`,
 * `bookworm-security`, ...; not backports or third-party suites), with the release renamed to
 * `targetSuite` and only the `main` component (everything the image takes is in main).
 */
export function debianSourcesFor(sources: Source[], hostCodename: string, targetSuite: string): Source[] {
  const kept: Source[] = [];
  const suffixes = ['', '-updates', '-security', '/updates'];
  for (const s of sources) {
    const suites = s.suites
      .filter((suite) => suffixes.some((x) => suite === hostCodename + x))
      .map((suite) => targetSuite + suite.slice(hostCodename.length));
    if (suites.length === 0 || !s.components.includes('main')) continue;
    kept.push({ ...s, suites, components: ['main'] });
  }
  return kept;
}

export function toDeb822(sources: Source[]): string {
  return sources.map((s) => {
    const lines = [
      `# from ${s.from}`,
      'Types: deb',
      `URIs: ${s.uris.join(' ')}`,
      `Suites: ${s.suites.join(' ')}`,
      `Components: ${s.components.join(' ')}`,
      ...s.extra.map(([k, v]) => `${k.replace(/(^|-)([a-z])/g, (_m, d: string, c: string) => d + c.toUpperCase())}: ${v.replace(/\n/g, '\n ')}`),
    ];
    return lines.join('\n') + '\n';
  }).join('\n');
}

/** The mirrors named by a set of sources, for messages. */
export function mirrorsOf(sources: Source[]): string {
  return [...new Set(sources.flatMap((s) => s.uris))].join(', ');
}
