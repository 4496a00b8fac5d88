import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kv2, rejects, record } from '../../../test/helpers/kv.js';

const T0 = '2024-01-02T03:04:05.123456789Z';
const T1 = '2024-01-02T03:04:06.123456789Z';

test('metadata read: exact shape with string version keys and Go durations', async () => {
  const h = await kv2();
  await h.call('update', 'data/foo', { data: { v: 1 } });
  h.clock.advance(1);
  await h.call('update', 'data/foo', { data: { v: 2 } });
  const r = await h.call('read', 'metadata/foo');
  assert.deepEqual(r?.data, {
    cas_required: false,
    created_time: T0,
    current_version: 2,
    custom_metadata: null,
    delete_version_after: '0s',
    max_versions: 0,
    oldest_version: 0,
    updated_time: T1,
    versions: {
      1: { created_time: T0, deletion_time: '', destroyed: false },
      2: { created_time: T1, deletion_time: '', destroyed: false },
    },
  });
  assert.deepEqual(Object.keys(record(record(r?.data).versions)), ['1', '2']);
});

test('metadata write creates metadata without a version and is 204', async () => {
  const h = await kv2();
  const w = await h.call('update', 'metadata/foo', { max_versions: 5, cas_required: true, delete_version_after: '1h', custom_metadata: { a: 'b' } });
  assert.equal(w, undefined);
  const m = record((await h.call('read', 'metadata/foo'))?.data);
  assert.equal(m.max_versions, 5);
  assert.equal(m.cas_required, true);
  assert.equal(m.delete_version_after, '1h0m0s');
  assert.deepEqual(m.custom_metadata, { a: 'b' });
  assert.equal(m.current_version, 0);
  assert.deepEqual(m.versions, {});
  await rejects(h.call('read', 'data/foo'), 'ERR_NOT_FOUND', '');
});

test('metadata write with no fields stores nothing (as Vault)', async () => {
  const h = await kv2();
  assert.equal(await h.call('update', 'metadata/foo', {}), undefined);
  assert.equal(h.storage.map.size, 0);
});

test('metadata write updates only the supplied fields; custom_metadata is replaced whole', async () => {
  const h = await kv2();
  await h.call('update', 'metadata/foo', { max_versions: 5, custom_metadata: { a: '1', b: '2' } });
  await h.call('update', 'metadata/foo', { custom_metadata: { c: 3, d: true } });
  const m = record((await h.call('read', 'metadata/foo'))?.data);
  assert.equal(m.max_versions, 5);
  assert.deepEqual(m.custom_metadata, { c: '3', d: '1' });
});

test('metadata PATCH merges custom_metadata (null removes) and keeps other fields', async () => {
  const h = await kv2();
  await h.call('update', 'metadata/foo', { max_versions: 5, custom_metadata: { a: '1', b: '2' } });
  assert.equal(await h.call('patch', 'metadata/foo', { custom_metadata: { a: null, c: '3' }, cas_required: true }), undefined);
  const m = record((await h.call('read', 'metadata/foo'))?.data);
  assert.deepEqual(m.custom_metadata, { b: '2', c: '3' });
  assert.equal(m.cas_required, true);
  assert.equal(m.max_versions, 5);
  await rejects(h.call('patch', 'metadata/nope', { max_versions: 1 }), 'ERR_NOT_FOUND', '');
});

test('custom_metadata limits: 64 keys, key ≤ 128 bytes, value ≤ 512 bytes, printable', async () => {
  const h = await kv2();
  const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v']));
  await rejects(h.call('update', 'metadata/foo', { custom_metadata: many }), 'ERR_INVALID_REQUEST',
    '1 error occurred:\n\t* custom_metadata validation failed: payload must contain at most 64 keys, provided 65\n\n');
  const ok64 = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`k${i}`, 'v']));
  await h.call('update', 'metadata/ok', { custom_metadata: ok64 });
  await rejects(h.call('update', 'metadata/foo', { custom_metadata: { ['k'.repeat(129)]: 'v' } }), 'ERR_INVALID_REQUEST', /length of key "k+" is 129 but must be 0 < len\(key\) <= 128/);
  await rejects(h.call('update', 'metadata/foo', { custom_metadata: { k: 'é'.repeat(257) } }), 'ERR_INVALID_REQUEST', /length of value for key "k" is 514/);
  await rejects(h.call('update', 'metadata/foo', { custom_metadata: { k: '' } }), 'ERR_INVALID_REQUEST', /is 0 but must be/);
  await rejects(h.call('update', 'metadata/foo', { custom_metadata: { 'a\nb': 'v', c: 'x\u0000' } }), 'ERR_INVALID_REQUEST', /^2 errors occurred:\n\t\* .*unprintable.*\n\t\* .*unprintable/);
  await rejects(h.call('update', 'metadata/foo', { custom_metadata: { k: { nested: 1 } } }), 'ERR_INVALID_REQUEST', /custom_metadata validation failed/);
  await rejects(h.call('update', 'metadata/foo', { custom_metadata: 'nope' }), 'ERR_INVALID_REQUEST', /custom_metadata/);
  // A patch that would push the merged map over 64 keys is refused too.
  await rejects(h.call('patch', 'metadata/ok', { custom_metadata: { extra: 'v' } }), 'ERR_INVALID_REQUEST', /at most 64 keys, provided 65/);
  await rejects(h.call('read', 'metadata/foo'), 'ERR_NOT_FOUND');
});

test('bad setting values are 400s', async () => {
  const h = await kv2();
  await rejects(h.call('update', 'metadata/foo', { max_versions: -1 }), 'ERR_INVALID_REQUEST', /max_versions/);
  await rejects(h.call('update', 'metadata/foo', { max_versions: 2 ** 32 }), 'ERR_INVALID_REQUEST', /max_versions/);
  await rejects(h.call('update', 'metadata/foo', { max_versions: 'many' }), 'ERR_INVALID_REQUEST', /max_versions/);
  await rejects(h.call('update', 'metadata/foo', { cas_required: 'maybe' }), 'ERR_INVALID_REQUEST', /cas_required/);
  await rejects(h.call('update', 'metadata/foo', { delete_version_after: '-1h' }), 'ERR_INVALID_REQUEST', /delete_version_after/);
  await rejects(h.call('update', 'metadata/', { max_versions: 1 }), 'ERR_INVALID_REQUEST', 'missing path');
  await rejects(h.call('update', 'metadata/a/../b', { max_versions: 1 }), 'ERR_INVALID_REQUEST', /invalid path/);
  await rejects(h.call('update', 'metadata/dir/', { max_versions: 1 }), 'ERR_INVALID_REQUEST', /invalid path/);
  assert.equal(h.storage.map.size, 0);
});

test('cas_required=false on a key while the mount requires it: stored, with Vault\'s warning', async () => {
  const h = await kv2();
  await h.call('update', 'config', { cas_required: true });
  const r = await h.call('update', 'metadata/foo', { cas_required: false });
  assert.deepEqual(r?.warnings, ['"cas_required" set to false, but is mandated by backend config. This value will be ignored.']);
});

test('LIST metadata/ is one level; keys stay listed while metadata exists; empty is 404', async () => {
  const h = await kv2();
  await h.call('update', 'data/a', { data: { v: 1 } });
  await h.call('update', 'data/dir/b', { data: { v: 1 } });
  await h.call('update', 'data/dir/sub/c', { data: { v: 1 } });
  await h.call('update', 'data/dir', { data: { v: 1 } });
  assert.deepEqual((await h.call('list', 'metadata/'))?.data, { keys: ['a', 'dir', 'dir/'] });
  assert.deepEqual((await h.call('list', 'metadata/dir/'))?.data, { keys: ['b', 'sub/'] });
  assert.deepEqual((await h.call('list', 'metadata/dir'))?.data, { keys: ['b', 'sub/'] });
  await h.call('delete', 'data/a');
  await h.call('update', 'destroy/a', { versions: [1] });
  assert.deepEqual((await h.call('list', 'metadata/'))?.data, { keys: ['a', 'dir', 'dir/'] });
  await rejects(h.call('list', 'metadata/none/'), 'ERR_NOT_FOUND', '');
  await rejects(h.call('list', 'metadata/../'), 'ERR_INVALID_REQUEST', /invalid path/);
});

test('DELETE metadata/x removes the metadata and every version record', async () => {
  const h = await kv2();
  for (let i = 1; i <= 3; i++) await h.call('update', 'data/foo', { data: { i } });
  await h.call('update', 'data/keep', { data: { k: 1 } });
  assert.equal(await h.call('delete', 'metadata/foo'), undefined);
  await rejects(h.call('read', 'metadata/foo'), 'ERR_NOT_FOUND');
  await rejects(h.call('read', 'data/foo', { version: 1 }), 'ERR_NOT_FOUND');
  assert.deepEqual((await h.call('list', 'metadata/'))?.data, { keys: ['keep'] });
  const left = [...h.storage.map.keys()].sort();
  assert.equal(left.filter((k) => k.startsWith('versions/')).length, 1);
  assert.deepEqual(left.filter((k) => k.startsWith('metadata/')), ['metadata/keep']);
  // A new write starts again at version 1.
  assert.equal(record((await h.call('update', 'data/foo', { data: { again: true } }))?.data).version, 1);
  assert.equal(await h.call('delete', 'metadata/never'), undefined);
});

test('metadata read of the root, a folder or a missing key is 404', async () => {
  const h = await kv2();
  await h.call('update', 'data/dir/x', { data: { v: 1 } });
  for (const p of ['metadata/', 'metadata/dir/', 'metadata/dir', 'metadata/nope']) await rejects(h.call('read', p), 'ERR_NOT_FOUND', '');
});
