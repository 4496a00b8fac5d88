// End-to-end: login, tokens, policies and auth methods through the built `coffer` CLI against a
// real server.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { cliRunner, runCli } from './run-cli.js';

let server: TestServer;
let home: string;
let coffer: ReturnType<typeof cliRunner>;

before(async () => {
  server = await startTestServer();
  home = mkdtempSync(join(tmpdir(), 'coffer-cli-auth-'));
  coffer = cliRunner(home, { COFFER_ADDR: server.address, COFFER_TOKEN: server.rootToken });
});

after(async () => {
  await server?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('coffer policy', () => {
  it('writes from a file and from stdin, reads, lists and deletes', async () => {
    const file = join(home, 'app.hcl');
    writeFileSync(file, 'path "secret/data/app/*" {\n  capabilities = ["read"]\n}\n');
    const w = await coffer(['policy', 'write', 'app', file]);
    assert.equal(w.code, 0, w.stderr);
    assert.match(w.stdout, /Success! Uploaded policy: app/);
    const s = await coffer(['policy', 'write', 'ops', '-'], { stdin: 'path "sys/*" { capabilities = ["read", "list"] }' });
    assert.equal(s.code, 0, s.stderr);
    const r = await coffer(['policy', 'read', 'app']);
    assert.match(r.stdout, /path "secret\/data\/app\/\*"/);
    const l = await coffer(['policy', 'list']);
    assert.deepEqual(l.stdout.trim().split('\n').filter((n) => ['app', 'default', 'ops', 'root'].includes(n)).sort(), ['app', 'default', 'ops', 'root']);
    assert.equal((await coffer(['policy', 'delete', 'ops'])).code, 0);
    assert.ok(!(await coffer(['policy', 'list'])).stdout.split('\n').includes('ops'));
    const missing = await coffer(['policy', 'read', 'ops']);
    assert.equal(missing.code, 2);
  });

  it('rejects an unparsable policy with the server\'s message (exit 2)', async () => {
    const r = await coffer(['policy', 'write', 'bad', '-'], { stdin: 'path "x" { capabilities = [' });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^coffer: error: .*\(HTTP 400 on PUT \/v1\/sys\/policies\/acl\/bad\)$/m);
  });

  it('formats a policy file locally, leaving a bad one untouched', async () => {
    const file = join(home, 'fmt.hcl');
    writeFileSync(file, 'path "a" {\ncapabilities=["read"] # why\n}\n');
    const r = await runCli(['policy', 'fmt', file], { env: { HOME: home } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(file, 'utf8'), 'path "a" {\n  capabilities = ["read"] # why\n}\n');
    writeFileSync(file, 'path "a" {');
    const bad = await runCli(['policy', 'fmt', file], { env: { HOME: home } });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /line 1/);
    assert.equal(readFileSync(file, 'utf8'), 'path "a" {');
  });
});

describe('coffer token', () => {
  let token = '';
  let accessor = '';

  it('creates a token with policies, TTL and metadata', async () => {
    const r = await coffer(['token', 'create', '-policy=app', '-policy', 'extra', '-ttl=1h', '-metadata', 'team=ops', '-display-name=ci', '-format=json']);
    assert.equal(r.code, 0, r.stderr);
    const auth = JSON.parse(r.stdout).auth;
    token = auth.client_token;
    accessor = auth.accessor;
    assert.deepEqual([...auth.policies].sort(), ['app', 'default', 'extra']);
    assert.equal(auth.lease_duration, 3600);
    assert.equal(auth.metadata.team, 'ops');
    const table = await coffer(['token', 'create', '-policy=app', '-use-limit=2', '-renewable=false']);
    assert.match(table.stdout, /^token\s+hvs\./m);
    assert.match(table.stdout, /^token_duration\s+768h$/m);
    assert.match(table.stdout, /^token_renewable\s+false$/m);
    const field = await coffer(['token', 'create', '-orphan', '-field=token']);
    assert.match(field.stdout, /^hvs\.\S+$/);
  });

  it('looks tokens up by value, by accessor and as self', async () => {
    const byValue = await coffer(['token', 'lookup', token]);
    assert.equal(byValue.code, 0, byValue.stderr);
    assert.match(byValue.stdout, /^display_name\s+token-ci$/m);
    assert.match(byValue.stdout, /^ttl\s+(59m\d+s|1h)$/m);
    const byAccessor = await coffer(['token', 'lookup', '-accessor', accessor, '-format=json']);
    assert.equal(JSON.parse(byAccessor.stdout).data.accessor, accessor);
    const self = await coffer(['token', 'lookup', '-field=policies'], { env: { COFFER_TOKEN: token } });
    assert.equal(self.stdout, '["app","default","extra"]');
  });

  it('renews with an increment and shows capabilities', async () => {
    const renew = await coffer(['token', 'renew', '-increment=2h', '-format=json', token]);
    assert.equal(renew.code, 0, renew.stderr);
    assert.equal(JSON.parse(renew.stdout).auth.lease_duration, 7200);
    const caps = await coffer(['token', 'capabilities', token, 'secret/data/app/x']);
    assert.equal(caps.stdout, 'read\n');
    const root = await coffer(['token', 'capabilities', 'secret/data/app/x']);
    assert.equal(root.stdout, 'root\n');
    const deny = await coffer(['token', 'capabilities', '-format=json', token, 'sys/mounts']);
    assert.deepEqual(JSON.parse(deny.stdout), ['deny']);
  });

  it('is refused by the server without the right policy (403, hint), never echoing the token', async () => {
    const r = await coffer(['secrets', 'list'], { env: { COFFER_TOKEN: token } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^coffer: error: permission denied \(HTTP 403 on GET \/v1\/sys\/mounts\)$/m);
    assert.match(r.stderr, /^hint: check that your token is valid/m);
    assert.ok(!r.stderr.includes(token));
  });

  it('revokes by token, accessor and self', async () => {
    const rv = await coffer(['token', 'revoke', token]);
    assert.equal(rv.code, 0, rv.stderr);
    assert.match(rv.stdout, /Success! Revoked token \(if it existed\)/);
    const after = await coffer(['token', 'lookup', token]);
    assert.equal(after.code, 2);
    assert.ok(!after.stderr.includes(token), 'the token must not be printed in errors');
    const a = JSON.parse((await coffer(['token', 'create', '-format=json'])).stdout).auth;
    assert.equal((await coffer(['token', 'revoke', '-accessor', a.accessor])).code, 0);
    assert.equal((await coffer(['token', 'lookup', a.client_token])).code, 2);
    const s = JSON.parse((await coffer(['token', 'create', '-format=json'])).stdout).auth.client_token;
    assert.equal((await coffer(['token', 'revoke', '-self'], { env: { COFFER_TOKEN: s } })).code, 0);
    assert.equal((await coffer(['token', 'lookup', s])).code, 2);
    assert.equal((await coffer(['token', 'revoke', '-self', 'x'])).code, 1);
  });
});

describe('coffer login', () => {
  it('stores a valid token in ~/.vault-token (0600) and later commands use it', async () => {
    const loginHome = mkdtempSync(join(tmpdir(), 'coffer-login-'));
    try {
      const env = { HOME: loginHome, COFFER_ADDR: server.address };
      const r = await runCli(['login', server.rootToken], { env });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Success! You are now authenticated/);
      assert.match(r.stdout, /^token_policies\s+\["root"\]$/m);
      const file = join(loginHome, '.vault-token');
      assert.equal(readFileSync(file, 'utf8'), server.rootToken);
      assert.equal(statSync(file).mode & 0o777, 0o600);
      const use = await runCli(['token', 'lookup', '-field=display_name'], { env });
      assert.equal(use.stdout, 'root');
      const piped = await runCli(['login', '-no-print'], { env, stdin: `${server.rootToken}\n` });
      assert.equal(piped.code, 0, piped.stderr);
      assert.equal(piped.stdout, '');
    } finally {
      rmSync(loginHome, { recursive: true, force: true });
    }
  });

  it('rejects a bad token without storing or printing it', async () => {
    const loginHome = mkdtempSync(join(tmpdir(), 'coffer-login-bad-'));
    try {
      const bad = 'hvs.ThisIsNotAValidToken123';
      const r = await runCli(['login', bad], { env: { HOME: loginHome, COFFER_ADDR: server.address } });
      assert.equal(r.code, 2);
      assert.match(r.stderr, /HTTP 403/);
      assert.ok(!r.stderr.includes(bad) && !r.stdout.includes(bad));
      assert.equal(existsSync(join(loginHome, '.vault-token')), false);
    } finally {
      rmSync(loginHome, { recursive: true, force: true });
    }
  });
});

describe('coffer auth', () => {
  it('lists the token method and reports an unknown type with the server\'s message', async () => {
    const l = await coffer(['auth', 'list']);
    assert.equal(l.code, 0, l.stderr);
    assert.match(l.stdout, /^Path\s+Type\s+Accessor\s+Description$/m);
    assert.match(l.stdout, /^token\/\s+token\s+auth_token_\S+/m);
    const json = await coffer(['auth', 'list', '-format=json']);
    assert.equal(JSON.parse(json.stdout)['token/'].type, 'token');
    const bad = await coffer(['auth', 'enable', 'no-such-method']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^coffer: error: .*no-such-method.*\(HTTP 400 on PUT \/v1\/sys\/auth\/no-such-method\)$/m);
  });

  it('enables, lists, tunes and disables an auth method', async (t) => {
    const e = await coffer(['auth', 'enable', '-path=up', '-description=people', 'userpass']);
    if (e.code === 2 && /unknown auth method type/.test(e.stderr)) {
      t.skip('the server has no userpass method yet (it lands with the auth-methods issue)');
      return;
    }
    assert.equal(e.code, 0, e.stderr);
    assert.match(e.stdout, /Success! Enabled userpass auth method at: up\//);
    const l = await coffer(['auth', 'list']);
    assert.match(l.stdout, /^up\/\s+userpass\s+\S+\s+people$/m);
    const t2 = await coffer(['auth', 'tune', '-default-lease-ttl=30m', 'up']);
    assert.equal(t2.code, 0, t2.stderr);
    const d = await coffer(['auth', 'disable', 'up']);
    assert.equal(d.code, 0, d.stderr);
    assert.ok(!(await coffer(['auth', 'list'])).stdout.includes('up/'));
  });
});
