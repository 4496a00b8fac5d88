// Leases over HTTP (spec §2.7): the lease envelope of a dynamic secret, sys/leases/lookup, LIST with
// sudo, renew (increment, max-TTL cap, legacy forms), revoke, revoke-prefix, revoke-force,
// irrevocable leases, expiry on time, token expiry and token-tree revocation, a restart on SQLite,
// unmount, count and tidy. The "test-lease" engine records what the expiration manager asked of it.
// Time-driven behaviours are polled with deadlines; nothing asserts on how long something took.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createLedger, leaseEngineFactories, type LeaseLedger } from '../helpers/lease-engine.js';
import type { BackendFactory } from '../../src/framework/types.js';

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const ID_SUFFIX = /^[0-9A-Za-z]{24}$/;

/** Polls `check` until it returns true; fails with `what` after `ms`. Only for time-driven behaviour. */
async function eventually(what: string, check: () => Promise<boolean> | boolean, ms = 8_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) assert.fail(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One raw HTTP/1.1 exchange: the request line reaches the server exactly as written. */
function rawRequest(address: string, text: string): Promise<{ status: number; body: string }> {
  const url = new URL(address);
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(url.port), url.hostname, () => sock.write(text));
    let data = '';
    sock.on('data', (d) => { data += d.toString(); });
    sock.on('end', () => {
      const [head, ...rest] = data.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(head ?? '')?.[1]), body: rest.join('\r\n\r\n') });
    });
    sock.on('error', reject);
  });
}

/** Helpers bound to one server and the root token. */
function client(srv: () => TestServer, token: () => string) {
  const req = (method: string, path: string, body?: unknown, tok = token()) => srv().request(method, path, { token: tok, body });
  return {
    req,
    /** Reads creds and returns the envelope; fails unless 200. */
    async creds(mount: string, role: string, query = 'ttl=60s&max_ttl=120s', tok = token()) {
      const r = await req('GET', `${mount}/creds/${role}?${query}`, undefined, tok);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body as { lease_id: string; lease_duration: number; renewable: boolean; data: { username: string; password: string } };
    },
    lookup: (id: unknown) => req('PUT', 'sys/leases/lookup', { lease_id: id }),
    list: (prefix: string, tok = token()) => req('LIST', `sys/leases/lookup/${prefix}`, undefined, tok),
  };
}

describe('leases over HTTP', () => {
  let srv: TestServer;
  let ledger: LeaseLedger;
  let c: ReturnType<typeof client>;

  before(async () => {
    ledger = createLedger();
    srv = await startTestServer({ ext: { factories: leaseEngineFactories(ledger) }, leaseRetryBaseMs: 20, storage: 'memory' });
    c = client(() => srv, () => srv.rootToken);
    const m = await c.req('POST', 'sys/mounts/test', { type: 'test-lease' });
    assert.equal(m.status, 204, JSON.stringify(m.body));
  });
  after(async () => { await srv.stop(); });

  it('a leased secret carries lease_id <mount>/creds/<role>/<id>, lease_duration and renewable in the envelope', async () => {
    const s = await c.creds('test', 'env', 'ttl=60s&max_ttl=120s&renewable=true');
    const [mount, creds, role, suffix, ...rest] = s.lease_id.split('/');
    assert.deepEqual([mount, creds, role, rest.length], ['test', 'creds', 'env', 0]);
    assert.match(suffix!, ID_SUFFIX);
    assert.equal(s.lease_duration, 60);
    assert.equal(s.renewable, true);
    assert.equal(s.data.username, ledger.issued.at(-1));
    const nr = await c.creds('test', 'env', 'ttl=45s&renewable=false');
    assert.equal(nr.lease_duration, 45);
    assert.equal(nr.renewable, false);
    assert.notEqual(nr.lease_id, s.lease_id);
  });

  it('sys/leases/lookup returns id, issue_time, expire_time, last_renewal (null), renewable, ttl', async () => {
    const s = await c.creds('test', 'look');
    const r = await c.lookup(s.lease_id);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const d = r.body.data;
    assert.deepEqual(Object.keys(d).sort(), ['expire_time', 'id', 'issue_time', 'last_renewal', 'renewable', 'ttl']);
    assert.equal(d.id, s.lease_id);
    assert.equal(d.last_renewal, null);
    assert.equal(d.renewable, true);
    assert.equal(typeof d.ttl, 'number');
    assert.ok(d.ttl > 50 && d.ttl <= 60, `ttl ${d.ttl}`);
    assert.match(d.issue_time, RFC3339);
    assert.match(d.expire_time, RFC3339);
    assert.equal(Date.parse(d.expire_time) - Date.parse(d.issue_time), 60_000);
    // The lease_id is also accepted on the trailing-slash form.
    assert.equal((await c.req('PUT', 'sys/leases/lookup/', { lease_id: s.lease_id })).body.data.id, s.lease_id);
  });

  it('lookup of an unknown id is 400 "invalid lease"; a JSON null or missing lease_id is 400', async () => {
    const unknown = await c.lookup('test/creds/look/AAAAAAAAAAAAAAAAAAAAAAAA');
    assert.equal(unknown.status, 400);
    assert.deepEqual(unknown.body, { errors: ['invalid lease'] });
    for (const body of [{ lease_id: null }, {}]) {
      const r = await c.req('PUT', 'sys/leases/lookup', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.errors.length, 1);
      assert.match(r.body.errors[0], /missing lease id/);
    }
  });

  it('hostile lease ids are refused with 4xx and change nothing', async () => {
    const s = await c.creds('test', 'hostile');
    const before = (await c.lookup(s.lease_id)).body.data;
    const revokedBefore = [...ledger.revoked];
    const keysBefore = (await c.list('test/creds/')).body.data.keys;
    const hostile = [
      '../../sys/token/id/x', `${s.lease_id}/..`, `test/creds/hostile/../hostile/${s.lease_id.split('/').at(-1)}`,
      `test/creds/./hostile`, 'x'.repeat(10_000), `${s.lease_id}\u0000`, '\u0000', 'tést/créds/☃/💥', `${s.lease_id}/`,
      '//', 'test//creds', 42, true, ['a'], { a: 1 },
    ];
    // Well formed but unknown: revoking them is a no-op (Vault answers 204 too). Everything else is refused.
    const wellFormed = new Set<unknown>(['tést/créds/☃/💥', 42, true]); // numbers and booleans coerce to strings
    for (const id of hostile) {
      const label = JSON.stringify(id).slice(0, 60);
      for (const path of ['sys/leases/lookup', 'sys/leases/renew', 'sys/leases/revoke', 'sys/renew', 'sys/revoke']) {
        const r = await c.req('PUT', path, { lease_id: id });
        if (path.endsWith('revoke') && wellFormed.has(id) && r.status === 204) continue;
        assert.ok(r.status >= 400 && r.status < 500, `${path} ${label}: ${r.status} ${JSON.stringify(r.body)}`);
        assert.ok(Array.isArray(r.body.errors) && r.body.errors.length > 0, `${path} ${label}: ${JSON.stringify(r.body)}`);
      }
    }
    // In the URL, sent raw (fetch would resolve the dot segments before the server saw them).
    const suffix = s.lease_id.split('/').at(-1)!;
    for (const p of ['..', '../..', `test/../test/creds/hostile/${suffix}`, `${s.lease_id}/..`, 'test/./creds', 'test//creds/hostile',
      '%2E%2E/test', 'test%2Fcreds%2Fhostile', 'x'.repeat(10_000), '%00', `${s.lease_id}%00`, '%F0%9F%92%A5']) {
      for (const head of ['PUT /v1/sys/leases/revoke-prefix/', 'PUT /v1/sys/leases/revoke-force/', 'PUT /v1/sys/revoke-prefix/',
        'PUT /v1/sys/revoke-force/', 'PUT /v1/sys/leases/revoke/', 'PUT /v1/sys/revoke/', 'PUT /v1/sys/leases/renew/', 'LIST /v1/sys/leases/lookup/']) {
        const r = await rawRequest(srv.address, `${head}${p} HTTP/1.1\r\nHost: x\r\nX-Vault-Token: ${srv.rootToken}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`);
        // The unicode prefix is well formed: revoking under it is a no-op, listing it is an empty 404.
        if (p === '%F0%9F%92%A5' && (r.status === 204 || r.status === 404)) continue;
        assert.ok(r.status >= 400 && r.status < 500, `${head}${p.slice(0, 60)}: ${r.status} ${r.body.slice(0, 200)}`);
      }
    }
    // Still served, unchanged.
    assert.equal((await c.req('GET', 'sys/health')).status, 200);
    assert.deepEqual((await c.lookup(s.lease_id)).body.data.expire_time, before.expire_time);
    assert.equal((await c.lookup(s.lease_id)).body.data.last_renewal, null);
    assert.deepEqual(ledger.revoked, revokedBefore);
    assert.deepEqual((await c.list('test/creds/')).body.data.keys, keysBefore);
  });

  it('LIST sys/leases/lookup/<prefix> lists ids and sub-prefixes, needs sudo', async () => {
    const a = await c.creds('test', 'lst-a');
    const b = await c.creds('test', 'lst-a');
    await c.creds('test', 'lst-b');
    const folders = await c.list('test/creds/');
    assert.equal(folders.status, 200);
    for (const k of ['lst-a/', 'lst-b/']) assert.ok(folders.body.data.keys.includes(k), k);
    assert.ok(folders.body.data.keys.every((k: string) => k.endsWith('/')), JSON.stringify(folders.body.data.keys));
    const ids = await c.list('test/creds/lst-a/');
    assert.deepEqual([...ids.body.data.keys].sort(), [a.lease_id, b.lease_id].map((id) => id.split('/').at(-1)).sort());
    // Without the trailing slash, and as GET ?list=true.
    assert.deepEqual((await c.list('test/creds/lst-a')).body.data.keys.sort(), ids.body.data.keys.sort());
    assert.deepEqual((await c.req('GET', 'sys/leases/lookup/test/creds/lst-a?list=true')).body.data.keys.sort(), ids.body.data.keys.sort());
    const top = await c.list('');
    assert.equal(top.status, 200);
    assert.ok(top.body.data.keys.includes('test/'), JSON.stringify(top.body.data.keys));
    // Nothing there: 404 {"errors":[]}.
    const empty = await c.list('test/creds/nobody/');
    assert.equal(empty.status, 404);
    assert.deepEqual(empty.body, { errors: [] });

    // A policy with every capability but sudo on sys/leases/lookup/*: lookup works, LIST is 403.
    const pol = (name: string, caps: string[]) => c.req('PUT', `sys/policy/${name}`, { policy: `path "sys/leases/lookup/*" { capabilities = ${JSON.stringify(caps)} }\npath "sys/leases/lookup" { capabilities = ["update"] }` });
    assert.equal((await pol('lease-reader', ['read', 'update', 'list'])).status, 204);
    assert.equal((await pol('lease-sudo', ['read', 'update', 'list', 'sudo'])).status, 204);
    const tok = async (policy: string) => (await c.req('POST', 'auth/token/create', { policies: [policy], ttl: '10m' })).body.auth.client_token as string;
    const reader = await tok('lease-reader');
    const sudo = await tok('lease-sudo');
    const denied = await c.list('test/creds/lst-a/', reader);
    assert.equal(denied.status, 403);
    assert.match(denied.body.errors[0], /permission denied/);
    assert.equal((await c.req('PUT', 'sys/leases/lookup', { lease_id: a.lease_id }, reader)).status, 200);
    const allowed = await c.list('test/creds/lst-a/', sudo);
    assert.equal(allowed.status, 200);
    assert.deepEqual(allowed.body.data.keys.sort(), ids.body.data.keys.sort());
  });

  it('renew with an increment, past max_ttl (capped, warning), increment null, legacy forms; non-renewable is 400', async () => {
    const s = await c.creds('test', 'ren', 'ttl=60s&max_ttl=120s&renewable=true');
    const r = await c.req('PUT', 'sys/leases/renew', { lease_id: s.lease_id, increment: 30 });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.lease_id, s.lease_id);
    assert.equal(r.body.lease_duration, 30);
    assert.equal(r.body.renewable, true);
    assert.equal(r.body.data, null);
    assert.deepEqual(ledger.renewed.at(-1), { name: s.data.username, ttl: 30 });
    const l = (await c.lookup(s.lease_id)).body.data;
    assert.match(l.last_renewal, RFC3339);
    assert.ok(l.ttl > 20 && l.ttl <= 30, `ttl ${l.ttl}`);
    assert.equal(Date.parse(l.expire_time) - Date.parse(l.last_renewal), 30_000);

    // Duration strings work as increments.
    assert.equal((await c.req('PUT', 'sys/leases/renew', { lease_id: s.lease_id, increment: '40s' })).body.lease_duration, 40);
    // increment null (hvac's default) and absent: the lease's original TTL.
    for (const body of [{ lease_id: s.lease_id, increment: null }, { lease_id: s.lease_id }]) {
      const d = await c.req('PUT', 'sys/leases/renew', body);
      assert.equal(d.status, 200, JSON.stringify(d.body));
      assert.equal(d.body.lease_duration, 60);
    }

    // Beyond max_ttl (120 s from issue): capped, with Vault's warning.
    const capped = await c.req('PUT', 'sys/leases/renew', { lease_id: s.lease_id, increment: 3600 });
    assert.equal(capped.status, 200);
    assert.ok(capped.body.lease_duration > 100 && capped.body.lease_duration <= 120, `capped at ${capped.body.lease_duration}`);
    assert.equal(capped.body.warnings.length, 1);
    assert.match(capped.body.warnings[0], /^TTL of "1h0m0s" exceeded the effective max_ttl of "\d+m\d+s"; TTL value is capped accordingly$/);
    const afterCap = (await c.lookup(s.lease_id)).body.data;
    assert.ok(Date.parse(afterCap.expire_time) <= Date.parse(afterCap.issue_time) + 120_000);

    // Legacy sys/renew/<id> and sys/leases/renew/<id>; the body's lease_id wins over the URL's.
    const t = await c.creds('test', 'ren', 'ttl=60s&max_ttl=600s');
    const legacy = await c.req('PUT', `sys/renew/${t.lease_id}`, { increment: 45 });
    assert.equal(legacy.status, 200, JSON.stringify(legacy.body));
    assert.deepEqual([legacy.body.lease_id, legacy.body.lease_duration], [t.lease_id, 45]);
    const urlForm = await c.req('POST', `sys/leases/renew/${t.lease_id}`, { increment: 50 });
    assert.deepEqual([urlForm.status, urlForm.body.lease_id, urlForm.body.lease_duration], [200, t.lease_id, 50]);
    const bodyWins = await c.req('PUT', `sys/leases/renew/${s.lease_id}`, { lease_id: t.lease_id, increment: 55 });
    assert.deepEqual([bodyWins.body.lease_id, bodyWins.body.lease_duration], [t.lease_id, 55]);
    const legacyPlain = await c.req('PUT', 'sys/renew', { lease_id: t.lease_id, increment: 20 });
    assert.deepEqual([legacyPlain.status, legacyPlain.body.lease_duration], [200, 20]);

    // Not renewable, unknown, missing.
    const nr = await c.creds('test', 'ren', 'ttl=60s&renewable=false');
    const renewed = ledger.renewed.length;
    const bad = await c.req('PUT', 'sys/leases/renew', { lease_id: nr.lease_id, increment: 30 });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body, { errors: ['lease is not renewable'] });
    assert.equal(ledger.renewed.length, renewed);
    assert.equal((await c.lookup(nr.lease_id)).body.data.last_renewal, null);
    const unknown = await c.req('PUT', 'sys/leases/renew', { lease_id: 'test/creds/ren/AAAAAAAAAAAAAAAAAAAAAAAA' });
    assert.deepEqual([unknown.status, unknown.body], [400, { errors: ['lease not found'] }]);
    const missing = await c.req('PUT', 'sys/leases/renew', { lease_id: null, increment: 10 });
    assert.equal(missing.status, 400);
    assert.match(missing.body.errors[0], /lease_id must be specified/);
    const badIncrement = await c.req('PUT', 'sys/leases/renew', { lease_id: t.lease_id, increment: 'soon' });
    assert.equal(badIncrement.status, 400);
  });

  it("the mount's max_lease_ttl caps issue and renewal, and a later tune applies to renewals", async () => {
    const m = await c.req('POST', 'sys/mounts/tuned', { type: 'test-lease', config: { max_lease_ttl: '90s' } });
    assert.equal(m.status, 204, JSON.stringify(m.body));
    const long = await c.creds('tuned', 'r', 'ttl=1h');
    assert.equal(long.lease_duration, 90);
    const s = await c.creds('tuned', 'r', 'ttl=60s');
    assert.equal(s.lease_duration, 60);
    const capped = await c.req('PUT', 'sys/leases/renew', { lease_id: s.lease_id, increment: 3600 });
    assert.ok(capped.body.lease_duration > 80 && capped.body.lease_duration <= 90, String(capped.body.lease_duration));
    assert.match(capped.body.warnings[0], /exceeded the effective max_ttl/);
    assert.equal((await c.req('POST', 'sys/mounts/tuned/tune', { max_lease_ttl: '30s' })).status, 204);
    const tuned = await c.req('PUT', 'sys/leases/renew', { lease_id: s.lease_id, increment: 60 });
    assert.equal(tuned.status, 200, JSON.stringify(tuned.body));
    assert.ok(tuned.body.lease_duration > 20 && tuned.body.lease_duration <= 30, String(tuned.body.lease_duration));
    assert.match(tuned.body.warnings[0], /exceeded the effective max_ttl/);
    assert.equal((await c.req('DELETE', 'sys/mounts/tuned')).status, 204);
  });

  it('an engine that refuses to renew: the lease keeps its expiry', async () => {
    const s = await c.creds('test', 'ren-fail');
    const before = (await c.lookup(s.lease_id)).body.data;
    ledger.failRenew = true;
    try {
      const r = await c.req('PUT', 'sys/leases/renew', { lease_id: s.lease_id, increment: 30 });
      assert.ok(r.status >= 400, `${r.status}`);
      assert.ok(r.body.errors.length > 0);
    } finally {
      ledger.failRenew = false;
    }
    const afterFail = (await c.lookup(s.lease_id)).body.data;
    assert.equal(afterFail.expire_time, before.expire_time);
    assert.equal(afterFail.last_renewal, null);
  });

  it('a token lease cannot be renewed through sys/leases/renew', async () => {
    await c.req('POST', 'auth/token/create', { ttl: '10m', policies: ['default'] });
    const keys = (await c.list('auth/token/create/')).body.data.keys as string[];
    assert.ok(keys.length > 0);
    const id = `auth/token/create/${keys[0]}`;
    const look = await c.lookup(id);
    assert.equal(look.status, 200);
    assert.equal(look.body.data.renewable, false);
    const r = await c.req('PUT', 'sys/leases/renew', { lease_id: id });
    assert.deepEqual([r.status, r.body], [400, { errors: ['tokens cannot be renewed through this endpoint'] }]);
  });

  it('revoke runs the engine revoke, answers 204 and removes the lease; legacy sys/revoke/<id>', async () => {
    const s = await c.creds('test', 'rev');
    const r = await c.req('PUT', 'sys/leases/revoke', { lease_id: s.lease_id });
    assert.equal(r.status, 204);
    assert.equal(r.body, undefined);
    assert.ok(ledger.revoked.includes(s.data.username));
    assert.deepEqual((await c.lookup(s.lease_id)).body, { errors: ['invalid lease'] });
    assert.equal((await c.lookup(s.lease_id)).status, 400);
    // Renewing a revoked lease fails; revoking it again is a no-op.
    assert.equal((await c.req('PUT', 'sys/leases/renew', { lease_id: s.lease_id })).status, 400);
    assert.equal((await c.req('PUT', 'sys/leases/revoke', { lease_id: s.lease_id })).status, 204);

    for (const form of [(id: string) => [`sys/revoke/${id}`, {}], (id: string) => ['sys/revoke', { lease_id: id }], (id: string) => [`sys/leases/revoke/${id}`, {}]] as const) {
      const t = await c.creds('test', 'rev');
      const [path, body] = form(t.lease_id);
      const lr = await c.req('PUT', path as string, body);
      assert.equal(lr.status, 204, `${path}: ${JSON.stringify(lr.body)}`);
      assert.ok(ledger.revoked.includes(t.data.username), path as string);
      assert.equal((await c.lookup(t.lease_id)).status, 400);
    }
    // sync=false still revokes (in the background).
    const a = await c.creds('test', 'rev');
    assert.equal((await c.req('PUT', 'sys/leases/revoke', { lease_id: a.lease_id, sync: false })).status, 204);
    await eventually('async revoke', () => ledger.revoked.includes(a.data.username), 5_000);
  });

  it('revoke-prefix (sudo) revokes every lease under the prefix and nothing else; legacy sys/revoke-prefix', async () => {
    const under = [await c.creds('test', 'pfx'), await c.creds('test', 'pfx'), await c.creds('test', 'pfx')];
    const other = await c.creds('test', 'pfx-other');
    // Without sudo: 403, nothing revoked.
    await c.req('PUT', 'sys/policy/prefix-nosudo', { policy: 'path "sys/leases/revoke-prefix/*" { capabilities = ["update"] }\npath "sys/revoke-prefix/*" { capabilities = ["update"] }' });
    const nosudo = (await c.req('POST', 'auth/token/create', { policies: ['prefix-nosudo'], ttl: '10m' })).body.auth.client_token as string;
    const denied = await c.req('PUT', 'sys/leases/revoke-prefix/test/creds/pfx', {}, nosudo);
    assert.equal(denied.status, 403);
    assert.equal((await c.req('PUT', 'sys/revoke-prefix/test/creds/pfx', {}, nosudo)).status, 403);
    for (const s of under) assert.equal((await c.lookup(s.lease_id)).status, 200);

    const r = await c.req('PUT', 'sys/leases/revoke-prefix/test/creds/pfx', {});
    assert.equal(r.status, 204, JSON.stringify(r.body));
    for (const s of under) {
      assert.ok(ledger.revoked.includes(s.data.username), s.data.username);
      assert.equal((await c.lookup(s.lease_id)).status, 400);
    }
    // "pfx" is a path segment: "pfx-other" is not under it.
    assert.equal((await c.lookup(other.lease_id)).status, 200);
    assert.ok(!ledger.revoked.includes(other.data.username));
    assert.equal((await c.list('test/creds/pfx/')).status, 404);

    const legacy = [await c.creds('test', 'pfx2'), await c.creds('test', 'pfx2')];
    assert.equal((await c.req('PUT', 'sys/revoke-prefix/test/creds/pfx2/', {})).status, 204);
    for (const s of legacy) assert.ok(ledger.revoked.includes(s.data.username));
    // A prefix naming one lease exactly revokes that lease.
    const one = await c.creds('test', 'pfx3');
    assert.equal((await c.req('PUT', `sys/leases/revoke-prefix/${one.lease_id}`, {})).status, 204);
    assert.ok(ledger.revoked.includes(one.data.username));
  });

  it('a lease with ttl=1s is revoked on time by the server, without any request', async () => {
    const s = await c.creds('test', 'short', 'ttl=1s&max_ttl=10s');
    assert.equal(s.lease_duration, 1);
    await eventually('the engine revoke of a 1s lease', () => ledger.revoked.includes(s.data.username));
    assert.equal((await c.lookup(s.lease_id)).status, 400);
  });

  it('a child token with ttl=2s is revoked on time, taking its leases and its own children', async () => {
    await c.req('PUT', 'sys/policy/creds-reader', { policy: 'path "test/creds/*" { capabilities = ["read"] }\npath "auth/token/create" { capabilities = ["update"] }' });
    const mk = async (body: Record<string, unknown>, tok = srv.rootToken) => {
      const r = await c.req('POST', 'auth/token/create', body, tok);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body.auth.client_token as string;
    };
    const tokenLeases = async () => ((await c.list('auth/token/create/')).body.data?.keys ?? []) as string[];
    const leasesBefore = new Set(await tokenLeases());
    const parent = await mk({ ttl: '2s', policies: ['creds-reader'] });
    const parentLease = `auth/token/create/${(await tokenLeases()).find((k) => !leasesBefore.has(k))}`;
    const parentLookup = await c.lookup(parentLease);
    assert.equal(parentLookup.status, 200);
    assert.ok(parentLookup.body.data.ttl <= 2, JSON.stringify(parentLookup.body.data));
    // A sibling with the same TTL that renews itself: it must outlive the parent's expiry.
    const renewed = await mk({ ttl: '2s', policies: ['creds-reader'] });
    const renew = await c.req('POST', 'auth/token/renew-self', { increment: '1h' }, renewed);
    assert.equal(renew.status, 200, JSON.stringify(renew.body));
    assert.equal(renew.body.auth.lease_duration, 3600);
    const child = await mk({ ttl: '1h', policies: ['creds-reader'] }, parent);
    const parentCreds = await c.creds('test', 'tok', 'ttl=1h&max_ttl=2h', parent);
    const childCreds = await c.creds('test', 'tok', 'ttl=1h&max_ttl=2h', child);
    const renewedCreds = await c.creds('test', 'tok', 'ttl=1h&max_ttl=2h', renewed);
    assert.equal((await c.req('POST', 'auth/token/lookup', { token: child })).status, 200);
    // Only the root token makes requests from here on, and only to look.
    await eventually('the leases of the expired token revoked', () => ledger.revoked.includes(parentCreds.data.username));
    await eventually('the leases of its child token revoked', () => ledger.revoked.includes(childCreds.data.username));
    await eventually('the token lease entry gone', async () => (await c.lookup(parentLease)).status === 400);
    for (const t of [parent, child]) assert.notEqual((await c.req('POST', 'auth/token/lookup', { token: t })).status, 200);
    assert.equal((await c.lookup(parentCreds.lease_id)).status, 400);
    assert.equal((await c.lookup(childCreds.lease_id)).status, 400);
    for (const t of [parent, child]) {
      const self = await srv.request('GET', 'auth/token/lookup-self', { token: t });
      assert.equal(self.status, 403);
    }
    // The renewed sibling (issued after the parent, with the same TTL) is still alive, with its lease.
    assert.equal((await c.req('POST', 'auth/token/lookup', { token: renewed })).status, 200);
    assert.ok(!ledger.revoked.includes(renewedCreds.data.username));
    assert.equal((await c.lookup(renewedCreds.lease_id)).status, 200);
  });

  it('a renewed lease outlives one issued after it with the same TTL', async () => {
    const first = await c.creds('test', 'order', 'ttl=2s&max_ttl=1h');
    const r = await c.req('PUT', 'sys/leases/renew', { lease_id: first.lease_id, increment: 600 });
    assert.deepEqual([r.status, r.body.lease_duration], [200, 600]);
    const second = await c.creds('test', 'order', 'ttl=2s&max_ttl=1h');
    await eventually('the unrenewed lease revoked', () => ledger.revoked.includes(second.data.username));
    assert.ok(!ledger.revoked.includes(first.data.username));
    assert.equal((await c.lookup(first.lease_id)).status, 200);
  });

  it('auth/token/revoke revokes the leases the token read', async () => {
    const t = (await c.req('POST', 'auth/token/create', { ttl: '1h', policies: ['creds-reader'] })).body.auth.client_token as string;
    const a = await c.creds('test', 'tokrev', 'ttl=1h&max_ttl=2h', t);
    const b = await c.creds('test', 'tokrev', 'ttl=1h&max_ttl=2h', t);
    const mine = await c.creds('test', 'tokrev', 'ttl=1h&max_ttl=2h');
    assert.equal((await c.req('POST', 'auth/token/revoke', { token: t })).status, 204);
    for (const s of [a, b]) {
      assert.ok(ledger.revoked.includes(s.data.username), s.data.username);
      assert.equal((await c.lookup(s.lease_id)).status, 400);
    }
    assert.ok(!ledger.revoked.includes(mine.data.username));
    assert.equal((await c.lookup(mine.lease_id)).status, 200);
    assert.equal((await srv.request('GET', 'auth/token/lookup-self', { token: t })).status, 403);
  });

  it('unmounting a mount revokes its leases', async () => {
    assert.equal((await c.req('POST', 'sys/mounts/gone', { type: 'test-lease' })).status, 204);
    const a = await c.creds('gone', 'x', 'ttl=1h&max_ttl=2h');
    const b = await c.creds('gone', 'y', 'ttl=1h&max_ttl=2h');
    assert.equal((await c.req('DELETE', 'sys/mounts/gone')).status, 204);
    for (const s of [a, b]) {
      assert.ok(ledger.revoked.includes(s.data.username), s.data.username);
      assert.equal((await c.lookup(s.lease_id)).status, 400);
    }
    assert.equal((await c.list('gone/')).status, 404);
  });

  it('sys/leases/count and sys/leases/tidy answer with their shapes', async () => {
    const count = await c.req('GET', 'sys/leases/count?type=irrevocable');
    assert.equal(count.status, 200, JSON.stringify(count.body));
    assert.deepEqual(count.body.data, { lease_count: 0 });
    const missingType = await c.req('GET', 'sys/leases/count');
    assert.equal(missingType.status, 400);
    assert.equal((await c.req('GET', 'sys/leases/count?type=all')).status, 400);
    const list = await c.req('GET', 'sys/leases?type=irrevocable');
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.data, { leases: [], lease_count: 0 });
    const tidy = await c.req('PUT', 'sys/leases/tidy');
    assert.ok(tidy.status === 200 || tidy.status === 204, `${tidy.status}`);
    if (tidy.status === 200) {
      assert.equal(tidy.body.data, null);
      assert.ok(Array.isArray(tidy.body.warnings));
    }
    // Tidy leaves live leases alone.
    const s = await c.creds('test', 'tidy');
    await c.req('POST', 'sys/leases/tidy');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await c.lookup(s.lease_id)).status, 200);
  });
});

/** The test engine, counting the revocation attempts per lease id (failed ones included). */
function countingFactories(ledger: LeaseLedger, attempts: Map<string, number>): Record<string, BackendFactory> {
  const base = leaseEngineFactories(ledger)['test-lease']!;
  return {
    'test-lease': async (config) => {
      const backend = await base(config);
      const creds = backend.secrets!['creds']!;
      const revoke = creds.revoke.bind(creds);
      creds.revoke = async (req) => {
        attempts.set(req.leaseId, (attempts.get(req.leaseId) ?? 0) + 1);
        return revoke(req);
      };
      return backend;
    },
  };
}

describe('leases whose revocation fails', () => {
  let srv: TestServer;
  let ledger: LeaseLedger;
  let c: ReturnType<typeof client>;
  const attempts = new Map<string, number>();

  before(async () => {
    ledger = createLedger();
    srv = await startTestServer({ ext: { factories: countingFactories(ledger, attempts) }, leaseRetryBaseMs: 20, storage: 'memory' });
    c = client(() => srv, () => srv.rootToken);
    assert.equal((await c.req('POST', 'sys/mounts/flaky', { type: 'test-lease' })).status, 204);
  });
  after(async () => { await srv.stop(); });

  it('without force a failing revoke keeps the lease; revoke-force removes it anyway', async () => {
    const s = await c.creds('flaky', 'f', 'ttl=1h&max_ttl=2h');
    const t = await c.creds('flaky', 'f', 'ttl=1h&max_ttl=2h');
    ledger.failRevoke = true;
    try {
      const r = await c.req('PUT', 'sys/leases/revoke', { lease_id: s.lease_id });
      assert.ok(r.status >= 400, `${r.status}`);
      assert.match(r.body.errors[0], /test database unreachable/);
      assert.equal((await c.lookup(s.lease_id)).status, 200);
      const p = await c.req('PUT', 'sys/leases/revoke-prefix/flaky/creds/f', {});
      assert.ok(p.status >= 400, `${p.status}`);
      assert.equal((await c.lookup(t.lease_id)).status, 200);
      // Unmounting fails too, and the mount stays.
      const um = await c.req('DELETE', 'sys/mounts/flaky');
      assert.ok(um.status >= 400, `${um.status}`);
      assert.ok('flaky/' in (await c.req('GET', 'sys/mounts')).body.data);

      assert.equal((await c.req('PUT', 'sys/leases/revoke-force/flaky/creds/f', {})).status, 204);
      assert.equal((await c.lookup(s.lease_id)).status, 400);
      assert.equal((await c.lookup(t.lease_id)).status, 400);
      assert.ok(!ledger.revoked.includes(s.data.username));
      // Legacy alias.
      const u = await c.creds('flaky', 'g', 'ttl=1h&max_ttl=2h');
      assert.equal((await c.req('PUT', 'sys/revoke-force/flaky/creds/g', {})).status, 204);
      assert.equal((await c.lookup(u.lease_id)).status, 400);
    } finally {
      ledger.failRevoke = false;
    }
  });

  it('1s leases that cannot be revoked become irrevocable after their retries and are listed with their error', async () => {
    ledger.failRevoke = true;
    let s: Awaited<ReturnType<typeof c.creds>>;
    let s2: Awaited<ReturnType<typeof c.creds>>;
    try {
      s = await c.creds('flaky', 'irr', 'ttl=1s&max_ttl=10s');
      s2 = await c.creds('flaky', 'irr', 'ttl=2s&max_ttl=10s');
      let listed: any[] = [];
      await eventually('both leases listed as irrevocable', async () => {
        const r = await c.req('GET', 'sys/leases?type=irrevocable');
        listed = r.body.data?.leases ?? [];
        return listed.length === 2;
      }, 15_000);
      // Sorted by expiry: the 1s lease first.
      assert.deepEqual(listed.map((l) => l.lease_id), [s.lease_id, s2.lease_id]);
      assert.deepEqual(Object.keys(listed[0]).sort(), ['error', 'expire_time', 'lease_id', 'mount_id']);
      assert.equal(listed[0].error, 'test database unreachable');
      assert.equal(listed[0].mount_id, 'flaky/');
      assert.match(listed[0].expire_time, RFC3339);
      // Six attempts (the first at expiry, five retries with backoff), then it is kept, not retried at once.
      assert.equal(attempts.get(s.lease_id), 6);
      assert.equal(attempts.get(s2.lease_id), 6);
      const all = await c.req('GET', 'sys/leases?type=irrevocable');
      assert.deepEqual([all.body.data.lease_count, all.body.warnings], [2, null]);
      assert.deepEqual((await c.req('GET', 'sys/leases/count?type=irrevocable')).body.data, { lease_count: 2 });
      // limit: the first leases and a warning past it; 'none' lists all; anything but a positive integer is 400.
      const one = await c.req('GET', 'sys/leases?type=irrevocable&limit=1');
      assert.equal(one.status, 200);
      assert.deepEqual(one.body.data.leases.map((l: any) => l.lease_id), [s.lease_id]);
      assert.equal(one.body.data.lease_count, 1);
      assert.equal(one.body.warnings.length, 1);
      assert.match(one.body.warnings[0], /many irrevocable leases/);
      assert.equal((await c.req('GET', 'sys/leases?type=irrevocable&limit=2')).body.warnings, null);
      assert.equal((await c.req('GET', 'sys/leases?type=irrevocable&limit=none')).body.data.lease_count, 2);
      for (const bad of ['0', '-1', 'abc', '1e3', '1.5']) {
        const r = await c.req('GET', `sys/leases?type=irrevocable&limit=${bad}`);
        assert.equal(r.status, 400, bad);
        assert.match(r.body.errors[0], /limit/, bad);
      }
      // Sudo: a token without it cannot list irrevocable leases.
      await c.req('PUT', 'sys/policy/irr-nosudo', { policy: 'path "sys/leases" { capabilities = ["read"] }' });
      const nosudo = (await c.req('POST', 'auth/token/create', { policies: ['irr-nosudo'], ttl: '10m' })).body.auth.client_token as string;
      assert.equal((await c.req('GET', 'sys/leases?type=irrevocable', undefined, nosudo)).status, 403);
      // Irrevocable leases cannot be renewed; lookup still shows them.
      assert.equal((await c.req('PUT', 'sys/leases/renew', { lease_id: s.lease_id })).status, 400);
      assert.equal((await c.lookup(s.lease_id)).body.data.ttl, 0);
      const metrics = await c.req('GET', 'sys/metrics?format=prometheus');
      assert.equal(metrics.status, 200);
      assert.match(String(metrics.body), /^coffer_leases_irrevocable_total 2$/m);
    } finally {
      ledger.failRevoke = false;
    }
    // revoke-force clears them.
    assert.equal((await c.req('PUT', `sys/leases/revoke-force/${s!.lease_id}`, {})).status, 204);
    assert.equal((await c.req('PUT', 'sys/leases/revoke-force/flaky/creds/irr/', {})).status, 204);
    assert.deepEqual((await c.req('GET', 'sys/leases?type=irrevocable')).body.data, { leases: [], lease_count: 0 });
    assert.equal((await c.lookup(s2!.lease_id)).status, 400);
  });

  it('a failed revoke is retried in the background and succeeds once the engine recovers', async () => {
    const s = await c.creds('flaky', 'retry', 'ttl=1h&max_ttl=2h');
    ledger.failRevoke = true;
    try {
      assert.ok((await c.req('PUT', 'sys/leases/revoke', { lease_id: s.lease_id })).status >= 400);
    } finally {
      ledger.failRevoke = false;
    }
    await eventually('the background retry revoked the lease', () => ledger.revoked.includes(s.data.username));
    await eventually('the lease gone', async () => (await c.lookup(s.lease_id)).status === 400);
  });
});

describe('leases across a restart (SQLite)', () => {
  it('leases and token expiries survive stop/start/unseal: revoked on time, or at once when they expired while down', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coffer-lease-restart-'));
    const sqlitePath = join(dir, 'coffer.db');
    const ledger = createLedger();
    const factories = leaseEngineFactories(ledger);
    let srv: TestServer | undefined;
    try {
      srv = await startTestServer({ sqlitePath, ext: { factories }, leaseRetryBaseMs: 20 });
      const init = await srv.request('PUT', 'sys/init', { body: { secret_shares: 1, secret_threshold: 1 } });
      const root = init.body.root_token as string;
      const key = init.body.keys[0] as string;
      await srv.request('PUT', 'sys/unseal', { body: { key } });
      const c = client(() => srv!, () => root);
      assert.equal((await c.req('POST', 'sys/mounts/test', { type: 'test-lease' })).status, 204);
      await c.req('PUT', 'sys/policy/creds-reader', { policy: 'path "test/creds/*" { capabilities = ["read"] }' });
      const token = (await c.req('POST', 'auth/token/create', { ttl: '2s', policies: ['creds-reader'] })).body.auth.client_token as string;
      const tokenCreds = await c.creds('test', 'of-token', 'ttl=1h&max_ttl=2h', token);
      const gone = await c.creds('test', 'gone', 'ttl=1s&max_ttl=10s');
      const short = await c.creds('test', 'short', 'ttl=3s&max_ttl=10s');
      const long = await c.creds('test', 'long', 'ttl=1h&max_ttl=2h');
      const longLookup = (await c.lookup(long.lease_id)).body.data;
      const goneExpiry = Date.parse((await c.lookup(gone.lease_id)).body.data.expire_time);
      await srv.stop();
      srv = undefined;
      assert.ok(!ledger.revoked.includes(short.data.username), 'revoked before the restart');
      // Down past the 1s lease's and the 2s token's expiry (a wait, not an assertion).
      await eventually('the 1s lease due while the server is down', () => Date.now() > goneExpiry + 1_000, 5_000);
      const revokedWhileDown = [...ledger.revoked];

      srv = await startTestServer({ sqlitePath, ext: { factories }, leaseRetryBaseMs: 20 });
      assert.equal((await srv.request('PUT', 'sys/unseal', { body: { key } })).body.sealed, false);
      await eventually('the lease that expired while down revoked after unseal', () => ledger.revoked.includes(gone.data.username));
      await eventually('the 3s lease revoked after the restart', () => ledger.revoked.includes(short.data.username), 10_000);
      await eventually('the leases of the token that expired while down revoked', () => ledger.revoked.includes(tokenCreds.data.username));
      assert.deepEqual(revokedWhileDown, [], 'nothing revoked while the server was down');
      assert.equal((await c.req('POST', 'auth/token/lookup', { token })).status === 200, false);
      for (const s of [gone, short, tokenCreds]) assert.equal((await c.lookup(s.lease_id)).status, 400);
      const again = await c.lookup(long.lease_id);
      assert.equal(again.status, 200);
      assert.equal(again.body.data.expire_time, longLookup.expire_time);
      assert.equal(again.body.data.issue_time, longLookup.issue_time);
      assert.ok(!ledger.revoked.includes(long.data.username));
      assert.deepEqual((await c.list('test/creds/long/')).body.data.keys, [long.lease_id.split('/').at(-1)]);
      const renewed = await c.req('PUT', 'sys/leases/renew', { lease_id: long.lease_id, increment: 600 });
      assert.deepEqual([renewed.status, renewed.body.lease_duration], [200, 600]);
      assert.equal((await c.req('PUT', 'sys/leases/revoke', { lease_id: long.lease_id })).status, 204);
      assert.ok(ledger.revoked.includes(long.data.username));
    } finally {
      await srv?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
