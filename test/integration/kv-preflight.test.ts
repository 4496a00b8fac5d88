// The KV preflight (GET sys/internal/ui/mounts/<path>) with a least-privilege token: the Vault CLI,
// Vault Agent, the Terraform provider and `coffer kv` ask it before every KV call. It is not
// ACL-checked as a path of its own: any capability under the mount is enough (spec §2.13), and a token
// with nothing there gets 403, as does an unknown mount.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { runCli } from '../cli/run-cli.js';

describe('KV preflight with a least-privilege token', () => {
  let srv: TestServer;
  let home: string;
  let appToken: string;
  let otherToken: string;
  before(async () => {
    srv = await startTestServer({ kv2At: 'secret' });
    home = mkdtempSync(join(tmpdir(), 'coffer-preflight-'));
    const root = srv.rootToken;
    assert.equal((await srv.request('PUT', 'sys/policy/app', { token: root, body: { policy: 'path "secret/data/app" { capabilities = ["read"] }' } })).status, 204);
    assert.equal((await srv.request('PUT', 'sys/policy/other', { token: root, body: { policy: 'path "elsewhere/*" { capabilities = ["read", "list"] }' } })).status, 204);
    assert.equal((await srv.request('POST', 'sys/mounts/private', { token: root, body: { type: 'kv' } })).status, 204);
    assert.equal((await srv.request('POST', 'secret/data/app', { token: root, body: { data: { db_password: 'least-privilege' } } })).status, 200);
    appToken = (await srv.request('POST', 'auth/token/create', { token: root, body: { policies: ['app'] } })).body.auth.client_token;
    otherToken = (await srv.request('POST', 'auth/token/create', { token: root, body: { policies: ['other'] } })).body.auth.client_token;
  });
  after(async () => {
    await srv.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('answers the mount info to a token that may read one path of the mount', async () => {
    for (const path of ['secret/app', 'secret/data/app', 'secret', 'secret/anything/else']) {
      const r = await srv.request('GET', `sys/internal/ui/mounts/${path}`, { token: appToken });
      assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.data.type, 'kv');
      assert.equal(r.body.data.options.version, '2');
      assert.equal(r.body.data.path, 'secret/');
    }
    // The mount listing shows that mount too, and only mounts the token has something under.
    const list = await srv.request('GET', 'sys/internal/ui/mounts', { token: appToken });
    assert.equal(list.status, 200);
    assert.ok('secret/' in list.body.data.secret);
    assert.equal('private/' in list.body.data.secret, false);
  });

  it('refuses a token with nothing under the mount, no token, a bad token and unknown mounts with 403', async () => {
    const message = 'preflight capability check returned 403, please ensure client\'s policies grant access to path "secret/app"';
    const other = await srv.request('GET', 'sys/internal/ui/mounts/secret/app', { token: otherToken });
    assert.equal(other.status, 403);
    assert.deepEqual(other.body.errors, [message]);
    assert.equal((await srv.request('GET', 'sys/internal/ui/mounts/secret/app', {})).status, 403);
    assert.equal((await srv.request('GET', 'sys/internal/ui/mounts/secret/app', { token: 'hvs.not-a-token' })).status, 403);
    assert.equal((await srv.request('GET', 'sys/internal/ui/mounts/nope/x', { token: appToken })).status, 403);
    // Seeing the mount is not access to it: the token still reads only its one path.
    assert.equal((await srv.request('GET', 'secret/data/other', { token: appToken })).status, 403);
    assert.equal((await srv.request('GET', 'secret/metadata/app', { token: appToken })).status, 403);
  });

  it('coffer kv get secret/app works with that token; the other token is refused', async () => {
    const env = { HOME: home, COFFER_ADDR: srv.address };
    const ok = await runCli(['kv', 'get', '-field=db_password', 'secret/app'], { env: { ...env, COFFER_TOKEN: appToken } });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout.trim(), 'least-privilege');
    const table = await runCli(['kv', 'get', 'secret/app'], { env: { ...env, COFFER_TOKEN: appToken } });
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^db_password\s+least-privilege$/m);
    const refused = await runCli(['kv', 'get', 'secret/app'], { env: { ...env, COFFER_TOKEN: otherToken } });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /preflight capability check returned 403|permission denied/);
  });
});
