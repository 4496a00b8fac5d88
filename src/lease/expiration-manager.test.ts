// The expiration manager's ordering guarantees, on an injected clock with engine handlers the test
// holds open: renewals and revocations of one lease never interleave, a revoked lease is never
// brought back, a renewal that lands before the expiry keeps the lease, and a revocation that keeps
// failing turns irrevocable after the configured attempts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend, LeaseRequest } from '../framework/types.js';
import { mapStorage } from '../../test/helpers/backend.js';
import { createExpirationManager, LEASE_NOT_FOUND } from './expiration-manager.js';

interface Gate { wait: Promise<void>; open(): void }
function gate(): Gate {
  let open!: () => void;
  const wait = new Promise<void>((r) => { open = r; });
  return { wait, open };
}

function harness(opts: { maxAttempts?: number } = {}) {
  const clock = { now: 1_700_000_000_000 };
  const calls: string[] = [];
  const hold: { renew?: Gate; revoke?: Gate } = {};
  let failRevoke = false;
  const backend = {
    secrets: {
      creds: {
        async renew(req: LeaseRequest) {
          calls.push(`renew ${req.ttl}`);
          await hold.renew?.wait;
        },
        async revoke(req: LeaseRequest) {
          calls.push(`revoke ${String(req.internal['user'])}`);
          await hold.revoke?.wait;
          if (failRevoke) throw new Error('database unreachable');
        },
      },
    },
  } as unknown as Backend;
  const storage = mapStorage();
  const irrevocable: string[] = [];
  const m = createExpirationManager({
    storage,
    resolve: () => ({ backend, storage: mapStorage(), mountPath: 'db/', maxLeaseTTL: () => 3600 }),
    revokeToken: async () => undefined,
    tokenExists: async () => true,
    now: () => clock.now,
    retryBaseMs: 1,
    maxAttempts: opts.maxAttempts ?? 6,
    onIrrevocable: (id) => irrevocable.push(id),
  });
  const issue = (ttl: number, user = 'u1') => m.register({
    path: 'db/creds/ro', secret: { type: 'creds', ttl, renewable: true, internal: { user } }, tokenId: 'tok', defaultTTL: 60, maxTTL: 3600,
  });
  return { m, clock, calls, hold, storage, irrevocable, issue, setFailRevoke: (v: boolean) => { failRevoke = v; } };
}

/** Lets queued timers and promise chains run. */
const settle = async (rounds = 10) => { for (let i = 0; i < rounds; i++) await new Promise((r) => setTimeout(r, 2)); };

describe('expiration manager: ordering and races', () => {
  it('renewals are capped by the max TTL from issue, with a warning', async () => {
    const h = harness();
    const lease = await h.issue(1200);
    assert.match(lease.id, /^db\/creds\/ro\/[A-Za-z0-9]{24}$/);
    h.clock.now += 1000 * 1000;
    const r = await h.m.renew(lease.id, 7200);
    assert.equal(r.entry.expireTime - h.clock.now, 2600 * 1000);
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0]!, /capped/);
  });

  it('a revocation in progress wins over a renewal that arrives meanwhile: the lease stays gone', async () => {
    const h = harness();
    const lease = await h.issue(60);
    h.hold.revoke = gate();
    const revoking = h.m.revoke(lease.id);
    await settle();
    const renewing = h.m.renew(lease.id, 600);
    await settle();
    assert.deepEqual(h.calls, ['revoke u1']); // the renewal waits for the lease's lock
    h.hold.revoke.open();
    await revoking;
    await assert.rejects(renewing, new RegExp(LEASE_NOT_FOUND));
    assert.equal(await h.m.lookup(lease.id), undefined);
    assert.deepEqual([...h.storage.map.keys()], []);
  });

  it('two renewals at once run one after the other; the later one sets the expiry', async () => {
    const h = harness();
    const lease = await h.issue(60);
    const [a, b] = await Promise.all([h.m.renew(lease.id, 100), h.m.renew(lease.id, 200)]);
    assert.equal(a.entry.expireTime, h.clock.now + 100_000);
    assert.equal(b.entry.expireTime, h.clock.now + 200_000);
    assert.equal((await h.m.lookup(lease.id))!.expireTime, h.clock.now + 200_000);
    assert.deepEqual(h.calls, ['renew 100', 'renew 200']);
  });

  it('a renewal that lands before the expiry keeps the lease even when the expiry fires meanwhile', async () => {
    const h = harness();
    const lease = await h.issue(60);
    h.clock.now += 59_000;
    h.hold.renew = gate();
    const renewing = h.m.renew(lease.id, 600);
    await settle();
    // The original expiry passes while the engine is still renewing; the index fires.
    h.clock.now += 2_000;
    await h.m.start();
    await settle();
    assert.deepEqual(h.calls, ['renew 600']);
    h.hold.renew.open();
    await renewing;
    await settle();
    assert.deepEqual(h.calls, ['renew 600']); // no revoke: the expiry saw the new expire time
    assert.ok(await h.m.lookup(lease.id));
    await h.m.stop();
  });

  it('an expired lease cannot be renewed back to life', async () => {
    const h = harness();
    const lease = await h.issue(60);
    h.clock.now += 61_000;
    await assert.rejects(h.m.renew(lease.id, 600), /lease expired/);
    await h.m.start();
    await settle();
    assert.deepEqual(h.calls, ['revoke u1']);
    assert.equal(await h.m.lookup(lease.id), undefined);
    await assert.rejects(h.m.renew(lease.id, 600), new RegExp(LEASE_NOT_FOUND));
    await h.m.stop();
  });

  it('failed revocations retry, then the lease turns irrevocable and keeps its error', async () => {
    const h = harness({ maxAttempts: 3 });
    const lease = await h.issue(1);
    h.setFailRevoke(true);
    h.clock.now += 2_000;
    await h.m.start();
    // Retries are scheduled on the injected clock: move it past each backoff.
    for (let i = 0; i < 10 && h.irrevocable.length === 0; i++) {
      await settle();
      h.clock.now += 60_000;
    }
    await settle();
    assert.deepEqual(h.irrevocable, [lease.id]);
    assert.equal(h.calls.filter((c) => c === 'revoke u1').length, 3);
    const [listed] = await h.m.irrevocable();
    assert.equal(listed!['lease_id'], lease.id);
    assert.match(String(listed!['error']), /database unreachable/);
    await assert.rejects(h.m.renew(lease.id, 60), new RegExp(LEASE_NOT_FOUND));
    await h.m.stop();
  });
});
