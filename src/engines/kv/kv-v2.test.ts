import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHarness, testMount } from '../../../test/helpers/backend.js';
import { kvFactory } from './index.js';
import { kv2, record } from '../../../test/helpers/kv.js';

const INVALID = (verb: string) => `Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. If using the Vault CLI, use 'vault kv ${verb}' for this operation.`;
const ROOT = 'Non-listing operations on the root of a K/V v2 mount are not supported.';

test('kvFactory gives v2 for options.version "2" and for type kv-v2', async () => {
  for (const mount of [testMount('secret/', 'kv', { version: '2' }), testMount('kv2/', 'kv-v2')]) {
    const h = await createHarness(kvFactory, mount);
    assert.equal(record((await h.call('update', 'data/x', { data: { a: 1 } }))?.data).version, 1);
  }
});

test('paths outside the v2 families are 404 with Vault\'s warning, per verb', async () => {
  const h = await kv2();
  const cases: [Parameters<typeof h.call>[0], string][] = [['read', 'get'], ['update', 'put'], ['patch', 'patch'], ['delete', 'delete'], ['list', 'list']];
  for (const [op, verb] of cases) {
    const r = await h.call(op, 'foo', { a: 1 });
    assert.equal(r?.statusCode, 404);
    assert.deepEqual(r?.warnings, [INVALID(verb)]);
    assert.equal(r?.data, undefined);
  }
  // Listing under data/ is not a thing in v2 (list metadata/ instead).
  assert.deepEqual((await h.call('list', 'data/'))?.warnings, [INVALID('list')]);
  assert.deepEqual((await h.call('list', ''))?.warnings, [INVALID('list')]);
  assert.deepEqual((await h.call('read', 'data/foo/'))?.warnings, [INVALID('get')]);
  assert.equal(h.storage.map.size, 0);
});

test('non-listing operations on the bare prefixes get the root warning', async () => {
  const h = await kv2();
  for (const p of ['data', 'metadata', 'delete', 'undelete', 'destroy']) {
    const r = await h.call('read', p);
    assert.equal(r?.statusCode, 404);
    assert.deepEqual(r?.warnings, [ROOT]);
  }
});

test('v2 storage keeps one metadata record per key and one record per version', async () => {
  const h = await kv2();
  for (let i = 0; i < 3; i++) await h.call('update', 'data/app/db', { data: { i } });
  const keys = [...h.storage.map.keys()].sort();
  assert.equal(keys.filter((k) => k === 'metadata/app/db').length, 1);
  const versions = keys.filter((k) => k.startsWith('versions/'));
  assert.equal(versions.length, 3);
  assert.match(versions[0] ?? '', /^versions\/[0-9a-f]{64}\/1$/);
  assert.ok(!versions.some((k) => k.includes('app/db')), 'version records are keyed by a hash of the path');
});

test('a read that races a pruning write never sees torn state', async () => {
  const h = await kv2();
  await h.call('update', 'metadata/foo', { max_versions: 1 });
  await h.call('update', 'data/foo', { data: { n: 0 } });
  const ops: Promise<unknown>[] = [];
  for (let i = 1; i <= 30; i++) {
    ops.push(h.call('update', 'data/foo', { data: { n: i } }));
    ops.push(h.call('read', 'data/foo').then((r) => {
      // Either a full version or (if pruned between reads) a clean 404; never a 500.
      if (r) assert.equal(typeof record(record(r.data).data).n, 'number');
    }, (err: unknown) => assert.match(String(err), /NotFound/)));
  }
  await Promise.all(ops);
  assert.deepEqual(record((await h.call('read', 'data/foo'))?.data).data, { n: 30 });
});
