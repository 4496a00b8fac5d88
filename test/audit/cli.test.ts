// `coffer audit …` as a user runs it: verify with a key file / env key, exit codes, and the sys/audit
// calls of enable/list/disable/key against a stand-in HTTP server.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { main, type AuditCliIO } from '../../src/cli/audit-main.js';
import { fileBroker, logPairs } from './fixtures.js';

function io(env: NodeJS.ProcessEnv = {}): AuditCliIO & { out: string; err: string } {
  const r = { out: '', err: '', env, stdout: (s: string) => { r.out += s; }, stderr: (s: string) => { r.err += s; } };
  return r;
}

test('verify: exit 0 on an intact log, 1 with file:line on a tampered one, 2 on usage errors', async (t) => {
  const { broker, dir, file, key } = await fileBroker(t);
  await logPairs(broker, 3);
  await broker.close();
  const keyHex = Buffer.from(key).toString('hex');
  const keyFile = join(dir, 'key');
  writeFileSync(keyFile, `${keyHex}\n`);

  let o = io();
  assert.equal(await main(['verify', `-key-file=${keyFile}`, file], o), 0);
  assert.match(o.out, /^OK: 1 file\(s\), 8 lines \(6 entries, 1 checkpoints\)/);

  o = io({ COFFER_AUDIT_KEY: keyHex });
  assert.equal(await main(['verify', '-format=json', file], o), 0);
  assert.equal(JSON.parse(o.out).ok, true);

  const lines = readFileSync(file, 'utf8').split('\n');
  lines[3] = lines[3]!.replace('"operation":"update"', '"operation":"delete"');
  writeFileSync(file, lines.join('\n'));
  o = io();
  assert.equal(await main(['verify', '--key-file', keyFile, file], o), 1);
  assert.equal(o.err, `coffer: error: ${file}:4: modified: line 4 was modified or forged: its MAC does not match (or the key is wrong)\n`);

  for (const argv of [['verify', file], ['verify', `-key-file=${keyFile}`], ['verify', '-bogus', file], ['frobnicate']]) {
    o = io();
    assert.equal(await main(argv, o), 2, argv.join(' '));
    assert.match(o.err, /^coffer: error: /);
  }
  o = io({ COFFER_AUDIT_KEY: 'not-hex' });
  assert.equal(await main(['verify', file], o), 2);
  o = io({ COFFER_AUDIT_KEY: keyHex });
  assert.equal(await main(['verify', join(dir, 'missing.log')], o), 2);
});

test('enable, list, disable and key talk to sys/audit with the token', async (t) => {
  const seen: Array<{ method: string; url: string; token: string | undefined; body: string }> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, token: req.headers['x-vault-token'] as string | undefined, body });
      res.setHeader('Content-Type', 'application/json');
      if (req.method === 'GET' && req.url === '/v1/sys/audit') {
        res.end(JSON.stringify({ 'file/': { type: 'file', description: '', options: { file_path: '/var/log/a.log' }, local: false, path: 'file/' }, data: { 'file/': { type: 'file', description: '', options: { file_path: '/var/log/a.log' }, local: false, path: 'file/' } } }));
      } else if (req.url === '/v1/sys/audit-chain-key/file') {
        res.end(JSON.stringify({ data: { key: 'ab'.repeat(32) } }));
      } else {
        res.statusCode = 204;
        res.end();
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const env = { COFFER_ADDR: `http://127.0.0.1:${(server.address() as { port: number }).port}`, COFFER_TOKEN: 'hvs.root' };

  let o = io(env);
  assert.equal(await main(['enable', '-path=main', '-description=primary', 'file', 'file_path=/var/log/a.log', 'mode=0640'], o), 0);
  assert.deepEqual(seen[0], { method: 'PUT', url: '/v1/sys/audit/main', token: 'hvs.root', body: JSON.stringify({ type: 'file', description: 'primary', local: false, options: { file_path: '/var/log/a.log', mode: '0640' } }) });
  o = io(env);
  assert.equal(await main(['list', '-detailed'], o), 0);
  assert.match(o.out, /^Path\s+Type\s+Description\s+Replication\s+Options\n/);
  assert.match(o.out, /file\/\s+file\s+n\/a\s+replicated\s+file_path=\/var\/log\/a.log/);
  o = io(env);
  assert.equal(await main(['disable', 'main'], o), 0);
  assert.equal(seen.at(-1)?.method, 'DELETE');
  o = io(env);
  assert.equal(await main(['key', 'file'], o), 0);
  assert.equal(o.out, `${'ab'.repeat(32)}\n`);
});
