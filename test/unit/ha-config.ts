// The HA node fixture (test/fixtures/config/ha-node-a.json) loaded as a Config, after an edit of
// its JSON: the starting point of the apply and applier tests.
import { readFileSync } from 'node:fs';
import { loadConfigText } from '../../src/config/load.ts';
import type { Config } from '../../src/config/generated/config.ts';

const fixture = readFileSync(new URL('../fixtures/config/ha-node-a.json', import.meta.url), 'utf8');

export function haConfig(edit: (c: Record<string, any>) => void = () => undefined): Config {
  const raw = JSON.parse(fixture) as Record<string, any>;
  edit(raw);
  const r = loadConfigText(JSON.stringify(raw));
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.config;
}
