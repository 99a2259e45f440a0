// kill -9 of the daemon while a confirmed config is being saved (issue 13): /data/config.json is
// then the old text or the new one, whole, never a torn mix. The daemon runs with the test hook
// STOCKADE_TEST_PERSIST_PAUSE_MS (src/daemon/daemon.ts), which blocks it around each file write of
// the persist, so kills land between the writes; the kill point walks forward from the apply
// until a kill lands after the persist, so kills land all across it (inside: the audit log holds
// the transaction's `apply` but not its `confirm`).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireLab } from '../require.ts';
import type { Lab } from '../harness.ts';
import { STOCKADE_BIN, withDaemonLab } from '../helpers/stockade-daemon.ts';
import { controlRequest } from '../../../src/control/index.ts';

const test = suite('daemon: kill -9 during a config persist (lab)');
const PAUSE_MS = 80;
const WANTED_INSIDE = 3;
const MAX_KILLS = 40;

const configText = (extra: string[]): string => JSON.stringify({
  version: 1,
  interfaces: { ports: [{ name: 'eth0' }] },
  addresses: [{ interface: 'eth0', static: ['192.0.2.1/24', ...extra] }],
  management: { commit_confirm_s: 0 },
}, null, 2);

async function ping(socket: string): Promise<boolean> {
  try {
    await controlRequest(socket, 'ping');
    return true;
  } catch {
    return false;
  }
}

/** The audit log's events, in order (the daemon writes `apply` before the persist, `confirm` after). */
const auditEvents = (dir: string): string[] => {
  const path = join(dir, 'audit.log');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { event: string }).event);
};

if (requireLab(test, 'lab/daemon/apply-persist')) {
  test('config.json is always the old or the new text after kill -9 at points across the persist', async () => {
    await  withDaemonLab({ hosts: ['a', 'b'], links: [['a:eth0', 'b:eth0']], addresses: {} }, 'stk-apply-kill-', async (lab: Lab, dir) => {
      const config = join(dir, 'config.json');
      const socket = join(dir, 'a.sock');
      const texts = [configText([]), configText(['198.51.100.7/24'])];
      writeFileSync(config, texts[0]!);
      let delayMs = 0;
      const outcomes = { before: 0, inside: 0, insideSavedNew: 0, after: 0 };
      for (let kill = 0; kill < MAX_KILLS && (outcomes.inside < WANTED_INSIDE || outcomes.after === 0); kill++) {
        const old = readFileSync(config, 'utf8');
        const next = texts.find((t) => t !== old)!;
        const proc = lab.spawn('a', ['env', '-u', 'STOCKADE_NATIVE', 'STOCKADE_TEST_HOOKS=1', `STOCKADE_TEST_PERSIST_PAUSE_MS=${PAUSE_MS}`,
          STOCKADE_BIN, 'daemon', '--config', config, '--default-config', 'none', '--socket', socket]);
        await lab.waitFor('the daemon answering', async () => (await ping(socket)) || undefined, { timeoutMs: 30_000, intervalMs: 50 });
        const seen = auditEvents(dir).length;
        void controlRequest(socket, 'config.apply', { text: next, who: 'kill test' }).catch(() => undefined);
        // A little random spread around the current point, so the kills do not repeat one spot.
        await new Promise((r) => setTimeout(r, delayMs + Math.random() * PAUSE_MS / 2));
        proc.kill('SIGKILL');
        await proc.exited;
        const saved = readFileSync(config, 'utf8');
        assert.ok(saved === old || saved === next, `kill ${kill + 1} at ~${delayMs} ms: config.json is neither the old nor the new text:\n${saved.slice(0, 400)}`);
        const events = auditEvents(dir).slice(seen).join(' ');
        const where = events === '' ? 'before' : events === 'apply' ? 'inside' : 'after';
        assert.ok(where !== 'after' || saved === next, 'a confirm logged means the new config was saved');
        outcomes[where]++;
        if (where === 'inside' && saved === next) outcomes.insideSavedNew++;
        delayMs += where === 'before' ? PAUSE_MS : PAUSE_MS / 2;
      }
      console.log(`  kills: ${JSON.stringify(outcomes)}`);
      assert.ok(outcomes.inside >= WANTED_INSIDE, `kills that landed inside the persist: ${JSON.stringify(outcomes)}`);
      // The daemon starts on what was saved, whichever it is.
      const proc = lab.spawn('a', ['env', '-u', 'STOCKADE_NATIVE', STOCKADE_BIN, 'daemon', '--config', config, '--default-config', 'none', '--socket', socket]);
      await lab.waitFor('the daemon answering on the saved config', async () => (await ping(socket)) || undefined, { timeoutMs: 30_000, intervalMs: 50 });
      proc.kill('SIGTERM');
      assert.is(await proc.exited, 0);
    });
  });
}

test.run();
