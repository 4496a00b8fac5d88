// Debian's python3-hvac (0.11.2) against the lease endpoints: read_lease, renew_lease (with an
// increment, with increment=None sent as JSON null, past max_ttl), list_leases (LIST verb) and the
// legacy client.list (GET ?list=True), revoke_lease, revoke_prefix, revoke_force and the deprecated
// v1 helpers. The script (test/integration/fixtures/leases_hvac.py) prints one JSON object; the
// engine's ledger shows what the server really did. The server runs in this process, so the script
// is spawned asynchronously.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { runPython } from '../helpers/python.js';
import { createLedger, leaseEngineFactories, type LeaseLedger } from '../helpers/lease-engine.js';

const runHvac = (args: string[]) => runPython('test/integration/fixtures/leases_hvac.py', args);

describe('python3-hvac lease calls', () => {
  let srv: TestServer;
  let ledger: LeaseLedger;
  const lookup = (id: string) => srv.request('PUT', 'sys/leases/lookup', { token: srv.rootToken, body: { lease_id: id } });

  before(async () => {
    ledger = createLedger();
    srv = await startTestServer({ ext: { factories: leaseEngineFactories(ledger) }, leaseRetryBaseMs: 20, storage: 'memory' });
    const m = await srv.request('POST', 'sys/mounts/hv', { token: srv.rootToken, body: { type: 'test-lease' } });
    assert.equal(m.status, 204);
  });
  after(async () => { await srv.stop(); });

  it('read_lease, renew_lease, list_leases, revoke_lease, revoke_prefix and the legacy helpers', async () => {
    const { code, out, stderr } = await runHvac([srv.address, srv.rootToken, 'main']);
    assert.equal(code, 0, stderr);
    assert.equal(out.authenticated, true);

    const a = out.creds;
    assert.match(a.lease_id, /^hv\/creds\/ro\/[0-9A-Za-z]{24}$/);
    assert.equal(a.lease_duration, 60);
    assert.equal(a.renewable, true);
    assert.equal(out.lookup.id, a.lease_id);
    assert.equal(out.lookup.last_renewal, null);
    assert.equal(out.lookup.renewable, true);
    assert.ok(out.lookup.ttl > 50 && out.lookup.ttl <= 60, String(out.lookup.ttl));
    assert.equal(Date.parse(out.lookup.expire_time) - Date.parse(out.lookup.issue_time), 60_000);

    assert.deepEqual(out.renew, { lease_id: a.lease_id, lease_duration: 30, renewable: true, data: null, warnings: null });
    assert.notEqual(out.lookup_renewed.last_renewal, null);
    assert.equal(Date.parse(out.lookup_renewed.expire_time) - Date.parse(out.lookup_renewed.last_renewal), 30_000);
    // increment=None (JSON null): the lease's own 60 s.
    assert.equal(out.renew_default.lease_duration, 60);
    assert.ok(out.renew_capped.lease_duration > 100 && out.renew_capped.lease_duration <= 120, String(out.renew_capped.lease_duration));
    assert.equal(out.renew_capped.warnings.length, 1);
    assert.match(out.renew_capped.warnings[0], /exceeded the effective max_ttl/);
    assert.equal(out.renew_legacy.lease_duration, 20);
    assert.deepEqual(ledger.renewed.filter((r) => r.name === a.username).map((r) => r.ttl), [30, 60, out.renew_capped.lease_duration, 20]);
    assert.deepEqual(out.renew_not_renewable, { exception: 'InvalidRequest', errors: ['lease is not renewable'] });

    const suffixes = (out.ids as string[]).map((id) => id.split('/').at(-1)).sort();
    assert.deepEqual(out.list_roles, ['ro/', 'rw/']);
    assert.deepEqual([...out.list_ro].sort(), suffixes);
    assert.deepEqual([...out.list_ro_slash].sort(), suffixes);
    assert.deepEqual([...out.list_legacy].sort(), suffixes);
    // An empty LIST is a 404, which hvac raises as InvalidPath.
    assert.deepEqual(out.list_empty, { exception: 'InvalidPath', errors: [] });

    assert.deepEqual(out.revoke, { status: 204, body: '' });
    assert.ok(ledger.revoked.includes(out.revoked_user));
    assert.deepEqual(out.lookup_revoked, { exception: 'InvalidRequest', errors: ['invalid lease'] });
    assert.deepEqual(out.lookup_unknown, { exception: 'InvalidRequest', errors: ['invalid lease'] });
    assert.equal(out.lookup_null.exception, 'InvalidRequest');
    assert.deepEqual(out.renew_unknown, { exception: 'InvalidRequest', errors: ['lease not found'] });

    assert.deepEqual(out.revoke_prefix, { status: 204, body: '' });
    for (const u of out.prefix_users) assert.ok(ledger.revoked.includes(u), u);
    for (const l of out.prefix_lookups) assert.deepEqual(l, { exception: 'InvalidRequest', errors: ['invalid lease'] });
    assert.equal(out.keep_lookup.last_renewal, null);
    assert.ok(!ledger.revoked.includes(out.keep_user));
    assert.ok(ledger.revoked.includes(out.prefix2_user));
    // What hvac left is exactly what the server still holds.
    assert.equal((await lookup(a.lease_id)).status, 200);
    assert.equal((await lookup(out.ids[2])).status, 400);
  });

  it('revoke_lease and revoke_prefix raise while the engine cannot revoke; revoke_force drops the leases', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await srv.request('GET', 'hv/creds/force?ttl=1h&max_ttl=2h', { token: srv.rootToken });
      ids.push(r.body.lease_id);
    }
    ledger.failRevoke = true;
    let run: Awaited<ReturnType<typeof runHvac>>;
    try {
      run = await runHvac([srv.address, srv.rootToken, 'force', ...ids]);
    } finally {
      ledger.failRevoke = false;
    }
    const { code, out, stderr } = run;
    assert.equal(code, 0, stderr);
    assert.equal(out.revoke.exception, 'InternalServerError');
    assert.deepEqual(out.revoke.errors, ['test database unreachable']);
    assert.equal(out.revoke_prefix.exception, 'InternalServerError');
    for (const [i, l] of (out.lookups_before as any[]).entries()) assert.equal(l.data.id, ids[i]);
    assert.deepEqual(out.revoke_force, { status: 204, body: '' });
    for (const l of out.lookups_after) assert.deepEqual(l, { exception: 'InvalidRequest', errors: ['invalid lease'] });
    for (const id of ids) assert.equal((await lookup(id)).status, 400);
    assert.equal(ledger.revoked.filter((n) => n.startsWith('force-')).length, 0);
  });
});
