import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHarness, testMount } from '../../../test/helpers/backend.js';
import { kvFactory } from './index.js';
import { leaseDurationFor } from './kv-v1.js';
import { rejects } from '../../../test/helpers/kv.js';

const v1 = (options: Record<string, string> = {}, type = 'kv') => createHarness(kvFactory, testMount('secret/', type, options), { def: 3600, max: 7200 });

test('write then read returns the stored object and the mount default TTL', async () => {
  const h = await v1();
  assert.equal(await h.call('update', 'foo', { a: 'b', nested: { n: [1, 2] } }), undefined);
  const r = await h.call('read', 'foo');
  assert.deepEqual(r?.data, { a: 'b', nested: { n: [1, 2] } });
  assert.equal(r?.leaseDuration, 3600);
});

test('missing option, "1" and legacy type generic all give KV v1', async () => {
  for (const h of [await v1(), await v1({ version: '1' }), await v1({}, 'generic')]) {
    await h.call('update', 'x', { k: 'v' });
    assert.deepEqual((await h.call('read', 'x'))?.data, { k: 'v' });
  }
});

test('an unknown version is refused at mount time', async () => {
  await rejects(v1({ version: '3' }), 'ERR_INVALID_REQUEST', /unsupported kv version/);
});

test('a ttl (or lease) field in the secret sets lease_duration; a bad one falls back to the default', async () => {
  const h = await v1();
  await h.call('update', 'a', { value: 1, ttl: '1h30m' });
  assert.equal((await h.call('read', 'a'))?.leaseDuration, 5400);
  await h.call('update', 'b', { value: 1, lease: 60 });
  assert.equal((await h.call('read', 'b'))?.leaseDuration, 60);
  await h.call('update', 'c', { value: 1, ttl: 'soon' });
  assert.equal((await h.call('read', 'c'))?.leaseDuration, 3600);
  assert.equal(leaseDurationFor({ ttl: '-5s' }, 7), 7);
});

test('the existence check tells create from update', async () => {
  const h = await v1();
  const req = { id: 'r', operation: 'create' as const, path: 'foo', fullPath: 'secret/foo', mount: h.mount, data: { a: 1 }, storage: h.storage, clientToken: '', remoteAddress: '', headers: {}, wrapTTL: 0 };
  assert.equal(await h.backend.existenceCheck(req), false);
  await h.call('update', 'foo', { a: 1 });
  assert.equal(await h.backend.existenceCheck(req), true);
});

test('write replaces the whole secret', async () => {
  const h = await v1();
  await h.call('update', 'foo', { a: 1, b: 2 });
  await h.call('update', 'foo', { c: 3 });
  assert.deepEqual((await h.call('read', 'foo'))?.data, { c: 3 });
});

test('empty writes, a missing path and folder paths are 400s and store nothing', async () => {
  const h = await v1();
  await rejects(h.call('update', 'foo', {}), 'ERR_INVALID_REQUEST', 'missing data fields');
  await rejects(h.call('update', '', { a: 1 }), 'ERR_INVALID_REQUEST', 'missing path');
  await rejects(h.call('update', 'dir/', { a: 1 }), 'ERR_INVALID_REQUEST', /must not end with/);
  assert.equal(h.storage.map.size, 0);
});

test('traversal-ish and malformed paths are refused', async () => {
  const h = await v1();
  for (const p of ['../etc', 'a/../b', 'a/./b', 'a//b', '/abs', 'a\0b', '..']) {
    await rejects(h.call('update', p, { a: 1 }), 'ERR_INVALID_REQUEST', /invalid path/);
    await rejects(h.call('read', p), 'ERR_INVALID_REQUEST', /invalid path/);
  }
  assert.equal(h.storage.map.size, 0);
});

test('unicode paths and values round-trip', async () => {
  const h = await v1();
  await h.call('update', 'ключ/秘密/🔑', { 'ä': 'ß', emoji: '🙂' });
  assert.deepEqual((await h.call('read', 'ключ/秘密/🔑'))?.data, { 'ä': 'ß', emoji: '🙂' });
  assert.deepEqual((await h.call('list', 'ключ/'))?.data, { keys: ['秘密/'] });
});

test('read of a missing secret, the root or a folder is a bare 404', async () => {
  const h = await v1();
  await h.call('update', 'dir/x', { a: 1 });
  for (const p of ['nope', '', 'dir/', 'dir']) await rejects(h.call('read', p), 'ERR_NOT_FOUND', '');
});

test('list is one level with folders marked; empty lists are 404', async () => {
  const h = await v1();
  await h.call('update', 'a', { v: 1 });
  await h.call('update', 'b/c', { v: 1 });
  await h.call('update', 'b/d/e', { v: 1 });
  assert.deepEqual((await h.call('list', ''))?.data, { keys: ['a', 'b/'] });
  assert.deepEqual((await h.call('list', 'b/'))?.data, { keys: ['c', 'd/'] });
  assert.deepEqual((await h.call('list', 'b'))?.data, { keys: ['c', 'd/'] });
  await rejects(h.call('list', 'nothing/'), 'ERR_NOT_FOUND', '');
});

test('delete is 204 and idempotent', async () => {
  const h = await v1();
  await h.call('update', 'foo', { a: 1 });
  assert.equal(await h.call('delete', 'foo'), undefined);
  assert.equal(await h.call('delete', 'foo'), undefined);
  await rejects(h.call('read', 'foo'), 'ERR_NOT_FOUND');
  await rejects(h.call('list', ''), 'ERR_NOT_FOUND');
});

test('a custom_metadata key is just data in v1', async () => {
  const h = await v1();
  await h.call('update', 'eso', { custom_metadata: { 'managed-by': 'external-secrets' }, v: 'x' });
  assert.deepEqual((await h.call('read', 'eso'))?.data, { custom_metadata: { 'managed-by': 'external-secrets' }, v: 'x' });
});
