import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kv2, rejects, record } from '../../../test/helpers/kv.js';

const T0 = '2024-01-02T03:04:05.123456789Z';

test('write returns the exact version block; read returns data + metadata', async () => {
  const h = await kv2();
  const w = await h.call('update', 'data/foo', { data: { a: 'b' }, options: {} });
  assert.deepEqual(w?.data, { created_time: T0, custom_metadata: null, deletion_time: '', destroyed: false, version: 1 });
  assert.equal(w?.statusCode, undefined);
  const r = await h.call('read', 'data/foo');
  assert.deepEqual(r?.data, {
    data: { a: 'b' },
    metadata: { created_time: T0, custom_metadata: null, deletion_time: '', destroyed: false, version: 1 },
  });
  assert.equal(r?.statusCode, undefined);
  assert.ok(!r?.leaseDuration);
});

test('versions start at 1, count up, and ?version=N (a query string) reads old ones', async () => {
  const h = await kv2();
  for (let i = 1; i <= 3; i++) {
    h.clock.advance(1);
    assert.equal(record((await h.call('update', 'data/foo', { data: { n: i } }))?.data).version, i);
  }
  assert.deepEqual(record((await h.call('read', 'data/foo'))?.data).data, { n: 3 });
  assert.deepEqual(record((await h.call('read', 'data/foo', { version: '2' }))?.data).data, { n: 2 });
  assert.deepEqual(record((await h.call('read', 'data/foo', { version: 1 }))?.data).data, { n: 1 });
  assert.deepEqual(record((await h.call('read', 'data/foo', { version: '0' }))?.data).data, { n: 3 });
  // Like Vault, a non-positive version means "current".
  assert.deepEqual(record((await h.call('read', 'data/foo', { version: -1 }))?.data).data, { n: 3 });
});

test('missing key, never-existing version: bare 404', async () => {
  const h = await kv2();
  await rejects(h.call('read', 'data/nope'), 'ERR_NOT_FOUND', '');
  await h.call('update', 'data/foo', { data: { a: 1 } });
  await rejects(h.call('read', 'data/foo', { version: 7 }), 'ERR_NOT_FOUND', '');
});

test('bad version values are 400s', async () => {
  const h = await kv2();
  await h.call('update', 'data/foo', { data: { a: 1 } });
  for (const version of ['abc', '1.5', '99999999999999999999999', 1.5, [1]]) {
    await rejects(h.call('read', 'data/foo', { version }), 'ERR_INVALID_REQUEST', /version/);
  }
  await rejects(h.call('read', 'data/foo', { version: Number.MAX_SAFE_INTEGER }), 'ERR_NOT_FOUND');
});

test('write validation: no data, non-object data, bad options; nothing is stored', async () => {
  const h = await kv2();
  await rejects(h.call('update', 'data/foo', {}), 'ERR_INVALID_REQUEST', 'no data provided');
  await rejects(h.call('update', 'data/foo', { data: null }), 'ERR_INVALID_REQUEST', 'no data provided');
  for (const data of ['str', 42, [1, 2], true]) {
    await rejects(h.call('update', 'data/foo', { data }), 'ERR_INVALID_REQUEST', /"data"/);
  }
  await rejects(h.call('update', 'data/foo', { data: { a: 1 }, options: 'x' }), 'ERR_INVALID_REQUEST', /"options"/);
  await rejects(h.call('update', 'data/foo', { data: { a: 1 }, options: { cas: 'one' } }), 'ERR_INVALID_REQUEST', 'error parsing check-and-set parameter');
  assert.equal(h.storage.map.size, 0);
});

test('an empty data object is a valid version', async () => {
  const h = await kv2();
  await h.call('update', 'data/foo', { data: {} });
  assert.deepEqual(record((await h.call('read', 'data/foo'))?.data).data, {});
});

test('traversal-ish paths are 400s; unicode paths work', async () => {
  const h = await kv2();
  for (const p of ['data/../x', 'data/a/../b', 'data/a//b', 'data/./a', 'data/a/.']) {
    await rejects(h.call('update', p, { data: { a: 1 } }), 'ERR_INVALID_REQUEST', /invalid path/);
  }
  assert.equal(h.storage.map.size, 0);
  await h.call('update', 'data/ключ/秘密 🔑', { data: { 'ä': 'ß' } });
  assert.deepEqual(record((await h.call('read', 'data/ключ/秘密 🔑'))?.data).data, { 'ä': 'ß' });
  assert.deepEqual((await h.call('list', 'metadata/ключ/'))?.data, { keys: ['秘密 🔑'] });
});

test('CAS: cas 0 only creates; cas N must equal the current version; mismatches change nothing', async () => {
  const h = await kv2();
  assert.equal(record((await h.call('update', 'data/foo', { data: { v: 1 }, options: { cas: 0 } }))?.data).version, 1);
  await rejects(h.call('update', 'data/foo', { data: { v: 'x' }, options: { cas: 0 } }), 'ERR_INVALID_REQUEST', 'check-and-set parameter did not match the current version');
  await rejects(h.call('update', 'data/foo', { data: { v: 'x' }, options: { cas: 2 } }), 'ERR_INVALID_REQUEST', 'check-and-set parameter did not match the current version');
  await rejects(h.call('update', 'data/foo', { data: { v: 'x' }, options: { cas: -1 } }), 'ERR_INVALID_REQUEST', 'check-and-set parameter did not match the current version');
  assert.equal(record((await h.call('update', 'data/foo', { data: { v: 2 }, options: { cas: '1' } }))?.data).version, 2);
  const r = record((await h.call('read', 'data/foo'))?.data);
  assert.deepEqual(r.data, { v: 2 });
  assert.equal(record(r.metadata).version, 2);
});

test('CAS mismatch leaves every stored byte unchanged', async () => {
  const h = await kv2();
  await h.call('update', 'data/foo', { data: { v: 1 } });
  const snapshot = JSON.stringify([...h.storage.map].map(([k, v]) => [k, Buffer.from(v).toString('hex')]));
  await rejects(h.call('update', 'data/foo', { data: { v: 2 }, options: { cas: 5 } }), 'ERR_INVALID_REQUEST');
  await rejects(h.call('patch', 'data/foo', { data: { v: 2 }, options: { cas: 5 } }), 'ERR_INVALID_REQUEST');
  assert.equal(JSON.stringify([...h.storage.map].map(([k, v]) => [k, Buffer.from(v).toString('hex')])), snapshot);
});

test('cas_required on the mount config or on the key demands options.cas', async () => {
  const h = await kv2();
  await h.call('update', 'config', { cas_required: true });
  await rejects(h.call('update', 'data/foo', { data: { v: 1 } }), 'ERR_INVALID_REQUEST', 'check-and-set parameter required for this call');
  await rejects(h.call('update', 'data/foo', { data: { v: 1 }, options: {} }), 'ERR_INVALID_REQUEST', 'check-and-set parameter required for this call');
  await h.call('update', 'data/foo', { data: { v: 1 }, options: { cas: 0 } });
  await h.call('update', 'config', { cas_required: false });
  await h.call('update', 'data/foo', { data: { v: 2 } });

  await h.call('update', 'metadata/bar', { cas_required: true });
  await rejects(h.call('update', 'data/bar', { data: { v: 1 } }), 'ERR_INVALID_REQUEST', 'check-and-set parameter required for this call');
  // Metadata without versions has current_version 0, so cas 0 writes version 1.
  assert.equal(record((await h.call('update', 'data/bar', { data: { v: 1 }, options: { cas: 0 } }))?.data).version, 1);
  await rejects(h.call('patch', 'data/bar', { data: { v: 2 } }), 'ERR_INVALID_REQUEST', 'check-and-set parameter required for this call');
});

test('a soft-deleted key keeps its version number for CAS', async () => {
  const h = await kv2();
  await h.call('update', 'data/foo', { data: { v: 1 } });
  await h.call('delete', 'data/foo');
  await rejects(h.call('update', 'data/foo', { data: { v: 2 }, options: { cas: 0 } }), 'ERR_INVALID_REQUEST', /did not match/);
  assert.equal(record((await h.call('update', 'data/foo', { data: { v: 2 }, options: { cas: 1 } }))?.data).version, 2);
});

test('50 parallel writes with the same cas: exactly one succeeds', async () => {
  const h = await kv2();
  await h.call('update', 'data/race', { data: { v: 0 } });
  const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => h.call('update', 'data/race', { data: { v: i + 1 }, options: { cas: 1 } })));
  const ok = results.filter((r) => r.status === 'fulfilled');
  assert.equal(ok.length, 1);
  for (const r of results) if (r.status === 'rejected') assert.match(String(r.reason), /did not match the current version/);
  const meta = record((await h.call('read', 'metadata/race'))?.data);
  assert.equal(meta.current_version, 2);
  assert.deepEqual(Object.keys(record(meta.versions)), ['1', '2']);
});

test('50 parallel writes without cas all land as distinct versions', async () => {
  const h = await kv2();
  await h.call('update', 'metadata/many', { max_versions: 100 });
  await Promise.all(Array.from({ length: 50 }, (_, i) => h.call('update', 'data/many', { data: { i } })));
  const meta = record((await h.call('read', 'metadata/many'))?.data);
  assert.equal(meta.current_version, 50);
  assert.equal(Object.keys(record(meta.versions)).length, 50);
});

test('max_versions prunes the oldest versions and their data records', async () => {
  const h = await kv2();
  await h.call('update', 'config', { max_versions: 3 });
  for (let i = 1; i <= 5; i++) await h.call('update', 'data/foo', { data: { n: i } });
  const meta = record((await h.call('read', 'metadata/foo'))?.data);
  assert.deepEqual(Object.keys(record(meta.versions)), ['3', '4', '5']);
  assert.equal(meta.oldest_version, 3);
  assert.equal(meta.current_version, 5);
  await rejects(h.call('read', 'data/foo', { version: 2 }), 'ERR_NOT_FOUND', '');
  assert.deepEqual(record((await h.call('read', 'data/foo', { version: 3 }))?.data).data, { n: 3 });
  const versionRecords = [...h.storage.map.keys()].filter((k) => k.startsWith('versions/'));
  assert.equal(versionRecords.length, 3);
});

test('default max_versions is 10; oldest_version stays 0 until the window fills (as in Vault)', async () => {
  const h = await kv2();
  await h.call('update', 'data/foo', { data: { n: 1 } });
  assert.equal(record((await h.call('read', 'metadata/foo'))?.data).oldest_version, 0);
  for (let i = 2; i <= 12; i++) await h.call('update', 'data/foo', { data: { n: i } });
  const meta = record((await h.call('read', 'metadata/foo'))?.data);
  assert.equal(Object.keys(record(meta.versions)).length, 10);
  assert.equal(meta.oldest_version, 3);
});

test('key-level max_versions wins over the mount and lowering it prunes on the next write', async () => {
  const h = await kv2();
  await h.call('update', 'config', { max_versions: 5 });
  for (let i = 1; i <= 5; i++) await h.call('update', 'data/foo', { data: { n: i } });
  await h.call('update', 'metadata/foo', { max_versions: 2 });
  await h.call('update', 'data/foo', { data: { n: 6 } });
  const meta = record((await h.call('read', 'metadata/foo'))?.data);
  assert.deepEqual(Object.keys(record(meta.versions)), ['5', '6']);
  assert.equal(meta.oldest_version, 5);
});

test('reading a soft-deleted or destroyed version is 404 WITH the envelope body', async () => {
  const h = await kv2();
  await h.call('update', 'data/foo', { data: { v: 1 } });
  await h.call('update', 'data/foo', { data: { v: 2 } });
  h.clock.advance(10);
  assert.equal(await h.call('delete', 'data/foo'), undefined);
  const r = await h.call('read', 'data/foo');
  assert.equal(r?.statusCode, 404);
  assert.deepEqual(r?.data, {
    data: null,
    metadata: { created_time: T0, custom_metadata: null, deletion_time: '2024-01-02T03:04:15.123456789Z', destroyed: false, version: 2 },
  });
  // The older version is still readable.
  assert.deepEqual(record((await h.call('read', 'data/foo', { version: 1 }))?.data).data, { v: 1 });
  await h.call('update', 'destroy/foo', { versions: [1] });
  const d = await h.call('read', 'data/foo', { version: 1 });
  assert.equal(d?.statusCode, 404);
  assert.deepEqual(d?.data, { data: null, metadata: { created_time: T0, custom_metadata: null, deletion_time: '', destroyed: true, version: 1 } });
});

test('DELETE data/x soft-deletes only the current version and is a no-op when missing or deleted', async () => {
  const h = await kv2();
  assert.equal(await h.call('delete', 'data/missing'), undefined);
  assert.equal(h.storage.map.size, 0);
  await h.call('update', 'data/foo', { data: { v: 1 } });
  await h.call('delete', 'data/foo');
  const first = record(record((await h.call('read', 'metadata/foo'))?.data).versions)['1'];
  h.clock.advance(5);
  await h.call('delete', 'data/foo');
  assert.deepEqual(record(record((await h.call('read', 'metadata/foo'))?.data).versions)['1'], first);
});

test('delete_version_after stamps a future deletion_time; the version reads as deleted once it passes', async () => {
  const h = await kv2();
  await h.call('update', 'config', { delete_version_after: '1h' });
  const w = record((await h.call('update', 'data/foo', { data: { v: 1 } }))?.data);
  assert.equal(w.deletion_time, '2024-01-02T04:04:05.123456789Z');
  h.clock.advance(3599);
  assert.deepEqual(record((await h.call('read', 'data/foo'))?.data).data, { v: 1 });
  h.clock.advance(2);
  const r = await h.call('read', 'data/foo');
  assert.equal(r?.statusCode, 404);
  assert.equal(record(r?.data).data, null);
});

test('delete_version_after: the smaller of key and mount wins; a negative mount value disables it', async () => {
  const h = await kv2();
  await h.call('update', 'config', { delete_version_after: '2h' });
  await h.call('update', 'metadata/short', { delete_version_after: '30m' });
  await h.call('update', 'metadata/long', { delete_version_after: '5h' });
  assert.equal(record((await h.call('update', 'data/short', { data: { v: 1 } }))?.data).deletion_time, '2024-01-02T03:34:05.123456789Z');
  assert.equal(record((await h.call('update', 'data/long', { data: { v: 1 } }))?.data).deletion_time, '2024-01-02T05:04:05.123456789Z');
  await h.call('update', 'config', { delete_version_after: '-1s' });
  assert.equal(record((await h.call('update', 'data/short', { data: { v: 2 } }))?.data).deletion_time, '');
});

test('PATCH merges onto the current version (null removes a key) and writes a new version', async () => {
  const h = await kv2();
  await h.call('update', 'data/foo', { data: { a: 1, b: { c: 2, d: 3 }, gone: true } });
  const p = await h.call('patch', 'data/foo', { data: { a: 10, b: { d: null, e: 4 }, gone: null }, options: { cas: 1 } });
  assert.deepEqual(p?.data, { created_time: T0, custom_metadata: null, deletion_time: '', destroyed: false, version: 2 });
  assert.deepEqual(record((await h.call('read', 'data/foo'))?.data).data, { a: 10, b: { c: 2, e: 4 } });
  assert.deepEqual(record((await h.call('read', 'data/foo', { version: 1 }))?.data).data, { a: 1, b: { c: 2, d: 3 }, gone: true });
});

test('PATCH: 404 when missing, 404 with the version block when the current version is deleted', async () => {
  const h = await kv2();
  await rejects(h.call('patch', 'data/nope', { data: { a: 1 } }), 'ERR_NOT_FOUND', '');
  await h.call('update', 'metadata/empty', { max_versions: 3 });
  await rejects(h.call('patch', 'data/empty', { data: { a: 1 } }), 'ERR_NOT_FOUND', '');
  await h.call('update', 'data/foo', { data: { a: 1 } });
  await h.call('delete', 'data/foo');
  const r = await h.call('patch', 'data/foo', { data: { a: 2 } });
  assert.equal(r?.statusCode, 404);
  assert.equal(record(r?.data).version, 1);
  assert.notEqual(record(r?.data).deletion_time, '');
  await rejects(h.call('patch', 'data/foo', {}), 'ERR_INVALID_REQUEST', 'no data provided');
  await rejects(h.call('patch', 'data/foo', { data: [1] }), 'ERR_INVALID_REQUEST', /"data"/);
});

test('custom_metadata from the key shows on writes and reads', async () => {
  const h = await kv2();
  await h.call('update', 'metadata/foo', { custom_metadata: { owner: 'team-a' } });
  assert.deepEqual(record((await h.call('update', 'data/foo', { data: { a: 1 } }))?.data).custom_metadata, { owner: 'team-a' });
  assert.deepEqual(record(record((await h.call('read', 'data/foo'))?.data).metadata).custom_metadata, { owner: 'team-a' });
});

test('the existence check reports whether the key has metadata', async () => {
  const h = await kv2();
  const req = { id: 'r', operation: 'create' as const, path: 'data/foo', fullPath: 'secret/data/foo', mount: h.mount, data: {}, storage: h.storage, clientToken: '', remoteAddress: '', headers: {}, wrapTTL: 0 };
  assert.equal(await h.backend.existenceCheck(req), false);
  await h.call('update', 'data/foo', { data: { a: 1 } });
  assert.equal(await h.backend.existenceCheck(req), true);
});

test('a write is one transaction: version record and metadata together', async () => {
  const h = await kv2();
  const calls: number[] = [];
  const inner = h.storage.transaction.bind(h.storage);
  h.storage.transaction = async (ops) => { calls.push(ops.length); await inner(ops); };
  const put = h.storage.put.bind(h.storage);
  let directPuts = 0;
  h.storage.put = async (k, v) => { directPuts++; await put(k, v); };
  await h.call('update', 'data/foo', { data: { a: 1 } });
  assert.deepEqual(calls, [2]);
  assert.equal(directPuts, 0);
});
