import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidRequestError } from '../core/errors.js';
import { createMemoryBackend } from '../storage/memory.js';
import type { Storage } from '../storage/backend.js';
import { createPolicyStore, normalizePolicyName } from './store.js';
import { DEFAULT_POLICY, RESPONSE_WRAPPING_POLICY } from './builtin.js';

const READ_SECRET = 'path "secret/*" { capabilities = ["read"] }';

async function rejects(p: Promise<unknown>, message: string | RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof InvalidRequestError, String(err));
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

/** Counts storage reads, to prove the cache is used. */
function counting(inner: Storage): Storage & { gets: number } {
  const s = {
    gets: 0,
    get: (k: string) => { s.gets++; return inner.get(k); },
    put: inner.put.bind(inner),
    delete: inner.delete.bind(inner),
    list: inner.list.bind(inner),
    transaction: inner.transaction.bind(inner),
  };
  return s;
}

test('set, get, list, delete', async () => {
  const storage = createMemoryBackend();
  const store = createPolicyStore(storage);
  await store.ensureDefaults();
  assert.deepEqual(await store.list(), ['default', 'root']);
  await store.set('Dev ', READ_SECRET);
  await store.set('admin', 'path "*" { capabilities = ["sudo", "read"] }');
  assert.deepEqual(await store.list(), ['admin', 'default', 'dev', 'root']);
  assert.deepEqual(await store.get('dev'), { name: 'dev', policy: READ_SECRET });
  assert.deepEqual(await store.get(' DEV'), { name: 'dev', policy: READ_SECRET });
  assert.equal(await store.get('missing'), undefined);
  assert.ok(await storage.get('policy/dev'), 'stored under policy/<name>');
  await store.delete('dev');
  await store.delete('dev'); // idempotent
  assert.equal(await store.get('dev'), undefined);
  assert.deepEqual(await store.list(), ['admin', 'default', 'root']);
});

test('built-in policies: root, default, response-wrapping', async () => {
  const store = createPolicyStore(createMemoryBackend());
  assert.deepEqual(await store.get('root'), { name: 'root', policy: '' });
  assert.deepEqual(await store.get('default'), { name: 'default', policy: DEFAULT_POLICY }, 'served before ensureDefaults');
  assert.deepEqual(await store.get('response-wrapping'), { name: 'response-wrapping', policy: RESPONSE_WRAPPING_POLICY });
  assert.deepEqual(await store.list(), ['default', 'root'], 'response-wrapping is not listed');
  await rejects(store.set('root', READ_SECRET), 'cannot update "root" policy');
  await rejects(store.set(' ROOT', READ_SECRET), 'cannot update "root" policy');
  await rejects(store.set('response-wrapping', READ_SECRET), 'cannot update "response-wrapping" policy');
  await rejects(store.delete('root'), 'cannot delete "root" policy');
  await rejects(store.delete('default'), 'cannot delete default policy');
  await rejects(store.delete('response-wrapping'), 'cannot delete "response-wrapping" policy');
  // default is editable, and an edited default survives ensureDefaults.
  await store.set('default', READ_SECRET);
  await store.ensureDefaults();
  assert.deepEqual(await store.get('default'), { name: 'default', policy: READ_SECRET });
  assert.deepEqual((await store.aclFor(['default'])).capabilities('cubbyhole/x'), ['deny']);
});

test('ensureDefaults writes default once', async () => {
  const storage = createMemoryBackend();
  const store = createPolicyStore(storage);
  assert.equal(await storage.get('policy/default'), undefined);
  await store.ensureDefaults();
  const first = await storage.get('policy/default');
  assert.ok(first);
  await store.ensureDefaults();
  assert.deepEqual(await storage.get('policy/default'), first);
  assert.deepEqual((await store.aclFor(['default'])).capabilities('auth/token/lookup-self'), ['read']);
});

test('an unparseable policy stores nothing', async () => {
  const storage = createMemoryBackend();
  const store = createPolicyStore(storage);
  await rejects(store.set('bad', 'path "x" { capabilities = ["fly"] }'), /^failed to parse policy: path "x": invalid capability "fly"$/);
  await rejects(store.set('bad', 'path "x" {'), /^failed to parse policy: /);
  assert.equal(await storage.get('policy/bad'), undefined);
  await store.set('good', READ_SECRET);
  await rejects(store.set('good', 'nonsense'), /^failed to parse policy: /);
  assert.deepEqual(await store.get('good'), { name: 'good', policy: READ_SECRET }, 'the old text is kept');
});

test('policy names: normalised, and invalid ones refused', async () => {
  assert.deepEqual(normalizePolicyName('  My-Policy '), { name: 'my-policy', changed: true });
  assert.deepEqual(normalizePolicyName('ok'), { name: 'ok', changed: false });
  const store = createPolicyStore(createMemoryBackend());
  await rejects(store.set('a/b', READ_SECRET), 'policy name must not contain "/"');
  await rejects(store.set('   ', READ_SECRET), 'policy name must not be empty');
  await rejects(store.set('..', READ_SECRET), /invalid policy name/);
  await rejects(store.set('a\nb', READ_SECRET), /control characters/);
  await rejects(store.set('x'.repeat(300), READ_SECRET), /at most 256/);
  await rejects(store.set('a\ud800', READ_SECRET), /valid Unicode/);
  assert.equal(await store.get('a\ud800'), undefined);
  await store.delete('a\ud800');
  assert.deepEqual((await store.aclFor(['a\ud800', '', 'x/y'])).capabilities('secret/x'), ['deny']);
  assert.equal(await store.get('a/b'), undefined);
  assert.deepEqual(await store.list(), ['default', 'root']);
});

test('aclFor: root, unknown names, unions, caching and invalidation', async () => {
  const storage = counting(createMemoryBackend());
  const store = createPolicyStore(storage);
  await store.ensureDefaults();
  await store.set('reader', READ_SECRET);
  await store.set('lister', 'path "secret/*" { capabilities = ["list"] }');

  const root = await store.aclFor(['default', 'root']);
  assert.equal(root.isRoot, true);

  const none = await store.aclFor(['nope']);
  assert.deepEqual(none.capabilities('secret/x'), ['deny']);

  const acl = await store.aclFor(['reader', 'lister', 'default', 'ghost']);
  assert.deepEqual(acl.capabilities('secret/x'), ['list', 'read']);
  assert.deepEqual(acl.capabilities('cubbyhole/x'), ['create', 'delete', 'list', 'read', 'update']);

  const reads = storage.gets;
  const again = await store.aclFor(['Default', 'lister', 'reader', 'ghost', 'reader']);
  assert.equal(again, acl, 'same set of names → cached ACL');
  assert.equal(storage.gets, reads, 'no storage reads on a cache hit');

  await store.set('reader', 'path "secret/*" { capabilities = ["deny"] }');
  const after = await store.aclFor(['reader', 'lister', 'default', 'ghost']);
  assert.notEqual(after, acl);
  assert.deepEqual(after.capabilities('secret/x'), ['deny'], 'policy changes apply to existing tokens at once');

  await store.set('ghost', 'path "ghost/*" { capabilities = ["read"] }');
  assert.deepEqual((await store.aclFor(['ghost'])).capabilities('ghost/x'), ['read'], 'a name that appears later is picked up');

  await store.delete('ghost');
  assert.deepEqual((await store.aclFor(['ghost'])).capabilities('ghost/x'), ['deny'], 'deletion invalidates');
});

test('aclFor: response-wrapping is served built in', async () => {
  const store = createPolicyStore(createMemoryBackend());
  const acl = await store.aclFor(['response-wrapping']);
  assert.deepEqual(acl.capabilities('cubbyhole/response'), ['create', 'read']);
});

test('aclFor: templated policies resolve per identity and are not cached per identity', async () => {
  const store = createPolicyStore(createMemoryBackend());
  await store.set('own', 'path "secret/{{identity.entity.name}}/*" { capabilities = ["read"] }');
  const alice = await store.aclFor(['own'], { entity: { id: '1', name: 'alice' } });
  const bob = await store.aclFor(['own'], { entity: { id: '2', name: 'bob' } });
  assert.deepEqual(alice.capabilities('secret/alice/x'), ['read']);
  assert.deepEqual(alice.capabilities('secret/bob/x'), ['deny']);
  assert.deepEqual(bob.capabilities('secret/bob/x'), ['read']);
  const anonymous = await store.aclFor(['own']);
  assert.deepEqual(anonymous.capabilities('secret/alice/x'), ['deny']);
  // Untemplated sets are still served from the cache when an identity is given.
  await store.set('plain', READ_SECRET);
  const plain = await store.aclFor(['plain']);
  assert.equal(await store.aclFor(['plain'], { entity: { id: '1', name: 'alice' } }), plain);
});

test('aclFor: an expiring rule is rebuilt after it expires', async () => {
  let now = Date.parse('2025-01-01T00:00:00Z');
  const store = createPolicyStore(createMemoryBackend(), { now: () => now });
  await store.set('temp', 'path "secret/x" {\n capabilities = ["read"]\n expiration = "2025-01-02T00:00:00Z"\n}');
  assert.deepEqual((await store.aclFor(['temp'])).capabilities('secret/x'), ['read']);
  now = Date.parse('2025-01-03T00:00:00Z');
  assert.deepEqual((await store.aclFor(['temp'])).capabilities('secret/x'), ['deny']);
});

test('a stored policy that no longer parses grants nothing instead of failing every request', async () => {
  const storage = createMemoryBackend();
  await storage.put('policy/broken', new TextEncoder().encode(JSON.stringify({ name: 'broken', policy: 'path "x" { capabilities = ["fly"] }' })));
  const store = createPolicyStore(storage);
  await store.set('ok', READ_SECRET);
  const acl = await store.aclFor(['broken', 'ok']);
  assert.deepEqual(acl.capabilities('secret/a'), ['read']);
  assert.deepEqual(acl.capabilities('x'), ['deny']);
});
