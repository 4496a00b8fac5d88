import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kv2, rejects, record } from '../../../test/helpers/kv.js';

test('destroy removes the version data for good and marks it destroyed', async () => {
  const h = await kv2();
  await h.call('update', 'data/foo', { data: { secret: 'one' } });
  await h.call('update', 'data/foo', { data: { secret: 'two' } });
  assert.equal(await h.call('update', 'destroy/foo', { versions: [1] }), undefined);
  const r = await h.call('read', 'data/foo', { version: 1 });
  assert.equal(r?.statusCode, 404);
  assert.deepEqual(record(r?.data).data, null);
  assert.equal(record(record(r?.data).metadata).destroyed, true);
  const stored = [...h.storage.map.values()].map((v) => Buffer.from(v).toString('utf8')).join('\n');
  assert.ok(!stored.includes('"one"'), 'destroyed data must be gone from storage');
  assert.ok(stored.includes('"two"'));
  const meta = record((await h.call('read', 'metadata/foo'))?.data);
  assert.deepEqual(record(meta.versions)['1'], { created_time: record(record(meta.versions)['1']).created_time, deletion_time: '', destroyed: true });
  assert.equal(meta.current_version, 2);
});

test('destroying the current version makes the default read 404 with a body; writes go on', async () => {
  const h = await kv2();
  await h.call('update', 'data/foo', { data: { v: 1 } });
  await h.call('update', 'destroy/foo', { versions: '1' });
  assert.equal((await h.call('read', 'data/foo'))?.statusCode, 404);
  await h.call('delete', 'data/foo'); // already destroyed: no-op
  assert.equal(record((await h.call('update', 'data/foo', { data: { v: 2 } }))?.data).version, 2);
});

test('destroy is idempotent, skips unknown versions and needs a version list', async () => {
  const h = await kv2();
  await h.call('update', 'data/foo', { data: { v: 1 } });
  await h.call('update', 'destroy/foo', { versions: [1, 5, -3] });
  await h.call('update', 'destroy/foo', { versions: [1] });
  assert.equal(record(record(record((await h.call('read', 'metadata/foo'))?.data).versions)['1']).destroyed, true);
  await rejects(h.call('update', 'destroy/foo', {}), 'ERR_INVALID_REQUEST', 'no version number provided');
  await rejects(h.call('update', 'destroy/foo', { versions: 'a,b' }), 'ERR_INVALID_REQUEST', /integers/);
  assert.equal(await h.call('update', 'destroy/nope', { versions: [1] }), undefined);
});

test('destroy writes metadata and deletes data in one transaction', async () => {
  const h = await kv2();
  await h.call('update', 'data/foo', { data: { v: 1 } });
  await h.call('update', 'data/foo', { data: { v: 2 } });
  const batches: string[][] = [];
  const inner = h.storage.transaction.bind(h.storage);
  h.storage.transaction = async (ops) => { batches.push(ops.map((o) => `${o.type}:${o.key.split('/')[0]}`)); await inner(ops); };
  await h.call('update', 'destroy/foo', { versions: [1, 2] });
  assert.deepEqual(batches, [['put:metadata', 'delete:versions', 'delete:versions']]);
});
