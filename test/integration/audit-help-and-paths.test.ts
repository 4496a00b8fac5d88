// Audit devices and two of issue 10's audit items, over HTTP: `?help=1` requests are audited like
// every other request (a request and a response entry, Vault's operation "help"; a refused one leaves
// its request entry), and a file device's file_path must be absolute (or Vault's special stdout and
// discard): a relative path would land wherever the server was started from.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { verifyAuditFiles } from '../../src/audit/verify.js';

describe('audit: ?help=1 and file_path', () => {
  let srv: TestServer;
  let root: string;
  before(async () => {
    srv = await startTestServer({ kv2At: 'secret' });
    root = srv.rootToken;
  });
  after(async () => { await srv.stop(); });

  const entries = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    .filter((l) => l.type === 'request' || l.type === 'response');

  it('audits ?help=1 requests: a request and a response entry with operation "help"', async () => {
    const file = join(srv.dir, 'help-audit.log');
    assert.equal((await srv.request('PUT', 'sys/audit/helpfile', { token: root, body: { type: 'file', options: { file_path: file } } })).status, 204);
    const h = await srv.request('GET', 'secret/data/app?help=1', { token: root });
    assert.equal(h.status, 200);
    assert.equal(typeof h.body.help, 'string');
    const help = entries(file).filter((l) => l.request?.path === 'secret/data/app');
    assert.deepEqual(help.map((l) => [l.type, l.request.operation]), [['request', 'help'], ['response', 'help']]);
    const [req, resp] = help;
    assert.equal(resp.request.id, req.request.id);
    assert.equal(req.request.mount_type, 'kv');
    assert.match(req.request.client_token, /^hmac-sha256:/);
    assert.equal(req.auth.policies[0], 'root');
    assert.match(resp.response.data.help, /^hmac-sha256:/, 'the help text is logged HMAC\'d like any response string');

    // A help request with a bad token is refused, and its request entry says why.
    assert.equal((await srv.request('GET', 'secret/data/other?help=1', { token: 'hvs.not-a-token' })).status, 403);
    const refused = entries(file).filter((l) => l.request?.path === 'secret/data/other');
    assert.equal(refused.length, 1);
    assert.equal(refused[0].type, 'request');
    assert.equal(refused[0].request.operation, 'help');
    assert.match(refused[0].error, /permission denied/);

    const key = (await srv.request('GET', 'sys/audit-chain-key/helpfile', { token: root })).body.data.key;
    assert.equal((await srv.request('DELETE', 'sys/audit/helpfile', { token: root })).status, 204);
    const report = await verifyAuditFiles([file], Buffer.from(key, 'hex'));
    assert.equal(report.ok, true, JSON.stringify(report));
  });

  it('refuses a relative file_path with 400 and enables nothing; stdout, discard and absolute paths are accepted', async () => {
    for (const filePath of ['audit.log', './audit.log', 'logs/audit.log', '../audit.log', '~/audit.log']) {
      for (const key of ['file_path', 'path']) {
        const r = await srv.request('PUT', 'sys/audit/rel', { token: root, body: { type: 'file', options: { [key]: filePath } } });
        assert.equal(r.status, 400, `${key}=${filePath}: ${JSON.stringify(r.body)}`);
        assert.match(r.body.errors[0], /file_path must be an absolute path/);
      }
    }
    const list = await srv.request('GET', 'sys/audit', { token: root });
    assert.equal('rel/' in list.body.data, false);
    for (const [name, filePath] of [['out', 'stdout'], ['nowhere', 'discard'], ['abs', join(srv.dir, 'abs.log')]] as const) {
      const r = await srv.request('PUT', `sys/audit/${name}`, { token: root, body: { type: 'file', options: { file_path: filePath } } });
      assert.equal(r.status, 204, `${filePath}: ${JSON.stringify(r.body)}`);
      assert.equal((await srv.request('DELETE', `sys/audit/${name}`, { token: root })).status, 204);
    }
  });
});
