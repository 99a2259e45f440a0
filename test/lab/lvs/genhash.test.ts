// keepalived's own HTTP checker code as the peer: its genhash tool (which shares HTTP_GET's
// request template and MD5 handling) is run against a server in a lab namespace that records the
// exact request bytes. Stockade's request must be the same bytes, and genhash's digest of a
// response must be the one our verdict accepts (keepalived's genhash-test.sh compares genhash
// with md5sum the same way).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { withLab } from '../harness.ts';
import { requireLab } from '../require.ts';
import { httpRequest, httpVerdict } from '../../../src/lvs/checkers/index.ts';
import type { HttpProbe } from '../../../src/lvs/checkers/index.ts';

const test = suite('lvs: HTTP check against keepalived genhash');
const BODY = 'all good\n\u00e9t\u00e9 \u2713\n';
const RESPONSE = `HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(BODY)}\r\n\r\n${BODY}`;

// Records each request (JSON line of its latin1 bytes) and answers RESPONSE.
const SERVER = `require('node:net').createServer((s) => { let b = Buffer.alloc(0); s.on('data', (d) => { b = Buffer.concat([b, d]); if (b.includes('\\r\\n\\r\\n')) { console.log(JSON.stringify(b.toString('latin1'))); s.end(${JSON.stringify(RESPONSE)}); } }); }).listen(8080, '127.0.0.1', () => console.log('ready'))`;

if (requireLab(test, 'lab/lvs/genhash', { tools: ['genhash'] })) {
  test('the same request bytes as genhash for 1.0, 1.0C, 1.1 and a virtual host; genhash\'s digest passes our verdict', async () => {
    await withLab({ hosts: ['rs'] }, async (lab) => {
      const srv = lab.spawn('rs', [process.execPath, '-e', SERVER]);
      await lab.waitFor('the recording server', () => srv.stdout().includes('ready'));
      const cases: Array<{ args: string[]; probe: HttpProbe }> = [
        { args: ['-u', '/healthz'], probe: { kind: 'http', path: '/healthz', status: [[200, 299]], httpVersion: '1.0' } },
        { args: ['-u', '/healthz', '-V', 'www.example.org'], probe: { kind: 'http', path: '/healthz', status: [[200, 299]], httpVersion: '1.0', virtualHost: 'www.example.org' } },
        { args: ['-u', '/a/b?c=d', '-P', '1.0C'], probe: { kind: 'http', path: '/a/b?c=d', status: [[200, 299]], httpVersion: '1.0C' } },
        { args: ['-u', '/x', '-P', '1.1'], probe: { kind: 'http', path: '/x', status: [[200, 299]], httpVersion: '1.1' } },
      ];
      for (const [i, c] of cases.entries()) {
        const r = await lab.exec('rs', ['genhash', '-s', '127.0.0.1', '-p', '8080', ...c.args]);
        const digest = r.stdout.trim().split(/\s+/).pop()!;
        assert.match(digest, /^[0-9a-f]{32}$/, `genhash printed ${r.stdout}`);
        await lab.waitFor('the request recorded', () => srv.stdout().split('\n').filter((l) => l.startsWith('"')).length > i);
        const sent = JSON.parse(srv.stdout().split('\n').filter((l) => l.startsWith('"'))[i]!) as string;
        assert.is(httpRequest(c.probe, '127.0.0.1', 8080).toString('latin1'), sent, `genhash ${c.args.join(' ')}`);
        assert.equal(httpVerdict({ ...c.probe, digest }, Buffer.from(RESPONSE)), { ok: true, detail: 'status 200' });
      }
    });
  });
}

test.run();
