// The login half of the backend contract, over HTTP: an auth method returns an AuthIntent and the
// core mints the token (orphan, "<mount>-<name>" display name, the auth mount's TTLs), indexes its
// expiry, and asks the method before every renewal (Backend.authRenew).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createLoginLedger, loginMethodFactories, type LoginLedger } from '../helpers/login-method.js';

describe('login intents: the core mints, expires and renews login tokens', () => {
  let srv: TestServer;
  let ledger: LoginLedger;
  const root = () => ({ token: srv.rootToken });
  const login = async (mount: string, body: Record<string, unknown>) => srv.request('POST', `auth/${mount}/login`, { body });

  before(async () => {
    ledger = createLoginLedger({ alice: 'alice-pw', bob: 'bob-pw' });
    srv = await startTestServer({ ext: { factories: loginMethodFactories(ledger) } });
    assert.equal((await srv.request('POST', 'sys/auth/people', { ...root(), body: { type: 'test-login', config: { default_lease_ttl: '1h', max_lease_ttl: '2h' } } })).status, 204);
    assert.equal((await srv.request('POST', 'sys/auth/norenew', { ...root(), body: { type: 'test-login-norenew' } })).status, 204);
    await srv.request('PUT', 'sys/policy/dev', { ...root(), body: { policy: 'path "secret/*" { capabilities = ["read"] }' } });
  });
  after(async () => { await srv?.stop(); });

  it('a login returns a token the core minted, with the auth block Vault clients expect', async () => {
    const r = await login('people', { username: 'alice', password: 'alice-pw' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const auth = r.body.auth;
    assert.match(auth.client_token, /^hvs\./);
    assert.deepEqual(auth.policies, ['default', 'dev']);
    assert.deepEqual(auth.token_policies, ['default', 'dev']);
    assert.deepEqual(auth.metadata, { username: 'alice' });
    assert.equal(auth.lease_duration, 3600); // the auth mount's default TTL
    assert.equal(auth.renewable, true);
    assert.equal(auth.orphan, true);
    assert.equal(r.body.lease_id, '');
    const self = await srv.request('GET', 'auth/token/lookup-self', { token: auth.client_token });
    assert.equal(self.body.data.display_name, 'people-alice');
    assert.equal(self.body.data.path, 'auth/people/login');
    assert.equal(self.body.data.meta.username, 'alice');
    // The internal data stays server-side.
    assert.ok(!JSON.stringify(r.body).includes('issuedBy'));
    assert.ok(!JSON.stringify(self.body).includes('issuedBy'));
  });

  it('wrong credentials: 403 in the error envelope, no token', async () => {
    const r = await login('people', { username: 'alice', password: 'nope' });
    assert.equal(r.status, 403);
    assert.deepEqual(r.body, { errors: ['invalid username or password'] });
  });

  it('a requested TTL above the auth mount max is capped at it', async () => {
    const r = await login('people', { username: 'alice', password: 'alice-pw', ttl: '10h' });
    assert.equal(r.body.auth.lease_duration, 7200);
  });

  it('renewal asks the auth method, with the login internal data, and follows its TTLs', async () => {
    const { client_token: token } = (await login('people', { username: 'bob', password: 'bob-pw', ttl: '10m' })).body.auth;
    ledger.renewals.length = 0;
    const r = await srv.request('POST', 'auth/token/renew-self', { token, body: { increment: '30m' } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.auth.lease_duration, 1800);
    assert.deepEqual(ledger.renewals, [{ internal: { username: 'bob', issuedBy: 'test-login' }, metadata: { username: 'bob' } }]);
    // The method lowers its max TTL (a role's token_max_ttl changed): the renewal is capped.
    ledger.renewMaxTTL = 900;
    const capped = await srv.request('POST', 'auth/token/renew-self', { token, body: { increment: '1h' } });
    assert.equal(capped.status, 200);
    assert.ok(capped.body.auth.lease_duration <= 900, String(capped.body.auth.lease_duration));
    ledger.renewMaxTTL = 0;
  });

  it('a disabled user cannot renew; the token keeps its current expiry', async () => {
    const { client_token: token } = (await login('people', { username: 'alice', password: 'alice-pw' })).body.auth;
    ledger.disabled.add('alice');
    try {
      const r = await srv.request('POST', 'auth/token/renew-self', { token, body: {} });
      assert.equal(r.status, 400);
      assert.deepEqual(r.body.errors, ['user is disabled']);
      const byRoot = await srv.request('POST', 'auth/token/renew', { ...root(), body: { token } });
      assert.equal(byRoot.status, 400);
      assert.equal((await srv.request('GET', 'auth/token/lookup-self', { token })).status, 200);
    } finally {
      ledger.disabled.delete('alice');
    }
  });

  it('a method without authRenew issues tokens that cannot be renewed', async () => {
    const r = await login('norenew', { username: 'alice', password: 'alice-pw', ttl: '1h' });
    assert.equal(r.status, 200);
    const renew = await srv.request('POST', 'auth/token/renew-self', { token: r.body.auth.client_token, body: {} });
    assert.equal(renew.status, 400);
    assert.match(renew.body.errors[0], /does not support renewal/);
  });

  it('login tokens expire on time and revoke-prefix on the auth mount logs everyone out', async () => {
    const short = (await login('people', { username: 'alice', password: 'alice-pw', ttl: '1s' })).body.auth.client_token;
    const a = (await login('people', { username: 'alice', password: 'alice-pw' })).body.auth.client_token;
    const b = (await login('people', { username: 'bob', password: 'bob-pw' })).body.auth.client_token;
    const deadline = Date.now() + 10_000;
    // Looked up through root (the accessor-free way) so the expired token is never presented itself.
    for (;;) {
      const r = await srv.request('POST', 'auth/token/lookup', { ...root(), body: { token: short } });
      if (r.status === 403 || r.status === 400) break;
      if (Date.now() > deadline) assert.fail('the 1s login token was not revoked');
      await new Promise((res) => setTimeout(res, 200));
    }
    assert.equal((await srv.request('GET', 'auth/token/lookup-self', { token: a })).status, 200);
    const revoke = await srv.request('PUT', 'sys/leases/revoke-prefix/auth/people/', root());
    assert.equal(revoke.status, 204);
    assert.equal((await srv.request('GET', 'auth/token/lookup-self', { token: a })).status, 403);
    assert.equal((await srv.request('GET', 'auth/token/lookup-self', { token: b })).status, 403);
  });
});
