// Audit devices wired into the request pipeline: every request and response logged with HMAC'd
// strings, audit-hash matching the log, the chain verifiable, and fail-closed refusal.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { verifyAuditFiles } from '../../src/audit/verify.js';

describe('audit through the API', () => {
  let srv: TestServer;
  let root: string;
  before(async () => {
    srv = await startTestServer({ kv2At: 'secret' });
    root = srv.rootToken;
  });
  after(async () => { await srv.stop(); });

  it('logs request and response lines with HMAC-ed strings only, matching sys/audit-hash', async () => {
    const file = join(srv.dir, 'audit.log');
    assert.equal((await srv.request('PUT', 'sys/audit/file', { token: root, body: { type: 'file', options: { file_path: file } } })).status, 204);
    const list = await srv.request('GET', 'sys/audit', { token: root });
    assert.equal(list.body['file/'].type, 'file');
    const canary = 'AUDIT-CANARY-91f2c0';
    await srv.request('POST', 'secret/data/audited', { token: root, body: { data: { password: canary } } });
    await srv.request('GET', 'secret/data/audited', { token: root });
    const text = readFileSync(file, 'utf8');
    assert.equal(text.includes(canary), false, 'the secret value appears in the audit log');
    assert.equal(text.includes(root), false, 'the token appears in the audit log');
    const lines = text.trim().split('\n').map((l) => JSON.parse(l));
    const responses = lines.filter((l) => l.type === 'response' && l.request?.path === 'secret/data/audited');
    assert.ok(responses.length >= 2);
    const hash = (await srv.request('POST', 'sys/audit-hash/file', { token: root, body: { input: canary } })).body.data.hash;
    assert.match(hash, /^hmac-sha256:[0-9a-f]{64}$/);
    assert.ok(text.includes(hash), 'audit-hash of the canary matches the logged HMAC');
    // A refused request leaves a trail too.
    assert.equal((await srv.request('GET', 'secret/data/audited', { token: 'hvs.bogus-token' })).status, 403);
    const denied = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l))
      .filter((l) => l.type === 'request' && l.request?.path === 'secret/data/audited' && typeof l.error === 'string' && l.error.includes('permission denied'));
    assert.equal(denied.length, 1);
    // A wrapped response's log entry carries the (HMAC'd) wrapping token.
    const wrapped = await srv.request('GET', 'secret/data/audited', { token: root, headers: { 'X-Vault-Wrap-TTL': '60' } });
    const wrapHash = (await srv.request('POST', 'sys/audit-hash/file', { token: root, body: { input: wrapped.body.wrap_info.token } })).body.data.hash;
    assert.ok(readFileSync(file, 'utf8').includes(wrapHash));
    const key = (await srv.request('GET', 'sys/audit-chain-key/file', { token: root })).body.data.key;
    // Disabling writes the closing checkpoint; the whole file then verifies.
    assert.equal((await srv.request('DELETE', 'sys/audit/file', { token: root })).status, 204);
    const report = await verifyAuditFiles([file], Buffer.from(key, 'hex'));
    assert.equal(report.ok, true, JSON.stringify(report));
  });

  it('fails closed: when no device can log, the request is refused and changes nothing', async () => {
    const conns: net.Socket[] = [];
    const sink = net.createServer((s) => { conns.push(s); s.on('data', () => undefined); });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', () => r()));
    const port = (sink.address() as net.AddressInfo).port;
    assert.equal((await srv.request('PUT', 'sys/audit/sock', { token: root, body: { type: 'socket', options: { address: `127.0.0.1:${port}`, socket_type: 'tcp', write_timeout: '1s' } } })).status, 204);
    assert.equal((await srv.request('POST', 'secret/data/before', { token: root, body: { data: { v: '1' } } })).status, 200);
    // Close the collector and every live connection, so the device's socket breaks.
    for (const c of conns) c.destroy();
    await new Promise<void>((r) => sink.close(() => r()));
    const refused = await srv.request('POST', 'secret/data/refused', { token: root, body: { data: { v: 'must-not-be-stored' } } });
    assert.equal(refused.status, 500);
    assert.deepEqual(refused.body.errors, ['failed to log request to any audit device']);
    // Bring the collector back on the same port: the device reconnects and the server answers again.
    const again = net.createServer((c) => { conns.push(c); c.on('data', () => undefined); });
    await new Promise<void>((r) => again.listen(port, '127.0.0.1', () => r()));
    try {
      assert.equal((await srv.request('GET', 'secret/data/refused', { token: root })).status, 404);
      assert.equal((await srv.request('DELETE', 'sys/audit/sock', { token: root })).status, 204);
    } finally {
      for (const c of conns) c.destroy();
      await new Promise<void>((r) => again.close(() => r()));
    }
  });
});
