import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mapStorage } from '../../../test/helpers/backend.js';
import { createTokenStore, sanitizePolicies, type TokenEntry, type TokenStoreDeps } from './store.js';

const HOUR = 3600;

function setup(overrides: Partial<TokenStoreDeps> = {}) {
  const storage = mapStorage();
  let clock = 1_700_000_000_000;
  const revoked: TokenEntry[] = [];
  const store = createTokenStore({
    storage, defaultTTL: () => 768 * HOUR, maxTTL: () => 768 * HOUR, now: () => clock,
    onRevoke: async (e) => { revoked.push(e); }, ...overrides,
  });
  return {
    storage, store, revoked,
    advance(seconds: number) { clock += seconds * 1000; },
    /** Every stored byte as latin1 text, to grep for secrets. */
    dump(): string {
      return [...storage.map.entries()].map(([k, v]) => k + '\n' + Buffer.from(v).toString('latin1')).join('\n');
    },
  };
}

test('root token: random hvs. token, never stored in clear, non-expiring', async () => {
  const { store, dump } = setup();
  const token = await store.createRootToken();
  assert.match(token, /^hvs\.[0-9A-Za-z]{24}$/);
  const entry = await store.lookup(token);
  assert.ok(entry);
  assert.deepEqual(entry.policies, ['root']);
  assert.equal(entry.ttl, 0);
  assert.equal(entry.expireTimeMs, 0);
  assert.equal(entry.renewable, false);
  assert.equal(entry.displayName, 'root');
  assert.equal(entry.path, 'auth/token/root');
  assert.equal(entry.orphan, true);
  assert.match(entry.accessor, /^[0-9A-Za-z]{24}$/);
  assert.notEqual(entry.id, token);
  assert.ok(!dump().includes(token), 'raw token must never be written to storage');
  assert.ok(!dump().includes(token.slice(4)), 'not even without its prefix');
  const info = store.toTokenInfo(entry);
  assert.equal(info.ttl, 0);
  assert.equal(info.id, entry.id);
  const auth = store.authResponse(token, entry);
  assert.equal(auth.lease_duration, 0);
  assert.equal(auth.renewable, false);
  assert.equal(auth.client_token, token);
});

test('dev-mode root token uses the given id verbatim; duplicates are refused', async () => {
  const { store, dump } = setup();
  assert.equal(await store.createRootToken('root'), 'root');
  assert.ok(await store.lookup('root'));
  assert.ok(!dump().split('\n').some((l) => l.includes('"root"') && l.includes('"id":"root"')));
  await assert.rejects(store.createRootToken('root'), /duplicate ID/);
  await assert.rejects(store.createRootToken('hvs.abc'), /hvs\./);
  await assert.rejects(store.createRootToken('a.b'), /'\.'/);
});

test('unknown, empty, oversized and forged tokens look up as undefined', async () => {
  const { store } = setup();
  await store.createRootToken();
  assert.equal(await store.lookup(''), undefined);
  assert.equal(await store.lookup('hvs.nope'), undefined);
  assert.equal(await store.lookup('x'.repeat(100_000)), undefined);
  assert.equal(await store.lookup('hvb.AAAA'), undefined);
  assert.equal(await store.lookup('hvb.' + 'A'.repeat(200)), undefined);
  assert.equal(await store.lookup('hvb.!!!'), undefined);
  assert.equal(await store.lookupAccessor('nope'), undefined);
});

test('salt and batch key survive a new store instance over the same storage', async () => {
  const a = setup();
  const root = await a.store.createRootToken();
  const parent = (await a.store.lookup(root))!;
  const batch = await a.store.create({ policies: ['p'], type: 'batch', ttl: 60 }, parent);
  const b = createTokenStore({ storage: a.storage, defaultTTL: () => 3600, maxTTL: () => 3600, now: () => 1_700_000_000_000 });
  assert.ok(await b.lookup(root));
  assert.ok(await b.lookup(batch.token));
});

test('TTL: default, explicit ttl, cap by mount max and by explicit_max_ttl with warnings', async () => {
  const { store } = setup({ defaultTTL: () => HOUR, maxTTL: () => 10 * HOUR });
  const parent = (await store.lookup(await store.createRootToken()))!;
  const a = await store.create({ policies: ['p'] }, parent);
  assert.equal(a.entry.ttl, HOUR);
  assert.deepEqual(a.warnings, []);
  const b = await store.create({ policies: ['p'], ttl: 100 * HOUR }, parent);
  assert.equal(b.entry.ttl, 10 * HOUR);
  assert.match(b.warnings[0]!, /TTL of "100h0m0s" exceeded the effective max_ttl of "10h0m0s"/);
  const c = await store.create({ policies: ['p'], ttl: 5 * HOUR, explicitMaxTTL: 2 * HOUR }, parent);
  assert.equal(c.entry.ttl, 2 * HOUR);
  assert.equal(c.entry.explicitMaxTTL, 2 * HOUR);
  assert.equal(c.warnings.length, 1);
  // A root-policy child of a root token without ttl never expires.
  const d = await store.create({ policies: ['root'] }, parent);
  assert.equal(d.entry.ttl, 0);
  assert.equal(d.entry.renewable, false);
  // ...unless explicit_max_ttl is set.
  const e = await store.create({ policies: ['root'], explicitMaxTTL: 60 }, parent);
  assert.equal(e.entry.ttl, 60);
});

test('expired tokens are rejected and revoked lazily (injected clock)', async () => {
  const { store, advance, revoked, storage } = setup();
  const parent = (await store.lookup(await store.createRootToken()))!;
  const { token, entry } = await store.create({ policies: ['p'], ttl: 60 }, parent);
  advance(59);
  assert.ok(await store.lookup(token));
  assert.equal(store.remainingTTL(entry), 1);
  advance(1);
  assert.equal(await store.lookup(token), undefined);
  assert.ok(revoked.some((e) => e.id === entry.id));
  assert.equal(await storage.get(`id/${entry.id}`), undefined);
  assert.equal(await store.lookupAccessor(entry.accessor), undefined);
});

test('revokeTree revokes children and grandchildren, deepest first, and clears every index', async () => {
  const { store, revoked, storage } = setup();
  const root = (await store.lookup(await store.createRootToken()))!;
  const a = await store.create({ policies: ['p'] }, root);
  const b = await store.create({ policies: ['p'] }, a.entry);
  const c = await store.create({ policies: ['p'] }, b.entry);
  const sibling = await store.create({ policies: ['p'] }, root);
  await store.revokeTree(a.entry);
  for (const t of [a, b, c]) {
    assert.equal(await store.lookup(t.token), undefined);
    assert.equal(await store.lookupAccessor(t.entry.accessor), undefined);
  }
  assert.ok(await store.lookup(sibling.token));
  assert.deepEqual(revoked.map((e) => e.id), [c.entry.id, b.entry.id, a.entry.id]);
  const keys = [...storage.map.keys()];
  for (const t of [a, b, c]) assert.ok(!keys.some((k) => k.includes(t.entry.id)), `no key left for ${t.entry.id}`);
});

test('revokeOrphan revokes only the token; children become orphans and keep working', async () => {
  const { store } = setup();
  const root = (await store.lookup(await store.createRootToken()))!;
  const a = await store.create({ policies: ['p'] }, root);
  const b = await store.create({ policies: ['p'] }, a.entry);
  const c = await store.create({ policies: ['p'] }, b.entry);
  await store.revokeOrphan(a.entry);
  assert.equal(await store.lookup(a.token), undefined);
  const bNow = await store.lookup(b.token);
  assert.ok(bNow);
  assert.equal(bNow.parent, '');
  assert.equal(bNow.orphan, true);
  // b's own subtree is intact: revoking b still takes c.
  await store.revokeTree(bNow);
  assert.equal(await store.lookup(c.token), undefined);
});

test('num_uses: each use decrements; the last use marks the token and finishRequest revokes it', async () => {
  const { store, revoked } = setup();
  const root = (await store.lookup(await store.createRootToken()))!;
  const { token } = await store.create({ policies: ['p'], numUses: 2 }, root);
  const e1 = (await store.lookup(token))!;
  assert.equal(await store.use(e1), true);
  assert.equal(e1.numUses, 1);
  await store.finishRequest(e1);
  const e2 = (await store.lookup(token))!;
  assert.equal(e2.numUses, 1);
  assert.equal(await store.use(e2), true);
  assert.equal(e2.numUses, -1);
  // During the last request: not valid for new requests, visible to lookup-self.
  assert.equal(await store.lookup(token), undefined);
  assert.ok(await store.lookupIncludingLastUse(token));
  assert.equal(await store.use(e2), false);
  await store.finishRequest(e2);
  assert.equal(await store.lookupIncludingLastUse(token), undefined);
  assert.ok(revoked.some((e) => e.id === e2.id));
});

test('num_uses: concurrent uses never exceed the limit', async () => {
  const { store } = setup();
  const root = (await store.lookup(await store.createRootToken()))!;
  const { token } = await store.create({ policies: ['p'], numUses: 3 }, root);
  const entries = await Promise.all(Array.from({ length: 10 }, () => store.lookup(token)));
  const results = await Promise.all(entries.map((e) => store.use(e!)));
  assert.equal(results.filter(Boolean).length, 3);
});

test('bad create parameters are rejected', async () => {
  const { store } = setup();
  const root = (await store.lookup(await store.createRootToken()))!;
  await assert.rejects(store.create({ policies: ['p'], numUses: -1 }, root), /number of uses cannot be negative/);
  await assert.rejects(store.create({ policies: ['p'], numUses: 1e30 }, root), /num_uses/);
  await assert.rejects(store.create({ policies: ['p'], ttl: -5 }, root), /ttl must be positive/);
  await assert.rejects(store.create({ policies: ['p'], explicitMaxTTL: 1e30 }, root), /out of range/);
  await assert.rejects(store.create({ policies: ['response-wrapping'] }, root), /cannot assign policy/);
  const child = await store.create({ policies: ['p'] }, root);
  await assert.rejects(store.create({ policies: ['root'] }, child.entry), /parent token being root/);
  const expiringRoot = await store.create({ policies: ['root'], ttl: 60 }, root);
  await assert.rejects(store.create({ policies: ['root'] }, expiringRoot.entry), /expiring root tokens cannot create non-expiring/);
});

test('renewal: reuses the creation TTL, honours increment, caps at max TTL with a warning', async () => {
  const { store, advance } = setup({ defaultTTL: () => HOUR, maxTTL: () => 3 * HOUR });
  const root = (await store.lookup(await store.createRootToken()))!;
  const { token, entry } = await store.create({ policies: ['p'], ttl: 1800 }, root);
  advance(1000);
  let r = await store.renew(entry, 0);
  assert.equal(store.remainingTTL(r.entry), 1800);
  assert.ok(r.entry.lastRenewalTimeMs > 0);
  r = await store.renew(entry, 7200);
  assert.equal(store.remainingTTL(r.entry), 7200);
  assert.deepEqual(r.warnings, []);
  advance(5000); // 6000 s since creation; 4800 s left of the 3h max
  r = await store.renew(entry, 7200);
  assert.equal(store.remainingTTL(r.entry), 3 * HOUR - 6000);
  assert.match(r.warnings[0]!, /capped/);
  assert.ok(await store.lookup(token));
  advance(3 * HOUR - 6000);
  assert.equal(await store.lookup(token), undefined);
  await assert.rejects(store.renew(entry, 10), /token not found/);
});

test('renewal refuses root, non-renewable and batch tokens', async () => {
  const { store } = setup();
  const root = (await store.lookup(await store.createRootToken()))!;
  await assert.rejects(store.renew(root, 0), /not renewable/);
  const nr = await store.create({ policies: ['p'], renewable: false }, root);
  await assert.rejects(store.renew(nr.entry, 0), /not renewable/);
  const batch = await store.create({ policies: ['p'], type: 'batch' }, root);
  await assert.rejects(store.renew(batch.entry, 0), /batch tokens cannot be renewed/);
});

test('periodic tokens renew to exactly the period, bounded only by explicit_max_ttl', async () => {
  const { store, advance } = setup({ defaultTTL: () => HOUR, maxTTL: () => 2 * HOUR });
  const root = (await store.lookup(await store.createRootToken()))!;
  const { token, entry } = await store.create({ policies: ['p'], period: 600, ttl: 5 }, root);
  assert.equal(entry.ttl, 600);
  for (let i = 0; i < 20; i++) {
    advance(500);
    const r = await store.renew(entry, 5000);
    assert.equal(store.remainingTTL(r.entry), 600);
  }
  assert.ok(await store.lookup(token)); // 10000 s > mount max: periodic tokens outlive it
  const capped = await store.create({ policies: ['p'], period: 600, explicitMaxTTL: 1000 }, root);
  advance(500);
  const r = await store.renew(capped.entry, 0);
  assert.equal(store.remainingTTL(r.entry), 500);
  assert.match(r.warnings[0]!, /capped/);
  const big = await store.create({ policies: ['p'], period: 10 * HOUR }, root);
  assert.equal(big.entry.ttl, 2 * HOUR);
  assert.match(big.warnings[0]!, /period of/);
});

test('batch tokens: self-contained, not stored, expire, die with their parent, cannot parent', async () => {
  const { store, storage, advance } = setup();
  const root = (await store.lookup(await store.createRootToken()))!;
  const parent = await store.create({ policies: ['p', 'q'] }, root);
  const sizeBefore = storage.map.size;
  const { token, entry } = await store.create({ policies: ['p'], type: 'batch', ttl: 120, meta: { a: 'b' } }, parent.entry);
  assert.equal(storage.map.size, sizeBefore, 'batch tokens write nothing');
  assert.match(token, /^hvb\.[A-Za-z0-9_-]{60,}$/);
  assert.equal(entry.accessor, '');
  assert.equal(entry.renewable, false);
  const found = await store.lookup(token);
  assert.ok(found);
  assert.deepEqual(found.policies, ['p']);
  assert.deepEqual(found.meta, { a: 'b' });
  assert.equal(found.type, 'batch');
  assert.equal(found.id, entry.id);
  assert.equal(found.cubbyholeId, '');
  assert.equal(await store.use(found), true);
  await assert.rejects(store.create({ policies: ['p'] }, found), /batch tokens cannot create more tokens/);
  // Tampering breaks authentication.
  const chars = token.split('');
  const i = token.length - 10;
  chars[i] = chars[i] === 'A' ? 'B' : 'A';
  assert.equal(await store.lookup(chars.join('')), undefined);
  // Parent revocation invalidates it.
  await store.revokeTree(parent.entry);
  assert.equal(await store.lookup(token), undefined);
  // Expiry.
  const orphanBatch = await store.create({ policies: ['p'], type: 'batch', ttl: 30 });
  assert.ok(await store.lookup(orphanBatch.token));
  advance(30);
  assert.equal(await store.lookup(orphanBatch.token), undefined);
  await assert.rejects(store.create({ policies: ['p'], type: 'batch', numUses: 1 }, root), /"num_uses"/);
  await assert.rejects(store.create({ policies: ['p'], type: 'batch', period: 5 }, root), /"period"/);
  await assert.rejects(store.create({ policies: ['root'], type: 'batch' }, root), /cannot be root/);
});

test('accessors: lookup, list, and no accessor in clear as a storage key', async () => {
  const { store, storage } = setup();
  const root = (await store.lookup(await store.createRootToken()))!;
  const a = await store.create({ policies: ['p'] }, root);
  const found = await store.lookupAccessor(a.entry.accessor);
  assert.equal(found?.id, a.entry.id);
  const list = await store.listAccessors();
  assert.deepEqual(list, [root.accessor, a.entry.accessor].sort());
  assert.ok(![...storage.map.keys()].some((k) => k.includes(a.entry.accessor)));
});

test('sanitizePolicies follows Vault', () => {
  assert.deepEqual(sanitizePolicies([' B', 'a', 'b', ''], true), ['a', 'b', 'default']);
  assert.deepEqual(sanitizePolicies(['a', 'root'], true), ['root']);
  assert.deepEqual(sanitizePolicies([], false), []);
});

test('tidy removes dangling indexes and exhausted tokens', async () => {
  const { store, storage } = setup();
  const root = (await store.lookup(await store.createRootToken()))!;
  const a = await store.create({ policies: ['p'] }, root);
  const b = await store.create({ policies: ['p'] }, a.entry);
  // Simulate a crash that removed a's entry but left its indexes.
  await storage.delete(`id/${a.entry.id}`);
  const used = await store.create({ policies: ['p'], numUses: 1 }, root);
  await store.use(used.entry);
  const report = await store.tidy();
  assert.equal(report.revokedTokens, 1);
  assert.equal(report.orphanedTokens, 1);
  assert.ok(report.deletedAccessorIndexes >= 1);
  const bNow = await store.lookup(b.token);
  assert.equal(bNow?.orphan, true);
  assert.equal(await store.lookupIncludingLastUse(used.token), undefined);
  assert.ok(![...storage.map.keys()].some((k) => k.startsWith(`parent/${a.entry.id}/`)));
});
