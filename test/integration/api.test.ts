// Wire-level behaviour of the Vault API over real HTTP: envelope, status codes, LIST, sys endpoints,
// wrapping, and how bad input is refused without changing anything.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** Sends a raw HTTP/1.1 request (the LIST verb, malformed paths) and returns status and body. */
function rawRequest(address: string, text: string): Promise<{ status: number; headers: string; body: string }> {
  const url = new URL(address);
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(url.port), url.hostname, () => sock.write(text));
    let data = '';
    sock.on('data', (c) => { data += c.toString(); });
    sock.on('end', () => {
      const [head, ...rest] = data.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(head ?? '')?.[1]), headers: head ?? '', body: rest.join('\r\n\r\n') });
    });
    sock.on('error', reject);
  });
}

describe('Vault API over HTTP', () => {
  let srv: TestServer;
  let root: string;
  before(async () => {
    srv = await startTestServer({ kv2At: 'secret' });
    root = srv.rootToken;
    await srv.request('POST', 'sys/mounts/kv', { token: root, body: { type: 'kv-v1' } });
  });
  after(async () => { await srv.stop(); });

  it('answers with the full envelope and the exact content type', async () => {
    const w = await srv.request('POST', 'secret/data/env', { token: root, body: { data: { a: 'b' } } });
    assert.equal(w.status, 200);
    assert.equal(w.headers.get('content-type'), 'application/json');
    assert.equal(w.headers.get('cache-control'), 'no-store');
    for (const k of ['request_id', 'lease_id', 'renewable', 'lease_duration', 'data', 'wrap_info', 'warnings', 'auth', 'mount_type']) assert.ok(k in w.body, k);
    assert.match(w.body.request_id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(w.body.mount_type, 'kv');
    const v1 = await srv.request('POST', 'kv/x', { token: root, body: { a: 'b' } });
    assert.equal(v1.status, 204);
    assert.equal(v1.headers.get('content-type'), 'application/json');
  });

  it('serves LIST as a verb and as ?list= with Go booleans; an empty list is 404 {"errors":[]}', async () => {
    await srv.request('POST', 'kv/dir/a', { token: root, body: { v: '1' } });
    await srv.request('POST', 'kv/dir/sub/b', { token: root, body: { v: '1' } });
    const raw = await rawRequest(srv.address, `LIST /v1/kv/dir HTTP/1.1\r\nHost: x\r\nX-Vault-Token: ${root}\r\n\r\n`);
    assert.equal(raw.status, 200);
    assert.deepEqual(JSON.parse(raw.body).data.keys, ['a', 'sub/']);
    for (const v of ['true', 'True', '1', 't']) {
      const r = await srv.request('GET', `kv/dir?list=${v}`, { token: root });
      assert.deepEqual(r.body.data.keys, ['a', 'sub/'], v);
    }
    const bad = await srv.request('GET', 'kv/dir?list=maybe', { token: root });
    assert.equal(bad.status, 400);
    const empty = await srv.request('GET', 'kv/nothing-here?list=true', { token: root });
    assert.equal(empty.status, 404);
    assert.deepEqual(empty.body, { errors: [] });
  });

  it('copies data to the top level on legacy sys routes and detects KV versions', async () => {
    const m = await srv.request('GET', 'sys/mounts', { token: root });
    assert.equal(m.body['secret/'].options.version, '2');
    assert.equal(m.body.data['kv/'].options.version, '1');
    assert.match(m.body.data['sys/'].accessor, /^system_[0-9a-f]{8}$/);
    const ui = await srv.request('GET', 'sys/internal/ui/mounts/secret/some/deep/path', { token: root });
    assert.equal(ui.status, 200);
    assert.equal(ui.body.data.path, 'secret/');
    assert.equal(ui.body.data.type, 'kv');
    assert.equal(ui.body.data.options.version, '2');
    const unknown = await srv.request('GET', 'sys/internal/ui/mounts/nope/x', { token: root });
    assert.equal(unknown.status, 403);
    const auth = await srv.request('GET', 'sys/auth', { token: root });
    assert.equal(auth.body['token/'].type, 'token');
    assert.match(auth.body['token/'].accessor, /^auth_token_[0-9a-f]{8}$/);
  });

  it('tunes mounts and reports effective TTLs', async () => {
    assert.equal((await srv.request('POST', 'sys/mounts/kv/tune', { token: root, body: { default_lease_ttl: '1h', max_lease_ttl: 7200 } })).status, 204);
    const t = await srv.request('GET', 'sys/mounts/kv/tune', { token: root });
    assert.equal(t.body.data.default_lease_ttl, 3600);
    assert.equal(t.body.data.max_lease_ttl, 7200);
    const r = await srv.request('GET', 'kv/x', { token: root });
    assert.equal(r.body.lease_duration, 3600);
    const bad = await srv.request('POST', 'sys/mounts/kv/tune', { token: root, body: { default_lease_ttl: '10h', max_lease_ttl: '1h' } });
    assert.equal(bad.status, 400);
    const dup = await srv.request('POST', 'sys/mounts/kv', { token: root, body: { type: 'kv' } });
    assert.equal(dup.status, 400);
    assert.match(dup.body.errors[0], /path is already in use at kv\//);
  });

  it('answers ?help=1 with the path help for a valid token only', async () => {
    const h = await srv.request('GET', 'secret/data/env?help=1', { token: root });
    assert.equal(h.status, 200);
    assert.equal(typeof h.body.help, 'string');
    assert.equal((await srv.request('GET', 'secret/data/env?help=1', {})).status, 403);
  });

  it('health: status codes, overrides, HEAD, bad parameters', async () => {
    const h = await srv.request('GET', 'sys/health', {});
    assert.equal(h.status, 200);
    assert.equal(h.body.initialized, true);
    assert.equal((await srv.request('GET', 'sys/health?activecode=299', {})).status, 299);
    assert.equal((await srv.request('GET', 'sys/health?activecode=abc', {})).status, 400);
    const head = await fetch(`${srv.address}/v1/sys/health`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
    const leader = await srv.request('GET', 'sys/leader', {});
    assert.equal(leader.body.ha_enabled, false);
  });

  it('capabilities for self, another token and an accessor, sorted', async () => {
    await srv.request('PUT', 'sys/policy/caps', { token: root, body: { policy: 'path "secret/data/*" { capabilities = ["update", "read", "create"] }\npath "secret/data/locked" { capabilities = ["deny"] }' } });
    const t = await srv.request('POST', 'auth/token/create', { token: root, body: { policies: ['caps'] } });
    const token = t.body.auth.client_token;
    const self = await srv.request('POST', 'sys/capabilities-self', { token, body: { paths: ['secret/data/x', 'secret/data/locked', 'other/x'] } });
    assert.deepEqual(self.body.data['secret/data/x'], ['create', 'read', 'update']);
    assert.deepEqual(self.body.data['secret/data/locked'], ['deny']);
    assert.deepEqual(self.body['other/x'], ['deny']);
    const other = await srv.request('POST', 'sys/capabilities', { token: root, body: { token, path: 'secret/data/x' } });
    assert.deepEqual(other.body.capabilities, ['create', 'read', 'update']);
    const acc = await srv.request('POST', 'sys/capabilities-accessor', { token: root, body: { accessor: t.body.auth.accessor, paths: ['secret/data/x'] } });
    assert.deepEqual(acc.body.capabilities, ['create', 'read', 'update']);
    assert.deepEqual((await srv.request('POST', 'sys/capabilities-self', { token: root, body: { paths: ['x'] } })).body.capabilities, ['root']);
    assert.equal((await srv.request('POST', 'sys/capabilities', { token: root, body: { token: 'hvs.bogus', paths: ['x'] } })).status, 400);
  });

  it('wraps any response once: unwrap returns the original, a second unwrap fails', async () => {
    await srv.request('POST', 'secret/data/wrapme', { token: root, body: { data: { pw: 'wrapped-canary' } } });
    const w = await srv.request('GET', 'secret/data/wrapme', { token: root, headers: { 'X-Vault-Wrap-TTL': '5m' } });
    assert.equal(w.status, 200);
    assert.equal(w.body.data, null);
    const info = w.body.wrap_info;
    assert.equal(info.ttl, 300);
    assert.equal(info.creation_path, 'secret/data/wrapme');
    assert.ok(!JSON.stringify(w.body).includes('wrapped-canary'));
    const look = await srv.request('POST', 'sys/wrapping/lookup', { body: { token: info.token } });
    assert.equal(look.body.data.creation_ttl, 300);
    const u = await srv.request('POST', 'sys/wrapping/unwrap', { token: info.token });
    assert.equal(u.status, 200);
    assert.deepEqual(u.body.data.data, { pw: 'wrapped-canary' });
    const again = await srv.request('POST', 'sys/wrapping/unwrap', { token: info.token });
    assert.equal(again.status, 400);
    assert.deepEqual(again.body.errors, ['wrapping token is not valid or does not exist']);
    const bad = await srv.request('GET', 'secret/data/wrapme', { token: root, headers: { 'X-Vault-Wrap-TTL': '-5m' } });
    assert.equal(bad.status, 400);
    const wrapped = await srv.request('POST', 'sys/wrapping/wrap', { token: root, body: { k: 'v' }, headers: { 'X-Vault-Wrap-TTL': '60' } });
    const viaBody = await srv.request('POST', 'sys/wrapping/unwrap', { token: root, body: { token: wrapped.body.wrap_info.token } });
    assert.deepEqual(viaBody.body.data, { k: 'v' });
    assert.equal((await srv.request('POST', 'sys/wrapping/wrap', { token: root, body: { k: 'v' } })).status, 400);
  });

  it('sudo on auth/token/create (from the pipeline\'s ACL check) unlocks no_parent; without it the option is refused', async () => {
    await srv.request('PUT', 'sys/policy/creator', { token: root, body: { policy: 'path "auth/token/create" { capabilities = ["update"] }' } });
    await srv.request('PUT', 'sys/policy/sudo-creator', { token: root, body: { policy: 'path "auth/token/create" { capabilities = ["update", "sudo"] }' } });
    const plain = (await srv.request('POST', 'auth/token/create', { token: root, body: { policies: ['creator'] } })).body.auth.client_token;
    const sudo = (await srv.request('POST', 'auth/token/create', { token: root, body: { policies: ['sudo-creator'] } })).body.auth.client_token;
    const refused = await srv.request('POST', 'auth/token/create', { token: plain, body: { no_parent: true, policies: ['creator'] } });
    assert.ok(refused.status === 400 || refused.status === 403, String(refused.status));
    const orphan = await srv.request('POST', 'auth/token/create', { token: sudo, body: { no_parent: true, policies: ['sudo-creator'] } });
    assert.equal(orphan.status, 200);
    assert.equal(orphan.body.auth.orphan, true);
  });

  it('cubbyhole is private to a token and gone with it', async () => {
    const a = (await srv.request('POST', 'auth/token/create', { token: root, body: { policies: ['default'] } })).body.auth.client_token;
    const b = (await srv.request('POST', 'auth/token/create', { token: root, body: { policies: ['default'] } })).body.auth.client_token;
    assert.equal((await srv.request('POST', 'cubbyhole/note', { token: a, body: { n: '1' } })).status, 204);
    assert.deepEqual((await srv.request('GET', 'cubbyhole/note', { token: a })).body.data, { n: '1' });
    assert.equal((await srv.request('GET', 'cubbyhole/note', { token: b })).status, 404);
    await srv.request('POST', 'auth/token/revoke', { token: root, body: { token: a } });
    assert.equal((await srv.request('GET', 'cubbyhole/note', { token: a })).status, 403);
  });

  it('rotates the barrier key and reports the term', async () => {
    const before = await srv.request('GET', 'sys/key-status', { token: root });
    assert.equal(before.body.data.term, 1);
    assert.equal((await srv.request('PUT', 'sys/rotate', { token: root })).status, 204);
    const after = await srv.request('GET', 'sys/key-status', { token: root });
    assert.equal(after.body.term, 2);
    assert.deepEqual((await srv.request('GET', 'secret/data/env', { token: root })).body.data.data, { a: 'b' });
  });

  describe('bad input gets a Vault error and changes nothing', () => {
    it('tokens: missing → 403 permission denied, invalid → 403 mentioning invalid token', async () => {
      const none = await srv.request('GET', 'secret/data/env', {});
      assert.equal(none.status, 403);
      assert.deepEqual(none.body.errors, ['permission denied']);
      const bad = await srv.request('GET', 'secret/data/env', { token: 'hvs.not-a-real-token' });
      assert.equal(bad.status, 403);
      assert.match(bad.body.errors[0], /permission denied/);
      assert.match(bad.body.errors[0], /invalid token/);
      const bearer = await fetch(`${srv.address}/v1/secret/data/env`, { headers: { Authorization: `Bearer ${root}` } });
      assert.equal(bearer.status, 200);
    });

    it('malformed JSON, non-object bodies and wrong types are 400 and store nothing', async () => {
      const r1 = await srv.request('POST', 'kv/bad1', { token: root, body: '{"a": ' });
      assert.equal(r1.status, 400);
      const r2 = await srv.request('POST', 'kv/bad2', { token: root, body: '[1,2]' });
      assert.equal(r2.status, 400);
      const r3 = await srv.request('POST', 'auth/token/create', { token: root, body: { ttl: 'forever-and-a-day' } });
      assert.equal(r3.status, 400);
      assert.equal((await srv.request('GET', 'kv/bad1', { token: root })).status, 404);
      assert.equal((await srv.request('GET', 'kv/bad2', { token: root })).status, 404);
    });

    it('oversized bodies are 413', async () => {
      const big = JSON.stringify({ v: 'x'.repeat(33 * 1024 * 1024) });
      const r = await fetch(`${srv.address}/v1/kv/huge`, { method: 'POST', headers: { 'X-Vault-Token': root, 'Content-Type': 'application/json' }, body: big }).catch(() => undefined);
      if (r) assert.equal(r.status, 413);
      assert.equal((await srv.request('GET', 'kv/huge', { token: root })).status, 404);
    });

    it('path traversal, empty segments and encoded slashes are refused', async () => {
      for (const p of ['kv/../sys/mounts', 'kv//x', 'kv/./x']) {
        const r = await rawRequest(srv.address, `GET /v1/${p} HTTP/1.1\r\nHost: x\r\nX-Vault-Token: ${root}\r\nConnection: close\r\n\r\n`);
        assert.equal(r.status, 400, p);
        assert.match(r.body, /"errors"/);
      }
      const enc = await rawRequest(srv.address, `GET /v1/kv%2Fx HTTP/1.1\r\nHost: x\r\nX-Vault-Token: ${root}\r\nConnection: close\r\n\r\n`);
      assert.equal(enc.status, 400);
    });

    it('unknown mounts: 404 for root, 403 for a limited token; unknown verbs 405; PATCH needs merge-patch', async () => {
      const r = await srv.request('GET', 'nosuchmount/x', { token: root });
      assert.equal(r.status, 404);
      const limited = (await srv.request('POST', 'auth/token/create', { token: root, body: { policies: ['default'] } })).body.auth.client_token;
      assert.equal((await srv.request('GET', 'nosuchmount/x', { token: limited })).status, 403);
      const m = await srv.request('PROPFIND', 'kv/x', { token: root });
      assert.equal(m.status, 405);
      const p = await srv.request('PATCH', 'secret/data/env', { token: root, body: { data: { c: 'd' } } });
      assert.equal(p.status, 415);
    });

    it('unparseable policies are 400 and not stored; root cannot be changed', async () => {
      const r = await srv.request('PUT', 'sys/policies/acl/broken', { token: root, body: { policy: 'path "x" { capabilities = ["read" ' } });
      assert.equal(r.status, 400);
      assert.equal((await srv.request('GET', 'sys/policies/acl/broken', { token: root })).status, 404);
      assert.equal((await srv.request('PUT', 'sys/policy/root', { token: root, body: { policy: 'path "*" { capabilities = ["read"] }' } })).status, 400);
    });

    it('while sealed, only the unauthenticated sys endpoints answer; the rest is 503', async () => {
      const s = await startTestServer({ sealed: true });
      try {
        assert.equal((await s.request('GET', 'sys/seal-status')).body.sealed, true);
        assert.equal((await s.request('GET', 'sys/health')).status, 503);
        const kv = await s.request('GET', 'secret/data/x', { token: s.rootToken });
        assert.equal(kv.status, 503);
        assert.deepEqual(kv.body.errors, ['Vault is sealed']);
        const bad = await s.request('PUT', 'sys/unseal', { body: { key: 'zz' } });
        assert.equal(bad.status, 400);
        assert.equal((await s.request('PUT', 'sys/unseal', { body: {} })).status, 400);
        assert.equal((await s.request('GET', 'sys/unseal')).status, 405);
        const init = await s.request('PUT', 'sys/init', { body: { secret_shares: 1, secret_threshold: 1 } });
        assert.equal(init.status, 400);
        const u = await s.request('PUT', 'sys/unseal', { body: { key: s.unsealKeys[0] } });
        assert.equal(u.body.sealed, false);
      } finally {
        await s.stop();
      }
    });

    it('uninitialised: health 501, init validates its parameters', async () => {
      const s = await startTestServer({ uninitialized: true });
      try {
        assert.equal((await s.request('GET', 'sys/health')).status, 501);
        assert.equal((await s.request('GET', 'sys/health?uninitcode=200')).status, 200);
        assert.equal((await s.request('PUT', 'sys/init', { body: { secret_shares: 3, secret_threshold: 5 } })).status, 400);
        assert.equal((await s.request('PUT', 'sys/init', { body: { secret_shares: 'many' } })).status, 400);
        assert.deepEqual((await s.request('GET', 'sys/init')).body, { initialized: false });
      } finally {
        await s.stop();
      }
    });
  });
});
